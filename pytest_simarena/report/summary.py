"""The top of the report, for someone comparing agents: solve rate per policy x trace family (a heatmap)
and each policy's distribution of steps to solve. Built from the JSON-able per-test records that
``results.json`` holds, so the same figures appear in both.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from . import svg

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Cell:
    """Solved out of ran for one policy on one trace family (ran = episodes that produced a result)."""

    solved: int
    ran: int
    cases: int

    @property
    def rate(self) -> float | None:
        return self.solved / self.ran if self.ran else None


def solve_matrix(
    records: Sequence[Mapping[str, Any]],
) -> tuple[list[str], list[str], dict[tuple[str, str], Cell]]:
    """``(policies, families, cells)``: sorted names and a cell per (policy, family) that has cases."""
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in records:
        key = (str(r.get("policy", "")), str(r.get("family") or r.get("trace", "")))
        entry = counts[key]
        entry[2] += 1
        if "solved" in r:
            entry[1] += 1
            entry[0] += 1 if r["solved"] else 0
    cells = {k: Cell(v[0], v[1], v[2]) for k, v in counts.items()}
    policies = sorted({k[0] for k in cells})
    families = sorted({k[1] for k in cells})
    return policies, families, cells


def _heat(rate: float | None) -> tuple[str, str]:
    """Background and text colour for a solve rate: red (0) through amber to green (1)."""
    if rate is None:
        return "#eeeeee", "#616161"
    # Interpolate between three fixed stops; sRGB is good enough for 10 % steps.
    stops = ((0.0, (229, 115, 115)), (0.5, (255, 224, 130)), (1.0, (102, 187, 106)))
    for (a, ca), (b, cb) in itertools.pairwise(stops):
        if rate <= b:
            f = (rate - a) / (b - a)
            rgb = tuple(round(x + (y - x) * f) for x, y in zip(ca, cb, strict=True))
            return "#{:02x}{:02x}{:02x}".format(*rgb), "#212121"
    return "#66bb6a", "#212121"


def _breakable(name: str) -> str:
    # Long family names wrap at their hyphens instead of widening the column.
    return escape(name).replace("-", "-<wbr>")


def _heat_cell(cell: Cell, title: str, css_class: str = "") -> str:
    rate = cell.rate
    bg, fg = _heat(rate)
    shown = "n/a" if rate is None else f"{100 * rate:.0f}%"
    attrs = f' class="{css_class}"' if css_class else ""
    return (
        f'<td{attrs} style="background:{bg};color:{fg}" title="{escape(title)}: {cell.solved} solved of '
        f'{cell.ran} run ({cell.cases} tests)"><b>{shown}</b><br><small>{cell.solved}/{cell.ran}</small></td>'
    )


def heatmap_html(records: Sequence[Mapping[str, Any]]) -> str:
    """The policy x trace-family matrix as a table of coloured cells (``solved/ran`` and the rate)."""
    policies, families, cells = solve_matrix(records)
    if not policies:
        return ""
    head = "".join(f'<th scope="col">{_breakable(f)}</th>' for f in families)
    rows = []
    for policy in policies:
        tds = []
        mine = [cells[(policy, f)] for f in families if (policy, f) in cells]
        for family in families:
            cell = cells.get((policy, family))
            tds.append(_heat_cell(cell, f"{policy} on {family}") if cell else '<td class="empty">-</td>')
        total = Cell(sum(c.solved for c in mine), sum(c.ran for c in mine), sum(c.cases for c in mine))
        rows.append(
            f'<tr><th scope="row">{escape(policy)}</th>{"".join(tds)}'
            f"{_heat_cell(total, f'{policy} on all traces', 'all')}</tr>"
        )
    return (
        '<table class="simarena-heatmap"><caption>Solve rate by policy and trace family '
        "(solved / episodes run)</caption>"
        f'<tr><th scope="col">policy</th>{head}<th scope="col">all</th></tr>{"".join(rows)}</table>'
    )


def steps_distribution(
    records: Sequence[Mapping[str, Any]],
) -> tuple[list[str], list[int], dict[str, Counter[str]]]:
    """Per policy, how many episodes were solved at each step count and how many not at all.

    Returns ``(policies, step values seen, counts)`` where counts[policy] maps ``"1"``, ``"2"``... and
    ``"unsolved"`` to episode counts.
    """
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    seen: set[int] = set()
    for r in records:
        if "solved" not in r:
            continue
        policy = str(r.get("policy", ""))
        steps = r.get("stepsToSolve")
        if r["solved"] and isinstance(steps, int):
            counts[policy][str(steps)] += 1
            seen.add(steps)
        else:
            counts[policy]["unsolved"] += 1
    return sorted(counts), sorted(seen), counts


def _step_colour(index: int, count: int) -> str:
    # Fewer steps = darker green; the palette runs to a pale green for the slowest solves.
    dark, pale = (27, 94, 32), (129, 199, 132)
    f = index / max(count - 1, 1)
    rgb = tuple(round(a + (b - a) * f) for a, b in zip(dark, pale, strict=True))
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def steps_svg(records: Sequence[Mapping[str, Any]], *, width: float = 640.0) -> str:
    """Each policy's episodes as one 100 % bar split by steps to solve (unsolved in grey)."""
    policies, values, counts = steps_distribution(records)
    if not policies:
        return ""
    left, right, top, bar_h, gap = 150.0, 56.0, 26.0, 18.0, 8.0
    height = top + len(policies) * (bar_h + gap) + 26
    plot_w = width - left - right
    colours = {str(v): _step_colour(i, len(values)) for i, v in enumerate(values)}
    colours["unsolved"] = "#bdbdbd"
    keys = [str(v) for v in values] + ["unsolved"]
    parts = [svg.text(left, 14, "steps to solve (share of episodes)", size=12, extra=' font-weight="600"')]
    for row, policy in enumerate(policies):
        y = top + row * (bar_h + gap)
        total = sum(counts[policy].values())
        parts.append(svg.text(left - 8, y + 13, policy, size=12, anchor="end"))
        x = left
        for key in keys:
            n = counts[policy].get(key, 0)
            if not n:
                continue
            w = plot_w * n / total
            label = "not solved" if key == "unsolved" else f"solved in {key} step{'s' if key != '1' else ''}"
            parts.append(svg.rect(x, y, w, bar_h, colours[key], f"{policy}: {n} of {total} {label}"))
            if w > 26:
                dark = key != "unsolved" and values.index(int(key)) < len(values) / 2
                fill = "#ffffff" if dark else "#212121"
                parts.append(svg.text(x + w / 2, y + 13, str(n), anchor="middle", extra=f' fill="{fill}"'))
            x += w
        parts.append(svg.text(width - right + 6, y + 13, f"n={total}", extra=' fill="#616161"'))
    items = [(f"{k} step{'s' if k != '1' else ''}", colours[k]) for k in keys if k != "unsolved"]
    legend, _ = svg.legend(left, height - 6, [*items, ("not solved", colours["unsolved"])])
    parts += legend
    return svg.svg(width, height, parts, label="distribution of steps to solve per policy")
