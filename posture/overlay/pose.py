"""The runner's skeleton, torso line with its lean angle, and head vector with its angle."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

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
    Rect,
    TextStyle,
    check_frame,
    overlaps,
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


@dataclass(frozen=True)
class Label:
    """A text beside a drawn line: to the right (`side` +1) or left (-1) of `anchor_xy`."""

    text: str
    anchor_xy: tuple[float, float]
    color: Color
    side: int = 1


def draw_pose(
    rgb: np.ndarray,
    landmarks: np.ndarray,
    *,
    facing: str | None,
    values: Mapping[str, float] | None = None,
    avoid: Sequence[Rect] = (),
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
        avoid: rectangles already drawn (panels, banner) the labels are laid out around.

    Raises:
        ValueError: `rgb` or `landmarks` has the wrong shape, or `facing` is not allowed.
    """
    draw_labels(rgb, pose_lines(rgb, landmarks, facing=facing, values=values), avoid)


def pose_lines(
    rgb: np.ndarray,
    landmarks: np.ndarray,
    *,
    facing: str | None,
    values: Mapping[str, float] | None = None,
) -> list[Label]:
    """Draw the skeleton, torso line and head vector (`draw_pose` without the text) and
    return their labels, to be laid out once everything else is drawn (`draw_labels`)."""
    check_frame(rgb)
    if landmarks.shape != (N_LANDMARKS, 5):
        raise ValueError(f"landmarks must have shape ({N_LANDMARKS}, 5), got {landmarks.shape}")
    if facing not in (None, "left", "right"):
        raise ValueError(f"facing must be 'left', 'right' or None, got {facing!r}")
    if not np.isfinite(landmarks[:, :2]).any():
        return []
    scale = ui_scale(rgb)
    _draw_skeleton(rgb, landmarks, scale)
    values = values or {}
    torso = _draw_torso(rgb, landmarks, scale, facing, values.get("torso_lean_deg"))
    head = values.get("head_pitch_deg" if facing else "head_yaw_deg")
    head_label = _draw_head(rgb, landmarks, scale, facing, head)
    return [label for label in (head_label, torso) if label is not None]


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
) -> Label | None:
    hip = _mid(landmarks, LM.LEFT_HIP, LM.RIGHT_HIP)
    shoulder = _mid(landmarks, LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)
    if hip is None or shoulder is None or np.allclose(hip, shoulder):
        return None
    length = float(np.hypot(*(shoulder - hip)))
    top = hip + (shoulder - hip) * 1.25
    width_px = thickness(scale, 3.0)
    _dashed(rgb, hip, hip + np.array([0.0, -1.25 * length]), WHITE, thickness(scale), 6 * scale)
    cv2.line(rgb, _ixy(hip), _ixy(top), TORSO_CYAN, width_px, cv2.LINE_AA)
    if lean is None or not math.isfinite(lean):
        return None
    text = f"{METRICS['torso_lean_deg'].label} {lean:+.0f} deg"
    # behind the runner, away from the head label in front
    return Label(text, _fxy(top), TORSO_CYAN, side=+1 if facing == "left" else -1)


def _draw_head(
    rgb: np.ndarray, landmarks: np.ndarray, scale: float, facing: str | None, angle: float | None
) -> Label | None:
    """The ear -> nose arrow, labelled with the head pitch (side) or yaw (front, rear)."""
    ear = _mid(landmarks, LM.LEFT_EAR, LM.RIGHT_EAR)
    nose = _point(landmarks, LM.NOSE)
    if ear is None or nose is None or np.allclose(ear, nose):
        return None
    tip = ear + (nose - ear) * 2.2
    cv2.arrowedLine(
        rgb, _ixy(ear), _ixy(tip), HEAD_MAGENTA, thickness(scale, 3.0), cv2.LINE_AA, 0, 0.3
    )
    if angle is None or not math.isfinite(angle):
        return None
    if facing:
        text = f"head {abs(angle):.0f} deg {'down' if angle >= 0 else 'up'}"
    else:
        text = f"head turned {abs(angle):.0f} deg"
    return Label(text, _fxy(tip), HEAD_MAGENTA, side=-1 if facing == "left" else +1)


def _fxy(p: np.ndarray) -> tuple[float, float]:
    return float(p[0]), float(p[1])


def draw_labels(rgb: np.ndarray, labels: Sequence[Label], avoid: Sequence[Rect] = ()) -> list[Rect]:
    """Draw `labels` where they cover neither `avoid` nor each other, inside the frame.

    Each label tries its own side of its anchor, then the other side, then the same two a
    line lower and higher, and so on; when nothing is free it takes the spot that covers the
    least (a crowded frame still shows every value). Returns the labels' rectangles.
    """
    check_frame(rgb)
    taken = list(avoid)
    placed = []
    style = TextStyle.for_frame(rgb, "label")
    for label in labels:
        rect = _place(rgb, label, style, taken)
        put_text(rgb, label.text, (rect[0], rect[3] - (rect[3] - rect[1] - style.cap_px) // 2),
                 style, label.color)  # fmt: skip
        taken.append(rect)
        placed.append(rect)
    return placed


def _place(rgb: np.ndarray, label: Label, style: TextStyle, taken: Sequence[Rect]) -> Rect:
    h, w = rgb.shape[:2]
    text_w, cap = style.size_px(label.text)[0], style.cap_px
    pad = max(3, cap // 3)
    box_w, box_h = text_w + 2 * pad, cap + 2 * pad
    ax, ay = label.anchor_xy
    best: tuple[int, Rect] | None = None
    for shift in (0, 1, -1, 2, -2, 3, -3, 4, 5, 6):
        for side in (label.side, -label.side):
            x0 = ax + pad if side > 0 else ax - pad - box_w
            y0 = ay - box_h / 2 + shift * box_h
            x = int(min(max(x0, 0), w - box_w))
            y = int(min(max(y0, 0), h - box_h))
            rect = (x, y, x + box_w, y + box_h)
            cover = sum(_area(rect, t) for t in taken)
            if cover == 0:
                return rect
            if best is None or cover < best[0]:
                best = (cover, rect)
    assert best is not None
    return best[1]


def _area(a: Rect, b: Rect) -> int:
    if not overlaps(a, b):
        return 0
    return (min(a[2], b[2]) - max(a[0], b[0])) * (min(a[3], b[3]) - max(a[1], b[1]))
