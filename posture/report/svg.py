"""Inline SVG line plots for the HTML report: a metric over time, its warn/fail bands shaded
and the flagged spans marked. Plain strings, no plotting library, no script."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

WIDTH_PX, HEIGHT_PX = 720, 170
_LEFT, _RIGHT, _TOP, _BOTTOM = 48, 12, 10, 26
_MAX_POINTS = 900
WARN_FILL, FAIL_FILL, SPAN_FILL = "#f5b04233", "#e0433a33", "#e0433a22"
TARGET_FILL = "#2e9d4a33"


@dataclass(frozen=True)
class Band:
    """Limits of a rule on the plotted metric: values beyond `warn` (and `fail`) break it."""

    warn: float
    fail: float
    direction: str  # "above" or "below"


def _scale(lo: float, hi: float, size: int, flip: bool) -> tuple[float, float]:
    span = hi - lo or 1.0
    k = size / span
    return (-k, size + lo * k) if flip else (k, -lo * k)


def _y_range(
    values: np.ndarray, bands: list[Band], target: tuple[float, float] | None = None
) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    points = [*finite.tolist(), *(b.warn for b in bands), *(target or ())]
    lo, hi = (min(points), max(points)) if points else (0.0, 1.0)
    pad = 0.08 * (hi - lo or 1.0)
    return lo - pad, hi + pad


def _polyline(t_s: np.ndarray, values: np.ndarray, fx: tuple, fy: tuple) -> list[str]:
    step = max(1, t_s.size // _MAX_POINTS)
    t, v = t_s[::step], values[::step]
    runs, current = [], []
    for x, y in zip(t, v, strict=True):
        if np.isfinite(y):
            current.append(f"{x * fx[0] + fx[1] + _LEFT:.1f},{y * fy[0] + fy[1] + _TOP:.1f}")
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return [
        f'<polyline fill="none" stroke="#1f5fa8" stroke-width="1.6" points="{" ".join(r)}"/>'
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
    target: tuple[float, float] | None = None,
) -> str:
    """An SVG of `values` `(n,)` over `t_s` `(n,)`; NaN values leave gaps. `target` (lo, hi)
    is shaded green: the range a value should reach (a drill's target angle)."""
    plot_w, plot_h = WIDTH_PX - _LEFT - _RIGHT, HEIGHT_PX - _TOP - _BOTTOM
    t0, t1 = (float(t_s[0]), float(t_s[-1])) if t_s.size else (0.0, 1.0)
    y_lo, y_hi = _y_range(values, bands, target)
    fx, fy = _scale(t0, t1, plot_w, False), _scale(y_lo, y_hi, plot_h, True)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH_PX} {HEIGHT_PX}" '
        f'role="img" aria-label="{html.escape(title)}">',
        f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" fill="#fafafa" '
        'stroke="#ccc"/>',
    ]
    parts += _bands(bands, y_lo, y_hi, fy, plot_w)
    if target is not None:
        top, bottom = (min(max(v, y_lo), y_hi) * fy[0] + fy[1] + _TOP for v in target[::-1])
        parts.append(
            f'<rect x="{_LEFT}" y="{top:.1f}" width="{plot_w}" height="{bottom - top:.1f}" '
            f'fill="{TARGET_FILL}"/>'
        )
    for a, b in spans_s:
        x0, x1 = a * fx[0] + fx[1] + _LEFT, b * fx[0] + fx[1] + _LEFT
        parts.append(
            f'<rect x="{x0:.1f}" y="{_TOP}" width="{max(x1 - x0, 1.5):.1f}" '
            f'height="{plot_h}" fill="{SPAN_FILL}" stroke="#e0433a" stroke-dasharray="3 2"/>'
        )
    parts += _polyline(t_s, values, fx, fy)
    parts += _axes(t0, t1, y_lo, y_hi, unit, plot_w, plot_h)
    parts.append("</svg>")
    return "".join(parts)


def _bands(bands: list[Band], y_lo: float, y_hi: float, fy: tuple, plot_w: int) -> list[str]:
    out = []
    for band in bands:
        edge = y_hi if band.direction == "above" else y_lo
        for a, b, fill in ((band.warn, band.fail, WARN_FILL), (band.fail, edge, FAIL_FILL)):
            lo, hi = sorted((max(min(a, y_hi), y_lo), max(min(b, y_hi), y_lo)))
            if hi <= lo:
                continue
            top, bottom = hi * fy[0] + fy[1] + _TOP, lo * fy[0] + fy[1] + _TOP
            out.append(
                f'<rect x="{_LEFT}" y="{top:.1f}" width="{plot_w}" height="{bottom - top:.1f}" '
                f'fill="{fill}"/>'
            )
        out += _limit_labels(band, y_lo, y_hi, fy, plot_w)
    return out


def _limit_labels(band: Band, y_lo: float, y_hi: float, fy: tuple, plot_w: int) -> list[str]:
    """`warn 10` / `fail 15` at the right end of each limit inside the plotted range."""
    out = []
    style = 'font-family="sans-serif" font-size="10" text-anchor="end"'
    # text sits on the side of the line where the band is, so two labels never overlap
    dy = 11 if band.direction == "below" else -3
    for name, limit, color in (("warn", band.warn, "#a86a00"), ("fail", band.fail, "#b3261e")):
        if y_lo < limit < y_hi:
            y = limit * fy[0] + fy[1] + _TOP
            out.append(
                f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{y:.1f}" y2="{y:.1f}" '
                f'stroke="{color}" stroke-width="0.8" stroke-opacity="0.6"/>'
                f'<text x="{_LEFT + plot_w - 4}" y="{y + dy:.1f}" fill="{color}" {style}>'
                f"{name} {limit:g}</text>"
            )
    return out


def _axes(
    t0: float, t1: float, y_lo: float, y_hi: float, unit: str, plot_w: int, plot_h: int
) -> list[str]:
    style = 'font-family="sans-serif" font-size="11" fill="#555"'
    bottom = _TOP + plot_h
    out = [
        f'<text x="{_LEFT - 4}" y="{_TOP + 10}" text-anchor="end" {style}>{y_hi:.3g}</text>',
        f'<text x="{_LEFT - 4}" y="{bottom}" text-anchor="end" {style}>{y_lo:.3g}</text>',
        f'<text x="4" y="{_TOP + plot_h / 2:.0f}" {style}>{html.escape(unit)}</text>',
        f'<text x="{_LEFT}" y="{bottom + 16}" {style}>{t0:.1f} s</text>',
        f'<text x="{_LEFT + plot_w}" y="{bottom + 16}" text-anchor="end" {style}>{t1:.1f} s</text>',
    ]
    return out
