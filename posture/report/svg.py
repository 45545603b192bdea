"""Inline SVG line plots for the HTML report: a metric over time with time and value ticks,
gridlines, the zero line, its warn/fail bands shaded and labelled, and the flagged spans
marked. Plain strings, no plotting library, no script.

The plot stretches to the page's width while its text keeps its size (readable on a phone):
the data sit in an inner SVG that is stretched horizontally only (`preserveAspectRatio=
"none"`, strokes that do not scale), and every label is placed in the outer SVG at a
percentage of the width and a pixel height. The outer SVG draws its value labels to the
left of itself (`overflow: visible`), in the margin its container leaves (`PLOT_MARGIN_CSS`).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np

HEIGHT_PX, PLOT_H_PX = 178, 150  # whole plot, data area (the rest: the time labels)
_VIEW_W = 1000.0  # inner user units across the data area
_MAX_POINTS = 900
WARN_FILL, FAIL_FILL, SPAN_FILL = "#f5b04233", "#e0433a33", "#e0433a22"
TARGET_FILL = "#2e9d4a33"
#: CSS for the plot's container: the margin the value labels are drawn in.
PLOT_MARGIN_CSS = ".plot{padding:0 6px 0 46px}.plot svg{overflow:visible;display:block}"
# a white halo keeps labels readable where they cross the data
_TEXT = (
    'font-family="sans-serif" font-size="12" stroke="#fff" stroke-width="3" paint-order="stroke"'
)


@dataclass(frozen=True)
class Band:
    """Limits of a rule on the plotted metric: values beyond `warn` (and `fail`) break it."""

    warn: float
    fail: float
    direction: str  # "above" or "below"


def nice_ticks(lo: float, hi: float, most: int = 7) -> list[float]:
    """Round values (steps of 1, 2, 2.5 or 5 x 10^k) inside `[lo, hi]`, at most `most` + 1.

    >>> nice_ticks(158.0, 181.0)
    [160.0, 165.0, 170.0, 175.0, 180.0]
    """
    span = hi - lo
    if not (np.isfinite(span) and span > 0):
        return [lo] if np.isfinite(lo) else []
    raw = span / max(most, 1)
    k = 10.0 ** math.floor(math.log10(raw))
    step = next(m * k for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * k >= raw)
    first = math.ceil(lo / step - 1e-9)
    ticks = [(first + i) * step for i in range(int(span / step + 1e-9) + 2)]
    return [round(t, 10) for t in ticks if lo - 1e-9 <= t <= hi + 1e-9]


def y_range(
    values: np.ndarray,
    bands: list[Band],
    min_range: float,
    target: tuple[float, float] | None = None,
) -> tuple[float, float]:
    """The value axis: the data, the warn limits and the target band, at least `min_range`
    wide (centred on the data, so noise never fills the axis and looks like a trend),
    padded 8 %."""
    finite = values[np.isfinite(values)]
    points = [*finite.tolist(), *(b.warn for b in bands), *(target or ())]
    lo, hi = (min(points), max(points)) if points else (0.0, 1.0)
    if hi - lo < min_range:
        mid = (hi + lo) / 2.0
        lo, hi = mid - min_range / 2.0, mid + min_range / 2.0
    pad = 0.08 * (hi - lo or 1.0)
    return lo - pad, hi + pad


def _tick_label(value: float, step: float) -> str:
    digits = max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0
    text = f"{value:.{digits}f}"
    return "0" if text.lstrip("-").strip("0.") == "" else text


class _Frame:
    """Maps time (s) to inner x units and values to pixel rows of the data area."""

    def __init__(self, t0: float, t1: float, y_lo: float, y_hi: float) -> None:
        self.t0, self.t_span = t0, (t1 - t0) or 1.0
        self.y_lo, self.y_hi = y_lo, y_hi
        self.y_span = (y_hi - y_lo) or 1.0

    def x(self, t_s: float) -> float:
        return (t_s - self.t0) / self.t_span * _VIEW_W

    def pct(self, t_s: float) -> float:
        return self.x(t_s) / _VIEW_W * 100.0

    def y(self, value: float) -> float:
        return PLOT_H_PX - (value - self.y_lo) / self.y_span * PLOT_H_PX

    def clip(self, value: float) -> float:
        return max(min(value, self.y_hi), self.y_lo)


def _polyline(t_s: np.ndarray, values: np.ndarray, f: _Frame) -> list[str]:
    step = max(1, t_s.size // _MAX_POINTS)
    t, v = t_s[::step], values[::step]
    runs, current = [], []
    for x, y in zip(t, v, strict=True):
        if np.isfinite(y):
            current.append(f"{f.x(float(x)):.1f},{f.y(float(y)):.1f}")
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [
        f'<polyline fill="none" stroke="#1f5fa8" stroke-width="1.8" '
        f'vector-effect="non-scaling-stroke" points="{" ".join(r)}"/>'
        for r in runs
    ]


def line_plot(
    t_s: np.ndarray,
    values: np.ndarray,
    *,
    title: str,
    unit: str,
    bands: list[Band],
    spans_s: list[tuple[float, float]],
    min_range: float = 0.0,
    target: tuple[float, float] | None = None,
) -> str:
    """An SVG of `values` `(n,)` over `t_s` `(n,)`; NaN values leave gaps. `min_range` is
    the smallest value range of the axis (the metric's `plot_min_range`); `target` (lo, hi)
    is shaded green: the range a value should reach (a drill's target angle)."""
    t0, t1 = (float(t_s[0]), float(t_s[-1])) if t_s.size else (0.0, 1.0)
    f = _Frame(t0, t1, *y_range(values, bands, min_range, target))
    inner = [f'<rect width="{_VIEW_W:g}" height="{PLOT_H_PX}" fill="#fafafa"/>']
    inner += _bands(bands, f)
    if target is not None:
        top, bottom = f.y(f.clip(max(target))), f.y(f.clip(min(target)))
        inner.append(
            f'<rect width="{_VIEW_W:g}" y="{top:.1f}" height="{bottom - top:.1f}" '
            f'fill="{TARGET_FILL}"/>'
        )
    inner += _grid(f)
    for a, b in spans_s:
        x0, x1 = f.x(a), f.x(b)
        inner.append(
            f'<rect x="{x0:.1f}" width="{max(x1 - x0, 2.0):.1f}" height="{PLOT_H_PX}" '
            f'fill="{SPAN_FILL}" stroke="#e0433a" stroke-dasharray="3 2" '
            'vector-effect="non-scaling-stroke"/>'
        )
    inner += _polyline(t_s, values, f)
    inner.append(
        f'<rect width="{_VIEW_W:g}" height="{PLOT_H_PX}" fill="none" stroke="#bbb" '
        'vector-effect="non-scaling-stroke"/>'
    )
    label = html.escape(f"{title} ({unit}) over time")
    return (
        f'<div class="plot"><svg xmlns="http://www.w3.org/2000/svg" width="100%" '
        f'height="{HEIGHT_PX}" role="img" aria-label="{label}"><title>{label}</title>'
        f'<svg width="100%" height="{PLOT_H_PX}" viewBox="0 0 {_VIEW_W:g} {PLOT_H_PX}" '
        f'preserveAspectRatio="none">{"".join(inner)}</svg>'
        f"{''.join(_labels(f, bands, unit))}</svg></div>"
    )


def _grid(f: _Frame) -> list[str]:
    """Light lines at every value and time tick, a dark one at zero."""
    out = []
    for v in nice_ticks(f.y_lo, f.y_hi):
        color, width = ("#555", 1.2) if v == 0 else ("#e2e2e2", 1.0)
        out.append(
            f'<line x2="{_VIEW_W:g}" y1="{f.y(v):.1f}" y2="{f.y(v):.1f}" stroke="{color}" '
            f'stroke-width="{width}" vector-effect="non-scaling-stroke"/>'
        )
    for t in _time_ticks(f):
        out.append(
            f'<line x1="{f.x(t):.1f}" x2="{f.x(t):.1f}" y2="{PLOT_H_PX}" stroke="#e2e2e2" '
            'vector-effect="non-scaling-stroke"/>'
        )
    return out


def _time_ticks(f: _Frame) -> list[float]:
    """Every 1, 2, 5, 10, ... s: a tick every few seconds, at most 8 of them."""
    span = f.t_span
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600) if span / s <= 8), 1200)
    first = math.ceil(f.t0 / step - 1e-9) * step
    return [first + i * step for i in range(int((f.t0 + span - first) / step + 1e-9) + 1)]


def _labels(f: _Frame, bands: list[Band], unit: str) -> list[str]:
    ticks = nice_ticks(f.y_lo, f.y_hi)
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
    out = [
        f'<text x="-5" y="{f.y(v) + 4:.1f}" text-anchor="end" fill="#555" {_TEXT}>'
        f"{_tick_label(v, step)}</text>"
        for v in ticks
    ]
    out.append(
        f'<text x="4" y="13" fill="#777" {_TEXT}>{html.escape(unit)}</text>'
    )  # the unit, inside the top-left corner
    for t in _time_ticks(f):
        pct = f.pct(t)
        anchor = "start" if pct < 3 else "end" if pct > 97 else "middle"
        out.append(
            f'<text x="{pct:.2f}%" y="{PLOT_H_PX + 16}" text-anchor="{anchor}" fill="#555" '
            f"{_TEXT}>{t:g} s</text>"
        )
    for band in bands:
        out += _limit_labels(band, f)
    return out


def _bands(bands: list[Band], f: _Frame) -> list[str]:
    out = []
    for band in bands:
        edge = f.y_hi if band.direction == "above" else f.y_lo
        for a, b, fill in ((band.warn, band.fail, WARN_FILL), (band.fail, edge, FAIL_FILL)):
            lo, hi = sorted((f.clip(a), f.clip(b)))
            if hi <= lo:
                continue
            top, bottom = f.y(hi), f.y(lo)
            out.append(
                f'<rect width="{_VIEW_W:g}" y="{top:.1f}" height="{bottom - top:.1f}" '
                f'fill="{fill}"/>'
            )
        for limit, color in ((band.warn, "#a86a00"), (band.fail, "#b3261e")):
            if f.y_lo < limit < f.y_hi:
                out.append(
                    f'<line x2="{_VIEW_W:g}" y1="{f.y(limit):.1f}" y2="{f.y(limit):.1f}" '
                    f'stroke="{color}" stroke-opacity="0.7" vector-effect="non-scaling-stroke"/>'
                )
    return out


def _limit_labels(band: Band, f: _Frame) -> list[str]:
    """`warn above 10` / `fail above 15` at the right end of each limit in the plotted range."""
    out = []
    # text sits on the side of the line where the band is, so two labels never overlap
    dy = 13 if band.direction == "below" else -4
    for name, limit, color in (("warn", band.warn, "#8a5600"), ("fail", band.fail, "#b3261e")):
        if f.y_lo < limit < f.y_hi:
            out.append(
                f'<text x="99.5%" y="{f.y(limit) + dy:.1f}" fill="{color}" text-anchor="end" '
                f'font-weight="600" {_TEXT}>{name} {band.direction} {limit:g}</text>'
            )
    return out
