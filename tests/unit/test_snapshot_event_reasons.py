"""ClusterSnapshot.may_hold_event: a fast-path step answers "no Preempted" without the engine replaying it."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from pytest_simarena.backends.protocol import ClusterSnapshot
from pytest_simarena.episode.loop import run_episode
from pytest_simarena.policies.preemption_fix import preemptor_fix
from pytest_simarena.trace.generator import generate_trace


@pytest.mark.parametrize("family", ["cpu-far-over", "replicas-over-capacity", "memory-far-over"])
@pytest.mark.parametrize("policy", ["heuristic", "vpa"])
def test_policies_read_no_fast_step_to_rule_out_preemption(family: str, policy: str) -> None:
    result = run_episode(generate_trace(family, 0, 0), policy, seed=3, max_steps=3)
    pending = [r.observation for r in result.steps if r.observation.pending]
    assert pending, "the trace has pending pods at some step"
    snapshots = [obs.snapshot for obs in pending]
    assert all(getattr(s, "fast", None) is not None for s in snapshots)
    # A fast step's API lists are built by the engine on first read: the policy did not read them.
    assert all(getattr(s, "_parts", None) is None for s in snapshots)
    assert not any(s.may_hold_event("Preempted") for s in snapshots)
    assert all(s.may_hold_event("FailedScheduling") for s in snapshots)
    for obs in pending:
        # The answer is the one the full snapshot gives: no Preempted event, so no action.
        plain = dataclasses.replace(obs, snapshot=copy.copy(obs.snapshot))
        assert type(plain.snapshot) is ClusterSnapshot
        assert plain.snapshot.may_hold_event("Preempted")
        assert not any(e.get("reason") == "Preempted" for e in plain.snapshot.events)
        assert preemptor_fix(obs, margin=0.25) is None
        assert preemptor_fix(plain, margin=0.25) is None


def test_an_engine_step_with_preemption_may_hold_it_and_the_fix_names_the_preemptor() -> None:
    result = run_episode(generate_trace("priority-preemption", 0, 1), "noop", seed=0, max_steps=1)
    obs = result.steps[0].observation
    assert obs.snapshot is not None and getattr(obs.snapshot, "fast", None) is None
    assert obs.snapshot.may_hold_event("Preempted")
    assert any(e.get("reason") == "Preempted" for e in obs.snapshot.events)
    action = preemptor_fix(obs, margin=0.25)
    assert action is not None and action.type == "set_resources" and action.workload != obs.workload.name
