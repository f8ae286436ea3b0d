"""The step loop: replay the current trace, observe, let the policy act, apply, score, log.

One step (``run_step``), whatever the backend::

    prepare(prefix) -> hooks pre_start, pre_run -> start(trace) -> advance(step seconds) -> observe
    -> policy.act -> apply_action (safeguards decide: applied / unchanged / blocked / not_found)
    -> next trace appended to the run folder -> reward -> log -> hooks post_run -> cleanup(prefix)

An episode (``run_episode``) chains steps, each replaying the trace the previous one produced, until the
workload is healthy for ``hold`` consecutive observations (solved) or ``max_steps`` steps ran. A step that
fails (bad trace, policy error, backend error) ends the episode with ``EpisodeResult.error`` set; the last
good trace stays in the run folder. ``post_stop`` hooks run once at the end.
"""

from __future__ import annotations

import dataclasses
import sys
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_simarena import settings as settings_table
from pytest_simarena.actions import (
    NOOP_MESSAGE,
    Action,
    apply_action_known,
    apply_action_routed,
    edit_values,
)
from pytest_simarena.actions import clear as clear_action_answers
from pytest_simarena.backends.embedded import fastpath
from pytest_simarena.backends.embedded.memo import LRU
from pytest_simarena.backends.protocol import DEFAULT_PREFIX, ClusterBackend, ClusterSnapshot
from pytest_simarena.bounded import BoundedDict
from pytest_simarena.errors import SimArenaError
from pytest_simarena.policies.registry import make_policy
from pytest_simarena.rewards import StepOutcome, make_reward
from pytest_simarena.safeguards import DEFAULT_SAFEGUARDS, Safeguards
from pytest_simarena.settings import ClusterSettings, EpisodeSettings
from pytest_simarena.trace.keys import clear as clear_trace_keys
from pytest_simarena.trace.keys import edited_key, origin, value_edit
from pytest_simarena.trace.model import Trace, WorkloadRef

from .frozen import builder
from .observation import HistoryEntry, Observation, build_observation, clear_trace_parts, restamp
from .results import EpisodeResult, PendingSha, StepRecord, new_record
from .runlog import RunLog, trace_bytes, trace_file_name
from .target import default_target, intended_cluster, resolve_workload

if TYPE_CHECKING:
    from pytest_simarena.policies.protocol import Policy
    from pytest_simarena.rewards import Reward

DEFAULT_STEP_SECONDS: float = settings_table.get("step_seconds").default
DEFAULT_MAX_STEPS: int = settings_table.get("max_steps").default


class StepError(SimArenaError):
    """A step failed; the message says which step, which phase and why.

    ``observation`` is set when the failure came after the cluster was observed (policy, action, reward).
    """

    observation: Observation | None = None


@dataclass(slots=True)
class StepContext:
    """What a step needs besides the trace (kept together so ``run_step`` stays readable)."""

    backend: ClusterBackend
    policy: Policy
    reward: Reward
    workload: WorkloadRef
    target: int
    prefix: str = DEFAULT_PREFIX
    step_seconds: float = DEFAULT_STEP_SECONDS
    safeguards: Safeguards = DEFAULT_SAFEGUARDS
    history: list[HistoryEntry] = field(default_factory=list)
    # The last action's new trace with its bytes and sha256 (so the loop does not encode it again).
    next_bytes: tuple[Trace, bytes | None, str] | None = None


def observe_trace(ctx: StepContext, trace: Trace, step: int, *, key: str | None = None) -> Observation:
    """Replay ``trace`` from scratch for ``step_seconds`` and observe (no action); the caller cleans the
    prefix up right after (``run_trace(..., cleanup=True)``).

    ``key`` is the sha256 of the trace's bytes when the caller has it (a memoizing backend uses it).
    """
    backend = ctx.backend
    try:
        run_trace = getattr(backend, "run_trace", None)
        if run_trace is not None:  # the same sequence in one call (the embedded cluster may memoize it)
            # Every caller cleans the prefix up right after observing (run_step, the RL env).
            snapshot = run_trace(trace, ctx.prefix, ctx.step_seconds, key=key, cleanup=True)
        else:
            backend.prepare(ctx.prefix)
            backend.run_hooks("pre_start")
            backend.run_hooks("pre_run")
            backend.start(trace, ctx.prefix)
            backend.advance(ctx.step_seconds)
            snapshot = backend.observe(ctx.prefix)
    except SimArenaError as exc:
        raise StepError(f"step {step}: {getattr(backend, 'name', 'backend')} backend failed: {exc}") from exc
    except Exception as exc:  # the backend is third-party code too: report, never crash the run
        raise StepError(
            f"step {step}: {getattr(backend, 'name', 'backend')} backend raised {type(exc).__name__}: {exc}"
        ) from exc
    try:
        return _observation(ctx, snapshot, trace, step, key)
    except SimArenaError as exc:
        raise StepError(f"step {step}: cannot read the trace being replayed: {exc}") from exc


# An observation is a function of the snapshot, the trace, the workload and the target (plus the step and
# history it is stamped with): a memoized replay (its snapshot has a ``memo_key``) reuses its summary.
_OBSERVATIONS: LRU[Observation] = LRU(1024)
# apply_action is a function of the trace's bytes, its in-memory notes and action_added, the action and
# the safeguards: (status, message, changes, next trace, next trace's bytes and sha256). As many as the
# plans: random episodes from one trace meet ~2,800 pairs in 11,500 steps, and at 1,024 entries the memo
# recomputed evicted pairs over and over (173 -> 119 us per step over those 400 episodes).
# The next trace is kept only when applied (a hit returns the step's own trace otherwise), and one
# object per next trace: random steps reach each next trace by ~2 pairs (scale_up from 3 replicas and
# scale_down from 5 meet at 4), each made afresh with its own edited dicts (~2 KB).
_ACTIONS: LRU[tuple[str, str, tuple[dict[str, Any], ...], Trace | None, bytes | None, str]] = LRU(4096)
# Next traces by (key, and what the bytes leave out: path, notes, action_added): equal ones are one value,
# while one lives (weakly: a trace whose pairs left the memo is not kept for a later equal one).
_NEXT: weakref.WeakValueDictionary[tuple[Any, ...], Trace] = weakref.WeakValueDictionary()


# The per-step frozen records, built without their __init__'s per-field cost (frozen.py).
_NEW_OUTCOME = builder(StepOutcome)
_NEW_ENTRY = builder(HistoryEntry)


def clear_step_memos() -> None:
    """Forget every memoized replay, observation and action, and the step lines' cached JSON fragments
    (benchmarks start each figure cold)."""
    from pytest_simarena.backends.embedded.memo import REPLAYS

    from .jsonline import clear as clear_step_lines

    REPLAYS.clear()
    fastpath.clear()
    _OBSERVATIONS.clear()
    clear_trace_parts()
    _ACTIONS.clear()
    _NEXT.clear()
    _CHANGES.clear()
    _TEMPLATES.clear()
    _NOTED.clear()
    clear_trace_keys()
    clear_action_answers()
    clear_step_lines()


def _observation(
    ctx: StepContext, snapshot: ClusterSnapshot, trace: Trace, step: int, key: str | None = None
) -> Observation:
    memo_key = getattr(snapshot, "memo_key", None)
    if memo_key is None:
        return build_observation(
            snapshot,
            trace=trace,
            workload=ctx.workload,
            target=ctx.target,
            step=step,
            history=ctx.history,
            trace_key=key,
        )
    observed = (memo_key, ctx.workload, ctx.target)
    core = _OBSERVATIONS.get(observed)
    if core is None:
        core = build_observation(
            snapshot, trace=trace, workload=ctx.workload, target=ctx.target, trace_key=key
        )
        _OBSERVATIONS.put(observed, restamp(core, core.step, core.history, None))  # no decoded snapshot
    return restamp(core, step, tuple(ctx.history), snapshot)


def apply_step_action(
    trace: Trace, sha: str, action: Action, safeguards: Safeguards
) -> tuple[str, str, tuple[dict[str, Any], ...], Trace, bytes | None, str]:
    """``apply_action`` for a step: (status, message, changes, next trace, its bytes or None, its key);
    repeats of (trace key, action, safeguards) come from a memo. The key is the sha256 of the bytes, or
    for a value edit of the direct route a token of trace/keys.py (its bytes are then not made: None)."""
    if action.type == "noop":  # apply_action's answer to a noop, whatever the trace (no plan, no memo key)
        return "unchanged", NOOP_MESSAGE, (), trace, None, sha
    key: Any = (sha, trace.action_added, tuple(trace.notes), action, safeguards)
    try:
        found = _ACTIONS.get(key)
    except TypeError:  # an action carrying resource maps: its repr names every compared field exactly
        key = (sha, trace.action_added, tuple(trace.notes), repr(action), safeguards)
        found = _ACTIONS.get(key)
    if found is not None:
        status, message, changes, kept, data, nsha = found
        # (apply_action's new trace only when applied)
        return status, message, tuple(dict(c) for c in changes), trace if kept is None else kept, data, nsha
    known = origin(sha)
    after: tuple[Any, ...] | None = None
    if known is not None:  # the direct route's answer by what it reads, remembered across traces
        result, direct, after = apply_action_known(trace, action, safeguards, *known)
    else:
        result, direct = apply_action_routed(trace, action, safeguards=safeguards)
    new_data: bytes | None = None
    nsha = sha
    if result.trace is not trace:
        # A value edit of the direct route is named by its parent's root and its values (trace/keys.py):
        # its bytes and sha256 are made only when read.
        named = edited_key(sha, trace, result.trace, edit_values, after) if direct else None
        if named is None:
            new_data, nsha = trace_bytes(result.trace)
        else:
            nsha = sys.intern(named)  # (one object for every memo it keys: each made it afresh)
    nxt: Trace | None = None
    if result.status == "applied":
        nxt = result.trace
        shared = (nsha, nxt.path, tuple(nxt.notes), nxt.action_added)
        same = _NEXT.get(shared)
        if same is None:
            _NEXT[shared] = nxt
            _share_template(trace, nxt, nsha)
        else:
            nxt = same
    # (Messages recur across traces: "replicas would be -1" from every trace at 0 replicas.)
    entry = (str(result.status), sys.intern(str(result.message or "")), _changes(result), nxt, new_data, nsha)
    _ACTIONS.put(key, entry)
    out = result.trace if nxt is None else nxt
    return entry[0], entry[1], tuple(dict(c) for c in entry[2]), out, new_data, nsha


# Pod templates of next traces by (root, the resources values): a key names its content (trace/keys.py),
# and the template holds every value but spec.replicas, so the ~3 next traces of one resources (other
# replicas) are equal there; each was made with its own copies (~1.2 KB).
_TEMPLATES: BoundedDict[tuple[str, Any], Any] = BoundedDict(4096)


def _single_spec(trace: Trace) -> Any:
    objs = trace.events[0].get("applied_objs") if len(trace.events) == 1 else None
    if type(objs) is not list or len(objs) != 1 or type(objs[0]) is not dict:
        return None
    return objs[0].get("spec")


def _share_template(parent: Trace, trace: Trace, key: str) -> None:
    """Put the remembered equal pod template into ``trace`` (just made: its spec is its own copy)."""
    known = origin(key)
    spec = _single_spec(trace) if known is not None else None
    if known is None or type(spec) is not dict or spec is _single_spec(parent):
        return
    template = spec.get("template")
    if type(template) is not dict:
        return
    slot = (known[0], known[1][1:])
    found = _TEMPLATES.get(slot)
    if found is None:
        _TEMPLATES[slot] = template
    elif found is not template:
        spec["template"] = found


# The fields a derived plan may differ in (fastpath.derive checks the traces themselves).
_DERIVED = frozenset(
    {"spec.replicas", *(f"resources.{w}.{r}" for w in ("requests", "limits") for r in ("cpu", "memory"))}
)


def note_scaled(
    ctx: StepContext, trace: Trace, sha: str, changes: tuple[dict[str, Any], ...], nxt: Trace, nsha: str
) -> None:
    """After a scale or resources action (only spec.replicas or containers' resources changed): the
    embedded fast path plans the new trace from the old one's plan (``fastpath.derive``, which checks
    that nothing else differs). Once per (trace, new trace, prefix, seconds): the same action on the
    same trace recurs on most steps of an episode."""
    noted = (sha, nsha, ctx.prefix, ctx.step_seconds)
    if noted in _NOTED:
        return
    _NOTED[noted] = None
    # Two keys of one root (trace/keys.py) say the traces differ in those values only: no proof walk.
    edit = value_edit(sha, nsha)
    if edit is not None or (changes and all(c.get("field") in _DERIVED for c in changes)):
        fastpath.derive(trace, sha, nxt, nsha, ctx.prefix, ctx.step_seconds, edit=edit)


# What note_scaled has handed the fast path already (a derived plan it forgot is planned afresh, alike).
_NOTED: BoundedDict[tuple[str, str, str, float], None] = BoundedDict(4096)


def decide(ctx: StepContext, observation: Observation) -> Action:
    """Ask the policy; any exception or a non-Action answer becomes a StepError naming the policy."""
    try:
        action = ctx.policy.act(observation)
    except Exception as exc:
        raise StepError(
            f"step {observation.step}: policy {ctx.policy.name!r} raised {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(action, Action):
        raise StepError(
            f"step {observation.step}: policy {ctx.policy.name!r} returned "
            f"{type(action).__name__}, expected an Action"
        )
    return action


def _changes(result: Any) -> tuple[dict[str, Any], ...]:
    out = []
    for change in getattr(result, "changes", ()) or ():
        to_dict = getattr(change, "to_dict", None)
        if callable(to_dict):
            out.append(dict(to_dict()))
        else:
            out.append(
                {
                    "workload": change.workload,
                    "container": change.container,
                    "field": change.field,
                    "before": change.before,
                    "after": change.after,
                }
            )
    return tuple([_shared_change(c) for c in out])


# One dict per change among the memo's entries (a hit copies them): the same replicas or resources
# change recurs from many traces. By key, value and the value's type (3 and 3.0 stay apart).
_CHANGES: BoundedDict[tuple[Any, ...], dict[str, Any]] = BoundedDict(4096)


def _shared_change(change: dict[str, Any]) -> dict[str, Any]:
    try:
        spelled = tuple([(k, type(v), v) for k, v in change.items()])
        found = _CHANGES.get(spelled)
    except TypeError:  # an unhashable value: kept as it is
        return change
    if found is None:
        _CHANGES[spelled] = found = change
    return found


def run_step(
    ctx: StepContext,
    trace: Trace,
    step: int,
    *,
    solved_before_acting: Callable[[Observation], bool] | None = None,
    key: str | None = None,
    trace_file: str | None = None,
    trace_sha256: str | None = None,
) -> tuple[StepRecord, Trace]:
    """One step on ``trace``; returns its record and the next trace. The record's ``trace_file`` and
    ``trace_sha256`` are the ones given (None by default).

    ``solved_before_acting(observation)`` lets the episode stop without asking the policy: the record
    then has status ``solved`` and a ``noop`` action, and the trace is returned unchanged.
    """
    observation: Observation | None = None
    failed = False
    try:
        observation = observe_trace(ctx, trace, step, key=key)
        return _act_on(ctx, trace, step, observation, solved_before_acting, key, (trace_file, trace_sha256))
    except StepError as exc:
        failed = True
        exc.observation = observation
        raise
    finally:
        try:
            ctx.backend.run_hooks("post_run")
            ctx.backend.cleanup(ctx.prefix)
        except Exception as exc:
            # Never hide the step's own error behind a cleanup error; otherwise report the cleanup.
            if not failed:
                raise StepError(
                    f"step {step}: cleanup on the {getattr(ctx.backend, 'name', 'backend')} backend failed: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc


def _act_on(
    ctx: StepContext,
    trace: Trace,
    step: int,
    observation: Observation,
    solved_before_acting: Callable[[Observation], bool] | None,
    key: str | None = None,
    stamp: tuple[str | None, str | None] = (None, None),
) -> tuple[StepRecord, Trace]:
    if solved_before_acting is not None and solved_before_acting(observation):
        action = Action("noop", ctx.workload.name, namespace=ctx.workload.namespace, kind=ctx.workload.kind)
        outcome = StepOutcome(step=step, action="noop", status="solved")
        reward = float(ctx.reward(observation, outcome))
        record = StepRecord(
            step,
            observation.time,
            observation,
            action,
            "solved",
            "healthy: episode solved",
            (),
            reward,
            *stamp,
        )
        return record, trace
    action = decide(ctx, observation)
    sha = key or trace_bytes(trace)[1]
    try:
        status, message, changes, nxt, data, nsha = apply_step_action(trace, sha, action, ctx.safeguards)
    except SimArenaError as exc:
        raise StepError(f"step {step}: policy {ctx.policy.name!r} returned a bad action: {exc}") from exc
    ctx.next_bytes = (nxt, data, nsha) if nxt is not trace else None
    if nxt is not trace:
        note_scaled(ctx, trace, sha, changes, nxt, nsha)
    outcome = _NEW_OUTCOME(step, action.type, status, status == "blocked")
    try:
        reward = float(ctx.reward(observation, outcome))
    except Exception as exc:
        raise StepError(
            f"step {step}: reward {ctx.reward.name!r} raised {type(exc).__name__}: {exc}"
        ) from exc
    record = new_record(step, observation.time, observation, action, status, message, changes, reward, *stamp)
    return record, nxt


def run_episode(
    trace: Trace,
    policy: str | Policy | None = None,
    *,
    settings: EpisodeSettings | None = None,
    backend: str | ClusterBackend | None = None,
    reward: str | Reward | None = None,
    safeguards: Safeguards | None = None,
    cluster: str | Path | ClusterSettings | None = None,
    out_dir: str | Path | None = None,
    trace_label: str | None = None,
    on_step: Callable[[StepRecord], None] | None = None,
    policy_options: dict[str, Any] | None = None,
    **overrides: Any,
) -> EpisodeResult:
    """Run a policy on ``trace`` until solved or ``max_steps``; returns the (frozen) result.

    ``settings`` (:class:`~pytest_simarena.settings.EpisodeSettings`) says everything the episode runs
    with; ``overrides`` replace some of its fields (``max_steps=3``). ``policy``, ``backend`` and
    ``reward`` may also be objects (a policy, a live backend, a reward callable), which the settings, being
    plain data, cannot hold. A backend object is left open; one this function builds (from
    ``settings.backend``, ``settings.seed`` and ``settings.cluster``) is closed at the end.
    With ``out_dir`` the run folder is written (see :mod:`pytest_simarena.episode.runlog`).
    """
    settings = _settings_for(
        settings, policy, backend, reward, safeguards, cluster, policy_options, overrides
    )
    max_steps, hold, seed, prefix = settings.max_steps, settings.hold, settings.seed, settings.prefix
    step_seconds = settings.step_seconds
    ref = resolve_workload(trace, settings.workload, kind=settings.kind, namespace=settings.namespace)
    goal = default_target(trace, ref) if settings.target is None else settings.target
    given_policy = policy is not None and not isinstance(policy, str)
    the_policy = make_policy(policy if given_policy else settings.policy, **dict(settings.policy_options))  # type: ignore[arg-type]
    the_reward = make_reward(
        reward if reward is not None and not isinstance(reward, str) else settings.reward
    )
    owned = backend is None or isinstance(backend, str)
    if owned:
        from pytest_simarena.backends.registry import make_backend

        # A trace made for another cluster (generator metadata) runs on it unless a cluster is chosen.
        options = settings.cluster.backend_options(settings.backend, intended=intended_cluster(trace))
        if settings.isolated and settings.backend == "embedded":
            options["isolated"] = True
        the_backend: ClusterBackend = make_backend(settings.backend, seed=seed, **options)
    else:
        the_backend = backend  # type: ignore[assignment]
    cluster_file = settings.cluster.file
    label = trace_label or trace.path or "<trace>"
    log = RunLog(out_dir) if out_dir is not None else None
    if log is not None and cluster_file is not None:
        cluster_file = log.copy_cluster(cluster_file)

    ctx = StepContext(
        backend=the_backend,
        policy=the_policy,
        reward=the_reward,
        workload=ref,
        target=goal,
        prefix=prefix,
        step_seconds=step_seconds,
        safeguards=settings.safeguards or DEFAULT_SAFEGUARDS,
    )
    the_policy.reset(seed=seed)
    records: list[StepRecord] = []
    streak = 0
    solved = False
    steps_to_solve: int | None = None
    error: str | None = None
    current = trace
    data: bytes | None
    data, sha = trace_bytes(current)
    shown: str | PendingSha = sha  # the record's trace_sha256 (``sha`` keys the memos: maybe a token)
    last_file: str | None = log.write_trace(0, data, sha) if log is not None else None
    started = time.perf_counter()

    def hold_reached(obs: Observation) -> bool:
        return obs.healthy and streak + 1 >= hold

    try:
        for step in range(max_steps):
            t0 = time.perf_counter()
            file = trace_file_name(step) if log is not None else None
            try:
                # The record carries the trace it replayed (file and sha256), built once.
                record, nxt = run_step(
                    ctx,
                    current,
                    step,
                    solved_before_acting=hold_reached,
                    key=sha,
                    trace_file=file,
                    trace_sha256=shown,  # type: ignore[arg-type]
                )
            except StepError as exc:
                error = str(exc)
                if exc.observation is not None:
                    obs = exc.observation
                    records.append(
                        StepRecord(step, obs.time, obs, None, "error", error, (), 0.0, file, shown)  # type: ignore[arg-type]
                    )
                    if log is not None:
                        log.append_record(records[-1], seconds=time.perf_counter() - t0)
                break
            streak = streak + 1 if record.observation.healthy else 0
            records.append(record)
            ctx.history.append(
                _NEW_ENTRY(
                    step, record.action.type if record.action else "noop", record.blocked, record.reward
                )
            )
            if log is not None:
                log.append_record(record, seconds=time.perf_counter() - t0)
            if on_step is not None:
                on_step(record)
            if record.status == "solved":
                solved = True
                steps_to_solve = step - hold + 1
                break
            if nxt is not current:
                known = ctx.next_bytes
                if known is not None and known[0] is nxt:
                    data, sha = known[1], known[2]
                else:
                    data, sha = trace_bytes(nxt)
                current = nxt
                shown = sha
                if data is None:  # named by a token: its bytes and sha256 when read
                    if log is not None:
                        data, shown = trace_bytes(nxt)
                    else:
                        shown = PendingSha(nxt)
            if log is not None:
                # The next trace is recorded even when unchanged, so every step has its entry.
                assert data is not None and type(shown) is str
                last_file = log.write_trace(step + 1, data, shown)
    finally:
        try:
            the_backend.run_hooks("post_stop")
        finally:
            if owned:
                the_backend.close()

    result = EpisodeResult(
        steps=tuple(records),
        solved=solved,
        steps_to_solve=steps_to_solve,
        policy=the_policy.name if given_policy else settings.policy,
        reward=the_reward.name,
        seed=seed,
        backend=getattr(the_backend, "name", "backend"),
        trace=label,
        workload=str(ref),
        target=goal,
        max_steps=max_steps,
        step_seconds=float(step_seconds),
        hold=hold,
        error=error,
        final_trace=current,
        final_trace_file=last_file,
        options={
            "workload": ref.name,
            "kind": ref.kind,
            "namespace": ref.namespace,
            "prefix": prefix,
            "cluster": cluster_file,
            # The simulated cluster as it really was (whoever built the backend), so a replay rebuilds it.
            "clusterSpec": _cluster_spec(the_backend),
            "policyOptions": dict(settings.policy_options),
            # Only when set, so the run folders of default runs are as they always were.
            **({"isolated": True} if getattr(the_backend, "isolated", False) else {}),
            # A real cluster's version (its /version gitVersion), beside clusterSpec.kubernetesVersion.
            **_server_version(the_backend),
        },
    )
    if log is not None:
        log.finish(result.summary_json(), total_seconds=time.perf_counter() - started)
    return result


def _settings_for(
    settings: EpisodeSettings | None,
    policy: Any,
    backend: Any,
    reward: Any,
    safeguards: Safeguards | None,
    cluster: str | Path | ClusterSettings | None,
    policy_options: dict[str, Any] | None,
    overrides: dict[str, Any],
) -> EpisodeSettings:
    """The settings with the keyword arguments of ``run_episode`` applied (names as plain data)."""
    changes = dict(overrides)
    unknown = changes.keys() - _SETTING_FIELDS
    if unknown:
        raise TypeError(f"run_episode() got unexpected keyword arguments {sorted(unknown)}")
    for name, value in (("policy", policy), ("backend", backend), ("reward", reward)):
        if isinstance(value, str):
            changes[name] = value
    memo: tuple[Any, ...] | None = None
    unseeded: tuple[Any, ...] | None = None
    if settings is None and safeguards is None and cluster is None and policy_options is None:
        # Plain values only, each with its type (1, 1.0 and True are equal keys but not equal settings).
        items = tuple(sorted((k, type(v), v) for k, v in changes.items()))
        if all(type(v) in _PLAIN_TYPES for _, _, v in items):
            flag = policy is not None and not isinstance(policy, str)
            memo = (*items, flag)
            found = _SETTINGS.get(memo)
            if found is not None:
                return found
            if "seed" in changes:
                # Episodes differ by their seed most of all: the rest is remembered without it.
                unseeded = (*[item for item in items if item[0] != "seed"], flag, _UNSEEDED)
                found = _SETTINGS.get(unseeded)
                if found is not None:
                    return _seeded(found, changes["seed"])
    built = _settings_with(settings, policy, safeguards, cluster, policy_options, changes)
    if memo is not None:
        _SETTINGS[memo] = built
    if unseeded is not None:
        _SETTINGS[unseeded] = built
    return built


_UNSEEDED = "any seed"
_SEED_ROW = settings_table.get("seed")
_SETTINGS_SLOTS = tuple(f.name for f in dataclasses.fields(EpisodeSettings))


def _seeded(settings: EpisodeSettings, seed: Any) -> EpisodeSettings:
    """``settings.replace(seed=seed)`` checking the seed alone (every other field was checked, and a new
    frozen dataclass sets its 16 fields one call each): ~3 us where the whole replace costs ~45 us."""
    try:
        checked = _SEED_ROW.check(seed)
    except ValueError as exc:
        raise settings_table.SettingError(f"{_SEED_ROW.name}={seed!r}: {exc}") from None
    new = object.__new__(EpisodeSettings)
    for name in _SETTINGS_SLOTS:
        object.__setattr__(new, name, getattr(settings, name))
    object.__setattr__(new, "seed", checked)
    return new


# Settings made from run_episode's keyword arguments alone (plain values), by those values and their
# types: an EpisodeSettings is frozen and checked when built (~50 us), and benchmarks, batches and test
# suites run thousands of episodes with the same few arguments.
_SETTINGS: BoundedDict[tuple[Any, ...], EpisodeSettings] = BoundedDict(256)
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
_SETTING_FIELDS = frozenset(f.name for f in dataclasses.fields(EpisodeSettings))


def _settings_with(
    settings: EpisodeSettings | None,
    policy: Any,
    safeguards: Safeguards | None,
    cluster: str | Path | ClusterSettings | None,
    policy_options: dict[str, Any] | None,
    changes: dict[str, Any],
) -> EpisodeSettings:
    base = settings or EpisodeSettings()
    if safeguards is not None:
        changes["safeguards"] = safeguards
    if policy_options is not None:
        changes["policy_options"] = dict(policy_options)
    if isinstance(cluster, ClusterSettings):
        changes["cluster"] = cluster
    elif cluster is not None:
        changes["cluster"] = base.cluster.replace(file=str(cluster))
    if policy is not None and not isinstance(policy, str):
        # A policy object: its name is for the record only, it is not looked up.
        changes.setdefault("policy", base.policy)
    return base.replace(**changes) if changes else base


def _server_version(backend: ClusterBackend) -> dict[str, Any]:
    """``{"serverVersion": "v1.34.2"}`` for a real cluster that answered /version, else nothing."""
    version = getattr(backend, "version", None)
    if isinstance(version, dict) and version.get("gitVersion"):
        return {"serverVersion": str(version["gitVersion"])}
    return {}


def _cluster_spec(backend: ClusterBackend) -> dict[str, Any] | None:
    """The embedded cluster's node groups as a dict; None for a real cluster (it is what it is)."""
    spec = getattr(backend, "spec", None)
    to_dict = getattr(spec, "to_dict", None)
    return to_dict() if callable(to_dict) else None
