"""Charts of an episode as base64 PNG (matplotlib, Agg; no display, no pyplot global state).

One figure per episode: pod counts (ready, pending, total, OOM-killed, with the target as a dashed line)
and the reward, over the steps (x axis labelled with simulated seconds), for self-contained HTML reports.
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One step's numbers."""

    step: int
    time: float
    ready: int
    pending: int
    total: int
    oom_killed: int
    reward: float


def points_of(result: object) -> list[ChartPoint]:
    """Chart points from an :class:`~pytest_simarena.episode.results.EpisodeResult`."""
    out = []
    for record in getattr(result, "steps", ()):
        o = record.observation
        out.append(
            ChartPoint(
                record.step,
                float(record.time),
                o.ready,
                o.pending,
                o.total,
                o.oom_killed,
                float(record.reward),
            )
        )
    return out


def episode_chart_png(points: Sequence[ChartPoint], *, target: int | None = None, title: str = "") -> bytes:
    """The chart as PNG bytes (a 64-colour palette image of about 5-8 kB).

    Charts of equal data are equal: :func:`episode_chart_base64` caches them, since a scenario suite has
    many episodes with the same step numbers (every noop run on a family of broken traces, say).
    """
    return _chart_png(tuple(points), target, title)


@functools.lru_cache(maxsize=512)
def _chart_png(points: tuple[ChartPoint, ...], target: int | None, title: str) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    # One axes with a twin for the reward: a second subplot and a boxed legend each cost as much as
    # the whole rest of the chart (measured), and a suite renders hundreds of these.
    fig = Figure(figsize=(6.4, 2.5), dpi=72)
    FigureCanvasAgg(fig)
    pods = fig.subplots(1, 1)
    reward = pods.twinx()
    steps = [p.step for p in points]
    reward.bar(
        steps,
        [p.reward for p in points],
        width=0.45,
        color="#7e57c2",
        alpha=0.25,
        label="reward (right axis)",
    )
    top = max([1.0, *(p.reward for p in points)])
    low = min([0.0, *(p.reward for p in points)])
    reward.set_ylim(low * 1.1, top * 1.1)
    reward.set_ylabel("reward", fontsize=8, color="#5e35b1")
    reward.tick_params(labelsize=7)
    # Few explicit ticks, and no second x axis: drawing tick objects is most of a chart's cost.
    reward.set_yticks(sorted({round(low, 2), 0.0, round(top, 2)}))
    reward.xaxis.set_visible(False)
    pods.set_zorder(reward.get_zorder() + 1)  # lines above the bars
    pods.patch.set_visible(False)
    pods.plot(steps, [p.ready for p in points], marker="o", color="#2e7d32", label="ready")
    pods.plot(steps, [p.pending for p in points], marker="s", color="#ef6c00", label="pending")
    pods.plot(steps, [p.total for p in points], marker="^", color="#1565c0", label="total", alpha=0.7)
    if any(p.oom_killed for p in points):
        pods.plot(steps, [p.oom_killed for p in points], marker="x", color="#c62828", label="OOMKilled")
    if target is not None:
        pods.axhline(target, color="#555555", linestyle="--", linewidth=1, label=f"target {target}")
    highest = max([target or 0, *(max(p.total, p.pending, p.ready) for p in points)])
    pods.set_ylim(-0.3, highest * 1.15 + 0.5)
    seconds = sorted({p.time for p in points})
    # Each step replays the trace afresh, so its observation time is the same step duration every step.
    per_step = f" (observed {seconds[0]:g} s into each replay)" if len(seconds) == 1 else ""
    pods.set_xlabel(f"step{per_step}", fontsize=8)
    pods.set_ylabel("pods", fontsize=8)
    pods.set_xticks(steps)
    pods.set_yticks(sorted({0, highest // 2, highest}))
    pods.tick_params(labelsize=7)
    pods.grid(alpha=0.3)
    handles, labels = pods.get_legend_handles_labels()
    bars, bar_labels = reward.get_legend_handles_labels()
    pods.legend(
        handles + bars,
        labels + bar_labels,
        fontsize=7,
        ncols=6,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        frameon=False,
        handlelength=1.5,
        columnspacing=1.0,
    )
    if title:
        fig.suptitle(title, fontsize=9, y=0.995)
    fig.subplots_adjust(left=0.07, right=0.92, bottom=0.19, top=0.78 if title else 0.86)
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()  # type: ignore[no-untyped-call]
    from PIL import Image

    rgba = Image.frombuffer(
        "RGBA",
        canvas.get_width_height(),
        canvas.buffer_rgba(),  # type: ignore[no-untyped-call]
        "raw",
        "RGBA",
        0,
        1,
    )
    # A palette PNG is a third of the RGBA one: the self-contained report embeds one chart per test.
    image = rgba.convert("RGB").quantize(colors=64)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def episode_chart_base64(result: object, *, title: str = "") -> str:
    """The chart of ``result`` as a base64 string, for ``<img src="data:image/png;base64,...">``."""
    points = points_of(result)
    target = getattr(result, "target", None)
    return base64.b64encode(episode_chart_png(points, target=target, title=title)).decode("ascii")
