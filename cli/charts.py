"""Small SVG charts for the supervision report: readable without JavaScript, printable,
and the page stays one self-contained file."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#2f6f9f", "#d1762c", "#4b9b58", "#b8484e", "#7d5ba6", "#8c6d3f", "#c2579c", "#6c757d")
LEVEL_COLOURS = {1: "#8cb4d9", 2: "#2f6f9f", 3: "#d1762c", 4: "#4b9b58", 5: "#b8484e"}


def _number(value: float) -> str:
    if abs(value) >= 10_000:
        return f"{value / 10_000:,.1f}万"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], *, colours: Sequence[str] | None = None,
              reference: tuple[str, float] | None = None, unit: str = "") -> str:
    """Horizontal bars, one per label, largest scale first; an optional reference line."""
    width, label_width, row = 760, 220, 22
    height = 40 + row * max(1, len(values))
    top = max([*values, reference[1] if reference else 0, 0.0001])
    scale = (width - label_width - 90) / top
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f'<text x="0" y="16" class="title">{escape(title)}</text>']
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 30 + index * row
        colour = colours[index] if colours else PALETTE[0]
        parts.append(f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{label_width}" y="{y + 3}" width="{max(value * scale, 0.5):.1f}" height="{row - 6}" '
                     f'fill="{colour}"><title>{escape(label)}: {_number(value)}{unit}</title></rect>')
        parts.append(f'<text x="{label_width + value * scale + 4:.1f}" y="{y + 14}" class="value">'
                     f'{_number(value)}{unit}</text>')
    if reference:
        x = label_width + reference[1] * scale
        parts.append(f'<line x1="{x:.1f}" y1="24" x2="{x:.1f}" y2="{height - 4}" class="reference"/>')
        parts.append(f'<text x="{x + 3:.1f}" y="{height - 6}" class="reference-label">{escape(reference[0])}</text>')
    parts.append("</svg>")
    return _svg(parts)


def line_chart(title: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *,
               unit: str = "") -> str:
    """One line per series over the same x axis, with a legend."""
    width, height, left, bottom, top_margin = 760, 300, 70, 40, 40
    plot_w, plot_h = width - left - 20, height - bottom - top_margin
    top = max([max(values, default=0) for _, values in series] + [0.0001])
    step = plot_w / max(1, len(x_labels) - 1)

    def point(i: int, value: float) -> str:
        return f"{left + i * step:.1f},{top_margin + plot_h - value / top * plot_h:.1f}"

    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f'<text x="0" y="16" class="title">{escape(title)}</text>']
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = top_margin + plot_h - fraction * plot_h
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - 20}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">'
                     f'{_number(top * fraction)}</text>')
    every = max(1, len(x_labels) // 10)
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == len(x_labels) - 1:
            parts.append(f'<text x="{left + i * step:.1f}" y="{height - bottom + 18}" text-anchor="middle" '
                         f'class="axis">{escape(label)}</text>')
    for n, (name, values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = " ".join(point(i, v) for i, v in enumerate(values))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2">'
                     f'<title>{escape(name)}</title></polyline>')
        for i, value in enumerate(values):
            parts.append(f'<circle cx="{point(i, value).split(",")[0]}" cy="{point(i, value).split(",")[1]}" r="2.5" '
                         f'fill="{colour}"><title>{escape(name)} {escape(x_labels[i])}: {_number(value)}{unit}'
                         f'</title></circle>')
        parts.append(f'<rect x="{left + 10 + n * 180}" y="26" width="12" height="4" fill="{colour}"/>'
                     f'<text x="{left + 26 + n * 180}" y="31" class="legend">{escape(name)}</text>')
    parts.append("</svg>")
    return _svg(parts)


def _svg(parts: list[str]) -> Markup:
    """The drawing as markup a template puts in as it is: every text in it was escaped
    where it was drawn."""
    return Markup("".join(parts))  # noqa: S704 (escaped above, piece by piece)
