"""Scenario files naming agents: ``command:``, ``mode:``, ``budget:`` (schema, expansion, errors)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_simarena.errors import ScenarioError, SimArenaError
from pytest_simarena.scenario.model import COMMAND_POLICY, Context, all_cases, load_scenarios
from pytest_simarena.scenario.run import is_live

CANONICAL = Path(__file__).resolve().parents[2] / "traces" / "canonical"


def _cases(tmp_path: Path, text: str) -> list:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return all_cases(load_scenarios(path, Context(rootpath=tmp_path, trace_dirs=(CANONICAL,))))


def test_a_command_scenario_is_one_live_case_per_trace(tmp_path: Path) -> None:
    cases = _cases(
        tmp_path,
        "defaults: {policies: [heuristic]}\n"
        "scenarios:\n  - name: fix\n    traces: [mixed, very-bad-cpu]\n"
        "    command: [bash, agents/fix.sh]\n    budget: {seconds: 600, writes: 4}\n",
    )
    assert [c.param_id for c in cases] == ["mixed-command", "very-bad-cpu-command"]
    assert cases[0].policy == COMMAND_POLICY
    assert cases[0].command == ("bash", "agents/fix.sh")
    assert dict(cases[0].budget) == {"seconds": 600, "writes": 4}
    assert is_live(cases[0])


def test_command_and_policies_together_is_an_error_naming_the_line(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"s.yaml:\d+.*either 'policies' or a 'command'"):
        _cases(
            tmp_path,
            "scenarios:\n  - name: x\n    traces: [mixed]\n    policies: [noop]\n    command: [ls]\n",
        )


def test_bad_mode_and_budget_are_schema_errors(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="mode"):
        _cases(tmp_path, "scenarios:\n  - name: x\n    traces: [mixed]\n    mode: fast\n")
    with pytest.raises(ScenarioError, match="budget"):
        _cases(tmp_path, "scenarios:\n  - name: x\n    traces: [mixed]\n    budget: {minutes: 3}\n")


def test_llm_is_live_and_cannot_be_forced_to_replay(tmp_path: Path) -> None:
    llm = _cases(tmp_path, "scenarios:\n  - name: x\n    traces: [mixed]\n    policies: [llm, heuristic]\n")
    assert [is_live(c) for c in llm] == [True, False]
    forced = _cases(
        tmp_path, "scenarios:\n  - name: x\n    traces: [mixed]\n    mode: replay\n    policies: [llm]\n"
    )
    with pytest.raises(SimArenaError, match="act on a live cluster; mode must be live"):
        is_live(forced[0])
