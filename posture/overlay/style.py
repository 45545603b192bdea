"""Shared drawing style: colours (RGB), sizes that scale with the frame, outlined text.

Every overlay element sizes itself from `ui_scale`, so the same code is readable on a 480x640
portrait phone clip and on a 1920x1080 landscape one. Frames are RGB uint8, drawn in place.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

Color = tuple[int, int, int]

#: RGB colours (frames are RGB, not OpenCV's BGR).
WHITE: Color = (255, 255, 255)
BLACK: Color = (0, 0, 0)
OK_GREEN: Color = (46, 204, 113)
WARN_AMBER: Color = (255, 176, 0)
FAIL_RED: Color = (231, 50, 50)
TORSO_CYAN: Color = (0, 220, 255)
HEAD_MAGENTA: Color = (255, 80, 220)
LEFT_BLUE: Color = (80, 160, 255)
RIGHT_ORANGE: Color = (255, 140, 60)
CENTRE_GREY: Color = (220, 220, 220)
STATE_COLORS: dict[str, Color] = {"ok": OK_GREEN, "warn": WARN_AMBER, "fail": FAIL_RED}
#: The panel's title on a frame no verdict covers (before the first judged stride, after the
#: last, while walking or with nobody in view): neither green nor a fault colour.
NOT_JUDGED_GREY: Color = (110, 110, 110)
#: Every state a panel title or the live cue strip can show, with its colour.
SHOWN_STATE_COLORS: dict[str, Color] = {**STATE_COLORS, "none": NOT_JUDGED_GREY}

FONT = cv2.FONT_HERSHEY_SIMPLEX
#: Frame whose scale is 1.0: the geometric mean of its sides is this many pixels.
_REFERENCE_SIDE_PX = 800.0
#: Text is never shorter than this (capital letters, pixels): readable on small footage.
MIN_TEXT_PX = 14
#: Text heights as a share of the frame height, per element.
TEXT_SHARE = {"panel": 0.022, "label": 0.026, "trace": 0.02, "banner": 0.034}
_CAP_PX_AT_SCALE_1 = cv2.getTextSize("H", FONT, 1.0, 1)[0][1]

#: `(x0, y0, x1, y1)` pixels: what an element covers, for laying out the others.
Rect = tuple[int, int, int, int]


def overlaps(a: Rect, b: Rect) -> bool:
    """True when the two rectangles share any pixel."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def check_frame(rgb: np.ndarray) -> None:
    """Raise ValueError unless `rgb` is an `(h, w, 3)` uint8 array that can be drawn on."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected an (h, w, 3) uint8 RGB frame, got {rgb.shape} {rgb.dtype}")


def ui_scale(rgb: np.ndarray) -> float:
    """Size factor of overlay elements: ~0.7 for 480x640, ~1.8 for 1920x1080."""
    h, w = rgb.shape[:2]
    return math.sqrt(h * w) / _REFERENCE_SIDE_PX


def thickness(scale: float, base: float = 2.0) -> int:
    """Line thickness in pixels for `base` pixels at scale 1."""
    return max(1, round(base * scale))


@dataclass(frozen=True)
class TextStyle:
    """Font scale and stroke of one text size."""

    font_scale: float
    stroke_px: int

    @classmethod
    def for_frame(cls, rgb: np.ndarray, element: str, factor: float = 1.0) -> TextStyle:
        """Text of `element` (`TEXT_SHARE`) whose capitals are that share of the frame's
        height x `factor`, never under `MIN_TEXT_PX`."""
        return cls.for_cap(max(MIN_TEXT_PX, TEXT_SHARE[element] * rgb.shape[0] * factor))

    @classmethod
    def for_cap(cls, cap_px: float) -> TextStyle:
        """Text whose capital letters are `cap_px` pixels tall."""
        font_scale = max(cap_px, 1.0) / _CAP_PX_AT_SCALE_1
        return cls(font_scale, max(1, round(1.6 * font_scale)))

    @property
    def cap_px(self) -> int:
        """Height of a capital letter in pixels."""
        return self.size_px("H")[1]

    @classmethod
    def at(cls, scale: float, size: float = 0.7) -> TextStyle:
        """Text of `size` (cv2 font scale at ui scale 1) for a frame of `scale`."""
        font_scale = max(0.35, size * scale)
        return cls(font_scale, max(1, round(2.0 * font_scale)))

    def size_px(self, text: str) -> tuple[int, int, int]:
        """(width, cap height, descent) of `text` in pixels."""
        (w, h), base = cv2.getTextSize(text, FONT, self.font_scale, self.stroke_px)
        return w, h, base


def put_text(
    rgb: np.ndarray, text: str, org_xy: tuple[int, int], style: TextStyle, color: Color
) -> None:
    """Draw `text` with its baseline-left corner at `org_xy`, outlined in black for contrast.

    The outline is the same text drawn around the spot, not one thicker stroke: OpenCV widens
    the letter spacing with the stroke, so a thicker outline drifts away from the letters.
    """
    r = max(1, (style.stroke_px + 1) // 2)
    x, y = org_xy
    for dx, dy in ((-r, 0), (r, 0), (0, -r), (0, r), (-r, -r), (r, r), (-r, r), (r, -r)):
        cv2.putText(
            rgb, text, (x + dx, y + dy), FONT, style.font_scale, BLACK, style.stroke_px, cv2.LINE_AA
        )
    cv2.putText(rgb, text, org_xy, FONT, style.font_scale, color, style.stroke_px, cv2.LINE_AA)


def shade(rgb: np.ndarray, x0: int, y0: int, x1: int, y1: int, color: Color, alpha: float) -> None:
    """Blend a filled rectangle [x0, x1) x [y0, y1) of `color` into the frame (clipped)."""
    h, w = rgb.shape[:2]
    x0, x1 = max(0, x0), min(w, x1)
    y0, y1 = max(0, y0), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    roi = rgb[y0:y1, x0:x1]
    blended = roi.astype(np.float32) * (1.0 - alpha) + np.array(color, np.float32) * alpha
    roi[:] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def wrap_text(text: str, style: TextStyle, max_width_px: int) -> list[str]:
    """Split `text` into lines no wider than `max_width_px` (a too-long word stays whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and style.size_px(candidate)[0] > max_width_px:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines
