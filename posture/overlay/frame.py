"""One frame's whole overlay, drawn the same way in the annotated video and the live window:
skeleton with its angles, the metrics panel, the bounce trace and the cue banner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from posture.overlay.panels import (
    Level,
    State,
    banner_height,
    draw_banner,
    draw_hud,
    draw_trace,
    hud_size,
    trace_label,
    trace_size,
)
from posture.overlay.pose import draw_labels, pose_lines
from posture.overlay.style import Rect, overlaps
from posture.pose.landmarks import LM

_FEET = (LM.LEFT_ANKLE, LM.RIGHT_ANKLE, LM.LEFT_HEEL, LM.RIGHT_HEEL, LM.LEFT_FOOT_INDEX,
         LM.RIGHT_FOOT_INDEX)  # fmt: skip


@dataclass(frozen=True)
class FrameOverlay:
    """What one frame's overlay shows.

    Attributes:
        landmarks: `(33, 5)` landmarks in the frame's pixels (all NaN: nobody).
        values: metric id -> value at this frame (the report's per-frame series offline,
            the live measurement live): panel rows, torso and head labels all read it.
        view: the frame's view (`side`, `front`, `rear`), None when unknown.
        facing: `left` / `right` in a side view, else None.
        state: `ok`, `warn`, `fail`, or `none` where no verdict covers the frame (the
            panel's title bar).
        banner: the cue to show at the bottom, None for none.
        trace_cm: `(k,)` recent body heights in cm (+ up, newest last); empty for no trace.
        recent_bounce_cm: the bounce figure over the trace's span (`window_figure`).
        flagged: metric ids behind the rules broken now (their panel rows are shown and
            coloured: the value behind every flag).
    """

    landmarks: np.ndarray
    values: Mapping[str, float]
    view: str | None
    facing: str | None
    state: State
    banner: str | None = None
    trace_cm: np.ndarray = field(default_factory=lambda: np.zeros(0))
    recent_bounce_cm: float | None = None
    flagged: tuple[str, ...] = ()


def feet_bottom_px(landmarks: np.ndarray) -> float | None:
    """The lowest foot landmark's row (pixels), None when no foot is seen."""
    ys = landmarks[list(_FEET), 1]
    ys = ys[np.isfinite(ys)]
    return float(ys.max()) if ys.size else None


def runner_box(landmarks: np.ndarray) -> Rect | None:
    """The box around every seen landmark (pixels), None for nobody."""
    xy = landmarks[:, :2]
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not xy.size:
        return None
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    margin = 0.08 * max(x1 - x0, y1 - y0)  # the head and the hands reach past the landmarks
    return (int(x0 - margin), int(y0 - 2 * margin), int(x1 + margin), int(y1 + margin))


def head_box(landmarks: np.ndarray) -> Rect | None:
    """The box around the face landmarks (nose, eyes, ears, mouth) with a head's margin,
    None when none is seen: the panels keep off it (the head angle is drawn there)."""
    xy = landmarks[: LM.MOUTH_RIGHT + 1, :2]
    xy = xy[np.isfinite(xy).all(axis=1)]
    if not xy.size:
        return None
    (x0, y0), (x1, y1) = xy.min(axis=0), xy.max(axis=0)
    r = max(x1 - x0, y1 - y0, 8.0)
    return (int(x0 - r), int(y0 - r), int(x1 + r), int(y1 + r))


def _corner(
    frame_wh: tuple[int, int], size_wh: tuple[int, int], band: tuple[int, int], avoid: list[Rect]
) -> Rect:
    """The corner (top-left first) for a box of `size_wh` between the rows `band` that covers
    the least of `avoid` (the runner, the banner, the other panel)."""
    (w, _), (bw, bh), pad = frame_wh, size_wh, 4
    options = [(x, y) for y in (band[0] + pad, band[1] - bh - pad) for x in (pad, w - bw - pad)]
    rects = [(x, y, x + bw, y + bh) for x, y in options]
    return min(rects, key=lambda r: sum(_cover(r, a) for a in avoid))


def _cover(a: Rect, b: Rect) -> int:
    if not overlaps(a, b):
        return 0
    return (min(a[2], b[2]) - max(a[0], b[0])) * (min(a[3], b[3]) - max(a[1], b[1]))


def draw_overlay(rgb: np.ndarray, o: FrameOverlay) -> list[Rect]:
    """Draw `o` on `rgb` `(h, w, 3)` uint8 in place; returns the rectangles of the banner,
    panel, trace and labels (none overlaps another).

    Layout: the skeleton first; the banner at the bottom unless it would hide the feet (then
    on top); the panel and the bounce trace in the corners that hide the least of the runner;
    last the angle labels, placed where they cover none of these nor each other.
    """
    h, w = rgb.shape[:2]
    labels = []
    if np.isfinite(o.landmarks[:, 0]).any():
        facing = o.facing if o.view == "side" else None
        labels = pose_lines(rgb, o.landmarks, facing=facing, values=o.values)
    runner, head = runner_box(o.landmarks), head_box(o.landmarks)
    # the face weighs most (the head angle is drawn there), then the rest of the runner
    avoid = ([runner] if runner is not None else []) + ([head] * 20 if head is not None else [])
    taken: list[Rect] = []
    band = (0, h)  # the rows left for the panels
    if o.banner:
        feet = feet_bottom_px(o.landmarks)
        band_h = banner_height(rgb, o.banner)
        at = "top" if feet is not None and feet > h - band_h - 4 else "bottom"
        level: Level = "fail" if o.state == "fail" else "warn"
        taken.append(draw_banner(rgb, o.banner, level=level, at=at))
        band = (band_h, h) if at == "top" else (0, h - band_h)
    size = hud_size(rgb, o.values, state=o.state, view=o.view, flagged=o.flagged)
    hud = _corner((w, h), size, band, avoid)
    taken.append(
        draw_hud(rgb, o.values, state=o.state, view=o.view, flagged=o.flagged, at_xy=hud[:2])
    )
    if o.trace_cm.size:
        label = trace_label()
        # a box drawn over the panel is never an option: weigh it far above the runner
        trace = _corner((w, h), trace_size(rgb, label), band, [*avoid, *[hud] * 100])
        taken.append(draw_trace(rgb, o.trace_cm, label=label, at_xy=trace[:2]))
    return taken + draw_labels(rgb, labels, taken)
