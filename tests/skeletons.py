"""Builders of synthetic runners as `PoseTrack`s with known posture, bounce and cadence.

The skeleton follows the metric definitions of docs/METRICS.md exactly (orthographic camera,
Drillis & Contini segment proportions), so analysing it must give back the parameters:

- side view: hip midpoint bounces `bounce_cm` peak to trough once per step (its lowest points
  are the steps); the trunk leans `lean_deg` toward travel; the shoulder -> ear line is
  `neck_flexion_deg` ahead of the trunk line; every face line of head pitch (ear -> nose,
  ear -> eye, ear -> mouth, eye -> mouth) dips its neutral angle + `head_pitch_deg` below
  horizontal; |ear -> shoulder| / |shoulder -> hip|
  is `ear_shoulder_over_torso`. Left and right points coincide in x/y and differ in z.
- front / rear view: as above with no lean, plus a hip side-to-side sway of `sway_cm` peak to
  peak and a head yaw of `yaw_pp_deg` peak to peak, both once per stride.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posture.metrics.config import default_config
from posture.pose.landmarks import LM
from posture.pose.track import PoseTrack

CFG = default_config()
_EYES = (
    LM.LEFT_EYE_INNER, LM.LEFT_EYE, LM.LEFT_EYE_OUTER,
    LM.RIGHT_EYE_INNER, LM.RIGHT_EYE, LM.RIGHT_EYE_OUTER,
)  # fmt: skip


def _eye_over_mouth() -> float:
    """|ear -> eye| / |ear -> mouth| that puts eye -> mouth at its neutral angle."""
    h = CFG.head
    e = np.radians(h.pitch_neutral_ear_eye_deg)
    m = np.radians(h.pitch_neutral_ear_mouth_deg)
    t = np.tan(np.radians(h.pitch_neutral_eye_mouth_deg))
    # mouth - k * eye (unit vectors) points at angle t: solve the linear equation in k.
    return float((t * np.cos(m) - np.sin(m)) / (t * np.cos(e) - np.sin(e)))


_EYE_OVER_MOUTH = _eye_over_mouth()


@dataclass(frozen=True)
class Runner:
    """Parameters of a synthetic runner (truth values)."""

    view: str = "side"  # side | front | rear
    facing: str = "right"  # side view only
    lean_deg: float = 5.0
    head_pitch_deg: float = 0.0
    neck_flexion_deg: float = 15.0
    ear_shoulder_over_torso: float = 0.36
    bounce_cm: float = 8.0
    sway_cm: float = 4.0
    yaw_pp_deg: float = 10.0
    cadence_spm: float = 170.0
    height_cm: float = 175.0
    px_per_cm: float = 2.0
    fps: float = 30.0
    duration_s: float = 10.0
    origin_px: tuple[float, float] = (640.0, 400.0)
    resolution_wh: tuple[int, int] = (1280, 960)

    @property
    def leg_cm(self) -> float:
        return CFG.body.leg_over_height * self.height_cm


def _unit(angle_rad: np.ndarray, forward: float) -> np.ndarray:
    """Image direction `(n, 2)` at `angle` from image-up, toward `forward` (+1 / -1 in x)."""
    return np.stack([forward * np.sin(angle_rad), -np.cos(angle_rad)], axis=-1)


def _legs(
    lm: np.ndarray, hip: np.ndarray, phase: np.ndarray, r: Runner, fwd: float, side_view: bool
) -> None:
    """Swinging legs: thigh +/-30 deg about vertical, knee bent up to 100 deg, feet forward."""
    body = CFG.body
    h = r.height_cm * r.px_per_cm
    thigh, shank = body.thigh_over_height * h, body.shank_over_height * h
    for (ih, ik, ia, ihe, it), ph, lat in (
        ((LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX), 0.0, 1),
        (
            (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX),
            np.pi,
            -1,
        ),
    ):
        a1 = np.radians(30.0) * np.sin(phase + ph)
        a2 = a1 - np.radians(50.0) * (1 + np.sin(phase + ph + 1.0))  # a running swing knee
        if side_view:
            hip_pt = hip
            knee = hip_pt + thigh * np.stack([fwd * np.sin(a1), np.cos(a1)], -1)
            ankle = knee + shank * np.stack([fwd * np.sin(a2), np.cos(a2)], -1)
            lm[:, [ih, ik, ia, ihe, it], 2] = lat * 0.05 * h
        else:  # swing toward the camera: foreshortened in the image
            hip_pt = lm[:, ih, :2]
            knee = hip_pt + np.stack([np.zeros_like(a1), thigh * np.cos(a1)], -1)
            ankle = knee + np.stack([np.zeros_like(a2), shank * np.cos(a2)], -1)
            toward = -1.0 if r.view == "front" else 1.0  # forward swing: nearer the camera
            lm[:, ik, 2] = toward * thigh * np.sin(a1)
            lm[:, [ia, ihe, it], 2] = (lm[:, ik, 2] + toward * shank * np.sin(a2))[:, None]
        lm[:, ik, :2], lm[:, ia, :2] = knee, ankle
        lm[:, ihe, :2] = ankle + np.array([-fwd * 0.02 * h, 0.02 * h])
        lm[:, it, :2] = ankle + np.array([fwd * 0.08 * h, 0.03 * h])


def _head(
    lm: np.ndarray,
    ear: np.ndarray,
    r: Runner,
    fwd: float,
    yaw: np.ndarray,
    lateral: float,
    depth: float,
) -> None:
    """Nose, eyes, ears and mouth around the ear midpoint `ear` `(n, 2)`."""
    h = r.height_cm * r.px_per_cm
    half = 0.041 * h  # half the bitragion breadth
    d = CFG.head.depth_over_half_ear_width * half
    if r.view == "side":
        # Eye and mouth distances chosen so that eye -> mouth also sits at its neutral angle.
        head = CFG.head
        for angle, dist, points in (
            (head.pitch_neutral_ear_nose_deg, d, (LM.NOSE,)),
            (head.pitch_neutral_ear_eye_deg, _EYE_OVER_MOUTH * d, _EYES),
            (head.pitch_neutral_ear_mouth_deg, d, (LM.MOUTH_LEFT, LM.MOUTH_RIGHT)),
        ):
            dip = np.radians(angle + r.head_pitch_deg)
            for i in points:
                lm[:, i, :2] = ear + dist * np.array([fwd * np.cos(dip), np.sin(dip)])
        for left, right in ((LM.LEFT_EAR, LM.RIGHT_EAR),):
            lm[:, left, :2] = lm[:, right, :2] = ear
            lm[:, left, 2], lm[:, right, 2] = half, -half
        return
    nose = ear + np.stack([lateral * d * np.sin(yaw), 0.03 * h * np.ones_like(yaw)], -1)
    lm[:, LM.LEFT_EAR, :2] = ear + np.stack([lateral * half * np.cos(yaw), 0 * yaw], -1)
    lm[:, LM.RIGHT_EAR, :2] = ear - np.stack([lateral * half * np.cos(yaw), 0 * yaw], -1)
    lm[:, [LM.LEFT_EAR, LM.RIGHT_EAR], 2] = 0.0
    lm[:, LM.NOSE, 2] = depth * d * np.cos(yaw)
    lm[:, LM.NOSE, :2] = nose
    for i in (
        LM.LEFT_EYE_INNER,
        LM.LEFT_EYE,
        LM.LEFT_EYE_OUTER,
        LM.RIGHT_EYE_INNER,
        LM.RIGHT_EYE,
        LM.RIGHT_EYE_OUTER,
        LM.MOUTH_LEFT,
        LM.MOUTH_RIGHT,
    ):
        lm[:, i, :2] = 0.7 * nose + 0.3 * ear


def build_track(r: Runner) -> PoseTrack:
    """A `PoseTrack` of runner `r` (see the module docstring for the geometry)."""
    n = round(r.duration_s * r.fps)
    t_s = np.arange(n) / r.fps
    h = r.height_cm * r.px_per_cm
    fwd = 1.0 if r.facing == "right" else -1.0
    side = r.view == "side"
    lateral = 1.0 if r.view == "front" else -1.0  # runner's left on the image right
    depth = -1.0 if r.view == "front" else 1.0  # nose nearer (front) / farther (rear)
    step_phase = 2 * np.pi * r.cadence_spm / 60.0 * t_s
    stride_phase = 0.5 * step_phase
    x0, y0 = r.origin_px
    bounce = 0.5 * r.bounce_cm * r.px_per_cm * np.cos(step_phase)  # +: lower (image y down)
    sway = (0.0 if side else 0.5 * r.sway_cm * r.px_per_cm) * np.sin(stride_phase)
    hip = np.stack([x0 + sway, y0 + bounce], -1)
    lean = np.radians(r.lean_deg if side else 0.0)
    trunk = CFG.body.trunk_over_height * h
    shoulder = hip + trunk * _unit(np.full(n, lean), fwd)
    neck = np.radians(r.neck_flexion_deg if side else 0.0)
    ear = shoulder + r.ear_shoulder_over_torso * trunk * _unit(lean + neck + 0 * t_s, fwd)
    lm = np.zeros((n, 33, 5))
    lm[..., 3:] = 0.99
    for (li, ri), centre, half in (
        ((LM.LEFT_HIP, LM.RIGHT_HIP), hip, 0.05 * h),
        ((LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER), shoulder, 0.115 * h),
    ):
        off = np.array([0.0 if side else lateral * half, 0.0])
        lm[:, li, :2], lm[:, ri, :2] = centre + off, centre - off
        lm[:, li, 2], lm[:, ri, 2] = (half, -half) if side else (0.0, 0.0)
    for (s_i, e_i, w_i), sgn in (
        ((LM.LEFT_SHOULDER, LM.LEFT_ELBOW, LM.LEFT_WRIST), 1),
        ((LM.RIGHT_SHOULDER, LM.RIGHT_ELBOW, LM.RIGHT_WRIST), -1),
    ):
        swing = sgn * 0.5 * np.sin(stride_phase)
        lm[:, e_i, :2] = lm[:, s_i, :2] + 0.17 * h * _unit(np.pi - swing, fwd)
        lm[:, w_i, :2] = lm[:, e_i, :2] + 0.15 * h * _unit(np.pi / 2 - swing, fwd)
    for finger, wrist in (
        (LM.LEFT_PINKY, LM.LEFT_WRIST),
        (LM.LEFT_INDEX, LM.LEFT_WRIST),
        (LM.LEFT_THUMB, LM.LEFT_WRIST),
        (LM.RIGHT_PINKY, LM.RIGHT_WRIST),
        (LM.RIGHT_INDEX, LM.RIGHT_WRIST),
        (LM.RIGHT_THUMB, LM.RIGHT_WRIST),
    ):
        lm[:, finger, :2] = lm[:, wrist, :2]
    yaw = np.radians(0.5 * r.yaw_pp_deg) * np.sin(stride_phase)
    _head(lm, ear, r, fwd, yaw, lateral, depth)
    _legs(lm, hip, stride_phase, r, fwd, side)
    world = np.zeros((n, 33, 3))
    world[..., :2] = (lm[..., :2] - hip[:, None, :]) / (r.px_per_cm * 100.0)
    world[..., 2] = lm[..., 2] / (r.px_per_cm * 100.0)
    return PoseTrack(
        timestamps_ms=t_s * 1000.0,
        landmarks=lm.astype(np.float32),
        world_landmarks_m=world.astype(np.float32),
        resolution_wh=r.resolution_wh,
        fps=r.fps,
        model="synthetic",
    )


def with_nan_rows(track: PoseTrack, rows: slice | np.ndarray) -> PoseTrack:
    """A copy of `track` with nobody detected in `rows`."""
    lm, world = track.landmarks.copy(), track.world_landmarks_m.copy()
    lm[rows], world[rows] = np.nan, np.nan
    return PoseTrack(
        track.timestamps_ms.copy(), lm, world, track.resolution_wh, track.fps, track.model
    )


def transformed(track: PoseTrack, scale: float, shift_px: tuple[float, float]) -> PoseTrack:
    """`track` with image x, y (and z) scaled about the origin and then shifted."""
    lm = track.landmarks.astype(np.float64).copy()
    lm[..., :3] *= scale
    lm[..., :2] += shift_px
    return PoseTrack(
        track.timestamps_ms.copy(),
        lm.astype(np.float32),
        track.world_landmarks_m.copy(),
        track.resolution_wh,
        track.fps,
        track.model,
    )
