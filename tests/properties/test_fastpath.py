"""The fast path (backends/embedded/fastpath.py) against the full engine (hypothesis, differential).

Random traces of the generator's families and of the trace strategy (one Deployment, sparse or full,
any notation, with usage and limits), random clusters, and random actions drive an episode twice, on a
reused (the default) or an isolated cluster: once as users run it (fast path on) and once with the fast
path off. Every step must give byte-identical records (observation, action, verdict, reward), workload
events, node views, snapshots when read, and the cluster's event log (so a step the fast path computes
leaves a reused cluster exactly as the engine would for the steps after it).
"""

from __future__ import annotations

import dataclasses
import json
import marshal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pytest_simarena.actions import Action, apply_action
from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster, NodeGroup, fastpath
from pytest_simarena.backends.embedded.pods import PodTemplate
from pytest_simarena.backends.embedded.versions import SUPPORTED
from pytest_simarena.episode.loop import apply_step_action, clear_step_memos, run_episode
from pytest_simarena.episode.observation import NodeView, fast_node_views
from pytest_simarena.episode.results import StepRecord
from pytest_simarena.episode.runlog import trace_bytes
from pytest_simarena.episode.target import intended_cluster
from pytest_simarena.policies.space import DISCRETE_ACTIONS
from pytest_simarena.safeguards import DEFAULT_SAFEGUARDS
from pytest_simarena.settings import ClusterSettings
from pytest_simarena.strategies import traces as sim_traces
from pytest_simarena.trace import keys
from pytest_simarena.trace.generator import FAMILIES, generate_trace
from pytest_simarena.trace.io import load_trace
from pytest_simarena.trace.model import Trace

SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
ROOT = Path(__file__).resolve().parents[2]
KWOK_TAINT = {"key": "kwok-provider", "value": "true", "effect": "NoSchedule"}


def _cluster(
    trace: Trace, seed: int, spec: ClusterSpec | str | None, *, fast: bool, isolated: bool
) -> EmbeddedCluster:
    if not isinstance(spec, ClusterSpec):  # the trace's intended cluster, at version ``spec``
        options = ClusterSettings().backend_options("embedded", intended=intended_cluster(trace))
        found = options.get("spec") or ClusterSpec.default()
        spec = dataclasses.replace(found, kubernetes_version=spec or found.kubernetes_version)
    cluster = EmbeddedCluster(spec, seed=seed, isolated=isolated)
    cluster.fast = fast
    return cluster


def _episode(
    trace: Trace,
    policy: str,
    seed: int,
    spec: ClusterSpec | str | None,
    *,
    fast: bool,
    read: bool,
    isolated: bool,
    max_steps: int = 8,
) -> tuple[list[str], int]:
    """Every step as JSON lines (record, events, nodes, event log and, with ``read``, the snapshot)."""
    clear_step_memos()
    cluster = _cluster(trace, seed, spec, fast=fast, isolated=isolated)
    out: list[str] = []
    fast_steps = 0

    def on_step(record: StepRecord) -> None:
        nonlocal fast_steps
        obs = record.observation
        fast_steps += hasattr(obs.snapshot, "fast")
        out.append(json.dumps(record.to_json(), sort_keys=True))
        out.append(repr([n for n in obs.nodes]))
        if read:
            out.append(json.dumps(list(obs.events), sort_keys=True))
            snap = obs.snapshot
            assert snap is not None
            out.append(
                json.dumps([snap.time, snap.nodes, snap.pods, snap.workloads, snap.events], sort_keys=True)
            )
            out.append("\n".join(cluster.event_log))

    result = run_episode(trace, policy, backend=cluster, seed=seed, max_steps=max_steps, on_step=on_step)
    out.append(json.dumps(result.summary_json(), sort_keys=True))
    if read:
        out.append("\n".join(cluster.event_log))
    return out, fast_steps


def _same(trace: Trace, policy: str, seed: int, spec: ClusterSpec | None, read: bool, isolated: bool) -> None:
    fast, fast_steps = _episode(trace, policy, seed, spec, fast=True, read=read, isolated=isolated)
    full, none = _episode(trace, policy, seed, spec, fast=False, read=read, isolated=isolated)
    assert none == 0
    event("fast path taken" if fast_steps else "fast path not taken")
    assert len(fast) == len(full)
    for i, (a, b) in enumerate(zip(fast, full, strict=True)):
        assert a == b, f"line {i} differs (fast steps: {fast_steps})"


@SETTINGS
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    index=st.integers(0, 50),
    seed=st.integers(0, 2**16),
    policy=st.sampled_from(["random", "heuristic", "noop", "vpa"]),
    read=st.booleans(),
    isolated=st.booleans(),
    version=st.sampled_from(SUPPORTED),
)
def test_generated_families_fast_equals_full(
    family: str, index: int, seed: int, policy: str, read: bool, isolated: bool, version: str
) -> None:
    _same(generate_trace(family, seed % 7, index), policy, seed, version, read, isolated)


@st.composite
def uniform_specs(draw: st.DrawFn) -> ClusterSpec:
    """One group of 1-5 KWOK-like nodes (the fast path's shape), sometimes a second group (fall back)."""
    groups = [
        NodeGroup(
            f"g{i}",
            draw(st.integers(1, 5)),
            f"{draw(st.integers(500, 32_000))}m",
            f"{draw(st.integers(256, 64 * 1024))}Mi",
            draw(st.integers(1, 12)),
            {"type": "virtual"},
            [KWOK_TAINT],
        )
        for i in range(draw(st.sampled_from([1, 1, 1, 2])))
    ]
    return ClusterSpec(groups, kubernetes_version=draw(st.sampled_from(SUPPORTED)))


@SETTINGS
@given(
    trace=sim_traces(max_events=1, max_deployments=1, lifecycles=False),
    spec=uniform_specs(),
    seed=st.integers(0, 2**16),
    policy=st.sampled_from(["random", "heuristic"]),
    isolated=st.booleans(),
)
def test_strategy_traces_fast_equals_full(
    trace: Trace, spec: ClusterSpec, seed: int, policy: str, isolated: bool
) -> None:
    _same(trace, policy, seed, spec, True, isolated)


def test_fast_path_covers_the_canonical_step() -> None:
    """The benchmark's trace takes the fast path (else the figures would measure the engine)."""
    from pytest_simarena.trace.catalog import find_trace
    from pytest_simarena.trace.io import load_trace

    trace = load_trace(find_trace("slightly-bad-cpu"))
    for isolated in (False, True):
        lines, fast_steps = _episode(trace, "random", 1, None, fast=True, read=False, isolated=isolated)
        assert fast_steps == 8
        assert lines


def test_long_reused_episode_fast_equals_full() -> None:
    """50 steps on one reused cluster, fast and engine steps mixed, read only at the end."""
    from pytest_simarena.trace.catalog import find_trace
    from pytest_simarena.trace.io import load_trace

    for name in ("slightly-bad-cpu", "mixed", "very-bad-memory"):
        trace = load_trace(find_trace(name))
        fast, _ = _episode(trace, "random", 5, None, fast=True, read=False, isolated=False, max_steps=50)
        full, _ = _episode(trace, "random", 5, None, fast=False, read=False, isolated=False, max_steps=50)
        assert fast == full


def test_reused_cluster_after_fast_steps_replays_lifecycles_as_the_engine() -> None:
    """Fast steps keep counting the pods of their workload (SimKube's pod sequence numbers), so a later
    replay whose lifecycle entries are picked by those numbers finishes the same pods as after the engine."""
    from pytest_simarena.action_model import Action
    from pytest_simarena.actions import apply_action
    from pytest_simarena.trace.catalog import find_trace
    from pytest_simarena.trace.io import load_trace

    fits = apply_action(
        load_trace(find_trace("slightly-bad-cpu")), Action("set_resources", "web", requests={"cpu": "1"})
    ).trace
    entries = [{"Finished": [0, 30]}, "Running"]  # 3 steps of 3 pods: the next pods are 9, 10, 11
    finishing = dataclasses.replace(
        fits, pod_lifecycles={("apps/v1.Deployment", "default/web"): {"h": entries}}
    )
    seen = []
    for fast in (True, False):
        clear_step_memos()
        cluster = EmbeddedCluster(seed=4)
        cluster.fast = fast
        taken = []
        for _ in range(3):
            taken.append(hasattr(cluster.run_trace(fits, "virtual", 120, cleanup=True), "fast"))
            cluster.cleanup("virtual")
        snap = cluster.run_trace(finishing, "virtual", 120, cleanup=True)
        assert not hasattr(snap, "fast")  # lifecycles: the engine
        seen.append(json.dumps([snap.pods, snap.events, cluster.event_log], sort_keys=True))
        assert taken == [fast] * 3
    assert seen[0] == seen[1]


@settings(max_examples=300, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(-5_000, 70_000), st.integers(-5_000, 70_000), st.integers(-3, 12)),
        min_size=1,
        max_size=30,
    ),
    other=st.integers(0, 9_000),
    target=st.integers(1, 12),
    hi=st.integers(1, 80_000),
)
def test_largest_size_is_the_binary_search(
    rows: list[tuple[int, int, int]], other: int, target: int, hi: int
) -> None:
    """The gym's features size requests with candidate sizes instead of a binary search: same answer."""
    from pytest_simarena.policies.builtin import _fits, largest_size

    if _fits(rows, 1, other) < target:
        return  # (the caller checks size 1 first)
    lo, top = 1, hi
    while lo < top:
        mid = (lo + top + 1) // 2
        if _fits(rows, mid, other) >= target:
            lo = mid
        else:
            top = mid - 1
    assert largest_size(rows, other, target, hi) == lo


def test_fast_results_pickle_as_plain_data() -> None:
    """An episode result with fast (lazy) snapshots and events pickles as the plain data it stands for
    (also the memo's lazy snapshots of isolated clusters, which did not pickle before)."""
    import pickle

    from pytest_simarena.trace.catalog import find_trace
    from pytest_simarena.trace.io import load_trace

    trace = load_trace(find_trace("slightly-bad-cpu"))
    for isolated in (False, True):
        clear_step_memos()
        result = run_episode(trace, "random", max_steps=4, seed=2, isolated=isolated)
        back = pickle.loads(pickle.dumps(result))
        for a, b in zip(result.steps, back.steps, strict=True):
            assert a.to_json() == b.to_json()
            assert list(a.observation.events) == list(b.observation.events)
            snap_a, snap_b = a.observation.snapshot, b.observation.snapshot
            assert snap_a is not None and snap_b is not None
            assert (snap_a.pods, snap_a.events) == (snap_b.pods, snap_b.events)


@SETTINGS
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    index=st.integers(0, 50),
    seed=st.integers(0, 6),
    actions=st.lists(
        st.sampled_from([*DISCRETE_ACTIONS, "set_replicas"]).flatmap(
            lambda kind: st.tuples(st.just(kind), st.integers(0, 12) if kind == "set_replicas" else st.none())
        ),
        min_size=1,
        max_size=6,
    ),
    other=st.lists(st.sampled_from([None, "image", "label", "env", "name"]), min_size=6, max_size=6),
)
def test_derived_plan_is_the_plan(
    family: str, index: int, seed: int, actions: list[tuple[str, int | None]], other: list[str | None]
) -> None:
    """fastpath.derive (the new trace of a scale or resources action planned from its parent's plan)
    gives exactly the plan _trace_plan computes from the new trace: every field, the virtual template
    byte for byte and every slot of the parsed template; it notes nothing for any other edit."""
    prefix, seconds = "virtual", 120.0
    trace, sha, workload = _planned(generate_trace(family, seed, index), prefix, seconds)
    for (kind, replicas), edit in zip(actions, other, strict=False):
        action = Action(
            kind, workload.name, namespace=workload.namespace, kind=workload.kind, replicas=replicas
        )
        result = apply_action(trace, action)
        if result.trace is trace:
            continue
        if edit is not None:  # an edit beside the action's: derive must decline it or plan it exactly
            result = dataclasses.replace(result, trace=_edited(result.trace, edit))
        nsha = trace_bytes(result.trace)[1]
        derived = fastpath.derive(trace, sha, result.trace, nsha, prefix, seconds)
        expected = fastpath._trace_plan(result.trace, prefix, seconds)
        if derived:
            event(f"derived ({'covered' if expected is not None else 'not covered'})")
            assert kind not in ("noop",)
            found = fastpath._PLANS.get((nsha, prefix, seconds))
            assert found is not None
            _same_plan(found[0], expected)
        else:
            fastpath._PLANS.put((nsha, prefix, seconds), (expected,))
        trace, sha = result.trace, nsha


@SETTINGS
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    index=st.integers(0, 50),
    seed=st.integers(0, 6),
    kinds=st.lists(st.sampled_from([*DISCRETE_ACTIONS, "scale_up", "scale_down"]), min_size=1, max_size=10),
)
def test_trusted_derived_plan_is_the_plan(family: str, index: int, seed: int, kinds: list[str]) -> None:
    """fastpath.derive without the proof walk (two keys of one root: keys.value_edit), also with the
    template lent by a plan of the same resources, gives exactly the plan _trace_plan computes from the
    real new trace, along random chains of actions."""
    prefix, seconds = "virtual", 120.0
    trace, sha, workload = _planned(generate_trace(family, seed, index), prefix, seconds)
    for kind in kinds:
        trace, sha, step = _derived_step(trace, sha, workload, kind, prefix, seconds)
        if step:
            event(step)


@pytest.mark.parametrize("family", ["multi-container", "replicas-under", "cpu-far-over", "cpu-slightly-over"])
def test_lent_templates_are_the_plans(family: str) -> None:
    """A resources edit back to resources planned before with another spec.replicas borrows that plan's
    template (fastpath._SIZED): the plan is still exactly _trace_plan's, container by container."""
    prefix, seconds = "virtual", 120.0
    steps = []
    for index in range(6):
        trace, sha, workload = _planned(generate_trace(family, 1, index), prefix, seconds)
        chain = ["reduce_memory", "scale_up", "bump_memory", "reduce_memory", "reduce_cpu", "scale_down"]
        for kind in [*chain, "bump_cpu", "reduce_cpu"]:
            trace, sha, step = _derived_step(trace, sha, workload, kind, prefix, seconds)
            steps.append(step)
    assert "resized, lent" in steps


def _derived_step(
    trace: Trace, sha: str, workload: Any, kind: str, prefix: str, seconds: float
) -> tuple[Trace, str, str]:
    """One action through apply_step_action and its new trace's plan through fastpath.derive (trusting
    two keys of one root), checked against _trace_plan: the new trace, its key and what derive did."""
    action = Action(kind, workload.name, namespace=workload.namespace, kind=workload.kind)
    _, _, _, nxt, _, nkey = apply_step_action(trace, sha, action, DEFAULT_SAFEGUARDS)
    if nxt is trace:
        return trace, sha, ""
    edit = keys.value_edit(sha, nkey)
    step = "walked" if edit is None else "trusted"
    if fastpath._PLANS.get((nkey, prefix, seconds)) is not None:
        step = "planned before"
    elif edit is not None and edit[1][1:] != edit[2][1:]:
        lent = (edit[0], prefix, seconds, edit[2][1:]) in fastpath._SIZED
        step = "resized, lent" if lent else "resized, nothing lent"
    if not fastpath.derive(trace, sha, nxt, nkey, prefix, seconds, edit=edit) and step != "planned before":
        step = "not derived"
    expected = fastpath._trace_plan(nxt, prefix, seconds)
    found = fastpath._PLANS.get((nkey, prefix, seconds))
    if found is None:
        fastpath._PLANS.put((nkey, prefix, seconds), (expected,))
    else:  # derived now, or earlier under the same key
        _same_plan(found[0], expected)
    return nxt, nkey, step


def _planned(trace: Trace, prefix: str, seconds: float) -> tuple[Trace, str, Any]:
    """Cold memos, ``trace`` planned under its sha256: (trace, sha256, its first workload)."""
    clear_step_memos()
    sha = trace_bytes(trace)[1]
    fastpath._PLANS.put((sha, prefix, seconds), (fastpath._trace_plan(trace, prefix, seconds),))
    return trace, sha, trace.workloads()[0]


def _edited(trace: Trace, edit: str) -> Trace:
    """A copy of ``trace`` with one more edit in its first object's pod template."""
    new = trace.copy()
    template = new.events[0]["applied_objs"][0]["spec"]["template"]
    container = template["spec"]["containers"][0]
    if edit == "image":
        container["image"] = f"{container.get('image')}-2"
    elif edit == "env":
        container["env"] = [{"name": "X", "value": "1"}]
    elif edit == "name":
        container["name"] = f"{container['name']}x"
    else:
        template.setdefault("metadata", {}).setdefault("labels", {})["extra"] = "1"
    return new


def _same_plan(got: Any, want: Any) -> None:
    """Two plans are equal field by field, templates byte for byte (key order too), parses slot by slot."""
    if want is None or got is None:
        assert got is None and want is None
        return
    fields = ("obj", "name", "namespace", "replicas", "rs_name", "requests", "shape", "original_namespace")
    for name in fields:
        assert getattr(got, name) == getattr(want, name), name
    assert marshal.dumps(got.obj, 2) == marshal.dumps(want.obj, 2)
    assert marshal.dumps(got.template, 2) == marshal.dumps(want.template, 2)
    for slot in PodTemplate.__slots__:
        if slot == "content_key":  # the parse cache's key (a derived parse is not cached), not parsed
            continue
        a, b = getattr(got.tmpl, slot), getattr(want.tmpl, slot)
        assert a == b, slot
        assert repr(a) == repr(b), slot


def test_resource_actions_are_derived_on_the_canonical_trace() -> None:
    """A bump and a reduce of each resource (and a scale) on the canonical step's trace are planned
    from the parent's plan, not from scratch."""
    clear_step_memos()
    prefix, seconds = "virtual", 120.0
    trace = load_trace(ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace")
    sha = trace_bytes(trace)[1]
    fastpath._PLANS.put((sha, prefix, seconds), (fastpath._trace_plan(trace, prefix, seconds),))
    name = trace.workloads()[0].name
    for kind in ("reduce_cpu", "bump_memory", "scale_up", "reduce_memory", "reduce_cpu", "scale_down"):
        result = apply_action(trace, Action(kind, name))
        assert result.status == "applied", result.message
        nsha = trace_bytes(result.trace)[1]
        assert fastpath.derive(trace, sha, result.trace, nsha, prefix, seconds), kind
        found = fastpath._PLANS.get((nsha, prefix, seconds))
        assert found is not None and found[0] is not None
        _same_plan(found[0], fastpath._trace_plan(result.trace, prefix, seconds))
        trace, sha = result.trace, nsha


@settings(max_examples=200, deadline=None)
@given(
    nodes=st.lists(
        st.tuples(
            st.sampled_from(["node-0", "node-1", "node-2", "big"]),
            *(st.integers(0, 2**40) for _ in range(6)),
        ),
        max_size=4,
    ),
    repeat=st.integers(1, 3),
)
def test_fast_node_views_are_built_afresh(nodes: list[tuple[Any, ...]], repeat: int) -> None:
    """observation.fast_node_views remembers the NodeViews of a fast replay's nodes: every call gives
    what building them afresh gives."""
    fast_nodes = tuple(fastpath.FastNode(*n) for n in nodes)
    for _ in range(repeat):
        assert fast_node_views(fast_nodes) == tuple(NodeView(*n) for n in fast_nodes)


@SETTINGS
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    index=st.integers(0, 50),
    workload=st.sampled_from(["", "app", "web", "*"]),
    namespace=st.sampled_from([None, "default", "other"]),
    kind=st.sampled_from([None, "Deployment", "StatefulSet"]),
)
def test_noop_step_action_is_apply_action(
    family: str, index: int, workload: str, namespace: str | None, kind: str | None
) -> None:
    """apply_step_action answers a noop without planning: the same status, message, changes and trace as
    apply_action gives, whatever the trace and the workload named."""
    trace = generate_trace(family, 0, index)
    sha = trace_bytes(trace)[1]
    action = Action("noop", workload, namespace=namespace, kind=kind)
    result = apply_action(trace, action)
    status, message, changes, nxt, data, nsha = apply_step_action(trace, sha, action, DEFAULT_SAFEGUARDS)
    assert (status, message, changes, data, nsha) == (str(result.status), result.message, (), None, sha)
    assert nxt is trace and result.trace is trace and not result.changes


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    plan=st.lists(
        st.tuples(st.sampled_from([None, *DISCRETE_ACTIONS]), st.sampled_from(["", "uid", "token", "state"])),
        min_size=1,
        max_size=12,
    ),
    renew=st.sampled_from([1, 40, 200, fastpath.MARK_WORDS]),
)
def test_snapshots_read_late_after_counted_draws(
    seed: int, plan: list[tuple[str | None, str]], renew: int
) -> None:
    """A reused cluster's fast steps note the generator's state once and count the words drawn since
    (fastpath.RngMark): every step's snapshot, read only after all the steps, is the engine's, also when
    something else draws from the generator between steps (a hook, say) or reads its state, and whatever
    the renewal threshold."""
    kept, fastpath.MARK_WORDS = fastpath.MARK_WORDS, renew
    try:
        seen = [_late_reads(seed, plan, fast) for fast in (True, False)]
    finally:
        fastpath.MARK_WORDS = kept
    assert seen[0] == seen[1]


def _late_reads(seed: int, plan: list[tuple[str | None, str]], fast: bool) -> tuple[Any, ...]:
    import random

    from pytest_simarena.trace.catalog import find_trace
    from pytest_simarena.trace.io import load_trace

    clear_step_memos()
    trace = load_trace(find_trace("slightly-bad-cpu"))
    cluster = EmbeddedCluster(seed=seed)
    cluster.fast = fast
    snaps, kinds, draws = [], [], []
    for action, between in plan:
        snap = cluster.run_trace(trace, "virtual", 120, cleanup=True)
        kinds.append(hasattr(snap, "fast"))
        snaps.append(snap)
        cluster.cleanup("virtual")
        if between == "uid":
            draws.append(cluster.clock.uid())
        elif between == "token":
            draws.append(cluster.clock.token(5, "abcdef"))
        elif between == "state":
            draws.append(str(hash(cluster.clock.rng.getstate())))
        if action is not None:
            trace = apply_action(trace, Action(action, "web")).trace
        rng: Any = cluster.clock.rng  # the generator, or one mark standing for it (never a chain)
        assert type(getattr(rng, "real", rng)) is random.Random
    assert kinds[0] == fast and (fast or not any(kinds))
    reads = [json.dumps([s.time, s.nodes, s.pods, s.workloads, s.events], sort_keys=True) for s in snaps]
    return (reads, draws, cluster.event_log[:], cluster.clock.rng.getstate())


@settings(max_examples=40, deadline=None)
@given(
    spec=uniform_specs(),
    cpu=st.sampled_from(["100m", "500m", "1", "2500m", "7"]),
    replicas=st.integers(0, 12),
    seeds=st.lists(st.integers(0, 2**32), min_size=1, max_size=12),
)
def test_scheduling_looked_up_is_the_scheduling_decided(
    spec: ClusterSpec, cpu: str, replicas: int, seeds: list[int]
) -> None:
    """A step's scheduling is looked up by its situation and the picks drawn (fastpath._schedule): over
    repeated steps (hits, misses part way, new situations as the node order moves) it decides exactly
    what deciding afresh with the generator's randrange decides, and counts the words it drew."""
    import random

    from pytest_simarena.trace.catalog import find_trace
    from pytest_simarena.trace.io import load_trace

    clear_step_memos()
    trace = load_trace(find_trace("slightly-bad-cpu"))
    trace = apply_action(
        trace, Action("set_resources", "web", requests={"cpu": cpu}, limits={"cpu": None})
    ).trace
    trace = apply_action(trace, Action("set_replicas", "web", replicas=replicas)).trace
    cluster = EmbeddedCluster(spec, seed=0)
    plan = fastpath._plan(cluster, trace, "virtual", 120.0)
    if plan is None:
        return  # (not covered on this cluster: two node shapes, say)
    scheduler = cluster.scheduler
    nodes = list(scheduler.nodes.values())
    for seed in seeds:
        ours, theirs, counted = random.Random(seed), random.Random(seed), random.Random(seed)
        start = tuple(
            (state, tuple(nodes.index(n) for n in bucket)) for state, bucket in plan.shape.buckets.items()
        )
        placed, words = fastpath._schedule(plan, ours.getrandbits, scheduler, nodes)
        expected = fastpath._decide(
            plan.tmpl,
            plan.shape,
            scheduler.beyond_node(plan.tmpl, plan.shape),
            scheduler.version,
            len(nodes),
            plan.replicas,
            start,
            theirs.randrange,
        )
        assert placed == expected
        if words:
            counted.getrandbits(32 * words)
        assert ours.getstate() == theirs.getstate() == counted.getstate()
        # The next step starts from the order the releases left (as fast_step writes it back).
        plan.shape.buckets.clear()
        for state, indices in placed.released:
            plan.shape.buckets[state] = [nodes[i] for i in indices]


@settings(max_examples=20, deadline=None)
@given(
    family=st.sampled_from(sorted(FAMILIES)),
    index=st.integers(0, 30),
    step=st.integers(0, 99),
    isolated=st.booleans(),
)
def test_restamp_is_replace(family: str, index: int, step: int, isolated: bool) -> None:
    """observation.restamp (how the loop stamps a memoized observation) is dataclasses.replace of step,
    history and snapshot: every field equal, the snapshot the one given."""
    from pytest_simarena.episode.observation import HistoryEntry, restamp

    result = run_episode(
        generate_trace(family, 0, index), "random", max_steps=3, seed=index, isolated=isolated
    )
    history = (HistoryEntry(0, "noop", False, 1.0),)
    for record in result.steps:
        obs = record.observation
        for snapshot in (None, obs.snapshot):
            got = restamp(obs, step, history, snapshot)
            want = dataclasses.replace(obs, step=step, history=history, snapshot=snapshot)
            assert got == want and got.snapshot is snapshot
            assert all(getattr(got, f.name) is getattr(want, f.name) for f in dataclasses.fields(want))


def test_reused_cluster_copies_after_fast_steps_continue_as_the_engine() -> None:
    """A reused cluster deep-copied after fast steps (its clock holds a generator mark) copies, and the
    copy and the original each continue exactly as an engine cluster copied at the same point."""
    import copy

    from pytest_simarena.trace.catalog import find_trace
    from pytest_simarena.trace.io import load_trace

    trace = load_trace(find_trace("slightly-bad-cpu"))
    bumped = apply_action(trace, Action("bump_cpu", "web")).trace
    seen = []
    for fast in (True, False):
        clear_step_memos()
        cluster = EmbeddedCluster(seed=7)
        cluster.fast = fast
        for _ in range(3):
            cluster.run_trace(trace, "virtual", 120, cleanup=True)
            cluster.cleanup("virtual")
        twin = copy.deepcopy(cluster)
        runs = []
        for each in (cluster, twin, cluster, twin):
            snap = each.run_trace(bumped, "virtual", 120, cleanup=True)
            runs.append(json.dumps([snap.pods, snap.events], sort_keys=True))
            each.cleanup("virtual")
        runs.extend(["\n".join(cluster.event_log), "\n".join(twin.event_log)])
        assert runs[0] == runs[1] and runs[2] == runs[3]
        seen.append(runs)
    assert seen[0] == seen[1]


@SETTINGS
@given(seconds=st.floats(0, 600), prefix=st.sampled_from(["virtual", "p-1"]))
def test_step_snapshot_is_the_constructed_one(seconds: float, prefix: str) -> None:
    """FastSnapshot.of_step (a fast step's shortcut, always with its shadow replay) sets every slot the
    constructor sets, to the same values (a slot left unset or set differently fails here)."""
    outcome = fastpath.FastOutcome("Deployment", "default", "web", 1, 1, None, ())
    shadow = object()
    made = fastpath.FastSnapshot(seconds, prefix, fast=outcome, full=shadow)
    quick = fastpath.FastSnapshot.of_step(seconds, prefix, outcome, shadow)
    missing = object()
    names = [n for cls in type(made).__mro__ for n in getattr(cls, "__slots__", ())]
    assert names
    for name in names:
        assert getattr(quick, name, missing) == getattr(made, name, missing), name


@settings(max_examples=40, deadline=None)
@given(
    seed=st.one_of(st.integers(-(2**70), 2**70), st.text(max_size=8)),
    counts=st.lists(st.integers(1, 4), min_size=1, max_size=3),
    draws=st.integers(0, 3),
)
def test_pristine_generator_noted_once_is_the_built_one(seed: Any, counts: list[int], draws: int) -> None:
    """A cluster built from the noted pristine state (by seed and node count) holds the generator the
    building drew, and its first fast step counts from there exactly, also after foreign draws."""
    from pytest_simarena.backends.embedded import cluster as cluster_module

    groups = [
        NodeGroup(f"g{i}", count, "16", "32Gi", labels={"type": "virtual"}) for i, count in enumerate(counts)
    ]
    spec = ClusterSpec(groups)
    cluster_module._PRISTINE_RNG.clear()
    first = EmbeddedCluster(spec, seed=seed)  # the state is read from the generator
    again = EmbeddedCluster(spec, seed=seed)  # the state is the noted one
    assert first.pristine_rng == again.pristine_rng == again.clock.rng.getstate()
    other = EmbeddedCluster(ClusterSpec([*groups, NodeGroup("x", 1, "16", "32Gi")]), seed=seed)
    assert other.pristine_rng == other.clock.rng.getstate() != again.pristine_rng
    from pytest_simarena.trace.catalog import find_trace
    from pytest_simarena.trace.io import load_trace

    trace = load_trace(find_trace("slightly-bad-cpu"))
    engine = EmbeddedCluster(seed=seed)
    engine.fast = False
    fast = EmbeddedCluster(seed=seed)
    for cluster in (engine, fast):
        for _ in range(draws):  # a foreign draw before the first step (the mark steps aside)
            cluster.clock.rng.random()
    views = []
    for cluster in (engine, fast):
        for _ in range(2):
            snap = cluster.run_trace(trace, "virtual", 120.0, cleanup=True)
            assert hasattr(snap, "fast") == (cluster is fast)
            views.append(json.dumps([snap.pods, snap.events], sort_keys=True))
            cluster.cleanup("virtual")
    assert views[:2] == views[2:]
    assert engine.clock.rng.getstate() == fast.clock.rng.getstate()
    assert engine.event_log == fast.event_log


_VALUES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5))


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_built_records_are_the_constructed_ones(data: st.DataObject) -> None:
    """episode.frozen.builder's instances (Observation, StepRecord, StepOutcome, HistoryEntry: built per
    step) are instances of the frozen class equal to the constructor's, field by field, hash, repr and
    pickle alike, and as frozen."""
    import pickle

    from pytest_simarena.episode.frozen import builder
    from pytest_simarena.episode.observation import HistoryEntry, Observation
    from pytest_simarena.reward_types import StepOutcome

    for cls in (Observation, StepRecord, StepOutcome, HistoryEntry):
        names = [f.name for f in dataclasses.fields(cls)]
        values = data.draw(st.lists(_VALUES, min_size=len(names), max_size=len(names)))
        built, made = builder(cls)(*values), cls(*values)
        assert type(built) is cls
        for name in names:
            assert getattr(built, name) == getattr(made, name), name
        assert built == made and repr(built) == repr(made) and hash(built) == hash(made)
        assert pickle.loads(pickle.dumps(built)) == made
        assert dataclasses.replace(built) == made
        try:
            setattr(built, names[0], 1)
        except dataclasses.FrozenInstanceError:
            pass
        else:
            raise AssertionError(f"{cls.__name__}: a built instance is not frozen")


def test_builder_refuses_what_it_cannot_build() -> None:
    from pytest_simarena.episode.frozen import builder
    from pytest_simarena.episode.results import EpisodeResult  # (a field with a default factory is fine)

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            pass

    for cls in (NoSlots, Checked, StepRecord.__mro__[-1]):
        try:
            builder(cls)
        except TypeError:
            continue
        raise AssertionError(f"{cls!r} was accepted")
    assert builder(EpisodeResult) is not None
