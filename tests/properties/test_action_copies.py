"""apply_action copies only what it edits (actions._edit_copy): the same traces, bytes, messages and
changes as editing a deep copy, and the input trace is never modified (hypothesis, differential)."""

from __future__ import annotations

import marshal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simarena import actions
from pytest_simarena.actions import Action, apply_action
from pytest_simarena.policies.space import DISCRETE_ACTIONS
from pytest_simarena.trace.generator import FAMILIES, generate_trace
from pytest_simarena.trace.io import dumps

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
