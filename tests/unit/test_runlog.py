"""The run folder's layout: every step's trace in ``traces.msgpack``, read back, exported, crash-safe."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_simarena.actions import Action
from pytest_simarena.cli import main
from pytest_simarena.episode.jsonline import step_line
from pytest_simarena.episode.loop import run_episode
from pytest_simarena.episode.observation import ContainerView, HistoryEntry, NodeView, Observation, restamp
from pytest_simarena.episode.replay import replay_run
from pytest_simarena.episode.results import StepRecord
from pytest_simarena.episode.runlog import (
    TRACES_FILE,
    RunLog,
    export_step_trace,
    jsonl_line,
    read_step_traces,
    step_trace_bytes,
)
from pytest_simarena.errors import SimArenaError
from pytest_simarena.trace.io import dumps, load_trace
from pytest_simarena.trace.model import WorkloadRef

ROOT = Path(__file__).resolve().parents[2]
SLIGHT = ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace"


def _records(run: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (run / "steps.jsonl").read_text().splitlines()]


def _episode(run: Path, policy: str = "random", seed: int = 4, steps: int = 8) -> None:
    run_episode(load_trace(SLIGHT), policy, seed=seed, max_steps=steps, out_dir=run, trace_label="slight")


def test_each_record_names_a_stored_trace_and_the_last_entry_is_the_final_trace(tmp_path: Path) -> None:
    _episode(tmp_path)
    records = _records(tmp_path)
    traces = read_step_traces(tmp_path)
    assert [t.step for t in traces] == list(range(len(records) + 1))
    for record, stored in zip(records, traces, strict=False):
        trace = record["trace"]
        assert isinstance(trace, dict)
        assert trace == {"file": stored.name, "sha256": hashlib.sha256(stored.data).hexdigest()}
    assert traces[0].data == dumps(load_trace(SLIGHT))  # the input, as the old step-000.sktrace held it
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["finalTrace"] == traces[-1].name
    # Each distinct trace is stored once; repeats are references.
    entries = list(msgpack.Unpacker(open(tmp_path / TRACES_FILE, "rb"), raw=False))  # noqa: SIM115
    assert sum("trace" in e for e in entries) == len({t.data for t in traces})
    assert all(e["sameAs"] < e["step"] for e in entries if "sameAs" in e)


def test_export_writes_a_trace_file_that_loads_and_replays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    _episode(run)
    last = read_step_traces(run)[-1]
    assert main(["replay", str(run), "--export-step", "2"]) == 0
    assert capsys.readouterr().out.strip() == str(run / "step-002.sktrace")
    assert (run / "step-002.sktrace").read_bytes() == step_trace_bytes(run, 2)[1]
    out = tmp_path / "final.sktrace"
    assert main(["replay", str(run), "--export-step", "final", "--out", str(out)]) == 0
    assert out.read_bytes() == last.data
    assert main(["trace", "validate", str(out)]) == 0
    assert main(["run", str(out), "--policy", "noop", "--steps", "1", "--out", str(tmp_path / "b")]) in (0, 1)
    capsys.readouterr()
    assert main(["replay", str(run), "--export-step", "99"]) == 2
    assert capsys.readouterr().err.strip() == (
        f"simarena: error: {run}: no trace for step 99 (steps 0-{last.step})"
    )
    assert main(["replay", str(run), "--out", str(out)]) == 2
    assert capsys.readouterr().err.strip() == "simarena: error: --out is only for --export-step"


def test_simarena_run_also_writes_the_final_trace_as_a_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(SLIGHT), "--policy", "heuristic", "--out", str(tmp_path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["finalTrace"] == str(tmp_path / "step-001.sktrace")
    assert Path(doc["finalTrace"]).read_bytes() == step_trace_bytes(tmp_path, "final")[1]


def test_a_folder_of_the_older_layout_still_replays_and_exports(tmp_path: Path) -> None:
    # The layout before traces.msgpack: one step-NNN.sktrace per step (the same bytes, see the goldens'
    # commit), the same steps.jsonl and summary.json.
    _episode(tmp_path)
    traces = read_step_traces(tmp_path)
    for t in traces:
        (tmp_path / t.name).write_bytes(t.data)
    (tmp_path / TRACES_FILE).unlink()
    assert read_step_traces(tmp_path) == traces
    report = replay_run(tmp_path)
    assert report.reproduced, report.difference
    assert step_trace_bytes(tmp_path, "final") == (traces[-1].name, traces[-1].data)
    # A new run into the folder leaves no file of the older layout behind.
    _episode(tmp_path, policy="noop", steps=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "steps.jsonl",
        "summary.json",
        "timings.json",
        TRACES_FILE,
    ]


def test_a_run_killed_mid_episode_reads_up_to_its_last_step(tmp_path: Path) -> None:
    # A real crash: the process exits (no cleanup, no summary) as step 3 is logged.
    script = (
        "import os, sys\n"
        "from pytest_simarena.episode.loop import run_episode\n"
        "from pytest_simarena.trace.io import load_trace\n"
        "def crash(record):\n"
        "    if record.step == 3:\n"
        "        os._exit(7)\n"
        f"run_episode(load_trace({str(SLIGHT)!r}), 'random', seed=4, max_steps=8, out_dir=sys.argv[1],"
        " on_step=crash)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], check=False, timeout=120)
    assert done.returncode == 7
    assert not (tmp_path / "summary.json").exists()
    records = _records(tmp_path)
    assert [r["step"] for r in records] == [0, 1, 2, 3]
    traces = read_step_traces(tmp_path)
    assert [t.step for t in traces] == [0, 1, 2, 3]
    assert [r["trace"] for r in records] == [{"file": t.name, "sha256": t.sha256} for t in traces]
    # A write torn by the crash (the next step's entry cut short) is ignored.
    with open(tmp_path / TRACES_FILE, "ab") as f:
        f.write(msgpack.packb({"step": 4, "sha256": "0" * 64, "trace": b"x" * 100})[:-30])
    assert read_step_traces(tmp_path) == traces
    with pytest.raises(SimArenaError, match=r"summary.json: missing"):
        replay_run(tmp_path)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([[1, 2]], "entry 0: expected a map, got list"),
        (
            [{"step": 0, "sha256": "x", "sameAs": 0}],
            "entry 0 (step 0): sameAs: expected an earlier step, got 0",
        ),
        ([{"step": "0", "sha256": "x"}], "entry 0: step: expected a new step number, got '0'"),
        ([{"step": 0, "sha256": 5, "trace": b""}], "entry 0 (step 0): sha256: expected a string, got 5"),
        (
            [{"step": 0, "sha256": "ab", "trace": b"x"}],
            "entry 0 (step 0): sha256 does not match the trace's bytes",
        ),
        ([{"step": 0, "sha256": "ab", "trace": "x"}], "entry 0 (step 0): trace: expected bytes"),
    ],
)
def test_a_damaged_traces_file_is_one_line_naming_the_entry_and_field(
    tmp_path: Path, entries: list[object], message: str
) -> None:
    (tmp_path / TRACES_FILE).write_bytes(b"".join(msgpack.packb(e) for e in entries))
    with pytest.raises(SimArenaError) as info:
        read_step_traces(tmp_path)
    assert str(info.value) == f"{tmp_path / TRACES_FILE}: {message}"


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(SimArenaError) as info:
        read_step_traces(tmp_path)
    assert str(info.value) == f"{tmp_path}: not a run folder (neither traces.msgpack nor step-000.sktrace)"
    (tmp_path / TRACES_FILE).write_bytes(b"")  # killed before step 0's trace was written
    assert read_step_traces(tmp_path) == []
    with pytest.raises(SimArenaError) as info:
        export_step_trace(tmp_path, 0)
    assert str(info.value) == f"{tmp_path / TRACES_FILE}: holds no step trace"
    (tmp_path / TRACES_FILE).write_bytes(b"\xc1")  # a byte msgpack never uses
    with pytest.raises(SimArenaError, match=r"traces.msgpack: entry 0: not msgpack"):
        read_step_traces(tmp_path)


def test_same_seed_same_bytes_in_any_hash_seed(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from pytest_simarena.episode.loop import run_episode\n"
        "from pytest_simarena.trace.io import load_trace\n"
        f"run_episode(load_trace({str(SLIGHT)!r}), 'random', seed=9, max_steps=6, out_dir=sys.argv[1])\n"
    )
    for n, hash_seed in enumerate(("0", "12345")):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        command = [sys.executable, "-c", script, str(tmp_path / str(n))]
        subprocess.run(command, check=True, env=env, timeout=120)
    for name in ("steps.jsonl", "summary.json", TRACES_FILE):
        assert (tmp_path / "0" / name).read_bytes() == (tmp_path / "1" / name).read_bytes()


def test_runlog_stores_a_repeated_trace_once(tmp_path: Path) -> None:
    log = RunLog(tmp_path / "run")
    a, b = dumps(load_trace(SLIGHT)), b"not a trace, but bytes all the same"
    for step, data in enumerate((a, b, a, b, b)):
        assert log.write_trace(step, data) == f"step-{step:03d}.sktrace"
    log.close()
    size = (tmp_path / "run" / TRACES_FILE).stat().st_size
    assert len(a) + len(b) < size < len(a) + len(b) + 5 * 100
    assert [t.data for t in read_step_traces(tmp_path / "run")] == [a, b, a, b, b]
    assert export_step_trace(tmp_path / "run", 4, tmp_path / "x.bin").read_bytes() == b


_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
_JSONABLE = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(
            st.text() | st.integers() | st.booleans() | st.none() | st.floats(), inner, max_size=4
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, database=None)
@given(_JSONABLE)
def test_a_step_line_is_json_dumps_text(data: object) -> None:
    assert jsonl_line(data) == json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n"


def test_a_step_line_refuses_what_json_dumps_refuses() -> None:
    with pytest.raises(TypeError, match="Object of type set is not JSON serializable"):
        jsonl_line({"a": {1}})


@settings(max_examples=25, deadline=None, database=None)
@given(
    policy=st.sampled_from(["random", "heuristic", "noop", "always_bump_cpu", "scale_replicas", "vpa"]),
    trace=st.sampled_from(sorted((ROOT / "traces" / "canonical").glob("*.sktrace"))),
    seed=st.integers(0, 2**16),
    steps=st.integers(1, 8),
)
def test_any_logged_episode_reads_back_as_it_ran(policy: str, trace: Path, seed: int, steps: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        result = run_episode(load_trace(trace), policy, seed=seed, max_steps=steps, out_dir=run)
        stored = read_step_traces(run)
        records = _records(run)
        assert [r["trace"] for r in records] == [
            {"file": t.name, "sha256": t.sha256} for t in stored[: len(records)]
        ]
        # The final trace is the last entry (one past the records unless the episode ended solved or failed).
        assert len(stored) - len(records) == (0 if result.solved or result.error else 1)
        assert stored[-1].name == result.final_trace_file
        assert result.final_trace is not None and stored[-1].data == dumps(result.final_trace)
        assert stored[0].data == dumps(load_trace(trace))
        # Each line, composed from cached fragments, is json.dumps's text of the record.
        lines = (run / "steps.jsonl").read_text(encoding="utf-8")
        assert lines == "".join(jsonl_line(r.to_json()) for r in result.steps)


_TEXT = st.text(max_size=12)
_COUNT = st.integers(0, 5)
_QUANTITY = st.none() | st.integers(0, 2**40)
_CONTAINER = st.builds(
    ContainerView,
    name=_TEXT,
    cpu_request=_QUANTITY,
    memory_request=_QUANTITY,
    cpu_limit=_QUANTITY,
    memory_limit=_QUANTITY,
    cpu_usage=_QUANTITY,
    memory_usage=_QUANTITY,
    startup_work=_QUANTITY,
    startup_budget=st.none() | _COUNT,
    memory_peak=_QUANTITY,
)
_NODE = st.builds(NodeView, name=_TEXT, cpu=st.integers(0, 2**20), memory=st.integers(0, 2**40), pods=_COUNT)
_OBSERVATION = st.builds(
    Observation,
    step=_COUNT,
    time=st.floats() | st.integers(0, 3),  # an int time is written apart from the equal float
    workload=st.builds(WorkloadRef, st.sampled_from(["apps/v1.Deployment", "v1.Pod"]), _TEXT, _TEXT),
    target=_COUNT,
    desired=_COUNT,
    ready=_COUNT,
    pending=_COUNT,
    running=_COUNT,
    total=_COUNT,
    containers=st.lists(_CONTAINER, max_size=2).map(tuple),
    failed_scheduling=st.none() | _TEXT,
    oom=st.none() | st.sampled_from(["OOMKilled", '\u00e9\n"x']),
    rejected=st.none() | _TEXT,
    nodes=st.lists(_NODE, max_size=3).map(tuple),
)
_ACTIONS = [
    None,
    Action("noop"),
    Action("bump_cpu", "web"),
    Action("scale_up", "web", kind="*"),
    Action("set_resources", "web", namespace="ns", container="app", requests={"cpu": "250m"}),
]


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(
        st.tuples(
            _OBSERVATION,
            st.integers(0, len(_ACTIONS) - 1),
            st.integers(0, 9),
            st.sampled_from(["applied", "unchanged", "blocked", "solved"]),
            _TEXT,
            st.floats() | st.integers(-1, 1),
            st.none() | _TEXT,
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_composed_step_line_is_json_dumps_text_of_the_record(rows: list[tuple[object, ...]]) -> None:
    records = []
    for obs, action, step, status, message, reward, file in rows:
        assert isinstance(obs, Observation) and isinstance(step, int)
        again = restamp(obs, step, (HistoryEntry(0, "noop", False, 0.0),), None)  # a memoized one, restamped
        changes = ({"field": message, "before": None, "after": reward},) if status == "applied" else ()
        for seen in (obs, again):
            act = _ACTIONS[action]  # type: ignore[index]
            records.append(
                StepRecord(step, seen.time, seen, act, status, message, changes, reward, file, file)
            )  # type: ignore[arg-type]
    for record in records + records[::-1]:  # cached parts come back for equal values, never for others
        want = json.dumps(record.to_json(), separators=(",", ":"), ensure_ascii=False) + "\n"
        assert step_line(record) == want
