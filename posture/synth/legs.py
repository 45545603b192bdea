"""Leg kinematics over the running stride, in the sagittal plane (x forward, y up, cm).

Stance: the foot rests on the treadmill belt, which carries it backward at the belt speed; it
lands slightly toe-up (heel contact), rolls flat, then pivots on the ball up to toe-off. The
knee comes from two-link inverse kinematics, so the stance foot never slides or sinks.
Swing: thigh and knee angles follow typical running curves (knee flexion peaking near 100 deg
in early swing, thigh flexion near 33 deg late in swing), corrected smoothly at both ends so
they meet the stance poses at toe-off and at the next foot strike exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
from scipy.interpolate import PchipInterpolator

from posture.synth.anthro import BodyDims
from posture.synth.gait import CONTACT_FRAC, StepSchedule

#: Swing-phase knots (0 = toe-off, 1 = next strike) of thigh angle (+ forward of vertical)
#: and knee flexion, degrees, shaped after published running kinematics.
_SWING_W = np.array([0.0, 0.15, 0.35, 0.55, 0.75, 0.88, 1.0])
_THIGH_DEG = np.array([-20.0, -14.0, 5.0, 25.0, 33.0, 31.0, 25.0])
_KNEE_DEG = np.array([20.0, 62.0, 102.0, 92.0, 50.0, 24.0, 15.0])
_THIGH = PchipInterpolator(_SWING_W, _THIGH_DEG)
_KNEE = PchipInterpolator(_SWING_W, _KNEE_DEG)
STRIKE_TOE_UP_DEG = 8.0
TOE_OFF_PLANTAR_DEG = 35.0
#: knee flexion at foot strike by default (`SynthParams.strike_knee_deg`).
STRIKE_KNEE_DEG = 15.0
#: Ankle at strike, ahead of the hip joint, as a fraction of the foot's travel on the belt.
STRIKE_AHEAD_FRAC = 0.32

HipFn = Callable[[float], np.ndarray]  # time s -> hip joint (x, y) cm


def smoothstep(x: float) -> float:
    """0 below 0, 1 above 1, a cubic ease in between."""
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


def _rot(v: np.ndarray, deg: float) -> np.ndarray:
    """Rotate a 2D vector counter-clockwise (x forward, y up: + tips a foot toe-up)."""
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1]])


@dataclass(frozen=True)
class FootShape:
    """Foot points relative to the ankle joint with the foot flat, (x, y) cm."""

    heel_contact: np.ndarray
    ball: np.ndarray
    heel: np.ndarray
    toe: np.ndarray

    @classmethod
    def from_dims(cls, dims: BodyDims) -> FootShape:
        lf, ha = dims.foot_cm, dims.ankle_height_cm
        return cls(
            heel_contact=np.array([-0.15 * lf, -ha]),
            ball=np.array([0.50 * lf, -ha]),
            heel=np.array([-0.22 * lf, -0.70 * ha]),
            toe=np.array([0.78 * lf, -0.75 * ha]),
        )


@dataclass(frozen=True)
class LegPose:
    """One leg at one instant, sagittal (x, y) cm plus the foot's pitch."""

    knee: np.ndarray
    ankle: np.ndarray
    heel: np.ndarray
    toe: np.ndarray
    foot_deg: float  # + toe up
    stance: bool
    strike_k: int = -1  # index of this leg's latest foot strike in the schedule
    swing_w: float = -1.0  # swing progress in [0, 1), -1 during stance


def two_link_knee(hip: np.ndarray, ankle: np.ndarray, thigh: float, shank: float) -> np.ndarray:
    """Knee position bending forward; returns `(knee, reachable_ankle)` stacked as (2, 2)."""
    d_vec = ankle - hip
    d = float(np.hypot(*d_vec))
    d_ok = min(max(d, abs(thigh - shank) + 1e-3), thigh + shank - 1e-6)
    u = d_vec / max(d, 1e-9)
    along = (thigh**2 - shank**2 + d_ok**2) / (2.0 * d_ok)
    perp = np.array([-u[1], u[0]])  # straight down -> forward
    knee = hip + u * along + perp * math.sqrt(max(thigh**2 - along**2, 0.0))
    return np.stack([knee, hip + u * d_ok])


def segment_deg(top: np.ndarray, bottom: np.ndarray) -> float:
    """Angle of a downward segment from vertical, + when the bottom end is forward."""
    return math.degrees(math.atan2(bottom[0] - top[0], top[1] - bottom[1]))


class LegModel:
    """Sagittal leg poses for one runner on a treadmill."""

    def __init__(
        self,
        dims: BodyDims,
        schedule: StepSchedule,
        speed_mps: float,
        overstride_cm: float = 0.0,
        strike_knee_deg: float = STRIKE_KNEE_DEG,
    ) -> None:
        self.dims = dims
        self.schedule = schedule
        self.foot = FootShape.from_dims(dims)
        self.speed_cm_s = speed_mps * 100.0
        mean_step_s = float(np.mean(np.diff(schedule.strikes_s)))
        travel = min(self.speed_cm_s * CONTACT_FRAC * mean_step_s, 0.9 * dims.leg_cm)
        self.strike_ahead_cm = STRIKE_AHEAD_FRAC * travel + overstride_cm
        self.speed_cm_s = travel / (CONTACT_FRAC * mean_step_s)  # belt and foot agree
        knee_d = 2.0 * dims.thigh_cm * math.cos(math.radians(strike_knee_deg / 2.0))
        # within the parameter ranges the ankle is at most 55 cm ahead, the reach >= 79 cm
        heel_lift = _rot(-self.foot.heel_contact, STRIKE_TOE_UP_DEG)[1]
        #: pelvis height at foot strike: knee flexed strike_knee_deg, ankle strike_ahead forward
        self.strike_hip_cm = heel_lift + math.sqrt(knee_d**2 - self.strike_ahead_cm**2)

    def stance_ankle(self, k: int, t_s: float, hip_at_strike_x: float) -> tuple[np.ndarray, float]:
        """Ankle (x, y) and foot pitch during the stance of step `k`."""
        t0 = self.schedule.strikes_s[k]
        dur = CONTACT_FRAC * (self.schedule.strikes_s[k + 1] - t0)
        u = (t_s - t0) / dur
        if u < 0.15:
            foot_deg = STRIKE_TOE_UP_DEG * (1.0 - smoothstep(u / 0.15))
        else:
            foot_deg = -TOE_OFF_PLANTAR_DEG * smoothstep((u - 0.5) / 0.5) ** 1.5
        lift0 = _rot(-self.foot.heel_contact, STRIKE_TOE_UP_DEG)
        heel_x0 = hip_at_strike_x + self.strike_ahead_cm - lift0[0]
        heel_x = heel_x0 - self.speed_cm_s * (t_s - t0)
        if foot_deg >= 0.0:
            return np.array([heel_x, 0.0]) + _rot(-self.foot.heel_contact, foot_deg), foot_deg
        ball = np.array([heel_x + self.foot.ball[0] - self.foot.heel_contact[0], 0.0])
        return ball + _rot(-self.foot.ball, foot_deg), foot_deg

    def pose(self, t_s: float, left: bool, hip: HipFn) -> LegPose:
        """Pose of the `left` (else right) leg at `t_s`; `hip(t)` gives that hip's (x, y)."""
        strikes = self.schedule.strikes_s
        own = np.flatnonzero((self.schedule.left_foot == left) & (strikes <= t_s))
        k = int(own[-1])
        t_off = strikes[k] + CONTACT_FRAC * (strikes[k + 1] - strikes[k])
        if t_s < t_off:
            ankle, foot_deg = self.stance_ankle(k, t_s, float(hip(strikes[k])[0]))
            return replace(self._finish(hip(t_s), ankle, foot_deg, stance=True), strike_k=k)
        w = (t_s - t_off) / (strikes[k + 2] - t_off)
        return replace(self._swing(t_s, k, t_off, hip), strike_k=k, swing_w=w)

    def _swing(self, t_s: float, k: int, t_off: float, hip: HipFn) -> LegPose:
        strikes = self.schedule.strikes_s
        t_next = strikes[k + 2]
        w = (t_s - t_off) / (t_next - t_off)
        off = self._finish(
            hip(t_off), *self.stance_ankle(k, t_off, float(hip(strikes[k])[0])), stance=True
        )
        land = self._finish(
            hip(t_next), *self.stance_ankle(k + 2, t_next, float(hip(t_next)[0])), stance=True
        )
        ends = [_angles(hip(t_off), off), _angles(hip(t_next), land)]
        blend = smoothstep(w)
        thigh = float(_THIGH(w)) + (1 - blend) * (ends[0][0] - _THIGH_DEG[0])
        thigh += blend * (ends[1][0] - _THIGH_DEG[-1])
        knee_flex = float(_KNEE(w)) + (1 - blend) * (ends[0][1] - _KNEE_DEG[0])
        knee_flex += blend * (ends[1][1] - _KNEE_DEG[-1])
        h = hip(t_s)
        knee = h + self.dims.thigh_cm * _down(thigh)
        shank_deg = thigh - knee_flex
        ankle = knee + self.dims.shank_cm * _down(shank_deg)
        # ankle angle (foot relative to the shank) relaxes from toe-off to the landing angle
        a_blend = smoothstep(w / 0.6)
        ankle_rel = (1 - a_blend) * (off.foot_deg - ends[0][2]) + a_blend * (
            land.foot_deg - ends[1][2]
        )
        return self._foot_points(knee, ankle, shank_deg + ankle_rel, stance=False)

    def _finish(self, hip: np.ndarray, ankle: np.ndarray, foot_deg: float, stance: bool) -> LegPose:
        knee, reach = two_link_knee(hip, ankle, self.dims.thigh_cm, self.dims.shank_cm)
        return self._foot_points(knee, reach, foot_deg, stance)

    def _foot_points(
        self, knee: np.ndarray, ankle: np.ndarray, foot_deg: float, stance: bool
    ) -> LegPose:
        toe = ankle + _rot(self.foot.toe, foot_deg)
        if stance and foot_deg < 0.0:
            # the toes bend at the ball and stay flat on the belt during push-off
            toe = ankle + _rot(self.foot.ball, foot_deg) + (self.foot.toe - self.foot.ball)
        return LegPose(
            knee=knee,
            ankle=ankle,
            heel=ankle + _rot(self.foot.heel, foot_deg),
            toe=toe,
            foot_deg=foot_deg,
            stance=stance,
        )


def _down(deg: float) -> np.ndarray:
    """Unit vector pointing down, tilted forward by `deg`."""
    return np.array([math.sin(math.radians(deg)), -math.cos(math.radians(deg))])


def _angles(hip: np.ndarray, leg: LegPose) -> tuple[float, float, float]:
    """(thigh angle, knee flexion, shank angle) of a pose, degrees."""
    thigh = segment_deg(hip, leg.knee)
    shank = segment_deg(leg.knee, leg.ankle)
    return thigh, thigh - shank, shank
