"""diff_traces/render_diff: what changed, per workload and field, as a user reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from broken_corpus import valid_trace_copy

from pytest_simarena.actions import Action, apply_action
from pytest_simarena.trace import Trace, WorkloadRef, diff_traces, load_trace, render_diff
from pytest_simarena.trace.usage import write_usage


def _trace() -> Trace:
    data = valid_trace_copy()
    return Trace(events=data["events"], config=data["config"], index=data["index"])


def _web(trace: Trace) -> dict[str, Any]:
    web: dict[str, Any] = trace.events[0]["applied_objs"][0]
    return web


def _container(trace: Trace) -> dict[str, Any]:
    found: dict[str, Any] = _web(trace)["spec"]["template"]["spec"]["containers"][0]
    return found


def test_identical_traces_have_no_differences(shared_traces: Path) -> None:
    trace = load_trace(shared_traces / "simkube" / "dsb-scaling.sktrace")
    assert diff_traces(trace, trace.copy()) == []
    assert render_diff([]) == ["no differences"]


def test_resource_and_replica_changes_are_named_per_workload_and_container() -> None:
    before = _trace()
    after = before.copy()
    _web(after)["spec"]["replicas"] = 3
    _container(after)["resources"]["requests"]["cpu"] = "16500m"
    _container(after)["resources"]["limits"]["cpu"] = "17"
    assert render_diff(diff_traces(before, after)) == [
        "Deployment default/web: replicas 2 -> 3",
        "Deployment default/web container web: requests.cpu 500m -> 16500m",
        "Deployment default/web container web: limits.cpu (none) -> 17",
    ]


def test_equal_quantities_written_differently_are_not_a_change() -> None:
    before = _trace()
    after = before.copy()
    _container(after)["resources"]["requests"]["memory"] = "0.5Gi"  # == 512Mi
    _container(after)["resources"]["requests"]["cpu"] = "0.5"  # == 500m
    assert diff_traces(before, after) == []


def test_usage_annotation_changes_are_reported() -> None:
    before = _trace()
    after = before.copy()
    write_usage(_web(after)["spec"]["template"], {"web": {"memory": "600Mi"}})
    changes = diff_traces(before, after)
    assert [c.render() for c in changes] == [
        "Deployment default/web container web: usage.memory (none) -> 600Mi"
    ]


def test_added_and_removed_workloads_and_containers() -> None:
    before = _trace()
    after = before.copy()
    api = {**_web(after), "metadata": {"name": "api", "namespace": "default"}}
    after.events[0]["applied_objs"] = [api]
    sidecar = before.copy()
    _web(sidecar)["spec"]["template"]["spec"]["containers"].append({"name": "proxy", "image": "envoy"})
    assert render_diff(diff_traces(before, after)) == [
        "- Deployment default/web (removed)",
        "+ Deployment default/api (added)",
    ]
    assert render_diff(diff_traces(before, sidecar)) == ["Deployment default/web: container proxy added"]
    assert render_diff(diff_traces(sidecar, before)) == ["Deployment default/web: container proxy removed"]


def test_event_count_and_time_span() -> None:
    before = _trace()
    after = before.copy()
    after.events.append({"ts": 1730390600, "applied_objs": [], "deleted_objs": []})
    assert render_diff(diff_traces(before, after)) == ["trace: events 2 -> 3", "trace: time span 60s -> 200s"]


def test_an_action_on_the_dsb_trace_shows_every_version(shared_traces: Path) -> None:
    trace = load_trace(shared_traces / "simkube" / "dsb-scaling.sktrace")
    result = apply_action(trace, Action("bump_memory", "nginx-thrift"))
    assert result.changed
    lines = render_diff(diff_traces(trace, result.trace))
    assert lines == [
        "Deployment dsb/nginx-thrift container nginx-thrift: requests.memory 1Gi -> 1280Mi (all 5 versions)"
    ]
    changes = diff_traces(trace, result.trace)
    assert (changes[0].workload, changes[0].versions, changes[0].of) == (
        WorkloadRef("apps/v1.Deployment", "dsb", "nginx-thrift"),
        5,
        5,
    )


def test_changes_in_some_versions_only() -> None:
    before = _trace()
    second = {**_web(before), "spec": {**_web(before)["spec"], "replicas": 4}}
    before.events[1]["applied_objs"].append(second)
    after = before.copy()
    after.events[1]["applied_objs"][0]["spec"]["replicas"] = 5
    assert render_diff(diff_traces(before, after)) == [
        "Deployment default/web: replicas 4 -> 5 (in 1 of 2 versions)"
    ]
