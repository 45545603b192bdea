"""The head: skull, jaw and hair as ellipsoids, and face features that face the camera.

Head-frame coordinates (x forward, y up, z left; origin = midpoint of the ears with the
Frankfort plane horizontal) are in cm for a 175 cm body and scale with height.
"""

from __future__ import annotations

import cv2
import numpy as np

from posture.synth.camera import Camera
from posture.synth.raster import Part
from posture.synth.skeleton import HEAD_POINTS_175, Skeleton

RGB = tuple[float, float, float]
#: (centre, semi-axes) of the head's ellipsoids, head frame, cm at 175 cm.
_CRANIUM = ((0.3, 3.0, 0.0), (9.7, 10.5, 7.6))
_JAW = ((4.2, -4.5, 0.0), (6.0, 6.0, 5.6))
#: The hair: an ellipsoid just outside the cranium, kept above the hairline plane
#: y >= a + b x (forehead hairline ~6 cm above the eyes, above the ears, down to the nape),
#: so in profile the forehead, temple and ear show as they do on a real head.
_HAIR = ((0.0, 3.3, 0.0), (10.2, 10.9, 8.0))
_HAIRLINE = (2.8, 0.65)


def _cut_ellipsoid_points(
    spec: tuple[tuple[float, ...], tuple[float, ...]], plane: tuple[float, float]
) -> np.ndarray:
    """Surface points `(m, 3)` of ellipsoid `spec` with y >= a + b x (`plane` = (a, b)): the
    cut body is convex, so their projections' hull is its silhouette."""
    centre, semi = (np.asarray(v, dtype=float) for v in spec)
    lat, lon = np.meshgrid(np.linspace(0, np.pi, 49), np.linspace(0, 2 * np.pi, 96))
    unit = np.stack(
        [np.sin(lat) * np.cos(lon), np.cos(lat), np.sin(lat) * np.sin(lon)], axis=-1
    ).reshape(-1, 3)
    local = centre + unit * semi
    a, b = plane
    return local[local[:, 1] >= a + b * local[:, 0]]


_HAIR_POINTS = _cut_ellipsoid_points(_HAIR, _HAIRLINE)
_NOSE = ((9.7, 1.2, 0.0), (11.8, -3.3, 0.0), (10.2, -4.8, 0.0), (10.0, -4.4, 1.7),
         (10.0, -4.4, -1.7), (9.4, -3.4, 1.9), (9.4, -3.4, -1.9))  # fmt: skip
_EAR_CENTRE = (-0.6, 0.5, 7.4)
_EAR_SEMI = (1.8, 3.0)
_MOUTH_MID = (10.0, -6.9, 0.0)
_BROW = ((8.9, 3.7, 1.4), (7.8, 4.1, 4.8))
_LIP_RGB: RGB = (120, 52, 52)
_IRIS_RGB: RGB = (38, 30, 26)
_SCLERA_RGB: RGB = (236, 232, 226)


def _scale(rgb: RGB, k: float) -> RGB:
    return (rgb[0] * k, rgb[1] * k, rgb[2] * k)


class _Head:
    """Head-frame -> world/pixels helper for one frame."""

    def __init__(self, skel: Skeleton, cam: Camera, height_cm: float) -> None:
        self.rot = skel.head_rot
        self.pivot = skel.points["head_pivot"]
        self.cam = cam
        self.s = height_cm / 175.0

    def world(self, local: tuple[float, ...] | np.ndarray) -> np.ndarray:
        return self.pivot + self.rot @ (np.asarray(local, dtype=float) * self.s)

    def px(self, locals_: list[tuple[float, float, float]] | np.ndarray) -> np.ndarray:
        return self.cam.project(np.stack([self.world(q) for q in locals_]))

    def facing(self, local: tuple[float, float, float]) -> float:
        """Cosine between the surface direction at `local` and the direction to the camera."""
        n = self.rot @ (np.asarray(local) - np.asarray(_CRANIUM[0]))
        return float(n @ self.cam.toward / max(float(np.linalg.norm(n)), 1e-9))

    def outline(self, local: np.ndarray) -> np.ndarray:
        """Silhouette `(k, 2)` px of the convex body whose surface points are `local` `(m, 3)`
        (head frame, cm at 175 cm): the convex hull of their projections."""
        px = self.cam.project(self.pivot + (local * self.s) @ self.rot.T)
        return cv2.convexHull(px.astype(np.float32)).reshape(-1, 2).astype(float)

    def ellipsoid(self, spec: tuple[tuple[float, ...], tuple[float, ...]]) -> Part:
        centre, semi = spec
        box = self.cam.project_ellipsoid(self.world(centre), self.rot, np.asarray(semi) * self.s)
        return Part(0.0, 0, (0.0, 0.0, 0.0), ellipses=(box,))


def head_parts(
    skel: Skeleton, cam: Camera, skin: RGB, hair: RGB, group_depth: float, height_cm: float
) -> list[Part]:
    """Parts of the head, all at `group_depth` and ordered among themselves.

    Args:
        skel: the posed skeleton.
        cam: the camera.
        skin, hair: colours, 0-255.
        group_depth: depth key shared by the head parts (drawn after the trunk).
        height_cm: body height (head size scales with it).
    """
    head = _Head(skel, cam, height_cm)
    shade = 0.05 * height_cm * cam.px_per_cm
    # the hair cap covers crown, temples and back down to the hairline: drawn over the skull;
    # seen from the front it would hide the face, so there it goes behind the skull and shows
    # as a rim
    hair_on_top = float(head.rot[:, 0] @ cam.toward) <= 0.5
    first = 100 if hair_on_top else 101
    parts = [
        Part(group_depth, first + rank, skin, ellipses=head.ellipsoid(spec).ellipses,
             shade_px=shade)
        for rank, spec in enumerate((_JAW, _CRANIUM))
    ]  # fmt: skip
    hair_px = head.outline(_HAIR_POINTS)
    parts.append(Part(group_depth, 102 if hair_on_top else 100, hair, (hair_px,), shade_px=shade))
    parts += _ears(head, skin, group_depth, shade * 0.3)
    parts += _face(head, skin, hair, group_depth, height_cm * cam.px_per_cm)
    return parts


def _ears(head: _Head, skin: RGB, depth: float, shade: float) -> list[Part]:
    t = np.linspace(0.0, 2.0 * np.pi, 16, endpoint=False)
    parts = []
    for sign in (1.0, -1.0):
        lateral = head.rot @ np.array([0.0, 0.0, sign])
        if float(lateral @ head.cam.toward) < -0.2:
            continue  # the far ear is hidden behind the skull
        cx, cy, cz = _EAR_CENTRE
        ring = np.stack(
            [cx + _EAR_SEMI[0] * np.cos(t), cy + _EAR_SEMI[1] * np.sin(t), np.full_like(t, cz)],
            axis=1,
        )
        ring[:, 2] *= sign
        parts.append(Part(depth, 110, _scale(skin, 0.9), (head.px(ring),), shade_px=shade))
    return parts


def _face(head: _Head, skin: RGB, hair: RGB, depth: float, body_px: float) -> list[Part]:
    parts: list[Part] = []
    if head.facing(_NOSE[1]) > -0.3:
        nose = head.px(list(_NOSE))
        hull = cv2.convexHull(nose.astype(np.float32)).reshape(-1, 2).astype(float)
        parts.append(Part(depth, 120, _scale(skin, 0.93), (hull,), shade_px=body_px * 0.004))
    ex, ey, ez = HEAD_POINTS_175["eye"]
    mx, my, mz = HEAD_POINTS_175["mouth"]
    for sign in (1.0, -1.0):
        eye = (ex, ey, sign * ez)
        if head.facing(eye) < 0.12:
            continue
        parts.append(Part(depth, 130, _SCLERA_RGB, (_disc(head, eye, 1.25, 0.6),)))
        iris = (ex + 0.25, ey, sign * ez)
        parts.append(Part(depth, 131, _IRIS_RGB, (_disc(head, iris, 0.6, 0.55),)))
        brow = head.px([(x, y, sign * z) for x, y, z in _BROW])
        parts.append(Part(depth, 132, _scale(hair, 0.9), lines=((brow, body_px * 0.004),)))
        corner = (mx, my, sign * mz)
        if head.facing(corner) > 0.0:
            lip = head.px([corner, _MOUTH_MID])
            parts.append(Part(depth, 133, _LIP_RGB, lines=((lip, body_px * 0.0035),)))
    return parts


def _disc(
    head: _Head, centre: tuple[float, float, float], half_w: float, half_h: float
) -> np.ndarray:
    """Outline `(12, 2)` px of a small disc on the face surface (an eye), facing forward."""
    t = np.linspace(0.0, 2.0 * np.pi, 12, endpoint=False)
    cx, cy, cz = centre
    ring = np.stack([np.full_like(t, cx), cy + half_h * np.sin(t), cz + half_w * np.cos(t)], 1)
    ring[:, 0] += 0.8 * np.cos(t) ** 2  # bulge a little so it shows in profile
    return head.px(ring)
