"""Scenario files in live mode: built-in policies and the llm policy acting on a running cluster."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "agents"))
from fake_llm import calls, fake_chat, say, tool_call

LIVE = """\
defaults:
  mode: live
  steps: 4
scenarios:
  - name: canonical-live
    traces: [slightly-bad-cpu, very-bad-cpu, very-bad-memory, mixed]
    policies:
      heuristic: {expect: {solved: true, blocked: false, final: {ready: target, pending: 0, total: target}}}
      noop: {expect: {solved: false, blocked: false}}
  - name: capped
    traces: [slightly-bad-cpu]
    policies:
      always_bump_cpu: {expect: {solved: false, blocked: true, final: {ready: 0, pending: 3}}}
"""


def test_live_mode_scenarios_pass_with_the_replay_expectations(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    (scenario_dir / "live.yaml").write_text(LIVE)
    result = pytester.runpytest("-q", "-p", "no:randomly", trace_dirs_arg)
    result.assert_outcomes(passed=9)


def test_a_wrong_live_expectation_fails_with_the_episode(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    (scenario_dir / "live.yaml").write_text(
        "scenarios:\n  - name: wrong\n    mode: live\n    traces: [slightly-bad-cpu]\n"
        "    policies: {noop: {expect: {solved: true}}}\n"
    )
    result = pytester.runpytest("-q", trace_dirs_arg)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expect.solved*"])


def test_llm_policy_scenario_against_a_scripted_endpoint(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (scenario_dir / "llm.yaml").write_text(
        "scenarios:\n  - name: llm-fixes\n    traces: [very-bad-cpu]\n"
        "    policies: {llm: {expect: {solved: true, within: 1}}}\n"
    )
    script = [
        calls(tool_call("c1", "describe", kind="deployment", name="web")),
        calls(tool_call("c2", "set_resources", workload="web", requests_cpu="1")),
        calls(tool_call("c3", "wait_available", workload="web")),
        say("done"),
    ]
    with fake_chat(script, key="k-123") as chat:
        monkeypatch.setenv("SIMARENA_LLM_BASE_URL", chat.url)
        monkeypatch.setenv("SIMARENA_LLM_MODEL", "fake-1")
        monkeypatch.setenv("SIMARENA_LLM_API_KEY_ENV", "FAKE_LLM_KEY")
        monkeypatch.setenv("FAKE_LLM_KEY", "k-123")
        result = pytester.runpytest("-q", trace_dirs_arg, f"--simarena-run-dir={pytester.path / 'runs'}")
    result.assert_outcomes(passed=1)
    transcripts = list((pytester.path / "runs").rglob("transcript.jsonl"))
    assert len(transcripts) == 1
    roles = [json.loads(line)["role"] for line in transcripts[0].read_text().splitlines()]
    assert roles == ["system", "user", *["assistant", "tool"] * 3, "assistant"]


def test_llm_without_a_key_fails_only_that_test(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    (scenario_dir / "llm.yaml").write_text(
        "scenarios:\n  - name: mixed-agents\n    traces: [very-bad-cpu]\n"
        "    policies: {llm: {expect: {solved: true}}, heuristic: {expect: {solved: true}}}\n"
    )
    result = pytester.runpytest("-q", trace_dirs_arg)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*llm policy: no model name*"])
    assert "Traceback" not in result.stdout.str()


def test_the_mode_setting_runs_every_scenario_live(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    (scenario_dir / "canonical.yaml").write_text(
        "scenarios:\n  - name: c\n    traces: [mixed]\n"
        "    policies: {heuristic: {expect: {solved: true, within: 2}}}\n"
    )
    runs = pytester.path / "runs"
    result = pytester.runpytest("-q", trace_dirs_arg, "--simarena-mode=live", f"--simarena-run-dir={runs}")
    result.assert_outcomes(passed=1)
    (summary,) = runs.rglob("episode.json")
    assert json.loads(summary.read_text())["options"]["mode"] == "live"
    bad = pytester.runpytest("-q", trace_dirs_arg, "--simarena-mode=fast")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*mode*fast*replay, live*"])
