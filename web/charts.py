"""Charts as inline SVG strings: pure functions, labels escaped, values clamped to 0–100, readable on a phone.

Colours are SVG attributes rather than style declarations, so the pages' Content-Security-Policy (no inline
styles) leaves them alone. Every chart carries a <title> and a <desc> that says in words what it shows.
"""

from __future__ import annotations

import hashlib
import math
from html import escape

# One colour per status key (domain.status.LABELS), chosen to stay apart for the common colour blindnesses.
STATUS_COLOURS = {
    "done_on_time": "#1b7837", "done_late": "#7fbc41", "extended": "#2166ac", "not_due": "#92c5de",
    "ongoing": "#92c5de", "soon": "#f4a582", "due": "#e08214", "overdue": "#b2182b", "cancelled": "#bababa",
    "unscheduled": "#bababa", "draft": "#bababa",
}
BAR, TRACK, INK = "#2166ac", "#e8edf3", "#1a1a1a"
WIDTH = 460  # viewBox units; the page scales the chart to the screen
FONT = 20
MAX_LABEL = 40


def clamp(value: float | None) -> float | None:
    """A percentage kept within 0–100; None (no figure) stays None, and so does anything that is not a number."""
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else min(100.0, max(0.0, value))


def percent_text(value: float | None) -> str:
    """75%, 66,7% — a Vietnamese decimal comma; "chưa có" when there is no figure."""
    value = clamp(value)
    if value is None:
        return "chưa có"
    shown = f"{value:.1f}".rstrip("0").rstrip(".")
    return f"{shown.replace('.', ',')}%"


def bar_chart(rows: list[tuple[str, float | None]], *, title: str, empty: str = "chưa có số liệu") -> str:
    """Horizontal bars, one per (label, percent): the label on its own line, the bar and its value below it."""
    ident = _ident(title, rows)
    row_h, top = 60, 4
    height = top + max(1, len(rows)) * row_h
    parts = [_head(ident, title, _describe(rows, empty), height)]
    if not rows:
        parts.append(_text(0, top + 30, empty))
    for i, (label, value) in enumerate(rows):
        y, value = top + i * row_h, clamp(value)
        parts.append(f'<g><title>{escape(label)}: {escape(percent_text(value))}</title>')
        parts.append(_text(0, y + 20, _short(label)))
        parts.append(f'<rect x="0" y="{y + 29}" width="{WIDTH - 80}" height="20" rx="3" fill="{TRACK}"/>')
        if value is not None:
            parts.append(f'<rect x="0" y="{y + 29}" width="{_scale(value, WIDTH - 80)}" height="20" rx="3" '
                         f'fill="{BAR}"/>')
        parts.append(_text(WIDTH - 72, y + 46, percent_text(value) if value is not None else "—"))
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def status_bar(segments: list[tuple[str, str, int]], *, title: str) -> str:
    """One thin stacked bar of counts per status: segments are (status key, label, count)."""
    total = sum(max(0, n) for _, _, n in segments)
    ident = _ident(title, segments)
    summary = "; ".join(f"{label}: {n}" for _, label, n in segments if n > 0) or "chưa có nhiệm vụ"
    parts = [_head(ident, title, summary, 22, width=WIDTH)]
    parts.append(f'<rect x="0" y="2" width="{WIDTH}" height="18" rx="4" fill="{TRACK}"/>')
    x = 0.0
    for key, label, n in segments:
        if n <= 0 or not total:
            continue
        w = WIDTH * n / total
        parts.append(f'<rect x="{x:.1f}" y="2" width="{w:.1f}" height="18" fill="{STATUS_COLOURS.get(key, BAR)}">'
                     f'<title>{escape(label)}: {n}</title></rect>')
        x += w
    parts.append("</svg>")
    return "".join(parts)


def _head(ident: str, title: str, desc: str, height: int, *, width: int = WIDTH) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
            f'role="img" aria-labelledby="{ident}-t {ident}-d" font-family="system-ui, sans-serif" '
            f'font-size="{FONT}"><title id="{ident}-t">{escape(title)}</title>'
            f'<desc id="{ident}-d">{escape(desc)}</desc>')


def _text(x: float, y: float, text: str) -> str:
    return f'<text x="{x}" y="{y}" fill="{INK}">{escape(text)}</text>'


def _describe(rows: list[tuple[str, float | None]], empty: str) -> str:
    return "; ".join(f"{label}: {percent_text(value)}" for label, value in rows) or empty


def _short(label: str) -> str:
    """Long unit names cut to one line; the full name stays in the row's <title>."""
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def _scale(value: float, width: float) -> str:
    return f"{width * value / 100:.1f}"


def _ident(title: str, data) -> str:
    """An id for aria-labelledby, stable for the same chart and distinct between charts on one page."""
    return "c" + hashlib.sha1(f"{title}|{data!r}".encode()).hexdigest()[:10]
