"""An episode's timeline: each pod of the repaired workload, its state over simulated time, step by step.

Every step replays the (edited) trace for ``step_seconds`` and observes; the steps are laid end to end on
one axis of episode time. A pod's state comes from the timestamps its status carries at the observation,
as ``kubectl get pod -o yaml`` shows them: ``creationTimestamp`` (it exists), the ``PodScheduled``
condition turning True (bound to a node), the ``Ready`` condition turning True (serving). A pod whose
containers wait in ``CrashLoopBackOff`` or were last ``OOMKilled`` is *Failing* from the time it was
bound (the status keeps only the last termination, so earlier restarts have no time of their own).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from . import svg

if TYPE_CHECKING:
    from pytest_simarena.episode.results import EpisodeResult

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Segment:
    """A pod in one state from ``start`` to ``end`` (seconds of episode time)."""

    lane: int
    start: float
    end: float
    state: str
    pod: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class StepWindow:
    """Where step ``step`` sits on the episode axis, and what the policy did at its end."""

    step: int
    start: float
    end: float
    action: str
    status: str


@dataclass(frozen=True, slots=True)
class Timeline:
    """Segments per pod lane, step windows, and the lane count."""

    windows: tuple[StepWindow, ...]
    segments: tuple[Segment, ...]
    lanes: int
    target: int | None

    @property
    def end(self) -> float:
        return self.windows[-1].end if self.windows else 0.0


@functools.lru_cache(maxsize=4096)
def _seconds(stamp: str) -> float | None:
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None


def _stamp(value: Any) -> float | None:
    return _seconds(value) if isinstance(value, str) and value else None


def _since_true(status: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """When ``PodScheduled`` and ``Ready`` last turned True (None: not True), in one pass."""
    scheduled = ready = None
    conditions = status.get("conditions")
    for cond in conditions if isinstance(conditions, list) else ():
        if isinstance(cond, dict) and cond.get("status") == "True":
            kind = cond.get("type")
            if kind == "PodScheduled":
                scheduled = _stamp(cond.get("lastTransitionTime"))
            elif kind == "Ready":
                ready = _stamp(cond.get("lastTransitionTime"))
    return scheduled, ready


def _failing_and_restarts(status: Mapping[str, Any]) -> tuple[bool, int]:
    """Whether a container waits in CrashLoopBackOff or was last OOMKilled, and the restarts, as
    :func:`~pytest_simarena.kubeview.pods.pod_crash_looping` / ``pod_oom_killed`` / ``pod_restarts`` say
    (one pass over the container statuses: this runs for every pod of every step of every test)."""
    failing, restarts = False, 0
    for key in ("initContainerStatuses", "containerStatuses"):
        statuses = status.get(key)
        for cs in statuses if isinstance(statuses, list) else ():
            if not isinstance(cs, dict):
                continue
            if key == "containerStatuses":
                count = cs.get("restartCount")
                restarts += count if isinstance(count, int) else 0
            if failing:
                continue
            state, last = cs.get("state"), cs.get("lastState")
            for part, sub in ((state, "waiting"), (state, "terminated"), (last, "terminated")):
                inner = part.get(sub) if isinstance(part, dict) else None
                reason = inner.get("reason") if isinstance(inner, dict) else None
                if reason == "CrashLoopBackOff" if sub == "waiting" else reason == "OOMKilled":
                    failing = True
    return failing, restarts


def _origin(snapshot: Any, pods: Sequence[Mapping[str, Any]]) -> float | None:
    """The absolute time the step's replay started: the earliest of its first event (recorded when the
    trace's first object was applied) and its pods' creation."""
    stamps = []
    events = getattr(snapshot, "events", None) or ()
    first = events[0] if events else None
    meta = first.get("metadata") if isinstance(first, dict) else None
    if isinstance(meta, dict):
        stamps.append(_stamp(meta.get("creationTimestamp")))
    for pod in pods:
        meta = pod.get("metadata")
        stamps.append(_stamp(meta.get("creationTimestamp")) if isinstance(meta, dict) else None)
    found = [s for s in stamps if s is not None]
    return min(found) if found else None


def _pod_segments(
    pod: Mapping[str, Any], lane: int, origin: float, start: float, end: float
) -> list[Segment]:
    meta = pod.get("metadata") if isinstance(pod.get("metadata"), dict) else {}
    assert isinstance(meta, dict)
    name = str(meta.get("name", "?"))

    def at(stamp: float | None, default: float) -> float:
        # Clamp to the step's window: timestamps have one-second resolution.
        return default if stamp is None else min(max(start + stamp - origin, start), end)

    created = at(_stamp(meta.get("creationTimestamp")), start)
    gone = at(_stamp(meta.get("deletionTimestamp")), end)
    status = pod.get("status")
    status = status if isinstance(status, dict) else {}
    scheduled, ready = _since_true(status)
    failing, restarts = _failing_and_restarts(status)
    bound = at(scheduled, gone) if scheduled is not None else gone
    serving = at(ready, gone) if ready is not None and not failing else gone
    note = f", {restarts} restarts" if restarts else ""
    out = []
    if bound > created:
        out.append(Segment(lane, created, bound, "Pending", name))
    if serving > bound:
        out.append(Segment(lane, bound, serving, "Failing" if failing else "Starting", name, note))
    if gone > serving:
        out.append(Segment(lane, serving, gone, "Ready", name, note))
    return out


def _fast_pods(snapshot: Any, obs: Any) -> tuple[tuple[str, bool], ...] | None:
    """The (name, bound) pods of a fast replay of the observed workload (none when it has no replicas:
    its snapshot holds no pod of it either), else None."""
    fast = getattr(snapshot, "fast", None)
    if fast is None or obs is None:
        return None
    ref = obs.workload
    if (fast.kind, fast.namespace, fast.name) != (ref.kind, ref.namespace, ref.name):
        return None
    pods: tuple[tuple[str, bool], ...] = fast.pods
    return pods


def episode_timeline(result: EpisodeResult) -> Timeline:
    """The timeline of ``result`` (steps without a cluster snapshot show as empty windows)."""
    from pytest_simarena.episode.observation import workload_pods
    from pytest_simarena.scenario.render import action_text

    windows: list[StepWindow] = []
    segments: list[Segment] = []
    lanes = 0
    cursor = 0.0
    for record in result.steps:
        obs = record.observation
        length = float(record.time) if record.time > 0 else float(result.step_seconds)
        window = StepWindow(record.step, cursor, cursor + length, action_text(record), record.status)
        windows.append(window)
        snapshot = obs.snapshot if obs is not None else None
        fast = _fast_pods(snapshot, obs)
        if fast is not None:
            # A fast-path step (backends/embedded/fastpath.py): every pod exists from the replay's start
            # and is bound (Ready at once: the default lifecycle) or Pending to the end. Drawn from what
            # the fast path computed, so the report does not replay the step again to read its snapshot.
            for lane, (name, bound) in enumerate(sorted(fast)):
                segments.append(
                    Segment(lane, window.start, window.end, "Ready" if bound else "Pending", name)
                )
            lanes = max(lanes, len(fast))
        elif snapshot is not None:
            pods = sorted(
                workload_pods(snapshot, obs.workload),
                key=lambda p: str((p.get("metadata") or {}).get("name", "")),
            )
            origin = _origin(snapshot, pods)
            if origin is not None:
                for lane, pod in enumerate(pods):
                    segments += _pod_segments(pod, lane, origin, window.start, window.end)
                lanes = max(lanes, len(pods))
        cursor = window.end
    return Timeline(tuple(windows), tuple(segments), lanes, result.target)


def _tick_step(total: float) -> float:
    for step in (30, 60, 120, 300, 600, 1200, 1800, 3600, 7200):
        if total / step <= 8:
            return float(step)
    return max(3600.0, total / 8)


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    if minutes == 0:
        return f"{secs}s" if secs else "0"
    return f"{minutes}m" if secs == 0 else f"{minutes}m{secs:02d}s"


def timeline_svg(timeline: Timeline, *, width: float = 640.0) -> str:
    """The timeline as inline SVG: one lane per pod, step windows with the action taken at their end."""
    left, top = 58.0, 34.0
    lanes = max(timeline.lanes, 1)
    lane_h = max(4.0, min(16.0, 160.0 / lanes))
    height = top + lanes * lane_h + 44
    total = timeline.end or 1.0
    scale = (width - left - 18.0) / total
    shades, labels = _windows(timeline.windows, lanes * lane_h, total, width)
    parts: list[str] = [shades]
    # svg.rect(x, y, w, h, seg.state, title) written out: one f-string per pod segment of every step of
    # every test (the same text, without the calls).
    height_text = svg.num(lane_h - 2)
    for seg in timeline.segments:
        title = escape(f"{seg.pod}: {seg.state} {_clock(seg.start)}-{_clock(seg.end)}{seg.note}")
        parts.append(
            f'<rect x="{left + seg.start * scale:.0f}" y="{top + seg.lane * lane_h + 1:.0f}" '
            f'width="{max((seg.end - seg.start) * scale, 0.0):.0f}" height="{height_text}" '
            f'class="{seg.state}"><title>{title}</title></rect>'
        )
    parts.append(labels)
    parts.append(_axis_and_legend(total, timeline.lanes, lane_h, width))
    return svg.svg(width, height, parts, label="pod states over simulated time, per step")


# The step windows, the axis and the legend depend on a few values that recur across a suite's hundreds
# of charts (episode length, lane count, the actions taken): each distinct one is written once. Only the
# pod segments are drawn for every chart.
@functools.lru_cache(maxsize=1024)
def _windows(windows: tuple[StepWindow, ...], plot_h: float, total: float, width: float) -> tuple[str, str]:
    """The shaded step windows (drawn under the pods) and their labels and boundaries (over them)."""
    left, right, top = 58.0, 18.0, 34.0
    scale = (width - left - right) / total

    def x(t: float) -> float:
        return left + t * scale

    shades = []
    for i, window in enumerate(windows):
        shade = "#f5f5f5" if i % 2 == 0 else "#ffffff"
        shades.append(svg.rect(x(window.start), top, (window.end - window.start) * scale, plot_h, shade))
    parts = []
    previous: StepWindow | None = None
    for window in windows:
        # Step k replays the trace as the action chosen at the end of step k-1 left it.
        label = f"step {window.step}"
        if previous is None:
            label += " (original)"
        elif previous.action != "-":
            verdict = "" if previous.status == "applied" else f" ({previous.status})"
            label += f" after {previous.action}{verdict}"
        room = (window.end - window.start) * scale - 6
        if 6.2 * len(label) > room:
            label = label[: max(int(room / 6.2) - 1, 1)] + "…" if room > 12 else str(window.step)
        parts.append(svg.text(x(window.start) + 3, top - 5, label, extra=' fill="#424242"'))
        parts.append(svg.line(x(window.end), top - 16, x(window.end), top + plot_h, "#757575"))
        previous = window
    return "".join(shades), "".join(parts)


@functools.lru_cache(maxsize=512)
def _axis_and_legend(total: float, lanes: int, lane_h: float, width: float) -> str:
    """The time axis, the pod count and the legend (under the plot)."""
    left, right, top = 58.0, 18.0, 34.0
    plot_h = max(lanes, 1) * lane_h
    height = top + plot_h + 44
    scale = (width - left - right) / total

    def x(t: float) -> float:
        return left + t * scale

    parts = [svg.line(left, top + plot_h, width - right, top + plot_h, "#757575")]
    tick = _tick_step(total)
    t = 0.0
    while t <= total + 1e-9:
        parts.append(svg.line(x(t), top + plot_h, x(t), top + plot_h + 4, "#757575"))
        parts.append(svg.text(x(t), top + plot_h + 16, _clock(t), anchor="middle"))
        t += tick
    parts.append(svg.text(4, top + plot_h / 2 + 4, f"{lanes} pods" if lanes else "no pods"))
    legend, _ = svg.legend(left, height - 6, [(state, state) for state in svg.STATE_COLOURS])
    parts += legend
    parts.append(svg.text(width - right, height - 6, "simulated time", anchor="end", extra=' fill="#616161"'))
    return "".join(parts)


def clear_remembered_parts() -> None:
    """Forget the remembered step windows, axes and legends (tests compare charts drawn from scratch)."""
    _windows.cache_clear()
    _axis_and_legend.cache_clear()
