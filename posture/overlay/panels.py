"""Heads-up panel of metric values, rule banner, and the small bounce trace."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import cv2
import numpy as np

from posture.metrics.live import RECENT_S
from posture.metrics.registry import METRICS, panel_specs
from posture.overlay.style import (
    BLACK,
    STATE_COLORS,
    WHITE,
    TextStyle,
    check_frame,
    put_text,
    shade,
    thickness,
    ui_scale,
    wrap_text,
)

State = Literal["ok", "warn", "fail"]
Level = Literal["warn", "fail"]

_STATE_TITLE = {"ok": "POSTURE OK", "warn": "CHECK FORM", "fail": "FIX FORM"}
#: Banner text shrinks until it fits in this many lines.
_BANNER_MAX_LINES = 3


def panel_rows(values: Mapping[str, float | None], view: str | None) -> list[tuple[str, str]]:
    """The panel's rows `(label, value with unit)`: the registry's panel metrics, in order.

    With a `view`, every panel metric that view measures gets a row (`--` while it has no
    value); without one, only the metrics in `values`.
    """
    return [
        (spec.label, spec.format(values.get(spec.id)))
        for spec in panel_specs(view)
        if view is not None or spec.id in values
    ]


def trace_label(recent_bounce_cm: float | None) -> str:
    """The bounce trace's title: the rolling figure, said for what it is."""
    spec = METRICS["vertical_bounce_cm"]
    return f"{spec.label}, last {RECENT_S:g} s: {spec.format(recent_bounce_cm)}"


def draw_hud(
    rgb: np.ndarray, values: Mapping[str, float | None], *, state: State, view: str | None = None
) -> None:
    """Draw a panel (top left) with one row per panel metric: label and value with unit.

    Args:
        rgb: `(h, w, 3)` uint8 RGB frame, drawn on in place.
        values: metric id -> current value in the metric's unit (None / NaN shows `--`).
        state: overall state; colours the panel's title bar.
        view: the frame's view: the rows are the panel metrics it measures (`panel_rows`).

    Raises:
        ValueError: bad frame or unknown state.
    """
    check_frame(rgb)
    if state not in STATE_COLORS:
        raise ValueError(f"state must be one of {', '.join(STATE_COLORS)}, got {state!r}")
    scale = ui_scale(rgb)
    style = TextStyle.at(scale, 0.55)
    rows = panel_rows(values, view)
    title = _STATE_TITLE[state]
    pad = thickness(scale, 8.0)
    line_h = style.size_px("Hg")[1] + 2 * pad
    name_w = max((style.size_px(n)[0] for n, _ in rows), default=0)
    value_w = max((style.size_px(v)[0] for _, v in rows), default=0)
    width = max(name_w + value_w + 3 * pad + pad, style.size_px(title)[0] + 2 * pad)
    x0 = y0 = pad
    height = line_h * (1 + len(rows)) + pad
    shade(rgb, x0, y0, x0 + width, y0 + height, BLACK, 0.55)
    shade(rgb, x0, y0, x0 + width, y0 + line_h, STATE_COLORS[state], 0.9)
    put_text(rgb, title, (x0 + pad, y0 + line_h - pad), style, WHITE)
    for i, (name, shown) in enumerate(rows, start=2):
        y = y0 + i * line_h - pad
        put_text(rgb, name, (x0 + pad, y), style, WHITE)
        put_text(rgb, shown, (x0 + width - pad - style.size_px(shown)[0], y), style, WHITE)


def draw_banner(rgb: np.ndarray, text: str, *, level: Level) -> None:
    """Draw a full-width band at the bottom with `text` wrapped in large letters.

    Args:
        rgb: `(h, w, 3)` uint8 RGB frame, drawn on in place.
        text: the cue, e.g. `"lean_forward: Keep upright ..."`.
        level: `warn` (amber band) or `fail` (red band).

    Raises:
        ValueError: bad frame or level.
    """
    check_frame(rgb)
    if level not in ("warn", "fail"):
        raise ValueError(f"level must be 'warn' or 'fail', got {level!r}")
    h, w = rgb.shape[:2]
    scale = ui_scale(rgb)
    pad = thickness(scale, 10.0)
    size = 0.8
    style = TextStyle.at(scale, size)
    lines = wrap_text(text, style, w - 2 * pad)
    while len(lines) > _BANNER_MAX_LINES and style.font_scale > 0.36:
        size *= 0.85
        style = TextStyle.at(scale, size)
        lines = wrap_text(text, style, w - 2 * pad)
    line_h = style.size_px("Hg")[1] + pad
    band_h = line_h * len(lines) + pad
    shade(rgb, 0, h - band_h - pad, w, h, STATE_COLORS[level], 0.85)
    for i, line in enumerate(lines):
        put_text(rgb, line, (pad, h - band_h + (i + 1) * line_h - pad), style, WHITE)


def draw_trace(rgb: np.ndarray, values_cm: np.ndarray, *, label: str) -> None:
    """Draw a small plot (top right) of recent values, newest at the right.

    Args:
        rgb: `(h, w, 3)` uint8 RGB frame, drawn on in place.
        values_cm: `(k,)` recent values in cm (e.g. body height, up positive); NaN gaps are
            left blank. The plot autoscales (at least a 2 cm range).
        label: title of the plot (`trace_label`).

    Raises:
        ValueError: bad frame or `values_cm` not 1-D.
    """
    check_frame(rgb)
    if values_cm.ndim != 1:
        raise ValueError(f"values_cm must have shape (k,), got {values_cm.shape}")
    h, w = rgb.shape[:2]
    scale = ui_scale(rgb)
    pad = thickness(scale, 8.0)
    box_w, box_h = int(0.34 * w), int(0.13 * h)
    x0, y0 = w - box_w - pad, pad
    shade(rgb, x0, y0, x0 + box_w, y0 + box_h, BLACK, 0.55)
    style = TextStyle.at(scale, 0.45)
    finite = values_cm[np.isfinite(values_cm)]
    text_h = style.size_px("Hg")[1]
    put_text(rgb, label, (x0 + pad // 2, y0 + text_h + pad // 2), style, WHITE)
    plot_top, plot_bottom = y0 + text_h + pad, y0 + box_h - pad // 2
    if finite.size < 2 or plot_bottom - plot_top < 4:
        return
    mid = (float(finite.max()) + float(finite.min())) / 2.0
    half = max(1.0, float(np.ptp(finite)) / 2.0)
    xs = x0 + pad // 2 + np.linspace(0, box_w - pad, values_cm.size)
    ys = (plot_top + plot_bottom) / 2.0 - (values_cm - mid) / half * (plot_bottom - plot_top) / 2
    _polyline_with_gaps(rgb, xs, ys, thickness(scale, 2.0))
    last = np.flatnonzero(np.isfinite(ys))[-1]
    cv2.circle(rgb, (round(xs[last]), round(ys[last])), thickness(scale, 4.0), WHITE, -1,
               cv2.LINE_AA)  # fmt: skip


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
