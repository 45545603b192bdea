"""What the camera did, frame by frame: its motion across the scene and the cuts of an edited
clip. Measured beside the pose stage, from the frames it already decodes.

The camera's motion is the shift of the background between consecutive frames: corner points
found outside the runner's box are followed into the next frame (pyramidal Lucas-Kanade
optical flow on a small grey thumbnail) and their median displacement taken, so the runner's
own motion does not count. A tracking shot moves the background by many pixels a second, a
fixed camera by about none. A cut is a frame that resembles the one before it far less than its
neighbours resemble theirs.

`SceneMotion.update(rgb, landmarks) -> (dx_px, dy_px, zoom_px, change)` is a stage with
state and no I/O; the motion is in pixels of the frame given (+x right, +y down), `change`
in [0, 2] is 1 minus the correlation of the two thumbnails.
"""

from __future__ import annotations

import cv2
import numpy as np

#: Width of the grey thumbnail the motion is measured on (height follows the frame).
THUMB_WIDTH_PX = 320
#: The runner's box is grown by this share of its size before it is masked out.
_BOX_MARGIN = 0.2
_MAX_POINTS = 120
_MIN_POINTS = 8
_LK = {"winSize": (15, 15), "maxLevel": 2,
       "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.03)}  # fmt: skip


class SceneMotion:
    """Stateful, no I/O: camera shift and image change between consecutive frames."""

    def __init__(self) -> None:
        self._prev: np.ndarray | None = None
        self._points: np.ndarray | None = None

    def update(self, rgb: np.ndarray, landmarks: np.ndarray) -> tuple[float, float, float, float]:
        """Measure frame `rgb` `(h, w, 3)` uint8 against the previous one.

        Args:
            rgb: the frame the pose was estimated on.
            landmarks: `(33, >=2)` landmarks in `rgb`'s pixels (NaN: nobody).

        Returns:
            `(dx_px, dy_px, zoom_px, change)`: the background's shift at the frame's centre,
            how far its zoom moves the frame's edge, and the image change; NaN for the first
            frame, and the motion NaN where too few background points could be followed (a
            cut, a blank wall).
        """
        h, w = rgb.shape[:2]
        scale = THUMB_WIDTH_PX / w
        size = (THUMB_WIDTH_PX, max(8, round(h * scale)))
        grey = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), size, interpolation=cv2.INTER_AREA)
        prev, points = self._prev, self._points
        self._prev = grey
        self._points = _background_points(grey, landmarks, scale)
        if prev is None or prev.shape != grey.shape:
            return float("nan"), float("nan"), float("nan"), float("nan")
        change = _change(prev.astype(np.float32), grey.astype(np.float32))
        if points is None or len(points) < _MIN_POINTS:
            return float("nan"), float("nan"), float("nan"), change
        moved, ok, _ = cv2.calcOpticalFlowPyrLK(prev, grey, points, None, **_LK)  # type: ignore[call-overload]
        ok = ok.reshape(-1).astype(bool)
        if ok.sum() < _MIN_POINTS:
            return float("nan"), float("nan"), float("nan"), change
        # The background's motion as one similarity (shift, zoom, roll), fitted robustly: points
        # on other moving people are outliers. The zoom of a camera moving toward or away
        # from the runner is expressed as the shift it causes at the frame's edge.
        a, b = points.reshape(-1, 2)[ok], moved.reshape(-1, 2)[ok]
        fit, inliers = cv2.estimateAffinePartial2D(a, b, method=cv2.RANSAC,
                                                   ransacReprojThreshold=1.0)  # fmt: skip
        if fit is None or int(inliers.sum()) < _MIN_POINTS:
            return float("nan"), float("nan"), float("nan"), change
        centre = np.array([size[0] / 2.0, size[1] / 2.0])
        dx, dy = fit[:, :2] @ centre + fit[:, 2] - centre
        zoom = float(np.hypot(fit[0, 0], fit[1, 0]) - 1.0) * 0.5 * size[0]
        return float(dx / scale), float(dy / scale), zoom / scale, change


def _background_points(grey: np.ndarray, landmarks: np.ndarray, scale: float) -> np.ndarray | None:
    """Corner points `(k, 1, 2)` float32 of `grey` outside the runner's (grown) box."""
    mask = np.full(grey.shape, 255, np.uint8)
    xy = landmarks[:, :2] * scale
    xy = xy[np.isfinite(xy).all(axis=1)]
    if xy.shape[0] >= 4:
        lo, hi = xy.min(axis=0), xy.max(axis=0)
        grow = (hi - lo) * _BOX_MARGIN + 2.0
        x0, y0 = np.maximum(np.floor(lo - grow), 0).astype(int)
        x1, y1 = np.ceil(hi + grow).astype(int)
        mask[y0 : max(y0, y1), x0 : max(x0, x1)] = 0
    return cv2.goodFeaturesToTrack(grey, _MAX_POINTS, 0.01, 5, mask=mask)


def _change(a: np.ndarray, b: np.ndarray) -> float:
    """1 - Pearson correlation of two thumbnails: ~0 for the same shot, ~1 across a cut."""
    da, db = a - a.mean(), b - b.mean()
    denom = float(np.sqrt((da * da).sum() * (db * db).sum()))
    return 1.0 - float((da * db).sum()) / denom if denom > 0 else 0.0
