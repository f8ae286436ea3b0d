"""Trained agents are policies everywhere policies are named: scenario files and ``@scenarios``."""

from __future__ import annotations

from pathlib import Path

import pytest


def test_shipped_agent_in_a_scenario_file(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    (scenario_dir / "learned.yaml").write_text(
        """\
scenarios:
  - name: held-out
    traces: [cpu-slightly-over-001, memory-far-over-002, multi-container-008]
    policies:
      rl:ppo-baseline: {expect: {solved: true, within: 3}}
      rl:no-such-agent: ~
"""
    )
    result = pytester.runpytest("-q", "-p", "no:randomly", trace_dirs_arg)
    result.stdout.fnmatch_lines(["*rl:no-such-agent*neither a shipped baseline*"])
    (scenario_dir / "learned.yaml").write_text(
        (scenario_dir / "learned.yaml").read_text().replace("      rl:no-such-agent: ~\n", "")
    )
    result = pytester.runpytest("-q", trace_dirs_arg)
    result.stdout.fnmatch_lines(["3 passed*"])


def test_trained_folder_with_the_scenarios_decorator(pytester: pytest.Pytester, trace_dirs_arg: str) -> None:
    from pytest_simarena.rl.policy import baselines_dir

    agent = baselines_dir() / "ppo-baseline"
    pytester.makepyfile(
        f"""
        from pytest_simarena.plugin import scenarios

        @scenarios(["very-bad-memory", "mixed"], ["rl:{agent}"], max_steps=8)
        def test_agent_repairs(simarena_result):
            assert simarena_result.solved
        """
    )
    result = pytester.runpytest("-q", trace_dirs_arg)
    result.stdout.fnmatch_lines(["2 passed*"])
