"""Drawing on frames: pure functions on `(h, w, 3)` uint8 RGB arrays, in place, no I/O.

Used by the annotated video, the HTML report's key frames and live mode. Every element scales
with the frame size (readable on 480x640 portrait and on 1920x1080).

Example:
    >>> import numpy as np
    >>> rgb = np.zeros((640, 480, 3), np.uint8)
    >>> draw_hud(rgb, {"torso_lean_deg": 12.5, "cadence_spm": None}, state="warn")
    >>> draw_banner(rgb, "lean_forward: Keep upright.", level="fail")
    >>> int(rgb.max()) > 0
    True
"""

from posture.overlay.frame import FrameOverlay, draw_overlay
from posture.overlay.panels import draw_banner, draw_hud, draw_trace, panel_rows, trace_label
from posture.overlay.pose import draw_pose

__all__ = [
    "FrameOverlay",
    "draw_banner",
    "draw_hud",
    "draw_overlay",
    "draw_pose",
    "draw_trace",
    "panel_rows",
    "trace_label",
]
