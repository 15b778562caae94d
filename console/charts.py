"""Charts as inline SVG, drawn on the server: no script, nothing inline that a strict
Content-Security-Policy would block (presentation attributes only), each with a title
and a description for screen readers, and the figures in a table beside it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup, escape

PALETTE = ("#1f5fa8", "#c0392b", "#2e8540", "#b7791f", "#6b46c1", "#2c7a7b")


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal


def _scale(maximum: Decimal) -> Decimal:
    return maximum if maximum > 0 else Decimal(1)


def bars(title: str, description: str, items: list[Bar], *, unit: str = "", width: int = 640) -> Markup:
    """Horizontal bars, one per item, with its value written beside it."""
    row, label_width, left = 28, 190, 200
    height = max(row * len(items) + 20, 60)
    top = max((item.value for item in items), default=Decimal(0))
    scale = _scale(top)
    parts = [f'<svg class="chart" role="img" aria-labelledby="c-t c-d" viewBox="0 0 {width} {height}" '
             f'width="100%" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="c-t">{escape(title)}</title><desc id="c-d">{escape(description)}</desc>']
    for index, item in enumerate(items):
        y = 10 + index * row
        length = int((width - left - 90) * (item.value / scale)) if item.value > 0 else 0
        parts.append(f'<text x="{label_width}" y="{y + 17}" text-anchor="end" font-size="13" fill="#1a1a1a">'
                     f'{escape(item.label[:24])}</text>')
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{max(length, 1)}" height="18" fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{left + length + 6}" y="{y + 17}" font-size="13" fill="#1a1a1a">'
                     f'{escape(f"{item.value:,.2f}")}{escape(unit)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it is escaped above)


def line(title: str, description: str, points: list[tuple[str, Decimal]], *, width: int = 640,
         height: int = 220) -> Markup:
    """One series over time, with the first and last labels and the highest value."""
    left, bottom, top_margin = 60, 30, 15
    plot_w, plot_h = width - left - 15, height - bottom - top_margin
    peak = max((value for _, value in points), default=Decimal(0))
    scale = _scale(peak)
    parts = [f'<svg class="chart" role="img" aria-labelledby="l-t l-d" viewBox="0 0 {width} {height}" '
             f'width="100%" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="l-t">{escape(title)}</title><desc id="l-d">{escape(description)}</desc>',
             f'<line x1="{left}" y1="{top_margin + plot_h}" x2="{left + plot_w}" y2="{top_margin + plot_h}" '
             f'stroke="#555"/>',
             f'<line x1="{left}" y1="{top_margin}" x2="{left}" y2="{top_margin + plot_h}" stroke="#555"/>',
             f'<text x="{left - 6}" y="{top_margin + 10}" text-anchor="end" font-size="12" fill="#1a1a1a">'
             f'{escape(f"{peak:,.0f}")}</text>',
             f'<text x="{left - 6}" y="{top_margin + plot_h}" text-anchor="end" font-size="12" fill="#1a1a1a">0</text>']
    if points:
        step = plot_w / max(len(points) - 1, 1)
        coordinates = [(left + index * step, top_margin + plot_h - float(value / scale) * plot_h)
                       for index, (_, value) in enumerate(points)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
        for x, y in coordinates:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{PALETTE[0]}"/>')
        parts.append(f'<text x="{left}" y="{height - 8}" font-size="12" fill="#1a1a1a">{escape(points[0][0])}</text>')
        parts.append(f'<text x="{left + plot_w}" y="{height - 8}" text-anchor="end" font-size="12" fill="#1a1a1a">'
                     f'{escape(points[-1][0])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text in it is escaped above)
