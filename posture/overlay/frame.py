"""One frame's whole overlay, drawn the same way in the annotated video and the live window:
skeleton with its angles, the metrics panel, the bounce trace and the cue banner."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from posture.overlay.panels import State, draw_banner, draw_hud, draw_trace, trace_label
from posture.overlay.pose import draw_pose


@dataclass(frozen=True)
class FrameOverlay:
    """What one frame's overlay shows.

    Attributes:
        landmarks: `(33, 5)` landmarks in the frame's pixels (all NaN: nobody).
        values: metric id -> value at this frame (the report's per-frame series offline,
            the live measurement live): panel rows, torso and head labels all read it.
        view: the frame's view (`side`, `front`, `rear`), None when unknown.
        facing: `left` / `right` in a side view, else None.
        state: `ok`, `warn` or `fail` (the panel's title bar).
        banner: the cue to show at the bottom, None for none.
        trace_cm: `(k,)` recent body heights in cm (+ up, newest last); empty for no trace.
        recent_bounce_cm: the bounce figure over the trace's span (`window_figure`).
    """

    landmarks: np.ndarray
    values: Mapping[str, float]
    view: str | None
    facing: str | None
    state: State
    banner: str | None = None
    trace_cm: np.ndarray = field(default_factory=lambda: np.zeros(0))
    recent_bounce_cm: float | None = None


def draw_overlay(rgb: np.ndarray, o: FrameOverlay) -> None:
    """Draw `o` on `rgb` `(h, w, 3)` uint8 in place."""
    if np.isfinite(o.landmarks[:, 0]).any():
        draw_pose(rgb, o.landmarks, facing=o.facing if o.view == "side" else None, values=o.values)
    draw_hud(rgb, o.values, state=o.state, view=o.view)
    if o.trace_cm.size:
        draw_trace(rgb, o.trace_cm, label=trace_label(o.recent_bounce_cm))
    if o.banner:
        draw_banner(rgb, o.banner, level="fail" if o.state == "fail" else "warn")
