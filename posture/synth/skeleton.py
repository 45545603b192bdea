"""The runner's 3D joint centres and face points at one instant.

World frame, cm: x forward (direction of travel), y up from the floor, z toward the runner's
left. The treadmill keeps the pelvis at x = 0. Truth and drawing both read these points, so
what is drawn is exactly what is reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posture.synth.anthro import BodyDims
from posture.synth.gait import BodyOscillation, StepSchedule, oscillation
from posture.synth.legs import LegModel, LegPose, smoothstep
from posture.synth.params import SynthParams

SIDES = ("left", "right")
#: Feet land this far inside the hip joints (a running step is narrower than the hips).
FOOT_INWARD_CM = 4.0
UPPER_ARM_ABDUCTION_DEG = 10.0
FOREARM_ADDUCTION_DEG = 14.0

#: Face points in the head frame (x forward, y up, z left; origin = midpoint of the ears
#: (tragion), Frankfort plane horizontal), cm for a 175 cm body; `_left`/`_right` get +z/-z.
#: Tragion sits about 9.5 cm behind the brow and 10 cm in front of the back of the skull.
HEAD_POINTS_175: dict[str, tuple[float, float, float]] = {
    "nose": (11.8, -3.3, 0.0),
    "eye_inner": (8.9, 2.0, 1.6),
    "eye": (8.3, 2.0, 3.1),
    "eye_outer": (7.3, 2.0, 4.5),
    "ear": (0.0, 0.0, 7.3),
    "mouth": (9.4, -6.6, 2.3),
}


def head_points(ear_mid: np.ndarray, head_rot: np.ndarray, scale: float) -> dict[str, np.ndarray]:
    """The face landmarks (`HEAD_POINTS_175`, left/right for the paired ones) in world cm for
    a head at `ear_mid` turned by `head_rot`, sized by `scale` (height / 175 cm)."""
    pts = {}
    for name, (x, y, z) in HEAD_POINTS_175.items():
        if z == 0.0:
            pts[name] = ear_mid + head_rot @ (np.array([x, y, z]) * scale)
            continue
        for side, sign in (("left", 1.0), ("right", -1.0)):
            pts[f"{name}_{side}"] = ear_mid + head_rot @ (np.array([x, y, sign * z]) * scale)
    return pts


def hand_points(
    side: str,
    wrist: np.ndarray,
    hand: np.ndarray,
    thumb_up: np.ndarray,
    hand_cm: float,
    scale: float,
) -> dict[str, np.ndarray]:
    """Wrist, fist, index, pinky and thumb of one hand pointing along unit `hand`, the thumb
    side toward unit `thumb_up`; `scale` is height / 175 cm."""
    return {
        f"wrist_{side}": wrist,
        f"fist_{side}": wrist + hand_cm * hand,
        f"index_{side}": wrist + 0.9 * hand_cm * hand + 1.5 * scale * thumb_up,
        f"pinky_{side}": wrist + 0.75 * hand_cm * hand - 2.0 * scale * thumb_up,
        f"thumb_{side}": wrist + 0.55 * hand_cm * hand + 2.8 * scale * thumb_up,
    }


def rot_pitch(deg: float) -> np.ndarray:
    """Rotation about the lateral axis; + tips up (0, 1, 0) toward forward (1, 0, 0)."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])


def rot_roll(deg: float) -> np.ndarray:
    """Rotation about the forward axis; + tips up (0, 1, 0) toward the left (+z)."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[1.0, 0.0, 0.0], [0.0, c, -s], [0.0, s, c]])


def rot_yaw(deg: float) -> np.ndarray:
    """Rotation about the vertical axis; + turns forward (1, 0, 0) toward the left (+z)."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([[c, 0.0, -s], [0.0, 1.0, 0.0], [s, 0.0, c]])


@dataclass(frozen=True)
class Skeleton:
    """Named 3D points (cm) and the frames needed to draw the figure.

    Attributes:
        points: name -> `(3,)` position. Sided names end in `_left`/`_right`
            (the runner's anatomical sides).
        trunk_rot: `(3, 3)` thorax orientation (columns: forward, up, left).
        pelvis_rot: `(3, 3)` pelvis orientation.
        head_rot: `(3, 3)` head orientation.
        osc: the whole-body oscillation values used.
        legs: sagittal leg poses, left then right.
    """

    points: dict[str, np.ndarray]
    trunk_rot: np.ndarray
    pelvis_rot: np.ndarray
    head_rot: np.ndarray
    osc: BodyOscillation
    legs: tuple[LegPose, LegPose]


class SkeletonModel:
    """Poses the figure at any time of the simulated span."""

    def __init__(self, params: SynthParams, dims: BodyDims, schedule: StepSchedule) -> None:
        self.params = params
        self.dims = dims
        self.schedule = schedule
        self.legs = LegModel(
            dims, schedule, params.speed_mps, params.overstride_cm, params.strike_knee_deg
        )
        self.head_scale = dims.height_cm / 175.0

    def osc(self, t_s: float) -> BodyOscillation:
        """Whole-body oscillation at `t_s`."""
        return oscillation(self.params, self.schedule, t_s, self.legs.strike_hip_cm)

    def hip_joint(self, t_s: float, side: str) -> np.ndarray:
        """Hip joint centre `(3,)` of `side` at `t_s`."""
        o = self.osc(t_s)
        sign = 1.0 if side == "left" else -1.0
        offset = rot_yaw(o.pelvis_yaw_deg) @ np.array([0.0, 0.0, sign * self.dims.hip_half_cm])
        return np.array([0.0, o.pelvis_y_cm, o.pelvis_z_cm]) + offset

    def at(self, t_s: float) -> Skeleton:
        """The full skeleton at `t_s`."""
        o = self.osc(t_s)
        trunk_rot = rot_roll(o.trunk_roll_deg) @ rot_pitch(o.trunk_lean_deg)
        trunk_rot = trunk_rot @ rot_yaw(o.thorax_yaw_deg)
        # lumbopelvic rhythm: the lumbar spine takes about half of a forward lean, so the
        # pelvis tilts less than the thorax
        pelvis_rot = rot_pitch(0.5 * o.trunk_lean_deg) @ rot_yaw(o.pelvis_yaw_deg)
        head_rot = rot_yaw(o.head_yaw_deg) @ rot_pitch(self.params.head_pitch_deg)
        pts: dict[str, np.ndarray] = {}
        pts["pelvis"] = np.array([0.0, o.pelvis_y_cm, o.pelvis_z_cm])
        legs = tuple(self._leg(t_s, side, pts) for side in SIDES)
        self._trunk_and_head(o, trunk_rot, head_rot, pts)
        for side, sign, arm_i in (("left", 1.0, 0), ("right", -1.0, 1)):
            self._arm(side, sign, o.arm_fwd_deg[arm_i], o.elbow_deg[arm_i], trunk_rot, pts)
        return Skeleton(pts, trunk_rot, pelvis_rot, head_rot, o, (legs[0], legs[1]))

    def _leg(self, t_s: float, side: str, pts: dict[str, np.ndarray]) -> LegPose:
        sign = 1.0 if side == "left" else -1.0
        hip = self.hip_joint(t_s, side)
        leg = self.legs.pose(t_s, side == "left", lambda t: self.hip_joint(t, side)[:2])
        strikes = self.schedule.strikes_s

        def planted_z(k: int) -> float:
            return float(self.hip_joint(strikes[k], side)[2]) - sign * FOOT_INWARD_CM

        if leg.stance:
            foot_z = planted_z(leg.strike_k)
        else:
            blend = smoothstep(leg.swing_w)
            foot_z = (1 - blend) * planted_z(leg.strike_k) + blend * planted_z(leg.strike_k + 2)
        knee_z = 0.5 * (hip[2] + foot_z) + sign * 1.0
        pts[f"hip_{side}"] = hip
        pts[f"knee_{side}"] = np.array([*leg.knee, knee_z])
        for name in ("ankle", "heel", "toe"):
            pts[f"{name}_{side}"] = np.array([*getattr(leg, name), foot_z])
        return leg

    def _trunk_and_head(
        self,
        o: BodyOscillation,
        trunk_rot: np.ndarray,
        head_rot: np.ndarray,
        pts: dict[str, np.ndarray],
    ) -> None:
        d, p = self.dims, self.params
        up, fwd, left = trunk_rot[:, 1], trunk_rot[:, 0], trunk_rot[:, 2]
        shoulder_line = pts["pelvis"] + d.trunk_cm * up  # neutral shoulder-joint midpoint
        pts["neck_base"] = shoulder_line + 0.012 * d.height_cm * up - 0.025 * d.height_cm * fwd
        raised = shoulder_line + p.shoulder_elevation_cm * up + p.shoulder_rounding_cm * fwd
        for side, sign in (("left", 1.0), ("right", -1.0)):
            pts[f"shoulder_{side}"] = raised + sign * d.shoulder_half_cm * left
        neck_dir = rot_pitch(o.trunk_lean_deg + p.neck_flexion_deg) @ np.array([0.0, 1.0, 0.0])
        ear_mid = shoulder_line + d.shoulder_ear_cm * neck_dir
        pts["head_pivot"] = ear_mid
        pts.update(head_points(ear_mid, head_rot, self.head_scale))

    def _arm(
        self,
        side: str,
        sign: float,
        fwd_deg: float,
        elbow_deg: float,
        trunk_rot: np.ndarray,
        pts: dict[str, np.ndarray],
    ) -> None:
        d = self.dims
        shoulder = pts[f"shoulder_{side}"]
        upper = trunk_rot @ _limb_dir(fwd_deg, sign * UPPER_ARM_ABDUCTION_DEG)
        elbow = shoulder + d.upper_arm_cm * upper
        fore_deg = fwd_deg + elbow_deg
        fore = trunk_rot @ _limb_dir(fore_deg, -sign * FOREARM_ADDUCTION_DEG)
        wrist = elbow + d.forearm_cm * fore
        hand_deg = fore_deg + 15.0  # a relaxed wrist, slightly flexed
        hand = trunk_rot @ _limb_dir(hand_deg, -sign * FOREARM_ADDUCTION_DEG)
        thumb_up = trunk_rot @ np.array(
            [math.cos(math.radians(hand_deg)), math.sin(math.radians(hand_deg)), 0.0]
        )
        pts[f"elbow_{side}"] = elbow
        pts.update(hand_points(side, wrist, hand, thumb_up, d.hand_cm, self.head_scale))


def _limb_dir(fwd_deg: float, out_deg: float) -> np.ndarray:
    """Unit vector pointing down, swung forward by `fwd_deg` and sideways (+z) by `out_deg`."""
    a, b = math.radians(fwd_deg), math.radians(out_deg)
    return np.array([math.sin(a) * math.cos(b), -math.cos(a) * math.cos(b), math.sin(b)])
