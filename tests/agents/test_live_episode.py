"""Live episodes: the cluster keeps running, agents act on it; expectations mean what they mean in replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_llm import calls, fake_chat, say, tool_call

from pytest_simarena.agents.live_episode import LlmLiveAgent, PolicyAgent, run_live_episode
from pytest_simarena.agents.llm import LlmConfig, LlmError
from pytest_simarena.policies.registry import make_policy
from pytest_simarena.trace import load_trace

CANONICAL = Path(__file__).resolve().parents[2] / "traces" / "canonical"
# Steps the heuristic needs per canonical trace, as scenarios/canonical.yaml states for replay mode.
WITHIN = {"slightly-bad-cpu": 1, "very-bad-cpu": 1, "very-bad-memory": 1, "mixed": 2}


@pytest.mark.parametrize("name", sorted(WITHIN))
def test_heuristic_repairs_each_canonical_trace_live(name: str, tmp_path: Path) -> None:
    trace = load_trace(CANONICAL / f"{name}.sktrace")
    result = run_live_episode(trace, PolicyAgent(make_policy("heuristic")), seed=3, out_dir=tmp_path)
    assert result.error is None
    assert result.solved and result.steps_to_solve == WITHIN[name]
    assert result.final is not None
    assert (result.final.ready, result.final.pending, result.final.total) == (3, 0, 3)
    assert result.blocked_actions == 0
    summary = json.loads((tmp_path / "episode.json").read_text())
    assert summary["solved"] is True and summary["options"]["mode"] == "live"
    # The session's own run folder sits beside it: its writes replay the episode.
    assert (tmp_path / "writes.jsonl").read_text().count("\n") == WITHIN[name]


def test_noop_stays_unsolved_and_a_capped_bump_is_blocked(tmp_path: Path) -> None:
    trace = load_trace(CANONICAL / "slightly-bad-cpu.sktrace")
    noop = run_live_episode(trace, PolicyAgent(make_policy("noop")), seed=3, max_steps=2)
    assert not noop.solved and noop.final is not None and noop.final.pending == 3
    bump = run_live_episode(trace, PolicyAgent(make_policy("always_bump_cpu")), seed=3, max_steps=2)
    assert not bump.solved
    assert [s.status for s in bump.steps] == ["blocked", "blocked"]
    assert bump.steps[0].action is not None and bump.steps[0].action.type == "bump_cpu"
    assert "cap is 16" in bump.steps[0].message
    assert 'admission webhook "safeguards.simarena.io" denied the request' in bump.steps[0].message


def test_same_seed_same_agent_gives_identical_run_folders(tmp_path: Path) -> None:
    trace = load_trace(CANONICAL / "mixed.sktrace")
    for run in ("a", "b"):
        run_live_episode(trace, PolicyAgent(make_policy("heuristic")), seed=5, out_dir=tmp_path / run)
    for name in ("episode.json", "episode-steps.jsonl", "events.log", "objects.json", "writes.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def _fixing_script() -> list[dict[str, object]]:
    return [
        calls(tool_call("c1", "get_pods")),
        calls(tool_call("c2", "describe", kind="deployment", name="web")),
        calls(tool_call("c3", "scale", workload="web", replicas=200)),  # denied: over the replica cap
        calls(tool_call("c4", "set_resources", workload="web", requests_cpu="2", limits_cpu="2")),
        calls(tool_call("c5", "wait_available", workload="web", timeout_seconds=300)),
        say("web asked for 17 cpu on 16-cpu nodes; set it to 2 cpu and it is Available."),
    ]


def test_llm_policy_solves_a_canonical_trace_with_the_transcript_in_the_run_folder(tmp_path: Path) -> None:
    trace = load_trace(CANONICAL / "slightly-bad-cpu.sktrace")
    with fake_chat(_fixing_script()) as chat:
        config = LlmConfig(base_url=chat.url, model="fake-1", api_key="test-key")
        result = run_live_episode(trace, LlmLiveAgent(config), seed=3, out_dir=tmp_path)
    assert result.error is None
    assert result.solved and result.steps_to_solve == 1
    assert result.final is not None and result.final.ready == 3
    # The scale to 200 was denied by the safeguards, so the step counts as blocked.
    assert result.steps[0].status == "blocked"
    assert result.steps[0].action is not None and result.steps[0].action.type == "set_resources"
    transcript = [
        json.loads(line) for line in (tmp_path / "agent" / "transcript.jsonl").read_text().splitlines()
    ]
    assert [r["role"] for r in transcript[:3]] == ["system", "user", "assistant"]
    tools = {r["tool_call_id"]: r for r in transcript if r["role"] == "tool"}
    assert "Pending" in tools["c1"]["content"]
    assert tools["c3"]["isError"] and "cap is" in tools["c3"]["content"]
    assert tools["c4"]["content"].startswith("applied: set_resources")
    assert tools["c5"]["content"] == "deployment/web condition met"
    assert transcript[-1]["content"].startswith("web asked for 17 cpu")
    assert len(chat.requests) == 6


def test_llm_without_a_key_fails_before_the_cluster_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIMARENA_TEST_KEY", raising=False)
    with pytest.raises(LlmError, match="no API key"):
        LlmLiveAgent(LlmConfig(base_url="http://127.0.0.1:9/v1", model="m", api_key_env="SIMARENA_TEST_KEY"))


def test_an_unreachable_endpoint_ends_the_episode_with_one_line(tmp_path: Path) -> None:
    trace = load_trace(CANONICAL / "slightly-bad-cpu.sktrace")
    config = LlmConfig(base_url="http://127.0.0.1:9/v1", model="m", api_key="k", timeout=5)
    result = run_live_episode(trace, LlmLiveAgent(config), seed=3, out_dir=tmp_path)
    assert not result.solved
    assert result.error is not None and "cannot reach http://127.0.0.1:9/v1/chat/completions" in result.error
    assert "\n" not in result.error
