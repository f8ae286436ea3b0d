"""Traces named by a token instead of the sha256 of their bytes (trace/keys.py), and what trusts them.

A value edit of the direct action route is named by its root and the values at the places
``actions.edit_values`` reads; its bytes and sha256 are made only when read. These tests check that a key
names one content (the same key never stands for two byte strings), that the direct route writes nowhere
else, and that a step record's ``trace_sha256`` reads as the sha256 of the trace it replayed.
"""

from __future__ import annotations

import copy
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pytest_simarena import actions
from pytest_simarena.actions import RESOURCE_ACTIONS, Action, apply_action, edit_values
from pytest_simarena.episode import observation
from pytest_simarena.episode.loop import apply_step_action, clear_step_memos, run_episode
from pytest_simarena.episode.results import PendingSha, StepRecord
from pytest_simarena.episode.runlog import trace_bytes
from pytest_simarena.safeguards import DEFAULT_SAFEGUARDS
from pytest_simarena.strategies import actions as sim_actions
from pytest_simarena.strategies import traces as sim_traces
from pytest_simarena.trace import keys
from pytest_simarena.trace.generator import FAMILIES, generate_trace
from pytest_simarena.trace.io import dumps, load_trace
from pytest_simarena.trace.model import Trace, gvk_of, template_path

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace"
TRACES = st.one_of(
    sim_traces(max_events=1, max_deployments=1),
    sim_traces(max_events=1, max_deployments=1, sparse=True),
    sim_traces(max_events=2, max_deployments=2),
    st.builds(generate_trace, st.sampled_from(sorted(FAMILIES)), st.integers(0, 5), st.integers(0, 30)),
)
SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _with_values(trace: Trace, values: tuple[Any, ...]) -> Trace:
    """A deep copy of ``trace`` with ``values`` written where edit_values reads them (written out here
    again, independently: a value that is None is left as it is)."""
    new = trace.copy()
    obj = new.events[0]["applied_objs"][0]
    if values[0] is not None:
        obj["spec"]["replicas"] = values[0]
    pointer = template_path(gvk_of(obj), new.config) or ""
    template = obj
    for part in [p for p in pointer.split("/") if p]:
        template = template[part]
    for container, four in zip(template["spec"]["containers"], values[1:], strict=True):
        if four is None:
            continue
        for (which, resource), value in zip(
            [("requests", "cpu"), ("limits", "cpu"), ("requests", "memory"), ("limits", "memory")],
            four,
            strict=True,
        ):
            if value is not None:
                container["resources"][which][resource] = value
    return new


@SETTINGS
@given(trace=TRACES, data=st.data())
def test_a_key_names_one_content(trace: Trace, data: Any) -> None:
    """Along random chains of any actions through apply_step_action: what apply_action gives, and every
    key names one content (see :class:`_Checked`)."""
    checked = _Checked(trace)
    for _ in range(data.draw(st.integers(1, 10))):
        checked.step(data.draw(sim_actions(checked.trace)))
    checked.report()


@SETTINGS
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    index=st.integers(0, 30),
    kinds=st.lists(st.sampled_from(["scale_up", "scale_down", *RESOURCE_ACTIONS]), min_size=4, max_size=24),
)
def test_remembered_answers_are_apply_actions(family: str, index: int, kinds: list[str]) -> None:
    """Long chains of scale and resources actions meet the same (action, values read) on traces that
    differ elsewhere: the remembered answer (actions.apply_action_known) is apply_action's."""
    checked = _Checked(generate_trace(family, index % 5, index))
    workload = checked.trace.workloads()[0]
    for kind in kinds:
        checked.step(Action(kind, workload.name, namespace=workload.namespace, kind=workload.kind))
    checked.report()


class _Checked:
    """An episode's chain of actions through apply_step_action, each checked against apply_action: the
    same status, message, changes, bytes, action_added and notes (also when the direct route's answer
    was remembered from another trace: actions.apply_action_known); every key stands for one byte
    string, a sha256 key is the sha256 of its bytes, a direct edit differs from its parent only at the
    places edit_values reads, a token's trace is its root with its values written in, and the observation's
    parts remembered by the key are the trace's."""

    def __init__(self, trace: Trace) -> None:
        clear_step_memos()
        data_bytes, self.sha = trace_bytes(trace)
        self.trace = trace
        self.seen: dict[str, bytes] = {self.sha: data_bytes}
        self.roots: dict[str, Trace] = {self.sha: trace}
        self.tokens = self.remembered = 0

    def step(self, action: Action) -> None:
        trace, sha = self.trace, self.sha
        try:
            routed, direct = actions.apply_action_routed(trace, action, safeguards=DEFAULT_SAFEGUARDS)
        except Exception as exc:  # a malformed action: apply_step_action raises the same
            with pytest.raises(type(exc)):
                apply_step_action(trace, sha, action, DEFAULT_SAFEGUARDS)
            return
        routes: list[int] = []
        single = actions._single_edit

        def counted(*args: Any) -> Any:
            routes.append(1)
            return single(*args)

        actions._single_edit = counted  # type: ignore[assignment]
        try:
            status, message, changes, nxt, new_bytes, nkey = apply_step_action(
                trace, sha, action, DEFAULT_SAFEGUARDS
            )
        finally:
            actions._single_edit = single  # type: ignore[assignment]
        self.remembered += direct and not routes
        assert (status, message) == (routed.status, routed.message)
        assert list(changes) == [c.to_dict() for c in routed.changes]
        assert (nxt is trace) == (routed.trace is trace)
        assert (nxt.action_added, nxt.notes) == (routed.trace.action_added, routed.trace.notes)
        real, real_sha = trace_bytes(nxt)
        assert real == dumps(routed.trace)
        if direct and nxt is not trace:
            before, after = edit_values(trace), edit_values(nxt)
            assert before is not None and after is not None
            assert dumps(_with_values(trace, after)) == real  # nothing written elsewhere
        if keys.is_token(nkey):
            self.tokens += 1
            assert new_bytes is None
            origin = keys._ORIGINS[nkey]
            assert dumps(_with_values(self.roots[origin[0]], origin[2])) == real
        else:
            assert nkey == real_sha
            self.roots.setdefault(nkey, nxt)
            if new_bytes is not None:
                assert new_bytes == real
        assert self.seen.setdefault(nkey, real) == real
        # The observation's trace parts, remembered by the key (views by its root and resources values).
        for workload in nxt.workloads():
            expected = (
                observation.desired_replicas(nxt, workload),
                observation.container_views(nxt, workload),
            )
            assert observation._trace_parts(nxt, workload, nkey) == expected
        self.trace, self.sha = nxt, nkey

    def report(self) -> None:
        event("tokens" if self.tokens else "no token")
        event("a remembered answer" if self.remembered else "no remembered answer")


def test_back_to_the_root_is_the_root() -> None:
    """A reduce then a bump (and a scale up then down) name the starting trace by its own sha256 (its
    memory request "2Gi" comes back as "2Gi"); a new content by a token, the same token each time, also
    with every memo and the registry forgotten in between (a token spells its content: it means the same
    in another process, where an env pickled mid-episode carries it)."""
    first: dict[str, str] = {}
    for _ in range(2):
        clear_step_memos()
        trace = load_trace(CANONICAL)
        sha = trace_bytes(trace)[1]
        name = trace.workloads()[0].name
        path = [("reduce_memory", True), ("bump_memory", False), ("scale_up", True), ("scale_down", False)]
        for kind, new in path * 2:
            step = apply_step_action(trace, sha, Action(kind, name), DEFAULT_SAFEGUARDS)
            _, _, _, trace, data, sha2 = step
            assert data is None and keys.is_token(sha2) == new, kind
            assert first.setdefault(kind, sha2) == sha2
            sha = sha2
        assert sha == trace_bytes(trace)[1]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**16), isolated=st.booleans(), family=st.sampled_from(["", *sorted(FAMILIES)]))
def test_records_read_the_sha256_of_their_trace(
    seed: int, isolated: bool, family: str, tmp_path_factory: Any
) -> None:
    """An episode's records read as those of the same episode with its run folder (where every trace is
    encoded): the sha256 of the trace each step replayed (a pending one read as the string: below)."""
    trace = load_trace(CANONICAL) if not family else generate_trace(family, seed % 5, seed % 31)
    clear_step_memos()
    plain = run_episode(trace, "random", max_steps=12, seed=seed, isolated=isolated)
    pending = [
        r for r in plain.steps if type(StepRecord.__dict__["trace_sha256"].slot.__get__(r)) is PendingSha
    ]
    clear_step_memos()
    logged = run_episode(
        trace, "random", max_steps=12, seed=seed, isolated=isolated, out_dir=tmp_path_factory.mktemp("run")
    )
    assert [(r.to_json(), r.trace_file) for r in plain.steps] == [
        ({**r.to_json(), "trace": {"file": None, "sha256": r.trace_sha256}}, None) for r in logged.steps
    ]
    event("pending sha256s" if pending else "no pending sha256")
    for record in plain.steps:
        assert type(record.trace_sha256) is str and len(record.trace_sha256) == 64


def test_a_pending_sha_reads_as_the_string() -> None:
    """A record holding a pending sha256 is the record holding the string: equal, repr, pickle,
    copy, replace and JSON; the slot keeps the string once read."""
    trace = load_trace(CANONICAL)
    real = trace_bytes(trace)[1]
    result = run_episode(trace, "noop", max_steps=1, seed=1)
    base = result.steps[0]
    fields = [getattr(base, name) for name in StepRecord.__slots__]
    pending = StepRecord(*fields[:-1], PendingSha(trace))  # type: ignore[arg-type]
    eager = StepRecord(*fields[:-1], real)
    assert repr(pending) == repr(eager)
    pending = StepRecord(*fields[:-1], PendingSha(trace))  # type: ignore[arg-type]
    assert pending == eager
    for make in (lambda r: pickle.loads(pickle.dumps(r)), copy.copy, copy.deepcopy):
        fresh = StepRecord(*fields[:-1], PendingSha(trace))  # type: ignore[arg-type]
        assert make(fresh) == eager and make(fresh).trace_sha256 == real
    fresh = StepRecord(*fields[:-1], PendingSha(trace))  # type: ignore[arg-type]
    assert fresh.to_json() == eager.to_json()
    assert StepRecord.__dict__["trace_sha256"].slot.__get__(fresh) == real  # kept once read


def test_a_remembered_answer_knows_created_replicas() -> None:
    """The direct route leaves a spec.replicas an action created (Trace.action_added) to the planner when
    it goes back to 1 (removed again): a trace of the same bytes without that mark has another answer,
    and neither is served for the other."""
    clear_step_memos()
    trace = generate_trace("replicas-under", 0, 0).copy()
    del trace.events[0]["applied_objs"][0]["spec"]["replicas"]
    name = trace.workloads()[0].name
    sha = trace_bytes(trace)[1]
    up, down = Action("scale_up", name), Action("scale_down", name)
    _, _, _, created, _, created_sha = apply_step_action(trace, sha, up, DEFAULT_SAFEGUARDS)  # planner
    assert created.action_added and not keys.is_token(created_sha)
    loaded = created.copy()
    loaded.action_added = frozenset()  # the same bytes, as after a save and a load
    apply_step_action(loaded, created_sha, up, DEFAULT_SAFEGUARDS)  # names created_sha's values
    for parent in (loaded, created, loaded, created):
        _, _, _, nxt, _, _ = apply_step_action(parent, created_sha, down, DEFAULT_SAFEGUARDS)
        assert dumps(nxt) == dumps(apply_action(parent, down).trace)
