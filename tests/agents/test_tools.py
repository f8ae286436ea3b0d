"""The agent tools on a real embedded cluster: kubectl-like text, one-line errors, valid schemas."""

from __future__ import annotations

import jsonschema

from pytest_simarena.agents.tools import TOOLS, call_tool, openai_tools


def test_every_schema_is_valid_json_schema_and_names_are_unique() -> None:
    assert len({t.name for t in TOOLS}) == len(TOOLS)
    for tool in TOOLS:
        jsonschema.Draft202012Validator.check_schema(tool.parameters)
        assert tool.parameters["type"] == "object"
        assert tool.kind in ("read", "act", "time")
    wire = openai_tools()
    assert wire[0]["type"] == "function"
    assert {w["function"]["name"] for w in wire} == {t.name for t in TOOLS}


def test_get_pods_shows_the_pending_pods_with_kubectl_columns(read_host) -> None:
    result = call_tool(read_host, "get_pods", {})
    assert not result.is_error
    lines = result.text.splitlines()
    assert lines[0].split() == ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE"]
    assert len(lines) == 6
    assert all(line.split()[1:6] == ["0/1", "Pending", "0", "2m", "<none>"] for line in lines[1:])


def test_describe_pod_shows_failed_scheduling_and_requests(read_host) -> None:
    pod = read_host.snapshot().pods[0]["metadata"]["name"]
    text = call_tool(read_host, "describe", {"kind": "pod", "name": pod}).text
    assert f"Name:         {pod}" in text
    assert "Namespace:    default" in text
    assert "cpu:     17" in text
    assert "FailedScheduling" in text
    assert "Insufficient cpu" in text


def test_describe_deployment_and_events_filtered_by_object(read_host) -> None:
    text = call_tool(read_host, "describe", {"kind": "deploy", "name": "web"}).text
    assert "5 desired" in text
    assert "MinimumReplicasUnavailable" in text
    events = call_tool(read_host, "get_events", {"object_name": "web"}).text
    assert "ScalingReplicaSet" in events
    assert "FailedScheduling" not in events


def test_namespace_filter_and_label_selector(read_host) -> None:
    other = call_tool(read_host, "get_pods", {"namespace": "other"}).text
    assert other == "No resources found in other namespace."
    assert len(call_tool(read_host, "get_pods", {"label_selector": "app=web"}).text.splitlines()) == 6
    assert call_tool(read_host, "get_pods", {"label_selector": "app=db"}).text.startswith("No resources")
    assert len(call_tool(read_host, "get_pods", {"label_selector": "app in (web,db)"}).text.splitlines()) == 6
    assert call_tool(read_host, "get_pods", {"label_selector": "app!=web"}).text.startswith("No resources")
    bad = call_tool(read_host, "get_pods", {"label_selector": "app=(x"})
    assert bad.is_error and "label selector" in bad.text


def test_mistakes_are_one_line_errors_not_exceptions(read_host) -> None:
    cases = {
        ("nope", "{}"): "unknown tool 'nope'",
        ("get_podz", "{}"): "Did you mean 'get_pods'?",
        ("get_pods", '{"x": 1}'): "unknown argument(s) x",
        ("describe", '{"kind": "pod"'): "arguments are not JSON",
        ("describe", '{"kind": "pod"}'): "missing argument 'name'",
        ("describe", '{"kind": "service", "name": "x"}'): "expected pod, deployment, statefulset or node",
        ("describe", '{"kind": "pod", "name": "ghost"}'): 'pods "ghost" not found',
        ("advance_time", '{"seconds": 99999}'): "expected between 0 and 3600",
        ("scale", '{"workload": "web", "replicas": "3"}'): "expected a whole number",
        ("set_resources", '{"workload": "web"}'): "needs at least one of",
        ("apply_action", '{"action": {"type": "bump_cpuu", "workload": "web"}}'): "Did you mean 'bump_cpu'",
    }
    for (name, args), expected in cases.items():
        result = call_tool(read_host, name, args)
        assert result.is_error, (name, args)
        assert expected in result.text, (name, args, result.text)
        assert "\n" not in result.text


def test_advance_time_moves_the_simulated_clock(read_host) -> None:
    before = read_host.cluster.now
    assert call_tool(read_host, "advance_time", {"seconds": 30}).text == "advanced 30 s of simulated time"
    assert read_host.cluster.now == before + 30
