"""Small server-side SVG charts (the CSP allows no script and no inline style)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape


def observed_vs_expected(rows: Sequence[tuple[str, float, float, bool]],
                         title: str, width: int = 640) -> Markup:
    """Horizontal bars per row ``(label, observed, expected, flagged)``: the bar is the
    observed count, the tick the expected one; a flagged row is drawn in red."""
    bar_h, gap, label_w = 18, 6, 200
    height = max(1, len(rows)) * (bar_h + gap) + 30
    top = max([1.0] + [max(o, e) for _, o, e, _ in rows])
    scale = (width - label_w - 60) / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
             f"<title>{escape(title)}</title>"]
    for i, (label, observed, expected, flagged) in enumerate(rows):
        y = 10 + i * (bar_h + gap)
        colour = "#c0392b" if flagged else "#2e6da4"
        parts.append(f'<text x="{label_w - 6}" y="{y + bar_h - 5}" text-anchor="end" '
                     f'font-size="12">{escape(label[:24])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{observed * scale:.1f}" '
                     f'height="{bar_h}" fill="{colour}"/>')
        ex = label_w + expected * scale
        parts.append(f'<line x1="{ex:.1f}" x2="{ex:.1f}" y1="{y - 2}" y2="{y + bar_h + 2}" '
                     f'stroke="#222" stroke-width="2"/>')
        parts.append(f'<text x="{label_w + max(observed, expected) * scale + 6:.1f}" '
                     f'y="{y + bar_h - 5}" font-size="11">{observed:g} / {expected:.2f}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # every interpolated text is escaped above
