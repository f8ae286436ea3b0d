"""Charts of an episode as base64 PNG (matplotlib, Agg; no display, no pyplot global state).

One figure per episode: pod counts (ready, pending, total, OOM-killed, with the target as a dashed line)
and the reward, over the steps (x axis labelled with simulated seconds), for self-contained HTML reports.
"""

from __future__ import annotations

import base64
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
    """The chart as PNG bytes (about 10-20 kB)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 2.6), dpi=72)
    FigureCanvasAgg(fig)
    pods, reward = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    steps = [p.step for p in points]
    pods.plot(steps, [p.ready for p in points], marker="o", color="#2e7d32", label="ready")
    pods.plot(steps, [p.pending for p in points], marker="s", color="#ef6c00", label="pending")
    pods.plot(steps, [p.total for p in points], marker="^", color="#1565c0", label="total", alpha=0.7)
    if any(p.oom_killed for p in points):
        pods.plot(steps, [p.oom_killed for p in points], marker="x", color="#c62828", label="OOMKilled")
    if target is not None:
        pods.axhline(target, color="#555555", linestyle="--", linewidth=1, label=f"target {target}")
    pods.set_xlabel("step (simulated s)")
    pods.set_ylabel("pods")
    pods.set_xticks(steps, [f"{p.step}\n{p.time:g}" for p in points], fontsize=7)
    pods.legend(fontsize=7, loc="best")
    pods.grid(alpha=0.3)
    reward.bar(
        steps, [p.reward for p in points], color=["#2e7d32" if p.reward > 0 else "#9e9e9e" for p in points]
    )
    reward.set_xlabel("step")
    reward.set_ylabel("reward")
    reward.set_xticks(steps)
    reward.grid(alpha=0.3, axis="y")
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def episode_chart_base64(result: object, *, title: str = "") -> str:
    """The chart of ``result`` as a base64 string, for ``<img src="data:image/png;base64,...">``."""
    points = points_of(result)
    target = getattr(result, "target", None)
    return base64.b64encode(episode_chart_png(points, target=target, title=title)).decode("ascii")
