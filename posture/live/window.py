"""The window front end (OpenCV highgui): camera image, skeleton, values, the one cue.

Keys: q quit, p pause, s snapshot, c calibrate. Needs a display (X11/Wayland); the CLI
suggests `--no-window` when there is none.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import cv2
import numpy as np

from posture.errors import UsageError
from posture.live.display import LiveView, frame_overlay
from posture.overlay import draw_overlay
from posture.pose.estimator import quiet_native_logs

WINDOW_TITLE = "posture live"
_KEYS = {ord(k): k for k in "qpsc"} | {ord(k.upper()): k for k in "qpsc"} | {27: "q"}
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype", "/usr/share/fonts")


def compose(view: LiveView) -> np.ndarray:
    """The frame as the window shows it: `(h, w, 3)` RGB with the overlay drawn on a copy."""
    rgb = view.rgb.copy()
    draw_overlay(rgb, frame_overlay(view))
    return rgb


def _check_display() -> None:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise UsageError("no display to open a window on (DISPLAY is not set); use --no-window")
    for folder in _FONT_DIRS:  # OpenCV's Qt ships no fonts and warns on every window
        if os.path.isdir(folder):
            os.environ.setdefault("QT_QPA_FONTDIR", folder)
            break


class WindowDisplay:
    """An OpenCV window showing each processed frame with its overlay.

    Raises:
        UsageError: no display, or OpenCV has no GUI backend.
    """

    def __init__(self, title: str = WINDOW_TITLE) -> None:
        _check_display()
        self.title = title
        self.last_rgb: np.ndarray | None = None
        try:
            with quiet_native_logs():
                cv2.namedWindow(title, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        except cv2.error as exc:
            raise UsageError(
                f"cannot open a window ({' '.join(str(exc).split())[:120]}); use --no-window"
            ) from exc

    def show(self, view: LiveView) -> list[str]:
        self.last_rgb = compose(view)
        cv2.imshow(self.title, cv2.cvtColor(self.last_rgb, cv2.COLOR_RGB2BGR))
        return self.idle(wait_ms=1)

    def idle(self, wait_ms: int = 5) -> list[str]:
        key = cv2.waitKey(wait_ms)
        if key < 0:
            # The window's close button: treat as quit.
            if cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
                return ["q"]
            return []
        return [_KEYS[key & 0xFF]] if key & 0xFF in _KEYS else []

    def snapshot(self, path: Path) -> Path | None:
        """Save the last shown frame (with its overlay) as PNG; None before the first frame."""
        if self.last_rgb is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(path), cv2.cvtColor(self.last_rgb, cv2.COLOR_RGB2BGR)):
            return None
        return path

    def close(self) -> None:
        cv2.destroyWindow(self.title)
        cv2.waitKey(1)
