"""Rasterise shaded body parts onto a float RGB canvas (painter's algorithm).

Each part is a filled silhouette (polygons and ellipses, anti-aliased). Rounded shading comes
from blurring the part's own mask sampled away from the light: pixels near the edge that faces
the light stay bright, the opposite edge darkens, like a lit cylinder seen from the side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

Box = tuple[tuple[float, float], tuple[float, float], float]  # OpenCV rotated rect
#: Sub-pixel bits for cv2.fillPoly / polylines.
_SHIFT = 4
#: Direction toward the light in image coordinates (up and to the left).
LIGHT_XY = np.array([-0.55, -0.83])
AMBIENT = 0.55


@dataclass(frozen=True)
class Part:
    """One drawable piece of the figure.

    Attributes:
        depth_cm: distance from the camera plane; farther parts are drawn first.
        order: tie-breaker among equal depths, higher is drawn later.
        rgb: fill colour, 0-255.
        polygons: filled polygons, each `(k, 2)` float pixels.
        ellipses: filled OpenCV rotated boxes.
        lines: open polylines `((k, 2) pixels, thickness_px)`.
        shade_px: blur radius of the rounded shading in pixels; 0 draws a flat colour.
    """

    depth_cm: float
    order: int
    rgb: tuple[float, float, float]
    polygons: tuple[np.ndarray, ...] = ()
    ellipses: tuple[Box, ...] = ()
    lines: tuple[tuple[np.ndarray, float], ...] = field(default=())
    shade_px: float = 0.0


def draw_parts(canvas: np.ndarray, parts: list[Part]) -> None:
    """Draw `parts` far-to-near onto `canvas` `(h, w, 3)` float32 RGB, in place."""
    for part in sorted(parts, key=lambda p: (-p.depth_cm, p.order)):
        draw_part(canvas, part)


def _bounds(part: Part) -> np.ndarray | None:
    pts = [p for p in part.polygons]
    pts += [cv2.boxPoints(box) for box in part.ellipses]
    pts += [line for line, _ in part.lines]
    if not pts:
        return None
    return np.concatenate([np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in pts])


def draw_part(canvas: np.ndarray, part: Part) -> None:
    """Rasterise one part onto `canvas` `(h, w, 3)` float32, in place."""
    pts = _bounds(part)
    if pts is None or not np.all(np.isfinite(pts)):
        return
    pad = int(2.0 * part.shade_px + max([t for _, t in part.lines], default=0.0) + 3)
    h, w = canvas.shape[:2]
    x0, y0 = (np.floor(pts.min(axis=0)).astype(int) - pad).clip(0, [w, h])
    x1, y1 = (np.ceil(pts.max(axis=0)).astype(int) + pad).clip(0, [w, h])
    if x1 - x0 < 1 or y1 - y0 < 1:
        return
    offset = np.array([x0, y0], dtype=np.float64)
    mask = np.zeros((y1 - y0, x1 - x0), np.uint8)
    _fill_mask(mask, part, offset)
    alpha = mask.astype(np.float32) / 255.0
    colour = np.asarray(part.rgb, np.float32)
    roi = canvas[y0:y1, x0:x1]
    if part.shade_px > 0:
        fill = cv2.merge([_shading(alpha, part.shade_px) * c for c in colour.tolist()])
    else:
        fill = np.empty_like(roi)
        fill[:] = colour
    # roi = alpha * fill + (1 - alpha) * roi, in one OpenCV pass (numpy's temporaries made
    # this the renderer's slowest line).
    roi[:] = cv2.blendLinear(fill, roi, alpha, 1.0 - alpha)


def _fill_mask(mask: np.ndarray, part: Part, offset: np.ndarray) -> None:
    scale = float(1 << _SHIFT)
    for poly in part.polygons:
        fixed = np.round((np.asarray(poly) - offset) * scale).astype(np.int32)
        cv2.fillPoly(mask, [fixed], 255, cv2.LINE_AA, _SHIFT)
    for (cx, cy), (bw, bh), angle in part.ellipses:
        box = ((cx - offset[0], cy - offset[1]), (max(bw, 0.5), max(bh, 0.5)), angle)
        cv2.ellipse(mask, box, 255, -1, cv2.LINE_AA)
    for line, thickness in part.lines:
        fixed = np.round((np.asarray(line) - offset) * scale).astype(np.int32)
        cv2.polylines(mask, [fixed], False, 255, max(1, round(thickness)), cv2.LINE_AA, _SHIFT)


def _shading(alpha: np.ndarray, radius_px: float) -> np.ndarray:
    """`(h, w)` brightness in [AMBIENT, 1] of a rounded part lit from `LIGHT_XY`."""
    dx, dy = -LIGHT_XY * radius_px * 0.8  # sample away from the light
    shift = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], np.float32)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    away = cv2.warpAffine(alpha, shift, alpha.shape[::-1], flags=flags)
    sigma = radius_px * 0.6
    # A wide blur is as smooth at a fraction of the size: blur a downscaled copy (sigma
    # >= 2 px there), then scale back up. Same shading to within 1 %, several times faster.
    step = int(max(1.0, sigma / 2.0))
    if step > 1 and min(away.shape) >= 4 * step:
        small_wh = (max(1, away.shape[1] // step), max(1, away.shape[0] // step))
        small = cv2.resize(away, small_wh, interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (0, 0), sigma / step)
        lit = cv2.resize(small, away.shape[::-1], interpolation=cv2.INTER_LINEAR)
    else:
        lit = cv2.GaussianBlur(away, (0, 0), sigma)
    return AMBIENT + (1.0 - AMBIENT) * lit
