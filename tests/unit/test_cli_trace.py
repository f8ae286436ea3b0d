"""``simarena trace ...``: what a user sees (stdout, one-line stderr errors, exit codes) on real files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_simarena.cli import main
from pytest_simarena.quantities import parse_cpu
from pytest_simarena.trace.generator import (
    DEFAULT_CLUSTER,
    ContainerPlan,
    TracePlan,
    WorkloadPlan,
    build_trace,
)
from pytest_simarena.trace.io import dump_trace, load_trace
from pytest_simarena.trace.model import containers

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "traces" / "canonical"
GENERATED = ROOT / "traces" / "generated"


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main(["trace", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def trace_with_cpu(tmp_path: Path, cpu_millicores: int, name: str = "web") -> Path:
    """A one-Deployment trace whose only container requests ``cpu_millicores``."""
    app = ContainerPlan(name, f"ghcr.io/example/{name}:1.0", cpu_millicores, 1024**3)
    plan = TracePlan("test", DEFAULT_CLUSTER, [WorkloadPlan(name, 1, 1, [app])], "test trace")
    path = tmp_path / f"{name}-{cpu_millicores}m.sktrace"
    dump_trace(build_trace(plan), path)
    return path


def cpu_of(path: Path) -> str:
    trace = load_trace(path)
    [ref] = trace.workloads()
    obj = trace.latest(ref)
    assert obj is not None
    value: str = containers(obj)[0]["resources"]["requests"]["cpu"]
    return value


# --- inspect ------------------------------------------------------------------------------------------


def test_inspect_shows_version_span_and_per_container_resources(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "inspect", GENERATED / "multi-container-008.sktrace")
    assert code == 0 and err == ""
    assert "SimKube trace version 2" in out
    assert "1 event, ts 1730390400..1730390400 (0 s)" in out
    assert "Deployment default/checkout: replicas 2" in out
    assert (
        "container envoy: requests cpu=250m memory=128Mi; limits memory=256Mi; usage cpu=50m memory=320Mi"
        in out
    )


def test_inspect_json_has_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "inspect", CANONICAL / "mixed.sktrace", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["version"], data["events"], data["start_ts"], data["duration_s"]) == (2, 1, 1730390400, 0)
    [web] = data["workloads"]
    assert (web["kind"], web["namespace"], web["name"], web["replicas"]) == (
        "Deployment",
        "default",
        "web",
        5,
    )
    assert web["containers"] == [
        {
            "name": "web",
            "requests": {"cpu": "17", "memory": "33Gi"},
            "limits": {},
            "usage": {"cpu": "500m", "memory": "2Gi"},
        }
    ]


def test_inspect_shows_replica_history_of_the_dsb_trace(
    capsys: pytest.CaptureFixture[str], shared_traces: Path
) -> None:
    code, out, _ = run(capsys, "inspect", shared_traces / "simkube" / "dsb-scaling.sktrace", "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["events"], data["duration_s"], len(data["workloads"])) == (19, 1134, 27)
    nginx = next(w for w in data["workloads"] if w["name"] == "nginx-thrift")
    assert nginx["replicas_history"] == [1, 2, 4, 8, 10]  # notes/simkube.md section 2


def test_every_shared_trace_loads_with_inspect(
    capsys: pytest.CaptureFixture[str], shared_traces: Path
) -> None:
    files = sorted(p for p in shared_traces.rglob("*") if p.suffix in (".sktrace", ".msgpack", ".json"))
    assert len(files) >= 28
    for path in files:
        code, out, err = run(capsys, "inspect", path, "--json")
        assert code == 0, (path, err)
        assert "Traceback" not in err
        assert json.loads(out)["version"] == 2


# --- validate and convert -----------------------------------------------------------------------------


def test_validate_accepts_the_committed_traces(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(CANONICAL.glob("*.sktrace")) + sorted(GENERATED.glob("*.sktrace"))
    code, out, err = run(capsys, "validate", *files)
    assert code == 0, err
    assert out.strip().endswith(f"{len(files)} of {len(files)} traces valid")


def test_seed_traces_written_back_pass_validate(
    capsys: pytest.CaptureFixture[str], shared_traces: Path, tmp_path: Path
) -> None:
    seed_files = sorted((shared_traces / "sim-arena").glob("*.msgpack"))
    assert len(seed_files) == 22
    converted = []
    for path in seed_files:
        out_path = tmp_path / f"{path.stem}.sktrace"
        code, out, _ = run(capsys, "convert", path, out_path)
        assert code == 0 and "version 2" in out
        converted.append(out_path)
    code, out, err = run(capsys, "validate", *converted)
    assert code == 0, err
    assert "error" not in err
    for path in converted:  # written back, they need no normalization any more
        assert load_trace(path).notes == []


def test_validate_names_every_problem_and_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = CANONICAL / "mixed.sktrace"
    bad = tmp_path / "request-above-limit.sktrace"
    trace = load_trace(good)
    trace.path = None
    [ref] = trace.workloads()
    obj = trace.latest(ref)
    assert obj is not None
    containers(obj)[0]["resources"]["limits"] = {"cpu": "1"}  # request 17 > limit 1: the API rejects it
    dump_trace(trace, bad)
    missing = tmp_path / "missing.sktrace"
    code, out, err = run(capsys, "validate", good, bad, missing)
    assert code == 1
    assert f"{good}: ok" in out
    assert "1 of 3 traces valid" in out
    lines = err.strip().splitlines()
    assert any(str(bad) in line and "containers[0].resources.requests" in line for line in lines), err
    assert any(str(missing) in line for line in lines), err
    assert "Traceback" not in err


def test_validate_names_the_field_of_a_limit_range_the_api_server_refuses(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    trace = load_trace(CANONICAL / "mixed.sktrace")
    trace.path = None
    bad = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "lr", "namespace": "default"},
        "spec": {"limits": [{"type": "Container", "maxLimitRequestRatio": {"cpu": "500m"}}]},
    }
    trace.events[0].setdefault("applied_objs", []).insert(0, bad)
    path = tmp_path / "lr.sktrace"
    dump_trace(trace, path)
    code, _, err = run(capsys, "validate", path)
    assert code == 1
    (line,) = [line for line in err.splitlines() if "invalid_object" in line]
    assert str(path) in line
    # validation.go ValidateLimitRange: "ratio %s is less than 1", the bad value a quoted Quantity
    assert (
        "events[0].applied_objs[0] (LimitRange default/lr): spec.limits[0].maxLimitRequestRatio[cpu]: "
        'Invalid value: "500m": ratio 500m is less than 1'
    ) in line, line


def test_convert_round_trips_msgpack_through_json(
    capsys: pytest.CaptureFixture[str], shared_traces: Path, tmp_path: Path
) -> None:
    for source in (CANONICAL / "mixed.sktrace", shared_traces / "simkube" / "dsb-scaling.sktrace"):
        as_json, back = tmp_path / f"{source.stem}.json", tmp_path / f"{source.stem}.sktrace"
        assert run(capsys, "convert", source, as_json)[0] == 0
        assert json.loads(as_json.read_text())["version"] == 2
        assert run(capsys, "convert", as_json, back)[0] == 0
        assert back.read_bytes() == source.read_bytes()


# --- apply --------------------------------------------------------------------------------------------


def test_bump_cpu_at_15_6_is_blocked_with_the_cap(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = trace_with_cpu(tmp_path, 15600)
    out_path = tmp_path / "out.sktrace"
    code, out, err = run(
        capsys, "apply", source, "--workload", "web", "--action", "bump_cpu", "--out", out_path
    )
    assert code == 3
    assert out == ""
    line = one_line(err)
    assert "bump_cpu blocked" in line and "16100m" in line and "cap is 16" in line
    assert not out_path.exists()  # a blocked action writes nothing
    assert cpu_of(source) == "15600m"


def test_bump_cpu_at_15_5_reaches_16_and_is_allowed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = trace_with_cpu(tmp_path, 15500)
    out_path = tmp_path / "out.sktrace"
    code, out, err = run(
        capsys, "apply", source, "--workload", "web", "--action", "bump_cpu", "--out", out_path
    )
    assert code == 0, err
    assert "Deployment default/web container web: requests.cpu 15500m -> 16" in out
    assert cpu_of(out_path) == "16" and parse_cpu(cpu_of(out_path)) == 16000


def test_apply_json_reports_status_and_changes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_path = tmp_path / "scaled.sktrace"
    code, out, _ = run(
        capsys,
        "apply",
        CANONICAL / "mixed.sktrace",
        "--workload",
        "web",
        "--action",
        "scale_down",
        "--amount",
        "2",
        "--out",
        out_path,
        "--json",
    )
    assert code == 0
    report: dict[str, Any] = json.loads(out)
    assert report["status"] == "applied" and report["out"] == str(out_path)
    assert [(c["field"], c["before"], c["after"]) for c in report["changes"]] == [("spec.replicas", 5, 3)]


def test_apply_to_a_missing_workload_lists_the_workloads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_path = tmp_path / "out.sktrace"
    source = GENERATED / "multi-deployment-009.sktrace"
    code, _, err = run(
        capsys, "apply", source, "--workload", "nope", "--action", "scale_up", "--out", out_path
    )
    assert code == 2
    line = one_line(err)
    assert str(source) in line and "not found" in line
    for ref in load_trace(source).workloads():
        assert str(ref) in line
    assert not out_path.exists()


def test_apply_unchanged_says_so(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_path = tmp_path / "out.sktrace"
    code, out, _ = run(
        capsys,
        "apply",
        CANONICAL / "mixed.sktrace",
        "--workload",
        "web",
        "--action",
        "noop",
        "--out",
        out_path,
    )
    assert code == 0
    assert out.startswith("unchanged:")
    assert out_path.read_bytes() == (CANONICAL / "mixed.sktrace").read_bytes()


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--action", "bump_cpux"], "Did you mean 'bump_cpu'"),
        (["--action", "bump_cpu", "--amount", "12 cores"], "12 cores"),
        (["--action", "scale_up", "--amount", "two"], "whole number"),
    ],
)
def test_apply_bad_input_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, extra: list[str], expected: str
) -> None:
    out_path = tmp_path / "out.sktrace"
    code, _, err = run(
        capsys, "apply", CANONICAL / "mixed.sktrace", "--workload", "web", *extra, "--out", out_path
    )
    assert code == 2
    assert expected in one_line(err)


def test_apply_then_diff_shows_the_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_path = tmp_path / "out.sktrace"
    source = CANONICAL / "slightly-bad-cpu.sktrace"
    assert (
        run(capsys, "apply", source, "--workload", "web", "--action", "reduce_cpu", "--out", out_path)[0] == 0
    )
    code, out, _ = run(capsys, "diff", source, out_path)
    assert code == 1
    assert "Deployment default/web container web: requests.cpu 17 -> 16500m" in out
    code, out, _ = run(capsys, "diff", source, source)
    assert (code, out.strip()) == (0, "no differences")


# --- generate -----------------------------------------------------------------------------------------


def test_generate_writes_the_committed_bytes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "generate", "--out", tmp_path / "g", "--seed", "0", "--count", "12")
    assert code == 0 and out.strip() == f"wrote 12 traces to {tmp_path / 'g'}"
    for path in (tmp_path / "g").iterdir():
        assert path.read_bytes() == (GENERATED / path.name).read_bytes()
    code, _, _ = run(capsys, "generate", "--out", tmp_path / "c", "--canonical")
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == sorted(p.name for p in CANONICAL.iterdir())


def test_generate_one_family_and_unknown_family(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, _ = run(capsys, "generate", "--out", tmp_path, "--count", "3", "--family", "oom-memory-limit")
    assert code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"oom-memory-limit-00{i}.sktrace" for i in range(3)]
    code, _, err = run(capsys, "generate", "--out", tmp_path, "--family", "oom")
    assert code == 2 and "oom-memory-limit" in one_line(err)


# --- errors never show a traceback --------------------------------------------------------------------


def test_missing_file_and_missing_out_folder_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "inspect", tmp_path / "nope.sktrace")
    assert code == 2 and "nope.sktrace" in one_line(err)
    out_path = tmp_path / "no" / "such" / "dir.sktrace"
    code, _, err = run(capsys, "convert", CANONICAL / "mixed.sktrace", out_path)
    assert code == 2 and str(out_path) in one_line(err)
    code, _, err = run(capsys, "inspect", tmp_path)  # a folder, not a file
    assert code == 2 and str(tmp_path) in one_line(err)


def test_broken_corpus_gives_one_line_naming_file_and_field(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # tests/broken_corpus.py: each case breaks one thing and says what its message must contain
    broken_corpus = pytest.importorskip("broken_corpus")
    written = broken_corpus.write_corpus(tmp_path)
    assert len(written) >= 30
    for case, path in written:
        for command, expected_code in (("inspect", 2), ("validate", 1)):
            code, _, err = run(capsys, command, path)
            assert code == expected_code, (command, case.name, err)
            line = one_line(err)
            assert str(path) in line, (case.name, line)
            assert case.expected in line, (case.name, line)


def test_the_installed_command_never_prints_a_traceback(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.sktrace"
    garbage.write_bytes(b"\x85\xa7version\x02\xa6config")  # a truncated SimKube header
    for argv in (
        ["inspect", str(garbage)],
        ["validate", str(garbage)],
        [
            "apply",
            str(garbage),
            "--workload",
            "web",
            "--action",
            "bump_cpu",
            "--out",
            str(tmp_path / "o.sktrace"),
        ],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "pytest_simarena", "trace", *argv],
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode in (1, 2), proc.stderr
        assert "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1 and str(garbage) in proc.stderr


def test_set_replicas_takes_the_count_from_amount(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_path = tmp_path / "out.sktrace"
    source = CANONICAL / "mixed.sktrace"
    argv: list[str | Path] = [
        "apply",
        source,
        "--workload",
        "web",
        "--action",
        "set_replicas",
        "--out",
        out_path,
    ]
    code, out, _ = run(capsys, *argv, "--amount", "3")
    assert code == 0 and "Deployment default/web: replicas 5 -> 3" in out
    code, _, err = run(capsys, *argv)
    assert code == 2 and "needs --amount" in one_line(err)


def test_trace_without_subcommand_prints_usage_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2 and "inspect" in err and "validate" in err


def test_simkube_validator_findings_are_warnings(
    capsys: pytest.CaptureFixture[str], shared_traces: Path
) -> None:
    # notes/simkube.md section 4: skctl validate only reports W0000 and E0001-E0005, so they do not fail
    path = shared_traces / "simkube" / "validation_trace.json"
    code, out, err = run(capsys, "validate", path)
    assert code == 0 and out.startswith(f"{path}: ok (")
    warnings = [line for line in err.splitlines() if line.startswith(f"warning: {path}: ")]
    assert len(warnings) == len(err.splitlines())
    for rule in ("W0000", "E0001", "E0002", "E0003", "E0004", "E0005"):
        assert any(line.endswith(f"[{rule}]") for line in warnings), rule


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["apply", "x.sktrace"], "the following arguments are required: --workload, --action, --out"),
        (["generate", "--out", "d", "--count", "many"], "argument --count: not a whole number: 'many'"),
    ],
)
def test_usage_mistakes_are_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["trace", *argv])
    assert exit_info.value.code == 2
    assert expected in one_line(capsys.readouterr().err)


def test_convert_refuses_an_output_name_that_chooses_no_format(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_path = tmp_path / "mixed.yaml"
    code, out, err = run(capsys, "convert", CANONICAL / "mixed.sktrace", out_path)
    assert code == 2 and out == ""
    assert one_line(err) == f"simarena: error: {out_path}: the output must end in .sktrace, .msgpack, .json"
    assert not out_path.exists()


def test_inspect_lists_policy_objects_apart_from_workloads(capsys: pytest.CaptureFixture[str]) -> None:
    path = ROOT / "traces" / "extra" / "quota-bound-000.sktrace"
    assert main(["trace", "inspect", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert [w["kind"] for w in summary["workloads"]] == ["Deployment"]
    assert [(o["kind"], o["name"]) for o in summary["objects"]] == [("ResourceQuota", "compute")]
    assert main(["trace", "inspect", str(path)]) == 0
    text = capsys.readouterr().out
    assert "1 workload:" in text and "1 other object:\n    ResourceQuota default/compute" in text
