"""Judge an episode against a scenario's expectations; failures come back as plain sentences (no pytest).

Every failure names the expectation as written in the file (``expect.final.ready``), the expected value
and what the episode showed, so a failing test explains itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .model import Expectations

if TYPE_CHECKING:
    from pytest_simarena.episode.observation import Observation
    from pytest_simarena.episode.results import EpisodeResult

Obj = dict[str, Any]


def _final(result: EpisodeResult) -> Observation | None:
    return result.final


def _step_texts(result: EpisodeResult) -> list[str]:
    """Every event of every observation, as ``Reason: message`` lines (what events expectations search)."""
    texts: list[str] = []
    for record in result.steps:
        obs = record.observation
        if obs is None:
            continue
        for event in obs.events:
            texts.append(f"{event.get('reason', '')}: {event.get('message', '')}")
        texts += [m for m in (obs.failed_scheduling, obs.oom, obs.backoff) if m]
    return texts


def _message_texts(result: EpisodeResult) -> list[str]:
    """The part of :func:`_step_texts` an observation carries as fields (its failed-scheduling, OOM and
    back-off messages). Reading ``obs.events`` of a fast-path step makes the engine replay the step to
    build its snapshot; these fields need no replay.

    ``failed_scheduling`` is the message of the observation's latest FailedScheduling event (one of its
    events: episode/observation.py; the fast path's equals the engine's, tests/properties/test_fastpath.py),
    so that event's own line, ``FailedScheduling: <message>``, is one of the step's texts too."""
    texts: list[str] = []
    for record in result.steps:
        obs = record.observation
        if obs is None:
            continue
        if obs.failed_scheduling:
            texts.append(f"FailedScheduling: {obs.failed_scheduling}")
        texts += [m for m in (obs.failed_scheduling, obs.oom, obs.backoff) if m]
    return texts


def _blocked_count(result: EpisodeResult) -> int:
    return sum(1 for record in result.steps if record.blocked)


def episode_numbers(result: EpisodeResult) -> Obj:
    """The figures reports show per test: solved, steps, total reward, blocked actions, final counts."""
    final = _final(result)
    out: Obj = {
        "solved": bool(result.solved),
        "stepsToSolve": result.steps_to_solve,
        "steps": len(result.steps),
        "totalReward": round(float(result.total_reward), 6),
        "blocked": _blocked_count(result),
        "episodeError": result.error,
    }
    if final is not None:
        out["final"] = {
            "ready": final.ready,
            "pending": final.pending,
            "running": final.running,
            "total": final.total,
            "oomKilled": final.oom_killed,
            "crashLooping": final.crash_looping,
            "target": final.target,
        }
    return out


def check(expect: Expectations, result: EpisodeResult, *, target: int | None = None) -> list[str]:
    """The expectations ``result`` breaks, one sentence each (empty: the case passes).

    An episode that ended in an error fails unless ``expect.error`` says so.
    """
    failures: list[str] = []
    final = _final(result)
    if final is not None and getattr(final, "target", None) is not None:
        target = final.target

    if result.error and not expect.error:
        failures.append(f"the episode ended with an error: {result.error}")
    elif expect.error and not result.error:
        failures.append(f"expect.error: expected the episode to fail ({expect.error}), but it ran to the end")
    elif isinstance(expect.error, str) and result.error and expect.error not in result.error:
        failures.append(f"expect.error: expected an error containing {expect.error!r}, got: {result.error}")

    solved, steps_to_solve = bool(result.solved), result.steps_to_solve
    if expect.solved is not None and solved != expect.solved:
        if expect.solved:
            failures.append(f"expect.solved: expected solved, but not solved after {len(result.steps)} steps")
        else:
            failures.append(f"expect.solved: expected NOT solved, but solved at step {steps_to_solve}")
    if expect.within is not None:
        if not solved:
            failures.append(f"expect.within: expected solved within {expect.within} steps, but never solved")
        elif steps_to_solve is not None and steps_to_solve > expect.within:
            failures.append(
                f"expect.within: expected solved within {expect.within} steps, took {steps_to_solve}"
            )

    for key, wanted in expect.final:
        value_wanted = target if wanted == "target" else wanted
        if final is None:
            failures.append(f"expect.final.{key}: no observation was made")
            continue
        got = getattr(final, key)
        if value_wanted is None:
            failures.append(f"expect.final.{key}: 'target' used but the episode has no target")
        elif got != value_wanted:
            shown = f"{wanted} (= {value_wanted})" if wanted == "target" else str(wanted)
            failures.append(f"expect.final.{key}: expected {shown}, got {got}")

    total = float(result.total_reward)
    if expect.min_total_reward is not None and total < expect.min_total_reward:
        failures.append(f"expect.min_total_reward: expected >= {expect.min_total_reward}, got {total:g}")
    if expect.max_total_reward is not None and total > expect.max_total_reward:
        failures.append(f"expect.max_total_reward: expected <= {expect.max_total_reward}, got {total:g}")

    blocked = _blocked_count(result)
    if expect.blocked is True and blocked == 0:
        failures.append("expect.blocked: expected a safeguard to block an action, but none was blocked")
    if expect.blocked is False and blocked:
        steps = [r.step for r in result.steps if r.blocked]
        failures.append(f"expect.blocked: expected no blocked action, but {blocked} were (steps {steps})")

    if expect.events_present or expect.events_absent:
        # A wanted text found among the messages is in the full list too (they are part of it): the
        # events are read only when some wanted text is not there, or to look for unwanted ones.
        messages = _message_texts(result)
        missing = [w for w in expect.events_present if not any(w in t for t in messages)]
        texts = _step_texts(result) if missing or expect.events_absent else messages
        for wanted in expect.events_present:
            if not any(wanted in t for t in texts):
                failures.append(f"expect.events.present: no event contains {wanted!r}")
        for unwanted in expect.events_absent:
            hits = [t for t in texts if unwanted in t]
            if hits:
                failures.append(f"expect.events.absent: {unwanted!r} appeared: {hits[-1]}")

    if expect.hold is not None:
        observations = [r.observation for r in result.steps if r.observation is not None]
        tail = observations[-expect.hold :]
        if len(tail) < expect.hold or not all(o.healthy for o in tail):
            healthy = sum(1 for o in tail if o.healthy)
            failures.append(
                f"expect.hold: expected the last {expect.hold} observations healthy, "
                f"{healthy} of {len(tail)} were"
            )
    return failures
