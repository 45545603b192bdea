"""The runner's skeleton, torso line with its lean angle, and head vector with its angle."""

from __future__ import annotations

import math
from collections.abc import Mapping

import cv2
import numpy as np

from posture.metrics.registry import METRICS
from posture.overlay.style import (
    CENTRE_GREY,
    HEAD_MAGENTA,
    LEFT_BLUE,
    RIGHT_ORANGE,
    TORSO_CYAN,
    WHITE,
    Color,
    TextStyle,
    check_frame,
    put_text,
    thickness,
    ui_scale,
)
from posture.pose.landmarks import LM, N_LANDMARKS

#: Landmarks drawn only when MediaPipe's visibility is at least this.
MIN_VISIBILITY = 0.3
_LEFT_LIMBS = (
    (LM.LEFT_SHOULDER, LM.LEFT_ELBOW),
    (LM.LEFT_ELBOW, LM.LEFT_WRIST),
    (LM.LEFT_HIP, LM.LEFT_KNEE),
    (LM.LEFT_KNEE, LM.LEFT_ANKLE),
    (LM.LEFT_ANKLE, LM.LEFT_HEEL),
    (LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX),
    (LM.LEFT_ANKLE, LM.LEFT_FOOT_INDEX),
    (LM.LEFT_SHOULDER, LM.LEFT_HIP),
)
_RIGHT_LIMBS = tuple((LM[a.name.replace("LEFT", "RIGHT")], LM[b.name.replace("LEFT", "RIGHT")])
                     for a, b in _LEFT_LIMBS)  # fmt: skip
_CENTRE = ((LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER), (LM.LEFT_HIP, LM.RIGHT_HIP))
SKELETON: tuple[tuple[tuple[LM, LM], Color], ...] = (
    *((pair, LEFT_BLUE) for pair in _LEFT_LIMBS),
    *((pair, RIGHT_ORANGE) for pair in _RIGHT_LIMBS),
    *((pair, CENTRE_GREY) for pair in _CENTRE),
)


def draw_pose(
    rgb: np.ndarray,
    landmarks: np.ndarray,
    *,
    facing: str | None,
    values: Mapping[str, float] | None = None,
) -> None:
    """Draw the skeleton, the torso line with its lean and the head vector with its angle.

    Args:
        rgb: `(h, w, 3)` uint8 RGB frame, drawn on in place.
        landmarks: `(33, 5)` image landmarks of this frame (x_px, y_px, z_px, visibility,
            presence), in the frame's pixels; an all-NaN row set (nobody) draws nothing.
        facing: `"left"` / `"right"` for a side view, so the lean is signed (+ forward) and the
            head angle is read as pitch; None for front / rear views (tilt angles instead).
        values: the frame's metric values (registry ids); the torso line is labelled with
            `torso_lean_deg` and the head vector with `head_pitch_deg` (side) or
            `head_yaw_deg` (front, rear), the very numbers the panel and the report show.
            A line without its value is drawn unlabelled.

    Raises:
        ValueError: `rgb` or `landmarks` has the wrong shape, or `facing` is not allowed.
    """
    check_frame(rgb)
    if landmarks.shape != (N_LANDMARKS, 5):
        raise ValueError(f"landmarks must have shape ({N_LANDMARKS}, 5), got {landmarks.shape}")
    if facing not in (None, "left", "right"):
        raise ValueError(f"facing must be 'left', 'right' or None, got {facing!r}")
    if not np.isfinite(landmarks[:, :2]).any():
        return
    scale = ui_scale(rgb)
    _draw_skeleton(rgb, landmarks, scale)
    values = values or {}
    _draw_torso(rgb, landmarks, scale, facing, values.get("torso_lean_deg"))
    head = values.get("head_pitch_deg" if facing else "head_yaw_deg")
    _draw_head(rgb, landmarks, scale, facing, head)


def _point(landmarks: np.ndarray, index: int, min_visibility: float = 0.0) -> np.ndarray | None:
    xy = landmarks[index, :2]
    vis = landmarks[index, 3]
    if not np.isfinite(xy).all() or (np.isfinite(vis) and vis < min_visibility):
        return None
    return xy.astype(np.float64)


def _mid(landmarks: np.ndarray, a: int, b: int) -> np.ndarray | None:
    pa, pb = _point(landmarks, a), _point(landmarks, b)
    return None if pa is None or pb is None else (pa + pb) / 2.0


def _ixy(p: np.ndarray) -> tuple[int, int]:
    return round(float(p[0])), round(float(p[1]))


def _draw_skeleton(rgb: np.ndarray, landmarks: np.ndarray, scale: float) -> None:
    line_px = thickness(scale, 3.0)
    for (a, b), color in SKELETON:
        pa, pb = _point(landmarks, a, MIN_VISIBILITY), _point(landmarks, b, MIN_VISIBILITY)
        if pa is not None and pb is not None:
            cv2.line(rgb, _ixy(pa), _ixy(pb), color, line_px, cv2.LINE_AA)
    radius = thickness(scale, 4.0)
    for index in range(LM.LEFT_SHOULDER, N_LANDMARKS):
        p = _point(landmarks, index, MIN_VISIBILITY)
        if p is not None:
            cv2.circle(rgb, _ixy(p), radius, WHITE, -1, cv2.LINE_AA)


def _dashed(
    rgb: np.ndarray, a: np.ndarray, b: np.ndarray, color: Color, width_px: int, dash_px: float
) -> None:
    length = float(np.hypot(*(b - a)))
    n = max(1, int(length / (2 * dash_px)))
    for i in range(n):
        p0 = a + (b - a) * (2 * i) / (2 * n)
        p1 = a + (b - a) * (2 * i + 1) / (2 * n)
        cv2.line(rgb, _ixy(p0), _ixy(p1), color, width_px, cv2.LINE_AA)


def _draw_torso(
    rgb: np.ndarray, landmarks: np.ndarray, scale: float, facing: str | None, lean: float | None
) -> None:
    hip = _mid(landmarks, LM.LEFT_HIP, LM.RIGHT_HIP)
    shoulder = _mid(landmarks, LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)
    if hip is None or shoulder is None or np.allclose(hip, shoulder):
        return
    length = float(np.hypot(*(shoulder - hip)))
    top = hip + (shoulder - hip) * 1.25
    width_px = thickness(scale, 3.0)
    _dashed(rgb, hip, hip + np.array([0.0, -1.25 * length]), WHITE, thickness(scale), 6 * scale)
    cv2.line(rgb, _ixy(hip), _ixy(top), TORSO_CYAN, width_px, cv2.LINE_AA)
    if lean is None or not math.isfinite(lean):
        return
    text = f"{METRICS['torso_lean_deg'].label} {lean:+.0f} deg"
    # behind the runner, so it never collides with the head label in front
    _label(rgb, text, top, scale, TORSO_CYAN, side=+1 if facing == "left" else -1)


def _draw_head(
    rgb: np.ndarray, landmarks: np.ndarray, scale: float, facing: str | None, angle: float | None
) -> None:
    """The ear -> nose arrow, labelled with the head pitch (side) or yaw (front, rear)."""
    ear = _mid(landmarks, LM.LEFT_EAR, LM.RIGHT_EAR)
    nose = _point(landmarks, LM.NOSE)
    if ear is None or nose is None or np.allclose(ear, nose):
        return
    tip = ear + (nose - ear) * 2.2
    cv2.arrowedLine(
        rgb, _ixy(ear), _ixy(tip), HEAD_MAGENTA, thickness(scale, 3.0), cv2.LINE_AA, 0, 0.3
    )
    if angle is None or not math.isfinite(angle):
        return
    if facing:
        text = f"head {abs(angle):.0f} deg {'down' if angle >= 0 else 'up'}"
    else:
        text = f"head turned {abs(angle):.0f} deg"
    _label(rgb, text, tip, scale, HEAD_MAGENTA, side=-1 if facing == "left" else +1)


def _label(
    rgb: np.ndarray, text: str, anchor: np.ndarray, scale: float, color: Color, side: int = 1
) -> None:
    """Text to the right (`side` +1) or left (-1) of `anchor`, kept inside the frame."""
    style = TextStyle.at(scale, 0.6)
    w_px, h_px, _ = style.size_px(text)
    pad = thickness(scale, 8.0)
    x0 = anchor[0] + pad if side > 0 else anchor[0] - pad - w_px
    x = int(min(max(x0, pad), rgb.shape[1] - w_px - pad))
    y = int(min(max(anchor[1], h_px + pad), rgb.shape[0] - pad))
    put_text(rgb, text, (x, y), style, color)
