"""Golden outputs: what the engine says today about every trace, scenario case and fidelity case.

Regenerate (one command, after a deliberate change; say why in the commit message)::

    .venv/bin/python tests/golden/golden_kit.py

It writes ``tests/golden/data/golden.json`` (hashes, with the event log hashed in blocks of
``BLOCK`` lines so a mismatch names the lines that changed) and a few readable files under
``tests/golden/data/readable/`` (the canonical traces' event logs and observations, the canonical
scenario run folders' ``steps.jsonl``/``summary.json``), whose text diff shows exactly what changed.

Covered: every trace in ``traces/`` and ``../shared/traces/`` (the loaded trace re-encoded, the event log
and snapshot after 120 s and 600 s, the episode observation at 120 s), every case of every scenario file
in ``scenarios/`` (the case outcome and every file of its run folder but timings), a seeded Gymnasium
action sequence per canonical trace, and every fidelity table case (its verdict and every snapshot it
observed).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib
import json
import os
import random
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
GOLDEN = DATA / "golden.json"
READABLE = DATA / "readable"
SHARED_TRACES = ROOT.parent / "shared" / "traces"
BLOCK = 64  # event-log lines per hash block
TRACE_SUFFIXES = (".sktrace", ".msgpack", ".json")
# Run-folder files that are no outputs of the episode: a command agent's kubectl caches.
# (kubeconfig: the live API server's random port, CA and token.)
NOT_OUTPUTS = ("agent/kube-cache/", "agent/kubeconfig")

Obj = dict[str, Any]


def sha(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return hashlib.sha256(raw).hexdigest()[:16]


def canon(obj: Any) -> str:
    """Stable JSON text (sorted keys) of API-shaped data."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=repr)


def relative(message: str) -> str:
    """A message without this checkout's absolute paths (goldens must not depend on where it lives)."""
    return message.replace(str(SHARED_TRACES), "shared").replace(str(ROOT), ".")


def log_blocks(lines: list[str]) -> list[str]:
    return [sha("\n".join(lines[i : i + BLOCK])) for i in range(0, len(lines), BLOCK)] or [sha("")]


def snapshot_json(snap: Any) -> Obj:
    data: Obj = dataclasses.asdict(snap)
    return data


def trace_files() -> list[tuple[str, Path]]:
    """(label, path) of every shipped and shared trace, in a stable order."""
    shipped = ROOT / "traces"  # its folders may be links into the package data
    found = [
        Path(folder) / name
        for folder, _, names in os.walk(shipped, followlinks=True)
        for name in names
        if name.endswith(".sktrace")
    ]
    out = [(f"traces/{p.relative_to(shipped).as_posix()}", p) for p in sorted(found)]
    if SHARED_TRACES.is_dir():
        for p in sorted(SHARED_TRACES.rglob("*")):
            if p.suffix in TRACE_SUFFIXES:
                out.append((f"shared/{p.relative_to(SHARED_TRACES)}", p))
    return out


# -- traces ----------------------------------------------------------------------------------------------


def trace_outputs(path: Path) -> tuple[Obj, dict[str, str]]:
    """Golden record of one trace (hashes) and its readable texts (event log, observation)."""
    from pytest_simarena.backends.protocol import DEFAULT_PREFIX
    from pytest_simarena.backends.registry import make_backend
    from pytest_simarena.episode.observation import build_observation
    from pytest_simarena.episode.target import default_target, intended_cluster, resolve_workload
    from pytest_simarena.errors import SimArenaError
    from pytest_simarena.trace.io import dumps, load_trace

    record: Obj = {}
    texts: dict[str, str] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trace = load_trace(path)
    except SimArenaError as exc:
        return {"loadError": relative(str(exc))}, texts
    record["load"] = sha(dumps(trace))
    options: Obj = {"seed": 0}
    if (intended := intended_cluster(trace)) is not None:
        options["uniform"] = intended
    cluster = make_backend("embedded", **options)
    try:
        cluster.start(trace, DEFAULT_PREFIX)
        cluster.advance(120.0)
        snap = cluster.observe(DEFAULT_PREFIX)
        record["snapshot120"] = sha(canon(snapshot_json(snap)))
        try:
            refs = [resolve_workload(trace, None)]
        except SimArenaError:  # several workloads: observe each (the episode would ask which one)
            refs = list(trace.workloads())
        observations = []
        for ref in refs:
            obs = build_observation(snap, trace=trace, workload=ref, target=default_target(trace, ref))
            observations.append(obs.to_json())
        text = json.dumps(observations, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        record["observation120"] = sha(text)
        texts["observation.json"] = text
        log120 = list(cluster.event_log)
        record["eventLog120"] = log_blocks(log120)
        cluster.advance(480.0)
        log600 = list(cluster.event_log)
        record["eventLog600"] = log_blocks(log600)
        record["snapshot600"] = sha(canon(snapshot_json(cluster.observe(DEFAULT_PREFIX))))
        texts["events.txt"] = "\n".join(log600) + "\n"
    except SimArenaError as exc:
        record["replayError"] = relative(str(exc))
    finally:
        cluster.close()
    return record, texts


# -- scenario suite -------------------------------------------------------------------------------------


def scenario_cases() -> list[Any]:
    from pytest_simarena.policies import registry
    from pytest_simarena.scenario.loader import load_file
    from pytest_simarena.scenario.model import Context, all_cases, expand
    from pytest_simarena.scenario.run import is_live

    ctx = Context(
        rootpath=ROOT,
        trace_dirs=(ROOT / "traces" / "canonical", ROOT / "traces" / "generated", ROOT / "traces" / "extra"),
        builtin_policies=tuple(registry.BUILTIN_POLICIES),
    )
    cases = []
    for file in sorted((ROOT / "scenarios").glob("*.yaml")):
        cases += all_cases(expand(load_file(file), ctx))
    # Replay-mode cases only: live agents (scenarios/agents.yaml) need kubectl and an API server, and
    # their determinism has its own tests (tests/agents: same seed and requests -> identical run folders).
    return [c for c in cases if not is_live(c)]


def case_outputs(case: Any, tmp: Path) -> tuple[Obj, dict[str, str]]:
    from pytest_simarena.scenario.naming import namespace_name
    from pytest_simarena.scenario.run import ClusterPool, RunConfig, run_case

    workdir = tmp / sha(case.test_id)
    pool = ClusterPool()
    try:
        outcome = run_case(
            case,
            pool=pool,
            config=RunConfig(),
            prefix=namespace_name(case.test_id, "master"),
            workdir=workdir,
        )
    finally:
        pool.close()
    summary = outcome.summary()
    # Wall-clock seconds, and the report's grouping label (added after the goldens): not verdicts.
    for not_a_verdict in ("episodeSeconds", "family"):
        summary.pop(not_a_verdict, None)
    record: Obj = {"outcome": sha(canon(summary)), "passed": summary["passed"]}
    texts: dict[str, str] = {}
    if workdir.is_dir():
        for f in sorted(p for p in workdir.rglob("*") if p.is_file()):
            name = f.relative_to(workdir).as_posix()  # live agents keep their output in a subfolder
            if f.name == "timings.json" or name.startswith(NOT_OUTPUTS):
                continue  # wall-clock seconds; kubectl's caches (named after the server's random port)
            data = f.read_bytes()
            if f.suffix in (".jsonl", ".json"):
                # Paths of this checkout (a live session records its trace's path) are made relative.
                text = relative(data.decode("utf-8"))
                data = text.encode("utf-8")
                texts[name] = text
            record[name] = sha(data)
    return record, texts


# -- gymnasium ------------------------------------------------------------------------------------------


def gym_outputs(path: Path) -> Obj:
    from pytest_simarena.gym import SimArenaEnv

    env = SimArenaEnv(str(path), max_steps=10)
    rng = random.Random(7)
    lines = []
    try:
        obs, info = env.reset(seed=3)
        lines.append(f"reset {obs.tolist()} {info['status']}")
        for _ in range(30):
            a = rng.randrange(len(env.action_names))
            obs, reward, terminated, truncated, info = env.step(a)
            lines.append(
                f"{a} {obs.tolist()} {reward!r} {terminated} {truncated} {info['status']} {info['message']}"
            )
            if terminated or truncated:
                obs, info = env.reset()
                lines.append(f"reset {obs.tolist()}")
    finally:
        env.close()
    return {"steps": log_blocks(lines)}


# -- fidelity table -------------------------------------------------------------------------------------


@contextlib.contextmanager
def observed_snapshots() -> Iterator[list[str]]:
    """Every snapshot any EmbeddedCluster returns meanwhile, hashed (the real method still runs)."""
    from pytest_simarena.backends.embedded import EmbeddedCluster

    seen: list[str] = []
    original: Callable[..., Any] = EmbeddedCluster.observe

    def recording(self: Any, *args: Any, **kwargs: Any) -> Any:
        snap = original(self, *args, **kwargs)
        seen.append(sha(canon(snapshot_json(snap)) + "\n".join(self.event_log)))
        return snap

    EmbeddedCluster.observe = recording  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        EmbeddedCluster.observe = original  # type: ignore[method-assign]


def fidelity_outputs() -> Obj:
    sys.path.insert(0, str(ROOT / "tests" / "fidelity"))
    try:
        table = importlib.import_module("test_fidelity_table")
    finally:
        sys.path.remove(str(ROOT / "tests" / "fidelity"))
    out: Obj = {}
    for case in table.CASES:
        with observed_snapshots() as seen:
            try:
                case.run()
                verdict = "passed"
            except AssertionError as exc:
                verdict = f"failed: {str(exc).splitlines()[0] if str(exc) else 'assert'}"
        out[case.id] = {"verdict": verdict, "snapshots": sha("\n".join(seen)), "observed": len(seen)}
    return out


# -- all --------------------------------------------------------------------------------------------------


def collect_traces() -> tuple[Obj, dict[str, str]]:
    records: Obj = {}
    readable: dict[str, str] = {}
    for label, path in trace_files():
        record, texts = trace_outputs(path)
        records[label] = record
        if label.startswith("traces/canonical/"):
            for name, text in texts.items():
                readable[f"traces/{path.stem}.{name}"] = text
    return records, readable


def collect_scenarios() -> tuple[Obj, dict[str, str]]:
    records: Obj = {}
    readable: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case in scenario_cases():
            record, texts = case_outputs(case, Path(tmp))
            records[f"{case.file.name}::{case.test_id}"] = record
            if case.file.name == "canonical.yaml":
                for name, text in texts.items():
                    readable[f"runs/{case.scenario}-{case.policy}.{name}"] = text
    return records, readable


def collect_gym() -> tuple[Obj, dict[str, str]]:
    return {p.stem: gym_outputs(p) for p in sorted((ROOT / "traces" / "canonical").glob("*.sktrace"))}, {}


def collect_fidelity() -> tuple[Obj, dict[str, str]]:
    return fidelity_outputs(), {}


SECTIONS: dict[str, Callable[[], tuple[Obj, dict[str, str]]]] = {
    "traces": collect_traces,
    "scenarios": collect_scenarios,
    "gym": collect_gym,
    "fidelity": collect_fidelity,
}


def collect() -> tuple[Obj, dict[str, str]]:
    """(golden record, readable texts by relative file name) of the current code."""
    golden: Obj = {}
    readable: dict[str, str] = {}
    for name, fn in SECTIONS.items():
        golden[name], texts = fn()
        readable.update(texts)
    return golden, readable


def load_golden() -> Obj:
    data: Obj = json.loads(GOLDEN.read_text(encoding="utf-8"))
    return data


def differences(section: str, expected: Obj, actual: Obj) -> list[str]:
    """One line per differing entry and field; event-log blocks name their line range."""
    out = []
    for key in sorted(set(expected) | set(actual)):
        if section == "traces" and key.startswith("shared/") and not SHARED_TRACES.is_dir():
            continue
        exp, act = expected.get(key), actual.get(key)
        if exp is None or act is None:
            out.append(f"{section} {key}: {'new' if exp is None else 'missing'}")
            continue
        for field in sorted(set(exp) | set(act)):
            e, a = exp.get(field), act.get(field)
            if e == a:
                continue
            if isinstance(e, list) and isinstance(a, list):
                changed = [
                    i for i in range(max(len(e), len(a))) if i >= len(e) or i >= len(a) or e[i] != a[i]
                ]
                first = changed[0] * BLOCK
                out.append(
                    f"{section} {key} {field}: lines {first + 1}-{first + BLOCK} differ first "
                    f"({len(e)} -> {len(a)} blocks of {BLOCK})"
                )
            else:
                out.append(f"{section} {key} {field}: {e!r} -> {a!r}")
    return out


def readable_diff(texts: dict[str, str], *, limit: int = 60) -> list[str]:
    """Unified diff of the readable files against the current texts (first ``limit`` lines)."""
    import difflib

    lines: list[str] = []
    for name, text in sorted(texts.items()):
        path = READABLE / name
        old = path.read_text(encoding="utf-8") if path.is_file() else ""
        if old != text:
            lines += difflib.unified_diff(
                old.splitlines(), text.splitlines(), f"golden/{name}", f"now/{name}", lineterm="", n=1
            )
    return lines[:limit]


def golden_text(golden: Obj) -> str:
    return json.dumps(golden, indent=1, sort_keys=True) + "\n"


def write() -> None:
    golden, readable = collect()
    DATA.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(golden_text(golden), encoding="utf-8")
    if READABLE.is_dir():
        for old in sorted(READABLE.rglob("*"), reverse=True):
            old.unlink() if old.is_file() else old.rmdir()
    for name, text in readable.items():
        target = READABLE / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    print(
        f"wrote {GOLDEN.relative_to(ROOT)} and {len(readable)} readable files "
        f"under {READABLE.relative_to(ROOT)}"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    write()
