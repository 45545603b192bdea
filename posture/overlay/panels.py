"""Heads-up panel of metric values, rule banner, and the small bounce trace."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Literal

import cv2
import numpy as np

from posture.metrics.live import RECENT_S
from posture.metrics.registry import METRICS, panel_specs
from posture.overlay.style import (
    BLACK,
    SHOWN_STATE_COLORS,
    STATE_COLORS,
    WHITE,
    Rect,
    TextStyle,
    check_frame,
    put_text,
    shade,
    thickness,
    ui_scale,
    wrap_text,
)

#: `none`: no verdict covers the frame (no judged stride around it), so it is not called ok.
State = Literal["ok", "warn", "fail", "none"]
Level = Literal["warn", "fail"]

_STATE_TITLE = {"ok": "POSTURE OK", "warn": "CHECK FORM", "fail": "FIX FORM", "none": "NOT JUDGED"}
#: Banner text shrinks until it fits in this many lines (more would hide the runner).
_BANNER_MAX_LINES = 2


def panel_rows(
    values: Mapping[str, float | None], view: str | None, flagged: Collection[str] = ()
) -> list[tuple[str, str]]:
    """The panel's rows `(label, value with unit)`: the registry's panel metrics, in order,
    then every `flagged` metric that is not a panel row (the value behind each flag).

    With a `view`, every panel metric that view measures gets a row (`--` while it has no
    value); without one, only the metrics in `values`.
    """
    shown = [spec for spec in panel_specs(view) if view is not None or spec.id in values]
    shown += [METRICS[m] for m in flagged if m in METRICS and METRICS[m] not in shown]
    return [(spec.label, spec.format(values.get(spec.id))) for spec in shown]


def trace_label() -> str:
    """The bounce trace's title. It names the trace without a figure of its own: the panel's
    bounce row is the value, and two bounce numbers side by side (one per stride, one over
    the trace's window) would read as two answers to one question."""
    return f"{METRICS['vertical_bounce_cm'].label}, last {RECENT_S:g} s"


def _hud_layout(
    rgb: np.ndarray,
    values: Mapping[str, float | None],
    view: str | None,
    flagged: Collection[str],
    state: State,
) -> tuple[TextStyle, list[tuple[str, str]], int, int, int, int]:
    """(style, rows, pad, line height, width, height) of the panel."""  # fmt: skip
    style = TextStyle.for_frame(rgb, "panel")
    rows = panel_rows(values, view, flagged)
    pad = max(3, style.cap_px // 3)
    line_h = style.cap_px + 2 * pad
    name_w = max((style.size_px(n)[0] for n, _ in rows), default=0)
    value_w = max((style.size_px(v)[0] for _, v in rows), default=0)
    width = max(name_w + value_w + 4 * pad, style.size_px(_STATE_TITLE[state])[0] + 2 * pad)
    return style, rows, pad, line_h, width, line_h * (1 + len(rows)) + pad


def hud_size(
    rgb: np.ndarray,
    values: Mapping[str, float | None],
    *,
    state: State,
    view: str | None = None,
    flagged: Collection[str] = (),
) -> tuple[int, int]:
    """(width, height) in pixels of the panel `draw_hud` draws with these arguments."""
    return _hud_layout(rgb, values, view, flagged, state)[4:]


def draw_hud(
    rgb: np.ndarray,
    values: Mapping[str, float | None],
    *,
    state: State,
    view: str | None = None,
    flagged: Collection[str] = (),
    at_xy: tuple[int, int] | None = None,
) -> Rect:
    """Draw a panel (top left, or at `at_xy`) with one row per panel metric: label and value
    with unit.

    Args:
        rgb: `(h, w, 3)` uint8 RGB frame, drawn on in place.
        values: metric id -> current value in the metric's unit (None / NaN shows `--`).
        state: overall state (`none`: no verdict covers the frame); colours the panel's
            title bar.
        view: the frame's view: the rows are the panel metrics it measures (`panel_rows`).
        flagged: metric ids behind the rules broken now: their rows are shown (added when
            they are not panel rows) on a band of the state's colour.
        at_xy: the panel's top-left corner in pixels (the overlay's layout), None for the
            frame's top-left corner.

    Returns:
        The rectangle the panel covers.

    Raises:
        ValueError: bad frame or unknown state.
    """
    check_frame(rgb)
    if state not in SHOWN_STATE_COLORS:
        raise ValueError(f"state must be one of {', '.join(SHOWN_STATE_COLORS)}, got {state!r}")
    style, rows, pad, line_h, width, height = _hud_layout(rgb, values, view, flagged, state)
    marked = (
        {METRICS[m].label for m in flagged if m in METRICS} if state in ("warn", "fail") else set()
    )
    x0, y0 = at_xy if at_xy is not None else (pad, pad)
    shade(rgb, x0, y0, x0 + width, y0 + height, BLACK, 0.6)
    shade(rgb, x0, y0, x0 + width, y0 + line_h, SHOWN_STATE_COLORS[state], 0.9)
    put_text(rgb, _STATE_TITLE[state], (x0 + pad, y0 + line_h - pad), style, WHITE)
    for i, (name, shown) in enumerate(rows, start=2):
        y = y0 + i * line_h - pad
        if name in marked:  # the value behind a flag: white on the state's colour
            top = y0 + (i - 1) * line_h
            shade(rgb, x0, top, x0 + width, top + line_h, STATE_COLORS[state], 0.75)
        put_text(rgb, name, (x0 + pad, y), style, WHITE)
        put_text(rgb, shown, (x0 + width - pad - style.size_px(shown)[0], y), style, WHITE)
    return (x0, y0, x0 + width, y0 + height)


def _banner_layout(
    rgb: np.ndarray, text: str, scale: float = 1.0
) -> tuple[TextStyle, list[str], int, int]:
    """(style, lines, line height, band height) of a banner: large, at most two lines."""
    w = rgb.shape[1]
    factor = scale
    style = TextStyle.for_frame(rgb, "banner", factor)
    pad = max(4, style.cap_px // 2)
    lines = wrap_text(text, style, w - 2 * pad)
    while len(lines) > _BANNER_MAX_LINES and factor > 0.5 * scale:
        factor *= 0.88
        style = TextStyle.for_frame(rgb, "banner", factor)
        lines = wrap_text(text, style, w - 2 * pad)
    if len(lines) > _BANNER_MAX_LINES + 1:  # at the smallest letters: cut, never hide the runner
        lines = [*lines[:_BANNER_MAX_LINES], "..."]
    line_h = style.cap_px + pad
    return style, lines, line_h, line_h * len(lines) + pad


def banner_height(rgb: np.ndarray, text: str, scale: float = 1.0) -> int:
    """Pixels the banner of `text` covers (to choose its place before drawing)."""
    return _banner_layout(rgb, text, scale)[3]


def draw_banner(
    rgb: np.ndarray, text: str, *, level: Level, at: str = "bottom", scale: float = 1.0
) -> Rect:
    """Draw a full-width band at the bottom (or `at="top"`) with `text` in large letters,
    wrapped into at most two lines (smaller letters first, never under `MIN_TEXT_PX`).

    Args:
        rgb: `(h, w, 3)` uint8 RGB frame, drawn on in place.
        text: the cue, e.g. `"Leaning forward 15 deg: Stay upright"`.
        level: `warn` (amber band) or `fail` (red band).
        at: `bottom` or `top` (the overlay puts it on top when it would hide the feet).
        scale: letters this many times their usual size (the live window's cue).

    Returns:
        The rectangle the band covers.

    Raises:
        ValueError: bad frame, level or place.
    """
    check_frame(rgb)
    if level not in ("warn", "fail"):
        raise ValueError(f"level must be 'warn' or 'fail', got {level!r}")
    if at not in ("bottom", "top"):
        raise ValueError(f"at must be 'bottom' or 'top', got {at!r}")
    h, w = rgb.shape[:2]
    style, lines, line_h, band_h = _banner_layout(rgb, text, scale)
    pad = band_h - line_h * len(lines)
    y0 = h - band_h if at == "bottom" else 0
    shade(rgb, 0, y0, w, y0 + band_h, STATE_COLORS[level], 0.85)
    for i, line in enumerate(lines):
        put_text(rgb, line, (pad, y0 + (i + 1) * line_h), style, WHITE)
    return (0, y0, w, y0 + band_h)


def trace_size(rgb: np.ndarray, label: str) -> tuple[int, int]:
    """(width, height) in pixels of the bounce trace titled `label`."""
    h, w = rgb.shape[:2]
    style = TextStyle.for_frame(rgb, "trace")
    pad = max(3, style.cap_px // 3)
    box_w = min(w // 2, max(int(0.34 * w), style.size_px(label)[0] + pad))
    return box_w, max(int(0.11 * h), style.cap_px * 3)


def draw_trace(
    rgb: np.ndarray, values_cm: np.ndarray, *, label: str, at_xy: tuple[int, int] | None = None
) -> Rect:
    """Draw a small plot (top right) of recent values, newest at the right.

    Args:
        rgb: `(h, w, 3)` uint8 RGB frame, drawn on in place.
        values_cm: `(k,)` recent values in cm (e.g. body height, up positive); NaN gaps are
            left blank. The plot autoscales (at least a 2 cm range).
        label: title of the plot (`trace_label`).
        at_xy: the plot's top-left corner in pixels, None for the frame's top-right corner.

    Returns:
        The rectangle the plot covers.

    Raises:
        ValueError: bad frame or `values_cm` not 1-D.
    """
    check_frame(rgb)
    if values_cm.ndim != 1:
        raise ValueError(f"values_cm must have shape (k,), got {values_cm.shape}")
    w = rgb.shape[1]
    scale = ui_scale(rgb)
    style = TextStyle.for_frame(rgb, "trace")
    pad = max(3, style.cap_px // 3)
    text_h = style.cap_px
    box_w, box_h = trace_size(rgb, label)
    x0, y0 = at_xy if at_xy is not None else (w - box_w - pad, pad)
    rect = (x0, y0, x0 + box_w, y0 + box_h)
    shade(rgb, x0, y0, x0 + box_w, y0 + box_h, BLACK, 0.6)
    finite = values_cm[np.isfinite(values_cm)]
    put_text(rgb, label, (x0 + pad // 2, y0 + text_h + pad // 2), style, WHITE)
    plot_top, plot_bottom = y0 + text_h + pad, y0 + box_h - pad // 2
    if finite.size < 2 or plot_bottom - plot_top < 4:
        return rect
    mid = (float(finite.max()) + float(finite.min())) / 2.0
    half = max(1.0, float(np.ptp(finite)) / 2.0)
    xs = x0 + pad // 2 + np.linspace(0, box_w - pad, values_cm.size)
    ys = (plot_top + plot_bottom) / 2.0 - (values_cm - mid) / half * (plot_bottom - plot_top) / 2
    _polyline_with_gaps(rgb, xs, ys, thickness(scale, 2.0))
    last = np.flatnonzero(np.isfinite(ys))[-1]
    cv2.circle(rgb, (round(xs[last]), round(ys[last])), thickness(scale, 4.0), WHITE, -1,
               cv2.LINE_AA)  # fmt: skip
    return rect


def _polyline_with_gaps(rgb: np.ndarray, xs: np.ndarray, ys: np.ndarray, width_px: int) -> None:
    ok = np.isfinite(ys)
    start = None
    for i in range(ys.size + 1):
        if i < ys.size and ok[i]:
            start = i if start is None else start
            continue
        if start is not None and i - start >= 2:
            pts = np.stack([xs[start:i], ys[start:i]], axis=-1).round().astype(np.int32)
            cv2.polylines(rgb, [pts], False, STATE_COLORS["ok"], width_px, cv2.LINE_AA)
        start = None
