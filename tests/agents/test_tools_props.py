"""Invariant: whatever a model or MCP client sends, a tool answers with a result, never an exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pytest_simarena.agents.host import LiveHost
from pytest_simarena.agents.tools import TOOLS_BY_NAME, ToolResult, call_tool
from pytest_simarena.live import LiveSession

CANONICAL = Path(__file__).resolve().parents[2] / "traces" / "canonical"

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=True)
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
names = st.sampled_from(sorted(TOOLS_BY_NAME)) | st.text(max_size=10)
# Mostly the tool's own argument names (so the calls reach the implementations), sometimes anything.
arguments = st.one_of(
    st.dictionaries(
        st.sampled_from(
            [
                "workload",
                "replicas",
                "kind",
                "name",
                "namespace",
                "seconds",
                "action",
                "pod",
                "requests_cpu",
                "limits_memory",
                "container",
                "label_selector",
                "timeout_seconds",
            ]
        ),
        json_values | st.sampled_from(["web", "default", "pod", "deployment", "1", "64Gi", "-1"]),
        max_size=4,
    ),
    json_values,
    st.text(max_size=30),
)


@pytest.fixture(scope="module")
def live_host():
    session = LiveSession.start(CANONICAL / "mixed.sktrace", seed=9)
    yield LiveHost(session)
    session.close()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names, args=arguments)
@example(name="top", args={"kind": None})  # a JSON null for an optional argument (found in CI)
def test_any_call_answers_a_result_and_errors_are_one_line(
    live_host: LiveHost, name: str, args: object
) -> None:
    result = call_tool(live_host, name, args)  # type: ignore[arg-type]
    assert isinstance(result, ToolResult)
    if result.is_error:
        assert result.text and "\n" not in result.text
