"""Actions: every type on every kind with a pod template, coupling of requests and limits, not-found
results, copy-on-write, and bump-then-reduce restoring the trace (issue 3, section Actions)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_simarena.actions import ACTION_TYPES, Action, ActionResult, FieldChange, apply_action, plan_action
from pytest_simarena.errors import ActionError, TraceError
from pytest_simarena.quantities import format_cpu, format_memory
from pytest_simarena.trace.io import dumps, load_trace
from pytest_simarena.trace.model import Trace, containers

Obj = dict[str, Any]


# --- builders: API-shaped dicts -------------------------------------------------------------------


def container(name: str = "web", requests: Obj | None = None, limits: Obj | None = None) -> Obj:
    c: Obj = {"image": "ghcr.io/example/web:1.0", "name": name}
    resources: Obj = {}
    if limits is not None:
        resources["limits"] = limits
    if requests is not None:
        resources["requests"] = requests
    c["resources"] = resources
    return c


def pod_spec(*items: Obj) -> Obj:
    return {"containers": list(items) or [container(requests={"cpu": "1", "memory": "1Gi"})]}


def template(*items: Obj) -> Obj:
    return {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec(*items)}


def deployment(name: str = "web", *items: Obj, ns: str = "default", replicas: int | None = 3) -> Obj:
    spec: Obj = {"selector": {"matchLabels": {"app": name}}, "template": template(*items)}
    if replicas is not None:
        spec["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


def statefulset(name: str = "db", *items: Obj, replicas: int = 2) -> Obj:
    spec = {"replicas": replicas, "serviceName": name, "template": template(*items)}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }


def pod(name: str = "solo", *items: Obj) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default"},
        "spec": pod_spec(*items),
    }


def cronjob(name: str = "nightly", *items: Obj) -> Obj:
    job = {"template": {**template(*items), "spec": {**pod_spec(*items), "restartPolicy": "Never"}}}
    spec = {"jobTemplate": {"spec": job}, "schedule": "* * * * *"}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }


def trace_of(*objs: Obj, events: list[list[Obj]] | None = None) -> Trace:
    """One event applying ``objs``, or one event per list in ``events``."""
    groups = events if events is not None else [list(objs)]
    return Trace(
        events=[{"ts": 100 + i, "applied_objs": g, "deleted_objs": []} for i, g in enumerate(groups)]
    )


def res(result: ActionResult, name: str = "web", kind: str = "Deployment", ns: str = "default") -> Obj:
    """The resources of container ``name`` in the latest version of the workload in the result's trace."""
    (ref,) = result.trace.find(result.action.workload if result.action else "", kind=kind, namespace=ns)
    obj = result.trace.latest(ref)
    assert obj is not None
    found = [c for c in containers(obj) if c["name"] == name]
    assert found, f"no container {name}"
    resources: Obj = found[0]["resources"]
    return resources


def applied(t: Trace, action: Action, **kw: Any) -> ActionResult:
    """Apply and check the invariants every applied result must keep."""
    before = copy.deepcopy(t.events)
    result = apply_action(t, action, **kw)
    assert t.events == before, "the input trace was mutated"
    assert result.status == "applied", result.message
    assert result.changed and not result.blocked
    assert result.trace is not t
    return result


# --- the must-show cases --------------------------------------------------------------------------


def test_bump_cpu_at_15_6_is_blocked_by_the_16_cpu_cap() -> None:
    t = trace_of(deployment("web", container(requests={"cpu": "15600m"})))
    before = copy.deepcopy(t.events)
    result = apply_action(t, Action("bump_cpu", "web"))
    assert result.status == "blocked" and result.blocked and not result.changed
    assert result.message == "bump_cpu blocked: default/web container web cpu would be 16100m, cap is 16"
    assert result.trace is t and t.events == before
    assert result.changes == []


def test_bump_cpu_blocked_message_matches_the_issue_wording() -> None:
    t = trace_of(deployment("web", container(requests={"cpu": "16"})))
    result = apply_action(t, Action("bump_cpu", "web"))
    assert result.message == "bump_cpu blocked: default/web container web cpu would be 16500m, cap is 16"


def test_bump_cpu_at_15_5_reaches_16_and_is_allowed() -> None:
    t = trace_of(deployment("web", container(requests={"cpu": "15.5"})))
    result = applied(t, Action("bump_cpu", "web"))
    assert res(result)["requests"]["cpu"] == "16"
    assert result.changes == [FieldChange("default/web", "web", "resources.requests.cpu", "15.5", "16")]


@pytest.mark.parametrize(
    ("bump", "reduce", "resources"),
    [
        ("bump_cpu", "reduce_cpu", {"requests": {"cpu": "1", "memory": "1Gi"}}),
        ("bump_cpu", "reduce_cpu", {"requests": {"cpu": "250m"}, "limits": {"cpu": "2"}}),
        ("bump_cpu", "reduce_cpu", {"limits": {"cpu": "1500m", "memory": "1Gi"}}),
        ("bump_memory", "reduce_memory", {"requests": {"memory": "2Gi"}, "limits": {"memory": "3Gi"}}),
        ("bump_memory", "reduce_memory", {"limits": {"memory": "600Mi"}}),
    ],
)
def test_bump_then_reduce_by_the_same_step_restores_the_trace_exactly(
    bump: str, reduce: str, resources: Obj
) -> None:
    t = trace_of(
        events=[
            [deployment("web", container(**resources), container("side", requests={"cpu": "100m"}))],
            [deployment("web", container(**resources), replicas=5), statefulset()],
        ]
    )
    original = copy.deepcopy(t.events)
    up = applied(t, Action(bump, "web"))
    down = applied(up.trace, Action(reduce, "web"))
    assert down.trace.events == original
    assert dumps(down.trace) == dumps(t)


def test_bump_then_reduce_restores_a_real_simkube_trace_byte_for_byte(shared_traces: Path) -> None:
    t = load_trace(shared_traces / "simkube" / "dsb-scaling.sktrace")
    raw = dumps(t)
    up = applied(t, Action("bump_memory", "nginx-thrift", amount="512Mi"))
    assert dumps(up.trace) != raw
    down = applied(up.trace, Action("reduce_memory", "nginx-thrift", amount="512Mi"))
    assert dumps(down.trace) == raw


# --- every action type on every kind ----------------------------------------------------------------

KINDS = {
    "Deployment": lambda *c: deployment("w", *c),
    "StatefulSet": lambda *c: statefulset("w", *c),
    "Pod": lambda *c: pod("w", *c),
    "CronJob": lambda *c: cronjob("w", *c),
}
RESOURCE_CASES = [
    (Action("bump_cpu", "w", amount="1"), "requests", "cpu", "2", "3"),
    (Action("reduce_cpu", "w"), "requests", "cpu", "2", "1500m"),
    (Action("bump_memory", "w"), "requests", "memory", "1Gi", "1280Mi"),
    (Action("reduce_memory", "w", amount="512Mi"), "requests", "memory", "1Gi", "512Mi"),
    (Action("set_resources", "w", requests={"cpu": "750m"}), "requests", "cpu", "2", "750m"),
    (Action("set_resources", "w", limits={"memory": "4Gi"}), "limits", "memory", None, "4Gi"),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("action", "which", "resource", "before", "after"), RESOURCE_CASES)
def test_resource_actions_edit_every_kind_with_a_pod_template(
    kind: str, action: Action, which: str, resource: str, before: str | None, after: str
) -> None:
    obj = KINDS[kind](container("web", requests={"cpu": "2", "memory": "1Gi"}))
    t = trace_of(obj)
    result = applied(t, Action.from_dict({**action.to_dict(), "kind": kind}))
    assert res(result, kind=kind)[which][resource] == after
    assert [(c.field, c.before, c.after) for c in result.changes] == [
        (f"resources.{which}.{resource}", before, after)
    ]


@pytest.mark.parametrize("kind", ["Deployment", "StatefulSet"])
@pytest.mark.parametrize(
    ("action", "after"),
    [
        (Action("scale_up", "w"), 4),
        (Action("scale_up", "w", amount=5), 8),
        (Action("scale_down", "w"), 2),
        (Action("set_replicas", "w", replicas=0), 0),
    ],
)
def test_replica_actions_on_scalable_kinds(kind: str, action: Action, after: int) -> None:
    obj = KINDS[kind](container())
    obj["spec"]["replicas"] = 3
    result = applied(trace_of(obj), Action.from_dict({**action.to_dict(), "kind": kind}))
    (ref,) = result.trace.workloads()
    latest = result.trace.latest(ref)
    assert latest is not None and latest["spec"]["replicas"] == after
    assert result.changes == [FieldChange("default/w", None, "spec.replicas", 3, after)]


@pytest.mark.parametrize("kind", ["Pod", "CronJob"])
@pytest.mark.parametrize("action_type", ["scale_up", "scale_down"])
def test_scaling_a_kind_without_replicas_is_not_found_and_says_why(kind: str, action_type: str) -> None:
    t = trace_of(KINDS[kind](container()))
    result = apply_action(t, Action(action_type, "w", kind=kind))
    assert result.status == "not_found" and result.trace is t
    assert f"{kind} default/w has no spec.replicas" in result.message


def test_noop_changes_nothing() -> None:
    t = trace_of(deployment())
    result = apply_action(t, Action("noop"))
    assert result.status == "unchanged" and not result.changed and result.trace is t


def test_every_action_type_is_covered_here() -> None:
    covered = {a.type for a, *_ in RESOURCE_CASES} | {"scale_up", "scale_down", "set_replicas", "noop"}
    assert covered == set(ACTION_TYPES)


def test_missing_replicas_counts_as_the_api_default_of_one() -> None:
    t = trace_of(deployment("web", replicas=None))
    result = applied(t, Action("scale_up", "web"))
    assert result.changes == [FieldChange("default/web", None, "spec.replicas", None, 2)]
    assert "defaults it to 1" in result.message
    assert apply_action(t, Action("set_replicas", "web", replicas=1)).status == "unchanged"


# --- containers -----------------------------------------------------------------------------------


def two_containers() -> Trace:
    return trace_of(
        deployment(
            "web",
            container("web", requests={"cpu": "1"}),
            container("sidecar", requests={"cpu": "100m"}, limits={"cpu": "200m"}),
        )
    )


def test_without_a_container_name_every_container_is_edited() -> None:
    result = applied(two_containers(), Action("bump_cpu", "web"))
    assert res(result, "web") == {"requests": {"cpu": "1500m"}}
    assert res(result, "sidecar") == {"limits": {"cpu": "700m"}, "requests": {"cpu": "600m"}}
    assert len(result.changes) == 3


def test_a_named_container_is_the_only_one_edited() -> None:
    t = two_containers()
    result = applied(t, Action("bump_cpu", "web", container="sidecar"))
    assert res(result, "web") == {"requests": {"cpu": "1"}}
    assert res(result, "sidecar") == {"limits": {"cpu": "700m"}, "requests": {"cpu": "600m"}}
    assert {c.container for c in result.changes} == {"sidecar"}


def test_a_named_init_container_can_be_edited() -> None:
    obj = deployment("web", container("web"))
    obj["spec"]["template"]["spec"]["initContainers"] = [container("migrate", requests={"memory": "64Mi"})]
    result = applied(trace_of(obj), Action("bump_memory", "web", container="migrate"))
    assert result.changes == [
        FieldChange("default/web", "migrate", "resources.requests.memory", "64Mi", "320Mi")
    ]


def test_an_unknown_container_is_not_found_and_lists_the_containers() -> None:
    t = two_containers()
    result = apply_action(t, Action("bump_cpu", "web", container="api"))
    assert result.status == "not_found" and result.trace is t
    assert "has no container 'api'; containers: web, sidecar" in result.message


# --- workloads ------------------------------------------------------------------------------------


def test_an_unknown_workload_is_not_found_and_lists_the_workloads() -> None:
    t = trace_of(deployment("web"), statefulset("db"))
    before = copy.deepcopy(t.events)
    result = apply_action(t, Action("bump_cpu", "wbe"))
    assert result.status == "not_found" and result.trace is t and t.events == before
    assert "Deployment wbe not found" in result.message
    assert "Deployment default/web, StatefulSet default/db" in result.message
    assert "Did you mean 'web'?" in result.message


def test_the_wrong_kind_is_not_found_with_a_hint_naming_the_right_one() -> None:
    result = apply_action(trace_of(statefulset("db")), Action("scale_up", "db"))
    assert result.status == "not_found"
    assert "Same name: StatefulSet default/db" in result.message
    assert applied(trace_of(statefulset("db")), Action("scale_up", "db", kind="sts")).changed


def test_kind_none_matches_any_kind_and_namespace_disambiguates() -> None:
    t = trace_of(deployment("web", ns="a"), deployment("web", ns="b"))
    with pytest.raises(ActionError, match="ambiguous"):
        apply_action(t, Action("scale_up", "web"))
    result = applied(t, Action("scale_up", "web", namespace="b", kind=None))
    assert result.changes[0].workload == "b/web"
    # the other namespace's object is untouched and shared
    assert result.trace.events[0]["applied_objs"][0] is t.events[0]["applied_objs"][0]


def test_every_applied_version_is_edited_so_a_replay_uses_the_new_spec() -> None:
    t = trace_of(
        events=[
            [deployment("web", replicas=1)],
            [deployment("web", replicas=3), statefulset()],
            [deployment("web", replicas=5)],
        ]
    )
    result = applied(t, Action("scale_up", "web", amount=2))
    counts = [o["spec"]["replicas"] for o in result.trace.versions_of(result.trace.workloads()[0])]
    assert counts == [3, 5, 7]
    assert [(c.before, c.after) for c in result.changes] == [(1, 3), (3, 5), (5, 7)]
    # an event without the workload is shared as it was
    assert result.trace.events[1]["applied_objs"][1] is t.events[1]["applied_objs"][1]


def test_a_real_trace_edits_every_version_of_one_workload_only(shared_traces: Path) -> None:
    t = load_trace(shared_traces / "simkube" / "dsb-scaling.sktrace")
    (ref,) = t.find("nginx-thrift")
    result = applied(t, Action("bump_cpu", "nginx-thrift", namespace="dsb"))
    versions = result.trace.versions_of(ref)
    assert len(versions) == 5
    assert {containers(v)[0]["resources"]["requests"]["cpu"] for v in versions} == {"1500m"}
    for (_, _, new), (_, _, old) in zip(result.trace.applied(), t.applied(), strict=True):
        if new["metadata"]["name"] != "nginx-thrift":
            assert new is old


def test_a_real_cronjob_gets_resources_it_had_none_of(shared_traces: Path) -> None:
    t = load_trace(shared_traces / "simkube" / "cronjob.sktrace")
    result = applied(t, Action("bump_memory", "hello-simkube", kind="CronJob"))
    assert res(result, "sleeper", kind="CronJob") == {"requests": {"memory": "256Mi"}}
    assert "had no memory request or limit; started from 0" in result.message


def test_a_real_bare_pod_can_be_resized(shared_traces: Path) -> None:
    t = load_trace(shared_traces / "simkube" / "bare-pods.sktrace")
    ref = t.workloads()[0]
    result = applied(
        t, Action("set_resources", ref.name, kind="pod", namespace=ref.namespace, requests={"cpu": "2"})
    )
    assert result.changes[0].after == "2"


# --- request/limit coupling, defaults, canonical writing -------------------------------------------


def test_limit_only_container_moves_its_limit_the_effective_request() -> None:
    t = trace_of(deployment("web", container(limits={"cpu": "2"})))
    result = applied(t, Action("bump_cpu", "web"))
    assert res(result) == {"limits": {"cpu": "2500m"}}
    assert "its limit 2 is the effective request" in result.message


def test_request_and_limit_move_together_so_the_request_never_exceeds_the_limit() -> None:
    t = trace_of(deployment("web", container(requests={"memory": "1Gi"}, limits={"memory": "1Gi"})))
    result = applied(t, Action("bump_memory", "web", amount="1Gi"))
    assert res(result) == {"limits": {"memory": "2Gi"}, "requests": {"memory": "2Gi"}}


def test_a_bare_container_bump_starts_from_zero_and_a_reduce_leaves_it_unchanged() -> None:
    t = trace_of(deployment("web", container()))
    up = applied(t, Action("bump_cpu", "web"))
    assert res(up) == {"requests": {"cpu": "500m"}}
    assert "started from 0" in up.message
    down = apply_action(t, Action("reduce_cpu", "web"))
    assert down.status == "unchanged" and down.trace is t
    assert "no cpu request or limit to reduce" in down.message


def test_a_bump_from_nothing_is_undone_by_the_reduce() -> None:
    t = trace_of(deployment("web", container(), container("side", requests={"cpu": "100m"})))
    original = copy.deepcopy(t.events)
    up = applied(t, Action("bump_memory", "web"))
    assert res(up) == {"requests": {"memory": "256Mi"}}
    down = applied(up.trace, Action("reduce_memory", "web"))
    assert down.trace.events == original
    assert "memory request reduced to 0, so removed" in down.message


def test_set_resources_request_above_the_limit_raises_the_limit() -> None:
    t = trace_of(deployment("web", container(requests={"cpu": "500m"}, limits={"cpu": "1"})))
    result = applied(t, Action("set_resources", "web", requests={"cpu": "2"}))
    assert res(result) == {"limits": {"cpu": "2"}, "requests": {"cpu": "2"}}
    assert "raised the cpu limit 1 to the request 2" in result.message
    assert {c.field for c in result.changes} == {"resources.requests.cpu", "resources.limits.cpu"}


def test_set_resources_limit_below_the_request_lowers_the_request() -> None:
    t = trace_of(deployment("web", container(requests={"memory": "2Gi"}, limits={"memory": "4Gi"})))
    result = applied(t, Action("set_resources", "web", limits={"memory": "1Gi"}))
    assert res(result) == {"limits": {"memory": "1Gi"}, "requests": {"memory": "1Gi"}}
    assert "lowered the memory request 2Gi to the limit 1Gi" in result.message


def test_set_resources_none_removes_a_value() -> None:
    t = trace_of(deployment("web", container(requests={"cpu": "1"}, limits={"cpu": "1", "memory": "64Mi"})))
    result = applied(t, Action("set_resources", "web", limits={"memory": None}))
    assert res(result) == {"limits": {"cpu": "1"}, "requests": {"cpu": "1"}}
    assert result.changes == [FieldChange("default/web", "web", "resources.limits.memory", "64Mi", None)]


def test_set_resources_with_the_same_value_in_another_spelling_is_unchanged() -> None:
    t = trace_of(deployment("web", container(requests={"cpu": "1000m"})))
    result = apply_action(t, Action("set_resources", "web", requests={"cpu": "1"}))
    assert result.status == "unchanged" and result.trace is t


def test_written_values_are_canonical_untouched_values_keep_their_spelling() -> None:
    t = trace_of(deployment("web", container(requests={"cpu": "17000m", "memory": "2048Mi"})))
    result = applied(t, Action("reduce_cpu", "web", amount=0.5))
    assert res(result) == {"requests": {"cpu": "16500m", "memory": "2048Mi"}}
    result = applied(t, Action("bump_memory", "web"))
    assert res(result)["requests"]["memory"] == "2304Mi"


def test_new_keys_keep_simkube_sorted_order() -> None:
    t = trace_of(deployment("web", container(requests={"memory": "1Gi"})))
    result = applied(t, Action("set_resources", "web", requests={"cpu": "1"}, limits={"cpu": "2"}))
    assert list(res(result)) == ["limits", "requests"]
    assert list(res(result)["requests"]) == ["cpu", "memory"]


def test_editing_the_result_in_place_after_copy_leaves_the_input_alone() -> None:
    t = trace_of(deployment("web", container(requests={"cpu": "1"})))
    result = applied(t, Action("bump_cpu", "web"))
    edited = result.trace.events[0]["applied_objs"][0]
    edited["spec"]["replicas"] = 99  # the edited object is a fresh copy
    assert t.events[0]["applied_objs"][0]["spec"]["replicas"] == 3


def test_a_malformed_quantity_in_the_trace_names_object_and_field() -> None:
    t = trace_of(deployment("web", container(requests={"cpu": "12 cores"})))
    t.path = "traces/x.sktrace"
    with pytest.raises(TraceError) as info:
        apply_action(t, Action("bump_cpu", "web"))
    message = str(info.value)
    assert message.startswith(
        "traces/x.sktrace: events[0].applied_objs[0] (Deployment default/web): "
        "spec.template.spec.containers[0].resources.requests.cpu: "
    )
    assert "12 cores" in message


def test_result_to_dict_is_json_ready() -> None:
    result = applied(trace_of(deployment()), Action("scale_down", "web"))
    data = json.loads(json.dumps(result.to_dict()))
    assert data["status"] == "applied" and data["changed"] is True
    assert data["changes"] == [
        {"workload": "default/web", "container": None, "field": "spec.replicas", "before": 3, "after": 2}
    ]
    assert data["action"] == {"type": "scale_down", "workload": "web", "kind": "Deployment"}


def test_plan_action_is_pure() -> None:
    t = trace_of(deployment("web", container(requests={"cpu": "1"})))
    before = copy.deepcopy(t.events)
    plan = plan_action(t, Action("bump_cpu", "web"))
    assert plan.status == "edit" and t.events == before
    assert plan.proposals[0].before == 1000 and plan.proposals[0].after == 1500


# --- Action parsing ---------------------------------------------------------------------------------


def test_action_round_trips_through_its_json_form() -> None:
    actions = [
        Action("bump_cpu", "web", namespace="prod", container="app", amount="250m"),
        Action(
            "set_resources", "db", kind="StatefulSet", requests={"memory": "1Gi"}, limits={"memory": "2Gi"}
        ),
        Action("set_replicas", "web", replicas=4),
        Action("scale_up", "web", kind=None, amount=2),
        Action("noop"),
    ]
    for action in actions:
        assert Action.from_dict(json.loads(json.dumps(action.to_dict()))) == action


def test_action_normalizes_type_spelling_and_kind_aliases() -> None:
    action = Action("Bump-CPU", "web", kind="deploy")
    assert (action.type, action.kind) == ("bump_cpu", "Deployment")
    assert Action("scale_up", "x", kind="cj").kind == "CronJob"
    assert Action("scale_up", "x", kind="MyCustomKind").kind == "MyCustomKind"


def test_default_steps() -> None:
    assert Action("bump_cpu", "w").step == 500
    assert Action("reduce_memory", "w").step == 256 * 2**20
    assert Action("scale_down", "w").step == 1
    assert Action("bump_cpu", "w", amount=2).step == 2000  # a bare number is cores, as in Kubernetes


@pytest.mark.parametrize(
    ("kwargs", "wording"),
    [
        ({"type": "bump_cpus", "workload": "w"}, "unknown action type 'bump_cpus'. Did you mean 'bump_cpu'"),
        ({"type": "scale", "workload": "w"}, "Did you mean 'scale_up' or 'scale_down'"),
        ({"type": "bump_cpu", "workload": "w", "amount": "1 core"}, "bump_cpu: amount: "),
        ({"type": "bump_cpu", "workload": "w", "amount": "-1"}, "must be greater than 0"),
        ({"type": "bump_memory", "workload": "w", "amount": True}, "is not a Kubernetes quantity"),
        ({"type": "scale_up", "workload": "w", "amount": "two"}, "must be a whole number"),
        ({"type": "scale_down", "workload": "w", "amount": 0}, "must be greater than 0"),
        ({"type": "set_replicas", "workload": "w"}, "needs replicas"),
        ({"type": "set_replicas", "workload": "w", "replicas": -1}, "greater than or equal to 0"),
        ({"type": "set_resources", "workload": "w"}, "needs requests and/or limits"),
        ({"type": "set_resources", "workload": "w", "requests": {"gpu": "1"}}, "only cpu and memory"),
        (
            {"type": "set_resources", "workload": "w", "requests": {"cpu": "3"}, "limits": {"cpu": "2"}},
            "requests.cpu 3 must be less than or equal to cpu limit of 2",
        ),
        ({"type": "bump_cpu", "workload": "w", "replicas": 3}, "does not take replicas (takes amount)"),
        ({"type": "bump_cpu"}, "needs a workload name"),
        ({"type": "bump_cpu", "workload": "w", "amout": "1"}, "unknown key 'amout'. Did you mean 'amount'"),
        ({"workload": "w"}, "missing 'type'"),
    ],
)
def test_malformed_actions_raise_action_error(kwargs: Obj, wording: str) -> None:
    with pytest.raises(ActionError) as info:
        Action.from_dict(kwargs)
    assert wording in str(info.value)


# --- property: bump then reduce restores, for any canonical starting point ------------------------


@settings(max_examples=60, deadline=None)
@given(
    cpu=st.integers(1, 15_000),
    memory=st.integers(4, 30 * 1024).map(lambda mi: mi * 2**20),
    cpu_step=st.integers(1, 1000),
    mem_step_mi=st.integers(1, 1024),
    with_limit=st.booleans(),
)
def test_property_bump_then_reduce_restores(
    cpu: int, memory: int, cpu_step: int, mem_step_mi: int, with_limit: bool
) -> None:
    requests = {"cpu": format_cpu(cpu), "memory": format_memory(memory)}
    limits = {"cpu": format_cpu(cpu * 2), "memory": format_memory(memory * 2)} if with_limit else None
    t = trace_of(deployment("web", container(requests=requests, limits=limits)))
    original = copy.deepcopy(t.events)
    for bump, reduce, amount in (
        ("bump_cpu", "reduce_cpu", format_cpu(cpu_step)),
        ("bump_memory", "reduce_memory", f"{mem_step_mi}Mi"),
    ):
        up = apply_action(t, Action(bump, "web", amount=amount))
        if up.status == "blocked":  # the limit would cross a cap: nothing to restore
            assert up.trace is t
            continue
        down = apply_action(up.trace, Action(reduce, "web", amount=amount))
        assert down.status == "applied", down.message
        assert down.trace.events == original


# --- the other built-in kinds and tracked custom kinds ---------------------------------------------


def workload(api: str, kind: str, spec: Obj) -> Obj:
    return {"apiVersion": api, "kind": kind, "metadata": {"name": "w", "namespace": "default"}, "spec": spec}


@pytest.mark.parametrize(
    ("obj", "scales"),
    [
        (
            workload(
                "apps/v1",
                "ReplicaSet",
                {"replicas": 2, "template": template(container(requests={"cpu": "1", "memory": "1Gi"}))},
            ),
            True,
        ),
        (
            workload(
                "apps/v1",
                "DaemonSet",
                {"template": template(container(requests={"cpu": "1", "memory": "1Gi"}))},
            ),
            False,
        ),
        (
            workload(
                "batch/v1", "Job", {"template": template(container(requests={"cpu": "1", "memory": "1Gi"}))}
            ),
            False,
        ),
    ],
    ids=["ReplicaSet", "DaemonSet", "Job"],
)
def test_other_built_in_kinds(obj: Obj, scales: bool) -> None:
    t = trace_of(obj)
    result = applied(t, Action("bump_cpu", "w", kind=obj["kind"].lower()))
    assert result.changes[0].after == "1500m"
    assert apply_action(t, Action("scale_up", "w", kind=obj["kind"])).changed is scales


def test_a_custom_kind_is_edited_at_its_tracked_pod_template_path() -> None:
    obj = workload(
        "example.com/v1",
        "Trainer",
        {"workers": {"podTemplate": template(container(requests={"cpu": "1", "memory": "1Gi"}))}},
    )
    t = trace_of(obj)
    t.config = {
        "trackedObjects": {"example.com/v1.Trainer": {"podSpecTemplatePaths": ["/spec/workers/podTemplate"]}}
    }
    result = applied(t, Action("bump_memory", "w", kind="Trainer"))
    assert result.changes[0].after == "1280Mi"
    t.config = {"trackedObjects": {}}
    result = apply_action(t, Action("bump_memory", "w", kind="Trainer"))
    assert result.status == "not_found" and "has no pod template" in result.message


def test_kind_wildcards() -> None:
    assert Action("scale_up", "w", kind="*").kind is None
    assert Action("scale_up", "w", kind="").kind is None
    assert applied(trace_of(statefulset("w", container())), Action("scale_up", "w", kind="*")).changed


# --- exact restores (lead's review: fields an action had to create go away again) -----------------


def test_bump_then_reduce_removes_the_resources_map_it_created() -> None:
    bare = {"image": "ghcr.io/example/web:1.0", "name": "web"}  # no resources key at all
    t = trace_of(deployment("web", bare))
    original = copy.deepcopy(t.events)
    up = applied(t, Action("bump_memory", "web"))
    assert res(up) == {"requests": {"memory": "256Mi"}}
    down = applied(up.trace, Action("reduce_memory", "web"))
    assert down.trace.events == original
    assert dumps(down.trace) == dumps(t)


def test_an_explicit_empty_resources_map_is_kept_by_bump_then_reduce() -> None:
    t = trace_of(deployment("web", container()))  # resources: {} as the API server writes it
    up = applied(t, Action("bump_cpu", "web"))
    down = applied(up.trace, Action("reduce_cpu", "web"))
    assert res(down) == {}
    assert dumps(down.trace) == dumps(t)


def test_scale_up_then_down_removes_the_replicas_it_created() -> None:
    t = trace_of(deployment("web", replicas=None))
    up = applied(t, Action("scale_up", "web", amount=2))
    assert up.trace.events[0]["applied_objs"][0]["spec"]["replicas"] == 3
    down = applied(up.trace, Action("scale_down", "web", amount=2))
    assert "replicas" not in down.trace.events[0]["applied_objs"][0]["spec"]
    assert "spec.replicas 3 -> (absent)" in down.message
    assert dumps(down.trace) == dumps(t)


def test_scaling_an_explicit_replicas_down_to_one_writes_one() -> None:
    t = trace_of(deployment("web", replicas=2))
    down = applied(t, Action("scale_down", "web"))
    assert down.trace.events[0]["applied_objs"][0]["spec"]["replicas"] == 1


def test_a_created_field_is_written_explicitly_after_a_save_and_load(tmp_path: Path) -> None:
    from pytest_simarena.trace.io import dump_trace

    t = trace_of(deployment("web", replicas=None))
    up = applied(t, Action("scale_up", "web"))
    path = tmp_path / "up.sktrace"
    dump_trace(up.trace, path)
    down = applied(load_trace(path), Action("scale_down", "web"))  # the memory is in-process only
    assert down.trace.events[0]["applied_objs"][0]["spec"]["replicas"] == 1


def test_editing_a_value_keeps_the_key_order_of_an_unsorted_map() -> None:
    c = container(requests={"memory": "1Gi", "cpu": "1"})  # not sorted
    t = trace_of(deployment("web", c))
    up = applied(t, Action("bump_cpu", "web"))
    assert list(res(up)["requests"]) == ["memory", "cpu"]
    down = applied(up.trace, Action("reduce_cpu", "web"))
    assert dumps(down.trace) == dumps(t)


def test_sub_millicore_amounts_are_applied_exactly() -> None:
    t = trace_of(deployment("web", container(requests={"cpu": "100m"})))
    up = applied(t, Action("bump_cpu", "web", amount="0.5m"))
    assert res(up) == {"requests": {"cpu": "100500u"}}
    assert up.changes[0].after == "100500u"


def test_action_accepts_the_observed_workload_ref() -> None:
    # A policy may hand back observation.workload (a WorkloadRef) as it is: name, namespace and kind follow.
    from pytest_simarena.trace.model import WorkloadRef

    action = Action("scale_up", WorkloadRef("apps/v1.StatefulSet", "shop", "db"))  # type: ignore[arg-type]
    assert (action.workload, action.namespace, action.kind) == ("db", "shop", "StatefulSet")
    assert action.to_dict()["workload"] == "db"
