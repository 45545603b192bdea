"""Turn a `Skeleton` into shaded, depth-ordered parts: body, clothing and shoes.

Limbs are tapered capsules (hull of projected joint spheres), the trunk is lofted from
elliptical cross-sections, so every view gets a plausible silhouette from one 3D model.
The head lives in `face.py`.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import cv2
import numpy as np

from posture.synth.anthro import BodyDims
from posture.synth.camera import Camera
from posture.synth.face import head_parts
from posture.synth.params import SynthParams
from posture.synth.raster import Part
from posture.synth.skeleton import Skeleton

RGB = tuple[float, float, float]
_SKINS: tuple[RGB, ...] = ((224, 172, 138), (198, 134, 100), (141, 90, 62), (238, 192, 158))
_SHIRTS: tuple[RGB, ...] = ((196, 42, 48), (34, 92, 170), (40, 140, 84), (226, 176, 36))
_SHORTS: tuple[RGB, ...] = ((32, 32, 38), (38, 46, 78), (70, 70, 74))
_SHOES: tuple[RGB, ...] = ((60, 64, 72), (214, 84, 44), (40, 120, 200))
_HAIRS: tuple[RGB, ...] = ((42, 30, 22), (92, 62, 36), (22, 22, 24), (150, 112, 62))
_CIRCLE = np.stack(
    [np.cos(np.linspace(0, 2 * np.pi, 24, endpoint=False)), np.sin(np.linspace(0, 2 * np.pi, 24))],
    axis=1,
)
#: Trunk cross-sections: (height along the trunk, half width, half depth, forward offset)
#: as fractions of body height, and how much of the shrug/rounding each one follows.
#: The hip joint sits in the front half of the pelvis: the buttocks reach further behind it
#: than the lower belly does in front.
_SHORTS_RINGS = ((-0.045, 0.090, 0.060, -0.018, 0.0), (0.0, 0.094, 0.064, -0.014, 0.0),
                 (0.06, 0.090, 0.058, -0.006, 0.0), (0.10, 0.083, 0.054, 0.001, 0.0))  # fmt: skip
_SHIRT_RINGS = ((0.085, 0.088, 0.058, 0.003, 0.0), (0.13, 0.082, 0.055, 0.006, 0.0),
                (0.20, 0.094, 0.063, 0.010, 0.2), (0.255, 0.100, 0.058, 0.004, 0.7),
                (0.298, 0.074, 0.045, -0.008, 1.0))  # fmt: skip
#: Limb radii as fractions of body height.
_R: dict[str, tuple[float, float]] = {
    "thigh": (0.050, 0.031), "shank": (0.029, 0.019), "calf": (0.034, 0.034),
    "upper_arm": (0.029, 0.021), "forearm": (0.021, 0.016), "fist": (0.019, 0.022),
    "neck": (0.034, 0.034),
}  # fmt: skip


@dataclass(frozen=True)
class Palette:
    """Outfit and skin colours, picked from the seed."""

    skin: RGB
    shirt: RGB
    shorts: RGB
    shoes: RGB
    hair: RGB

    @classmethod
    def from_seed(cls, seed: int) -> Palette:
        rng = np.random.default_rng([seed, 2])
        pick = [int(rng.integers(0, len(c))) for c in (_SKINS, _SHIRTS, _SHORTS, _SHOES, _HAIRS)]
        return cls(
            _SKINS[pick[0]], _SHIRTS[pick[1]], _SHORTS[pick[2]], _SHOES[pick[3]], _HAIRS[pick[4]]
        )


def shade_rgb(rgb: RGB, factor: float) -> RGB:
    """`rgb` scaled by `factor`, clipped to 0-255."""
    return (min(rgb[0] * factor, 255.0), min(rgb[1] * factor, 255.0), min(rgb[2] * factor, 255.0))


def capsule(cam: Camera, centres: list[np.ndarray], radii_cm: list[float]) -> np.ndarray:
    """Convex outline `(k, 2)` px of spheres at `centres` (world cm) with `radii_cm`."""
    xy = cam.project(np.stack(centres))
    rings = [c + _CIRCLE * r * cam.px_per_cm for c, r in zip(xy, radii_cm, strict=True)]
    hull = cv2.convexHull(np.concatenate(rings).astype(np.float32))
    return hull.reshape(-1, 2).astype(np.float64)


class FigureBuilder:
    """Builds the part list of one frame."""

    def __init__(self, params: SynthParams, dims: BodyDims, cam: Camera) -> None:
        self.params = params
        self.dims = dims
        self.cam = cam
        self.palette = Palette.from_seed(params.seed)
        self.h = dims.height_cm

    def parts(self, skel: Skeleton) -> list[Part]:
        """All parts of the figure for `skel`."""
        pelvis_depth = float(self.cam.depth(skel.points["pelvis"][None])[0])
        torso_key = pelvis_depth + 4.0  # limbs at the trunk's own depth draw over it
        parts = self._trunk(skel, torso_key)
        for side in ("left", "right"):
            parts += self._leg(skel, side, pelvis_depth)
            parts += self._arm(skel, side, pelvis_depth)
        neck_top = skel.points["head_pivot"] + skel.head_rot @ np.array([-1.0, -3.5, 0.0])
        neck = capsule(self.cam, [skel.points["neck_base"], neck_top], [_R["neck"][0] * self.h] * 2)
        group = min(float(self.cam.depth(skel.points["head_pivot"][None])[0]), torso_key - 0.5)
        parts.append(Part(group, 50, self.palette.skin, (neck,), shade_px=self._px(0.02)))
        parts += head_parts(skel, self.cam, self.palette.skin, self.palette.hair, group, self.h)
        return parts

    def _px(self, frac_h: float) -> float:
        return frac_h * self.h * self.cam.px_per_cm

    def _tone(self, rgb: RGB, depth: float, pelvis_depth: float) -> RGB:
        """Darken parts on the far side of the body (ambient occlusion, and a depth cue)."""
        far = float(np.clip((depth - pelvis_depth) / (0.1 * self.h), 0.0, 1.0))
        return shade_rgb(rgb, 1.0 - 0.28 * far)

    def _trunk(self, skel: Skeleton, torso_key: float) -> list[Part]:
        shorts = self._loft(skel, _SHORTS_RINGS, skel.pelvis_rot)
        shirt = self._loft(skel, _SHIRT_RINGS, skel.trunk_rot)
        radius = self._px(0.05)
        return [
            Part(torso_key, 0, self.palette.shorts, shorts, shade_px=radius),
            Part(torso_key, 1, self.palette.shirt, shirt, shade_px=radius),
        ]

    def _loft(
        self, skel: Skeleton, rings: tuple[tuple[float, ...], ...], rot: np.ndarray
    ) -> tuple[np.ndarray, ...]:
        """Hulls of consecutive cross-sections (keeps the waist's concavity)."""
        p, h = self.params, self.h
        carry = p.shoulder_elevation_cm * skel.trunk_rot[:, 1]
        carry = carry + p.shoulder_rounding_cm * skel.trunk_rot[:, 0]
        angles = np.linspace(0.0, 2.0 * np.pi, 20, endpoint=False)
        projected = []
        for y, half_w, half_d, fwd, follow in rings:
            local = np.stack(
                [fwd + half_d * np.cos(angles), np.full_like(angles, y), half_w * np.sin(angles)],
                axis=1,
            )
            world = skel.points["pelvis"] + (local * h) @ rot.T + follow * carry
            projected.append(self.cam.project(world))
        return tuple(
            cv2.convexHull(np.concatenate([a, b]).astype(np.float32)).reshape(-1, 2).astype(float)
            for a, b in itertools.pairwise(projected)
        )

    def _leg(self, skel: Skeleton, side: str, pelvis_depth: float) -> list[Part]:
        pts, h, pal = skel.points, self.h, self.palette
        hip, knee, ankle = pts[f"hip_{side}"], pts[f"knee_{side}"], pts[f"ankle_{side}"]
        thigh_d = float(self.cam.depth(np.stack([hip, knee])).mean())
        shank_d = float(self.cam.depth(np.stack([knee, ankle])).mean())
        calf = knee + 0.3 * (ankle - knee) - 0.006 * h * _shank_normal(knee, ankle)
        r_hip, r_knee = _R["thigh"][0] * h, _R["thigh"][1] * h
        thigh = capsule(self.cam, [hip, knee], [r_hip, r_knee])
        shorts_end = hip + 0.42 * (knee - hip)
        leg_of_shorts = capsule(self.cam, [hip, shorts_end], [r_hip * 1.12, r_hip * 1.02])
        shank = capsule(
            self.cam,
            [knee, calf, ankle],
            [_R["shank"][0] * h, _R["calf"][0] * h, _R["shank"][1] * h],
        )
        skin_t = self._tone(pal.skin, thigh_d, pelvis_depth)
        skin_s = self._tone(pal.skin, shank_d, pelvis_depth)
        shorts = self._tone(pal.shorts, thigh_d, pelvis_depth)
        return [
            Part(thigh_d, 0, skin_t, (thigh,), shade_px=self._px(0.03)),
            Part(thigh_d, 1, shorts, (leg_of_shorts,), shade_px=self._px(0.035)),
            Part(shank_d, 0, skin_s, (shank,), shade_px=self._px(0.02)),
            *self._shoe(skel, side, shank_d - 0.1, pelvis_depth),
        ]

    def _shoe(self, skel: Skeleton, side: str, depth: float, pelvis_depth: float) -> list[Part]:
        pts, h = skel.points, self.h
        ankle, heel, toe = pts[f"ankle_{side}"], pts[f"heel_{side}"], pts[f"toe_{side}"]
        up = np.array([0.0, 1.0, 0.0])
        along = (toe - heel) / max(float(np.linalg.norm(toe - heel)), 1e-6)
        sole_up = np.cross(np.array([0.0, 0.0, 1.0]), along)  # perpendicular, upward
        sole_up = sole_up if sole_up[1] > 0 else -sole_up
        half_w = np.array([0.0, 0.0, 0.028 * h])
        profile = [
            heel - 0.012 * h * sole_up,
            heel + 0.02 * h * up,
            ankle + 0.012 * h * up - 0.02 * h * along,
            ankle + 0.016 * h * along,
            toe + 0.012 * h * sole_up - 0.02 * h * along,
            toe,
            toe - 0.01 * h * sole_up,
        ]
        ring = np.stack([q + s * half_w for q in profile for s in (-1.0, 1.0)])
        outline = cv2.convexHull(self.cam.project(ring).astype(np.float32)).reshape(-1, 2)
        sole = self.cam.project(np.stack([heel - 0.012 * h * sole_up, toe - 0.008 * h * sole_up]))
        colour = self._tone(self.palette.shoes, depth, pelvis_depth)
        sole_rgb = self._tone((236.0, 236.0, 232.0), depth, pelvis_depth)
        return [
            Part(depth, 2, colour, (outline.astype(float),), shade_px=self._px(0.015)),
            Part(depth, 3, sole_rgb, lines=((sole, self._px(0.008)),)),
        ]

    def _arm(self, skel: Skeleton, side: str, pelvis_depth: float) -> list[Part]:
        pts, h, pal = skel.points, self.h, self.palette
        sh, el, wr = pts[f"shoulder_{side}"], pts[f"elbow_{side}"], pts[f"wrist_{side}"]
        fist = pts[f"fist_{side}"]
        upper_d = float(self.cam.depth(np.stack([sh, el])).mean())
        fore_d = float(self.cam.depth(np.stack([el, wr])).mean())
        r_ua, r_fa, r_fist = (np.array(_R[k]) * h for k in ("upper_arm", "forearm", "fist"))
        sleeve_end = sh + 0.45 * (el - sh)
        return [
            Part(upper_d, 0, self._tone(pal.skin, upper_d, pelvis_depth),
                 (capsule(self.cam, [sh, el], list(r_ua)),), shade_px=self._px(0.02)),
            Part(upper_d, 1, self._tone(pal.shirt, upper_d, pelvis_depth),
                 (capsule(self.cam, [sh, sleeve_end], [r_ua[0] * 1.2, r_ua[0] * 1.1]),),
                 shade_px=self._px(0.025)),
            Part(fore_d, 0, self._tone(pal.skin, fore_d, pelvis_depth),
                 (capsule(self.cam, [el, wr], list(r_fa)),), shade_px=self._px(0.015)),
            Part(fore_d, 1, self._tone(shade_rgb(pal.skin, 0.95), fore_d, pelvis_depth),
                 (capsule(self.cam, [wr, fist], list(r_fist)),), shade_px=self._px(0.015)),
        ]  # fmt: skip


def _shank_normal(knee: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """Unit vector perpendicular to the shank in the sagittal plane, toward the shin."""
    d = ankle - knee
    n = np.array([-d[1], d[0], 0.0])  # rotate the downward shank toward forward
    return n / max(float(np.linalg.norm(n)), 1e-6)
