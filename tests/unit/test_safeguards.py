"""Safeguards: caps and floors block (never clamp) and say which bound, what value and which object
(issue 3, section Safeguards)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from pytest_simarena.actions import Action, apply_action, check_action
from pytest_simarena.errors import SimArenaError, UnknownNameError
from pytest_simarena.safeguards import (
    DEFAULT_SAFEGUARDS,
    Proposal,
    Safeguards,
    SafeguardsError,
)
from pytest_simarena.trace.model import Trace, containers

Obj = dict[str, Any]


def container(name: str = "web", **resources: Obj) -> Obj:
    return {"image": "busybox", "name": name, "resources": resources}


def deployment(*items: Obj, name: str = "web", replicas: int = 3) -> Obj:
    spec = {"replicas": replicas, "template": {"metadata": {}, "spec": {"containers": list(items)}}}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": spec,
    }


def trace_of(*objs: Obj) -> Trace:
    return Trace(events=[{"ts": 1, "applied_objs": list(objs), "deleted_objs": []}])


def blocked(t: Trace, action: Action, guards: Safeguards | None = None) -> str:
    """Apply, check the action was blocked with the trace untouched, and return the message."""
    before = copy.deepcopy(t.events)
    result = apply_action(t, action, safeguards=guards)
    assert result.status == "blocked", result.message
    assert result.blocked and not result.changed
    assert result.trace is t and t.events == before and result.changes == []
    assert result.verdict is not None and result.verdict.message == result.message
    return result.message


def test_defaults_are_the_issue_caps_and_floors() -> None:
    assert Safeguards("16", "32Gi", 100, "1m", "4Mi", 0) == DEFAULT_SAFEGUARDS
    assert DEFAULT_SAFEGUARDS.bounds("cpu") == (1, 16_000)
    assert DEFAULT_SAFEGUARDS.bounds("memory") == (4 * 2**20, 32 * 2**30)
    assert DEFAULT_SAFEGUARDS.bounds("replicas") == (0, 100)


# --- caps -------------------------------------------------------------------------------------------


def test_cpu_cap_blocks_at_15_6_and_allows_15_5() -> None:
    assert blocked(trace_of(deployment(container(requests={"cpu": "15.6"}))), Action("bump_cpu", "web")) == (
        "bump_cpu blocked: default/web container web cpu would be 16100m, cap is 16"
    )
    allowed = apply_action(
        trace_of(deployment(container(requests={"cpu": "15.5"}))), Action("bump_cpu", "web")
    )
    assert allowed.status == "applied"
    assert containers(allowed.trace.events[0]["applied_objs"][0])[0]["resources"]["requests"]["cpu"] == "16"


def test_the_cap_applies_to_the_limit_and_names_it() -> None:
    t = trace_of(deployment(container(requests={"cpu": "8"}, limits={"cpu": "16"})))
    assert blocked(t, Action("bump_cpu", "web")) == (
        "bump_cpu blocked: default/web container web cpu limit would be 16500m, cap is 16"
    )


def test_memory_cap_blocks_with_canonical_values() -> None:
    t = trace_of(deployment(container(requests={"memory": "32640Mi"})))
    assert blocked(t, Action("bump_memory", "web")) == (
        "bump_memory blocked: default/web container web memory would be 32896Mi, cap is 32Gi"
    )
    t = trace_of(deployment(container(requests={"memory": "31.75Gi"})))
    assert apply_action(t, Action("bump_memory", "web")).status == "applied"  # exactly 32Gi


def test_set_resources_above_a_cap_is_blocked_not_clamped() -> None:
    t = trace_of(deployment(container(requests={"memory": "1Gi"})))
    message = blocked(t, Action("set_resources", "web", requests={"memory": "64Gi"}))
    assert message == "set_resources blocked: default/web container web memory would be 64Gi, cap is 32Gi"


def test_replica_cap() -> None:
    assert blocked(trace_of(deployment(container(), replicas=100)), Action("scale_up", "web")) == (
        "scale_up blocked: default/web replicas would be 101, cap is 100"
    )
    assert blocked(trace_of(deployment(container())), Action("set_replicas", "web", replicas=500)) == (
        "set_replicas blocked: default/web replicas would be 500, cap is 100"
    )
    assert apply_action(trace_of(deployment(container(), replicas=99)), Action("scale_up", "web")).changed


def test_every_container_over_a_cap_is_named_and_nothing_is_applied() -> None:
    t = trace_of(
        deployment(
            container("a", requests={"cpu": "15.8"}),
            container("b", requests={"cpu": "1"}),
            container("c", requests={"cpu": "16"}),
        )
    )
    assert blocked(t, Action("bump_cpu", "web")) == (
        "bump_cpu blocked: default/web container a cpu would be 16300m, cap is 16; "
        "default/web container c cpu would be 16500m, cap is 16"
    )


def test_the_worst_version_is_named_when_several_versions_cross() -> None:
    t = Trace(
        events=[
            {"ts": 1, "applied_objs": [deployment(container(), replicas=99)], "deleted_objs": []},
            {"ts": 2, "applied_objs": [deployment(container(), replicas=120)], "deleted_objs": []},
            {"ts": 3, "applied_objs": [deployment(container(), replicas=100)], "deleted_objs": []},
        ]
    )
    assert blocked(t, Action("scale_up", "web", amount=2)) == (
        "scale_up blocked: default/web replicas would be 122, cap is 100"
    )


def test_moving_toward_the_safe_range_is_allowed_even_beyond_a_cap() -> None:
    # The seed's cpu-heavy scenario starts at 20 cpu; it must be repairable one step at a time.
    t = trace_of(deployment(container(requests={"cpu": "20"}), replicas=150))
    result = apply_action(t, Action("reduce_cpu", "web"))
    assert result.status == "applied"
    assert result.changes[0].after == "19500m"
    assert apply_action(t, Action("scale_down", "web")).status == "applied"
    assert blocked(t, Action("bump_cpu", "web")).endswith("cpu would be 20500m, cap is 16")


# --- floors -----------------------------------------------------------------------------------------


def test_cpu_floor() -> None:
    t = trace_of(deployment(container(requests={"cpu": "300m"})))
    assert blocked(t, Action("reduce_cpu", "web")) == (
        "reduce_cpu blocked: default/web container web cpu would be -200m, floor is 1m"
    )
    t = trace_of(deployment(container(requests={"cpu": "501m"})))
    assert apply_action(t, Action("reduce_cpu", "web")).changes[0].after == "1m"


def test_memory_floor() -> None:
    t = trace_of(deployment(container(requests={"memory": "258Mi"})))
    assert blocked(t, Action("reduce_memory", "web")) == (
        "reduce_memory blocked: default/web container web memory would be 2Mi, floor is 4Mi"
    )
    t = trace_of(deployment(container(requests={"memory": "260Mi"})))
    assert apply_action(t, Action("reduce_memory", "web")).changes[0].after == "4Mi"


def test_memory_floor_applies_to_a_limit_too() -> None:
    t = trace_of(deployment(container(limits={"memory": "256Mi"})))
    assert blocked(t, Action("reduce_memory", "web")) == (
        "reduce_memory blocked: default/web container web memory limit would be 0, floor is 4Mi"
    )


def test_replicas_never_go_negative() -> None:
    t = trace_of(deployment(container(), replicas=0))
    assert blocked(t, Action("scale_down", "web")) == (
        "scale_down blocked: default/web replicas would be -1, floor is 0"
    )
    assert apply_action(trace_of(deployment(container(), replicas=1)), Action("scale_down", "web")).changed


# --- configuration ----------------------------------------------------------------------------------


def test_custom_caps_are_used_by_apply_action() -> None:
    guards = Safeguards(max_cpu="8", max_replicas=5)
    t = trace_of(deployment(container(requests={"cpu": "8"}), replicas=5))
    assert blocked(t, Action("bump_cpu", "web"), guards).endswith("cpu would be 8500m, cap is 8")
    assert blocked(t, Action("scale_up", "web"), guards).endswith("replicas would be 6, cap is 5")
    assert apply_action(t, Action("bump_cpu", "web")).changed  # the defaults allow it


def test_none_disables_a_bound() -> None:
    guards = Safeguards(max_cpu=None, min_replicas=None)
    t = trace_of(deployment(container(requests={"cpu": "16"}), replicas=0))
    assert apply_action(t, Action("bump_cpu", "web"), safeguards=guards).changed
    assert guards.bounds("cpu") == (1, None)


def test_from_mapping_reads_any_key_spelling_and_keeps_defaults() -> None:
    guards = Safeguards.from_mapping(
        {"maxCpu": 8, "max-memory": "16Gi", "max_replicas": "20", "min_cpu": None}
    )
    assert guards == Safeguards(max_cpu="8", max_memory="16Gi", max_replicas=20, min_cpu=None)
    assert Safeguards.from_mapping(guards.to_dict()) == guards
    assert Safeguards.from_mapping({}) == DEFAULT_SAFEGUARDS


@pytest.mark.parametrize(
    ("data", "wording"),
    [
        ({"max_cpus": "8"}, "unknown safeguard 'max_cpus'. Did you mean 'max_cpu'"),
        ({"max_cpu": "8 cores"}, "safeguards: max_cpu: '8 cores': "),
        ({"max_memory": "-1Gi"}, "must be greater than or equal to 0"),
        ({"max_replicas": -3}, "max_replicas: -3: must be a whole number >= 0"),
        ({"max_replicas": 2.5}, "must be a whole number"),
        ({"min_cpu": "2", "max_cpu": "1"}, "min_cpu (2) is above max_cpu (1)"),
        ({"max_memory": True}, "must be a Kubernetes quantity"),
    ],
)
def test_bad_configuration_is_one_clear_error(data: Obj, wording: str) -> None:
    with pytest.raises(SimArenaError) as info:
        Safeguards.from_mapping(data)
    assert isinstance(info.value, SafeguardsError | UnknownNameError)
    assert wording in str(info.value)


# --- the pure check ---------------------------------------------------------------------------------


def test_check_gives_the_same_verdict_without_touching_the_trace() -> None:
    t = trace_of(deployment(container(requests={"cpu": "15.6"})))
    before = copy.deepcopy(t.events)
    verdict = check_action(t, Action("bump_cpu", "web"))
    assert verdict.blocked and not verdict.allowed and t.events == before
    assert verdict.message == apply_action(t, Action("bump_cpu", "web")).message
    (violation,) = verdict.violations
    assert violation.bound == "cap" and violation.limit == 16_000
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data["violations"] == [
        {
            "workload": "default/web",
            "container": "web",
            "field": "resources.requests.cpu",
            "resource": "cpu",
            "bound": "cap",
            "limit": "16",
            "value": "16100m",
        }
    ]


def test_check_allows_what_cannot_cross_a_bound() -> None:
    t = trace_of(deployment(container(requests={"cpu": "1"})))
    assert check_action(t, Action("bump_cpu", "web")).allowed
    assert check_action(t, Action("noop")).allowed
    assert check_action(t, Action("bump_cpu", "missing")).allowed  # nothing to judge; apply says not_found
    assert check_action(
        t, Action("bump_cpu", "web", amount="16"), safeguards=Safeguards(max_cpu=None)
    ).allowed
    assert check_action(t, Action("bump_cpu", "web", amount="16")).blocked


def test_violation_only_for_movement_away_from_the_range() -> None:
    guards = DEFAULT_SAFEGUARDS
    over = Proposal("default/web", "web", "cpu", "resources.requests.cpu", 20_000, 19_500)
    assert guards.violation(over) is None
    worse = Proposal("default/web", "web", "cpu", "resources.requests.cpu", 20_000, 20_500)
    found = guards.violation(worse)
    assert (
        found is not None and found.describe() == "default/web container web cpu would be 20500m, cap is 16"
    )
    removed = Proposal("default/web", "web", "cpu", "resources.limits.cpu", 1, None)
    assert guards.violation(removed) is None
