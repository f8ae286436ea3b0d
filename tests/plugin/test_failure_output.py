"""A failing scenario explains itself: the expectation, the step table, the last messages, the trace diff."""

from __future__ import annotations

from pathlib import Path

import pytest

WRONG = """\
scenarios:
  - name: wrong
    traces: [slightly-bad-cpu]
    steps: 3
    policies:
      noop: {expect: {solved: true, final: {ready: target}}}
      heuristic: {expect: {solved: false, events: {absent: ["Insufficient cpu"]}}}
"""


def test_failure_shows_step_table_messages_and_diff(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    (scenario_dir / "cpu.yaml").write_text(WRONG)
    result = pytester.runpytest("-p", "no:randomly", trace_dirs_arg)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*scenario cpu.yaml::wrong[[]slightly-bad-cpu-noop] (seed *) failed",
            "failed expectations:",
            "  - expect.solved: expected solved, but not solved after 3 steps",
            "  - expect.final.ready: expected target (= 3), got 0",
            "episode: not solved, 3 steps, total reward *",
            "  step*time*ready*pending*total*oom*action*verdict*reward",
            "  0 *0/3*3*3*0*noop*",
            "last messages:",
            "  FailedScheduling: step *Insufficient cpu*",
            "trace diff (original -> last replayed):",
            "  (no change: the final trace equals the original)",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*scenario cpu.yaml::wrong[[]slightly-bad-cpu-heuristic] (seed *) failed",
            "*expect.solved: expected NOT solved, but solved at step 1*",
            "*expect.events.absent: 'Insufficient cpu' appeared*",
            "trace diff (original -> last replayed):",
            "*cpu*",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*verdicts:*")  # noop's "nothing to do" is not worth a line


def test_full_trace_option(pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str) -> None:
    (scenario_dir / "cpu.yaml").write_text(WRONG)
    result = pytester.runpytest("--simarena-full-trace", "-k", "noop", trace_dirs_arg)
    result.stdout.fnmatch_lines(["*ScenarioFailed*"])
    result.assert_outcomes(failed=1, deselected=1)


def test_could_not_run(pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str) -> None:
    (scenario_dir / "bad.yaml").write_text(
        "scenarios:\n  - name: nope\n    traces: [slightly-bad-cpu]\n"
        "    workload: nothere\n    policies: [noop]\n"
    )
    result = pytester.runpytest(trace_dirs_arg)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no workload named 'nothere'*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_case_finished_hook_can_add_failures(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    pytester.makeconftest(
        """
        def pytest_simarena_case_finished(item, outcome):
            if outcome.result is not None and outcome.result.blocked_actions:
                outcome.failures.append(f"team rule: no blocked actions ({outcome.result.blocked_actions})")
        """
    )
    (scenario_dir / "s.yaml").write_text(
        "scenarios:\n  - name: s\n    traces: [slightly-bad-cpu]\n    policies: [vpa, always_bump_cpu]\n"
    )
    result = pytester.runpytest("-q", trace_dirs_arg)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["  - team rule: no blocked actions (10)"])
