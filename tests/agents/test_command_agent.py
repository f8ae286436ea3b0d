"""Command agents: real programs (bash + the real kubectl) against the served live cluster."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pytest_simarena.agents.command import CommandAgent
from pytest_simarena.agents.live_episode import Budget, run_live_episode
from pytest_simarena.trace import load_trace

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "traces" / "canonical"
FIX = ROOT / "scenarios" / "agents"
needs_kubectl = pytest.mark.skipif(
    shutil.which("kubectl") is None,
    reason="kubectl not on PATH: install it (e.g. apt-get install kubectl, or the binary from dl.k8s.io)",
)


def _script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "agent.sh"
    path.write_text("set -u\n" + body)
    return ["bash", str(path)]


@needs_kubectl
def test_bash_agent_repairs_mixed_and_the_same_script_twice_gives_identical_runs(tmp_path: Path) -> None:
    trace = load_trace(CANONICAL / "mixed.sktrace")
    for run in ("a", "b"):
        result = run_live_episode(
            trace, CommandAgent(["bash", "fix.sh"], cwd=FIX), seed=4, out_dir=tmp_path / run, max_steps=3
        )
        assert result.error is None
        assert result.solved and result.steps_to_solve == 1
        assert result.final is not None and (result.final.ready, result.final.total) == (3, 3)
    turn = tmp_path / "a" / "agent"
    out = (turn / "turn-000.stdout").read_text()
    assert "0/1     Pending" in out and "FailedScheduling" in out and "condition met" in out
    record = json.loads((turn / "turn-000.json").read_text())
    assert record["exitCode"] == 0 and record["writes"] == 2 and record["stopped"] is None
    for name in ("events.log", "objects.json", "writes.jsonl", "episode.json", "episode-steps.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


@needs_kubectl
def test_a_denied_scale_is_blocked_with_the_cap_in_kubectls_error(tmp_path: Path) -> None:
    trace = load_trace(CANONICAL / "slightly-bad-cpu.sktrace")
    argv = _script(tmp_path, "kubectl scale deployment/web --replicas=200\n")
    result = run_live_episode(trace, CommandAgent(argv), seed=4, out_dir=tmp_path / "run", max_steps=1)
    assert not result.solved
    assert result.steps[0].status == "blocked"
    assert result.steps[0].message.startswith(
        'Error from server (Forbidden): admission webhook "safeguards.simarena.io" denied the request: '
    )
    assert "replicas would be 200, cap is" in result.steps[0].message


@needs_kubectl
def test_a_polling_loop_is_stopped_by_the_simulated_time_budget(tmp_path: Path) -> None:
    trace = load_trace(CANONICAL / "slightly-bad-cpu.sktrace")
    argv = _script(tmp_path, "while true; do kubectl get pods >/dev/null; done\n")
    budget = Budget(seconds=5, wall_seconds=60)
    result = run_live_episode(
        trace, CommandAgent(argv), seed=4, out_dir=tmp_path / "run", max_steps=1, budget=budget
    )
    record = json.loads((tmp_path / "run" / "agent" / "turn-000.json").read_text())
    assert record["stopped"] == "simulated-time budget of 5 s spent"
    assert "stopped: simulated-time budget" in result.steps[0].message


def test_wall_budget_stops_a_hanging_program(tmp_path: Path) -> None:
    trace = load_trace(CANONICAL / "slightly-bad-cpu.sktrace")
    argv = _script(tmp_path, "sleep 30\n")
    budget = Budget(wall_seconds=0.5)
    result = run_live_episode(
        trace, CommandAgent(argv), seed=4, out_dir=tmp_path / "run", max_steps=1, budget=budget
    )
    assert result.steps[0].message == "exit code -15, stopped: wall-clock budget of 0.5 s spent"


def test_a_missing_program_is_one_line(tmp_path: Path) -> None:
    trace = load_trace(CANONICAL / "slightly-bad-cpu.sktrace")
    result = run_live_episode(
        trace, CommandAgent(["no-such-agent-cli"]), seed=4, out_dir=tmp_path, max_steps=1
    )
    assert result.error is not None
    assert "command agent: cannot run 'no-such-agent-cli': No such file or directory" in result.error
    assert "\n" not in result.error


def test_a_scenario_requiring_a_missing_program_is_skipped_with_the_reason(pytester: pytest.Pytester) -> None:
    (pytester.path / "scenarios").mkdir()
    (pytester.path / "scenarios" / "a.yaml").write_text(
        "scenarios:\n  - name: needs\n    traces: [mixed]\n    command: [no-such-cli]\n"
        "    requires: [no-such-cli]\n    expect: {solved: true}\n"
    )
    result = pytester.runpytest("-q", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*no-such-cli not found on PATH*"])


def test_without_a_run_folder_the_turns_kubeconfig_and_output_are_removed(tmp_path: Path) -> None:
    trace = load_trace(CANONICAL / "slightly-bad-cpu.sktrace")
    seen = tmp_path / "seen"
    argv = _script(tmp_path, f'test -s "$KUBECONFIG" && echo "$KUBECONFIG" > {seen}\n')
    result = run_live_episode(trace, CommandAgent(argv), seed=4, max_steps=1)
    assert result.error is None and result.steps[0].message == "exit code 0"
    kubeconfig = Path(seen.read_text().strip())
    # The folder held the turn's token and output: nothing of it is left behind.
    assert kubeconfig.name == "kubeconfig" and not kubeconfig.parent.exists()
