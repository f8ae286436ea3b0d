"""`simarena run`, `simarena batch` and `simarena replay` as a user runs them."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from pytest_simarena.cli import main

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "traces" / "canonical"
SLIGHT = str(CANONICAL / "slightly-bad-cpu.sktrace")


def test_run_json_has_the_documented_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        ["run", SLIGHT, "--workload", "web", "--policy", "heuristic", "--out", str(tmp_path), "--json"]
    )
    assert code == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"steps", "solved", "stepsToSolve", "totalReward", "finalTrace"} <= set(doc)
    assert doc["solved"] is True and doc["stepsToSolve"] == 1 and doc["totalReward"] == 1.0
    first = doc["steps"][0]
    assert {"step", "observation", "action", "blocked", "blockReason", "reward"} <= set(first)
    assert {"ready", "pending", "total"} <= set(first["observation"])
    assert first["observation"]["pending"] == 3 and first["action"]["type"] == "set_resources"
    assert first["blocked"] is False and first["blockReason"] is None
    assert doc["finalTrace"] == str(tmp_path / "step-001.sktrace") and Path(doc["finalTrace"]).is_file()


def test_run_prints_a_step_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", SLIGHT, "--policy", "always_bump_cpu", "--steps", "2", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1  # not solved
    assert "0/3" in out and "Insufficient cpu" in out and "blocked" in out and "cap is 16" in out
    assert "not solved in 2 step(s)" in out


def test_run_target_and_reward_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "run",
            SLIGHT,
            "--policy",
            "heuristic",
            "--target",
            "2",
            "--reward",
            "shaped",
            "--out",
            str(tmp_path),
            "--json",
        ]
    )
    doc = json.loads(capsys.readouterr().out)
    assert code == 0 and doc["solved"] is True
    assert doc["steps"][0]["observation"]["target"] == 2
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["reward"] == "shaped" and summary["target"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no/such.sktrace"], "no/such.sktrace"),
        (["run", SLIGHT, "--nodes", "2", "--cluster", "c.yaml"], "cannot be combined with --nodes"),
        (["run", SLIGHT, "--workload", "api"], "no workload named 'api' (workloads: Deployment default/web)"),
        (["replay", "no/such/run"], "no/such/run"),
    ],
)
def test_user_mistakes_are_one_line_exit_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if args[0] == "run":
        args = [*args, "--out", str(tmp_path / "run")]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_replay_confirms_and_detects_tampering(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = tmp_path / "run"
    assert main(["run", SLIGHT, "--policy", "random", "--seed", "3", "--steps", "4", "--out", str(run)]) in (
        0,
        1,
    )
    capsys.readouterr()
    assert main(["replay", str(run)]) == 0
    assert capsys.readouterr().out.startswith("reproduced: ")
    summary = json.loads((run / "summary.json").read_text())
    summary["totalReward"] = 42
    (run / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    assert main(["replay", str(run)]) == 1
    assert capsys.readouterr().out.startswith("differs: summary.json: totalReward: 42 -> ")


def test_batch_same_results_with_one_or_two_jobs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    traces = [str(CANONICAL / "slightly-bad-cpu.sktrace"), str(CANONICAL / "very-bad-memory.sktrace")]
    policies = ["noop", "heuristic", "vpa"]
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["batch", *traces, "--policy", *policies, "--out", str(one)]) == 0
    out = capsys.readouterr().out
    assert "heuristic" in out and "100%" in out and "0%" in out
    assert main(["batch", *traces, "--policy", *policies, "--jobs", "2", "--out", str(two)]) == 0
    capsys.readouterr()
    assert (one / "results.json").read_bytes() == (two / "results.json").read_bytes()
    assert (one / "results.csv").read_bytes() == (two / "results.csv").read_bytes()
    doc = json.loads((one / "results.json").read_text())
    stats = {p["policy"]: p for p in doc["policies"]}
    assert stats["heuristic"]["solveRate"] == 1.0 and stats["noop"]["solveRate"] == 0.0
    rows = list(csv.DictReader((one / "results.csv").open()))
    assert [(Path(r["trace"]).stem, r["policy"]) for r in rows][:3] == [
        ("slightly-bad-cpu", "noop"),
        ("slightly-bad-cpu", "heuristic"),
        ("slightly-bad-cpu", "vpa"),
    ]


def test_batch_records_failures_and_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.sktrace"
    broken.write_bytes(b"\x93not a trace")
    code = main(["batch", SLIGHT, str(broken), "--policy", "heuristic", "--out", str(tmp_path / "out")])
    out = capsys.readouterr().out
    assert code == 1
    assert "failed: " in out and "broken.sktrace" in out
    rows = json.loads((tmp_path / "out" / "results.json").read_text())["results"]
    assert rows[0]["solved"] is True and rows[1]["error"] and "broken.sktrace" in rows[1]["error"]


def test_cluster_file_is_used_copied_and_replayed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Nodes of 32 cpu: the 17-cpu pods of slightly-bad-cpu fit, so the trace is healthy as it is.
    cluster = tmp_path / "big.yaml"
    cluster.write_text(
        "nodeGroups:\n  - name: big\n    count: 3\n    cpu: '32'\n    memory: 64Gi\n"
        "    labels: {type: virtual}\n    taints: ['kwok-provider=true:NoSchedule']\n"
    )
    run = tmp_path / "run"
    assert (
        main(["run", SLIGHT, "--policy", "noop", "--cluster", str(cluster), "--out", str(run), "--json"]) == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert doc["solved"] is True and doc["stepsToSolve"] == 0
    assert doc["steps"][0]["observation"]["nodeAllocatable"]["cpu"] == "32"
    assert (run / "cluster.yaml").read_text() == cluster.read_text()
    cluster.unlink()  # replay must not need the original file
    assert main(["replay", str(run)]) == 0


def test_bad_cluster_file_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster = tmp_path / "bad.yaml"
    cluster.write_text("nodeGroups: 3\n")
    assert main(["run", SLIGHT, "--cluster", str(cluster), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "nodeGroups" in err and "Traceback" not in err


def one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str], code: int = 2) -> str:
    assert main(argv) == code
    err = capsys.readouterr().err
    lines = [ln for ln in err.strip().splitlines() if not ln.startswith("warning: ")]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "wording"),
    [
        (
            ["run"],
            "simarena run: error: the following arguments are required: TRACE (see simarena run --help)",
        ),
        (["run", SLIGHT, "--max-steps", "0"], "argument --max-steps: expected at least 1"),
        (["run", SLIGHT, "--steps", "0"], "argument --steps: expected at least 1"),  # the older name
        (["run", SLIGHT, "--target", "many"], "argument --target: 'many' is not a whole number"),
        (["run", SLIGHT, "--step-seconds", "0s"], "argument --step-seconds: expected more than 0"),
        (["run", SLIGHT, "--policy", "heuristc"], "Did you mean 'heuristic'?"),
        (["run", SLIGHT, "--reward", "binry"], "Did you mean 'binary'?"),
        (["batch", SLIGHT, "--policy", "noop", "vpa", "heuristc"], "Did you mean 'heuristic'?"),
        (["batch", "--jobs", "-1"], "argument --jobs: must be >= 1, got -1"),
        (["simulate"], "simarena simulate: error: the following arguments are required: TRACE"),
        (["nosuchcommand"], "simarena: error: argument COMMAND: invalid choice: 'nosuchcommand'"),
    ],
)
def test_usage_mistakes_are_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], wording: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1, err
    assert wording in err


def test_an_unwritable_out_dir_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    line = one_error_line(capsys, ["run", SLIGHT, "--policy", "noop", "--out", str(blocker / "run")])
    assert line.startswith("simarena: error: ") and str(blocker) in line


def test_a_bug_in_a_handler_is_one_line_exit_70(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from pytest_simarena.cli.common import EXIT_INTERNAL, run_handler

    def broken(args: argparse.Namespace) -> int:
        raise ZeroDivisionError("division by zero")

    assert run_handler(broken, argparse.Namespace()) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.strip() == (
        "simarena: error: internal error: ZeroDivisionError: division by zero "
        "(set SIMARENA_DEBUG=1 for details)"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["run"],
        ["batch"],
        ["replay"],
        ["simulate"],
        ["preflight"],
        *(["trace", sub] for sub in ("inspect", "validate", "diff", "apply", "generate", "convert")),
    ],
    ids=" ".join,
)
def test_every_command_help_states_its_exit_codes(
    capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == 0
    assert "exit codes" in capsys.readouterr().out.lower()


def test_batch_labels_a_user_policy_by_its_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = "user_policies:CountingPolicy"  # its class says name = "counting"
    out = tmp_path / "out"
    assert (
        main(
            [
                "batch",
                "slightly-bad-cpu",
                "--policy",
                spec,
                "user_policies:always_scale_up",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "counting" in capsys.readouterr().out
    doc = json.loads((out / "results.json").read_text())
    assert [p["policy"] for p in doc["policies"]] == ["counting", "user_policies:always_scale_up"]
    assert doc["results"][0]["policy"] == "counting" and doc["results"][0]["policySpec"] == spec


def test_run_and_batch_take_the_cluster_options_and_batch_the_backend(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 17-cpu pods fit on 32-cpu nodes: healthy as it is, so even noop solves at step 0.
    run = ["run", "slightly-bad-cpu", "--policy", "noop", "--node-cpu", "32", "--nodes", "3"]
    assert main([*run, "--out", str(tmp_path / "r"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["stepsToSolve"] == 0 and doc["steps"][0]["observation"]["nodeAllocatable"]["cpu"] == "32"
    batch = ["batch", "slightly-bad-cpu", "--policy", "noop", "--node-cpu", "32", "--backend", "embedded"]
    assert main([*batch, "--out", str(tmp_path / "b")]) == 0
    results = json.loads((tmp_path / "b" / "results.json").read_text())
    assert results["results"][0]["solved"] is True and results["settings"]["node_cpu"] == "32"


@pytest.mark.parametrize(
    ("version", "text"),
    [
        (
            "1.33",
            "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: "
            "3 No preemption victims found for incoming pod.",
        ),
        (
            "1.37",
            "0/3 nodes are available: 3 Insufficient cpu. no new claims to deallocate, preemption: "
            "0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
        ),
    ],
)
def test_run_prints_the_versions_failed_scheduling_text(
    version: str, text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # docs/embedded-cluster.md "Kubernetes versions": a 17-cpu pod on 16-cpu nodes, before and after 1.34
    code = main(["run", SLIGHT, "--kubernetes-version", version, "--out", str(tmp_path)])
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert f"step 0 FailedScheduling: {text}" in out


def test_run_prints_an_aggregate_admission_error_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # limitranger/admission.go: two violations are one aggregate "[a, b]"; the table once read the brackets
    # as a rich style tag and printed nothing after "forbidden: "
    from pytest_simarena.trace import dump_trace
    from pytest_simarena.trace.manifests import trace_from_manifests

    (tmp_path / "app.yaml").write_text(
        """
apiVersion: v1
kind: LimitRange
metadata: {name: limits}
spec:
  limits: [{type: Container, max: {cpu: "1", memory: 1Gi}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - {name: web, image: web, resources: {limits: {cpu: "2", memory: 2Gi}}}
"""
    )
    dump_trace(trace_from_manifests([tmp_path / "app.yaml"]), tmp_path / "t.sktrace")
    main(
        [
            "run",
            str(tmp_path / "t.sktrace"),
            "--policy",
            "noop",
            "--max-steps",
            "1",
            "--out",
            str(tmp_path / "r"),
        ]
    )
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "is forbidden: [maximum cpu usage per Container is 1, but limit is 2, "
        "maximum memory usage per Container is 1Gi, but limit is 2Gi]" in out
    )
