"""The few SVG pieces the report draws, written as text (no plotting library: a chart costs microseconds).

Every chart is inline ``<svg>`` with a ``viewBox`` (it scales with the page), ``font-size`` of at least 11
px (legible at 1,400 px), and ``<title>`` children so hovering a mark shows its figures.
"""

from __future__ import annotations

from html import escape

FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"

# One colour per pod state, shared by the timeline and its legend (colour-blind friendly pairs).
STATE_COLOURS = {
    "Ready": "#2e7d32",
    "Starting": "#64b5f6",
    "Pending": "#ffb300",
    "Failing": "#c62828",
}
# A report holds hundreds of charts: states are CSS classes (``class="Ready"``), not repeated colours.
CHART_CSS = f".simarena-chart {{ max-width: 100%; height: auto; {FONT}; }}\n" + "".join(
    f".simarena-chart .{state} {{ fill: {colour}; }}\n" for state, colour in STATE_COLOURS.items()
)


def num(value: float) -> str:
    """A coordinate rounded to the pixel (charts are drawn at their natural size): short, fast text."""
    return f"{value:.0f}"


def rect(x: float, y: float, w: float, h: float, fill: str, title: str = "", extra: str = "") -> str:
    """A rectangle filled with a ``#colour`` or a CSS class name, with hover text when ``title`` is given."""
    paint = f'fill="{fill}"' if fill.startswith("#") else f'class="{fill}"'
    attrs = f'x="{num(x)}" y="{num(y)}" width="{num(max(w, 0.0))}" height="{num(h)}" {paint}{extra}'
    if title:
        return f"<rect {attrs}><title>{escape(title)}</title></rect>"
    return f"<rect {attrs}/>"


def text(x: float, y: float, body: str, *, size: int = 11, anchor: str = "start", extra: str = "") -> str:
    """A text label (escaped)."""
    return (
        f'<text x="{num(x)}" y="{num(y)}" font-size="{size}" text-anchor="{anchor}"{extra}>'
        f"{escape(body)}</text>"
    )


def line(x1: float, y1: float, x2: float, y2: float, stroke: str = "#9e9e9e", extra: str = "") -> str:
    """A one-pixel line."""
    return f'<line x1="{num(x1)}" y1="{num(y1)}" x2="{num(x2)}" y2="{num(y2)}" stroke="{stroke}"{extra}/>'


def svg(width: float, height: float, body: list[str], *, label: str) -> str:
    """The inline ``<svg>`` element around ``body`` (sized and styled by :data:`CHART_CSS`)."""
    return (
        f'<svg class="simarena-chart" role="img" aria-label="{escape(label)}" '
        f'viewBox="0 0 {num(width)} {num(height)}" width="{num(width)}">' + "".join(body) + "</svg>"
    )


def legend(x: float, y: float, items: list[tuple[str, str]], *, gap: float = 14.0) -> tuple[list[str], float]:
    """A one-line legend of coloured squares; returns the parts and the x where it ends."""
    parts = []
    for label, colour in items:
        parts.append(rect(x, y - 9, 10, 10, colour))
        parts.append(text(x + 14, y, label))
        x += 14 + 6.5 * len(label) + gap
    return parts, x
