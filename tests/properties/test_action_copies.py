"""apply_action copies only what it edits (actions._edit_copy): the same traces, bytes, messages and
changes as editing a deep copy, and the input trace is never modified; its direct route for one applied
object gives exactly what the general planner gives (hypothesis, differential)."""

from __future__ import annotations

import marshal
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pytest_simarena import actions
from pytest_simarena.actions import Action, apply_action
from pytest_simarena.errors import ActionError, TraceError
from pytest_simarena.policies.space import DISCRETE_ACTIONS
from pytest_simarena.safeguards import DEFAULT_SAFEGUARDS, Safeguards
from pytest_simarena.strategies import actions as sim_actions
from pytest_simarena.strategies import traces as sim_traces
from pytest_simarena.trace.generator import FAMILIES, generate_trace
from pytest_simarena.trace.io import dumps
from pytest_simarena.trace.model import Trace

STEPS = st.lists(
    st.one_of(
        st.sampled_from(DISCRETE_ACTIONS),
        st.tuples(st.just("set_replicas"), st.integers(0, 6)),
        st.tuples(
            st.just("set_resources"),
            st.sampled_from(["cpu", "memory"]),
            st.sampled_from([None, "0", "1m", "250m", "1", "64Mi", "1Gi"]),
            st.sampled_from(["requests", "limits"]),
        ),
    ),
    min_size=1,
    max_size=8,
)


def _action(step: Any, workload: Any) -> Action:
    where = {"namespace": workload.namespace, "kind": workload.kind}
    if isinstance(step, str):
        return Action(step, workload.name, **where)
    if step[0] == "set_replicas":
        return Action("set_replicas", workload.name, replicas=step[1], **where)
    _, resource, value, which = step
    return Action("set_resources", workload.name, **{which: {resource: value}}, **where)  # type: ignore[arg-type]


def _deep(obj: dict[str, Any], pointer: str) -> dict[str, Any]:
    copied: dict[str, Any] = marshal.loads(marshal.dumps(obj))
    return copied


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=st.sampled_from(sorted(FAMILIES)), index=st.integers(0, 30), steps=STEPS)
def test_edit_copies_are_deep_copies(family: str, index: int, steps: list[Any]) -> None:
    trace = generate_trace(family, index % 5, index)
    workload = trace.workloads()[0]
    ours, theirs = trace, trace
    for step in steps:
        action = _action(step, workload)
        before = dumps(ours)
        got = apply_action(ours, action)
        assert dumps(ours) == before  # the input is untouched
        kept = actions._edit_copy
        actions._edit_copy = _deep  # type: ignore[assignment]
        try:
            want = apply_action(theirs, action)
        finally:
            actions._edit_copy = kept
        assert (got.status, got.message, got.changes, got.notes) == (
            want.status,
            want.message,
            want.changes,
            want.notes,
        )
        assert dumps(got.trace) == dumps(want.trace)
        assert got.trace.action_added == want.trace.action_added
        ours, theirs = got.trace, want.trace


GUARDS = st.sampled_from(
    [
        DEFAULT_SAFEGUARDS,
        Safeguards(
            max_cpu=None, max_memory=None, max_replicas=None, min_cpu=None, min_memory=None, min_replicas=None
        ),
        Safeguards(
            max_cpu="2", max_memory="1Gi", max_replicas=4, min_cpu="100m", min_memory="64Mi", min_replicas=1
        ),
    ]
)


def _same_result(trace: Trace, action: Action, guards: Safeguards) -> tuple[Any, bool]:
    """apply_action against the general planner on ``trace``: every part of the result, the new trace's
    bytes and action_added, the input untouched. Returns the result and whether the direct route ran."""
    before = dumps(trace)
    direct = actions._single_edit(trace, action) is not None
    got = apply_action(trace, action, safeguards=guards)
    want = actions._apply_planned(trace, action, guards)
    assert dumps(trace) == before
    assert (got.status, got.message, got.changes, got.notes) == (
        want.status,
        want.message,
        want.changes,
        want.notes,
    )
    assert (got.verdict and got.verdict.to_dict()) == (want.verdict and want.verdict.to_dict())
    assert (got.trace is trace) == (want.trace is trace)
    assert dumps(got.trace) == dumps(want.trace)
    assert marshal.dumps(got.trace.events, 2) == marshal.dumps(want.trace.events, 2)
    assert (got.trace.action_added, got.trace.notes) == (want.trace.action_added, want.trace.notes)
    return got, direct


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    trace=st.one_of(
        sim_traces(max_events=1, max_deployments=1),
        sim_traces(max_events=1, max_deployments=1, sparse=True),
        sim_traces(max_events=2, max_deployments=2),
        st.builds(generate_trace, st.sampled_from(sorted(FAMILIES)), st.integers(0, 5), st.integers(0, 30)),
    ),
    guards=GUARDS,
    data=st.data(),
)
def test_direct_single_object_edits_are_the_planned_ones(trace: Trace, guards: Safeguards, data: Any) -> None:
    """The direct route of apply_action (one applied object, values present and moved) gives exactly
    what the general planner gives, along random chains of actions (any type, named or missing
    containers and workloads, amounts, three sets of safeguards), on generated and strategy traces."""
    direct_steps = 0
    for _ in range(data.draw(st.integers(1, 8))):
        action = data.draw(sim_actions(trace))
        try:
            result, direct = _same_result(trace, action, guards)
        except (ActionError, TraceError) as exc:  # a malformed action or value: the planner raises
            with pytest.raises(type(exc)):
                actions._apply_planned(trace, action, guards)
            continue
        direct_steps += direct
        trace = result.trace
    event("direct route taken" if direct_steps else "direct route not taken")


@pytest.mark.parametrize("family", ["cpu-far-over", "multi-container", "replicas-under"])
def test_direct_route_leaves_created_fields_to_the_planner(family: str) -> None:
    """Fields an action created (spec.replicas, a container's resources) and removes again when brought
    back to the default go through the planner; everything else on the way is direct and the same."""
    trace = generate_trace(family, 0, 0).copy()
    obj = trace.events[0]["applied_objs"][0]
    obj["spec"].pop("replicas", None)
    for container in obj["spec"]["template"]["spec"]["containers"]:
        container.pop("resources", None)
    name = obj["metadata"]["name"]
    routes = []
    for kind in ("scale_up", "scale_up", "scale_down", "scale_down", "bump_cpu", "bump_cpu", "reduce_cpu"):
        result, direct = _same_result(trace, Action(kind, name), DEFAULT_SAFEGUARDS)
        assert result.status == "applied"
        routes.append(direct)
        trace = result.trace
    assert routes == [False, True, True, False, False, True, True]
    assert "replicas" not in trace.events[0]["applied_objs"][0]["spec"]
