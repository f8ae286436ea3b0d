"""The LLM agent against a local OpenAI-compatible endpoint over real HTTP (scripted replies)."""

from __future__ import annotations

import json
import socket

import pytest
from fake_llm import calls, fake_chat, say, tool_call

from pytest_simarena.agents.llm import LlmAgent, LlmConfig, LlmError


def _config(url: str, **kw: object) -> LlmConfig:
    return LlmConfig(base_url=url, model="fake-1", api_key="test-key", **kw)  # type: ignore[arg-type]


def test_tool_loop_runs_the_calls_and_feeds_the_results_back(read_host) -> None:
    script = [
        calls(tool_call("c1", "get_pods")),
        calls(tool_call("c2", "describe", kind="deployment", name="web"), tool_call("c3", "get_events")),
        say("The pods need less cpu and memory."),
    ]
    with fake_chat(script) as chat:
        agent = LlmAgent(_config(chat.url), "Fix web")
        assert agent.turn(read_host) == 3
    first = chat.requests[0]
    assert first["model"] == "fake-1"
    assert {t["function"]["name"] for t in first["tools"]} >= {"get_pods", "describe", "set_resources"}
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    # The second request carries the assistant's call and the tool's answer, tied by the call id.
    second = chat.requests[1]["messages"]
    assert second[-2]["tool_calls"][0]["id"] == "c1"
    assert second[-1]["role"] == "tool" and second[-1]["tool_call_id"] == "c1"
    assert "Pending" in second[-1]["content"]
    third = chat.requests[2]["messages"]
    assert [m.get("tool_call_id") for m in third[-2:]] == ["c2", "c3"]
    assert agent.transcript[-1]["content"] == "The pods need less cpu and memory."
    json.dumps(agent.transcript)  # the transcript is JSON as it is


def test_a_tool_mistake_goes_back_to_the_model_as_an_error(read_host) -> None:
    script = [calls(tool_call("c1", "describe", kind="pod", name="ghost")), say("ok")]
    with fake_chat(script) as chat:
        agent = LlmAgent(_config(chat.url), "Fix web")
        agent.turn(read_host)
    answer = chat.requests[1]["messages"][-1]
    assert answer["content"] == "describe: pods \"ghost\" not found in namespace 'default'"
    assert agent.transcript[-2]["isError"] is True


def test_the_tool_budget_bounds_a_turn(read_host) -> None:
    script = [calls(tool_call(f"c{i}", "get_pods")) for i in range(10)]
    with fake_chat(script) as chat:
        agent = LlmAgent(_config(chat.url, max_tool_calls=3), "Fix web")
        assert agent.turn(read_host) == 3
    assert len(chat.requests) == 3


def test_missing_key_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIMARENA_TEST_NO_KEY", raising=False)
    with pytest.raises(LlmError, match="no API key: set the environment variable SIMARENA_TEST_NO_KEY"):
        config = LlmConfig(base_url="http://127.0.0.1:9/v1", model="m", api_key_env="SIMARENA_TEST_NO_KEY")
        LlmAgent(config, "x")


def test_unreachable_endpoint_is_one_clear_error(read_host) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    agent = LlmAgent(_config(f"http://127.0.0.1:{port}/v1", timeout=5), "x")
    with pytest.raises(LlmError, match=rf"cannot reach http://127.0.0.1:{port}/v1/chat/completions: "):
        agent.turn(read_host)


def test_wrong_key_shows_the_servers_message(read_host) -> None:
    with fake_chat([say("hi")], key="right") as chat:
        agent = LlmAgent(_config(chat.url), "x")
        with pytest.raises(LlmError, match="answered HTTP 401: Incorrect API key provided"):
            agent.turn(read_host)


def test_no_model_is_one_clear_error() -> None:
    with pytest.raises(LlmError, match="no model name"):
        LlmAgent(LlmConfig(base_url="http://127.0.0.1:9/v1", model="", api_key="k"), "x")


def test_a_malformed_tool_call_reply_is_one_clear_error(read_host) -> None:
    with fake_chat([{"role": "assistant", "content": None, "tool_calls": ["get_pods"]}]) as chat:
        agent = LlmAgent(_config(chat.url), "x")
        with pytest.raises(LlmError, match="tool_calls is not a list of"):
            agent.turn(read_host)
