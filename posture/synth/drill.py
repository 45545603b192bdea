"""The runner's figure lying on a mat, doing the text's three core exercises: parameters and
the pose at any time.

The body is posed in the runner's own frame (x forward, y up, z left, pelvis at the origin:
a crunch is a forward trunk lean, a leg raise a hip flexion, a back extension a backward
lean), then turned onto the floor: on the back (head toward world -x, face up) or face down.
The result is a `Skeleton`, so `figure.py`, `face.py` and `raster.py` draw it unchanged.

Each rep is a raised-cosine rise of the rep angle from its rest value to the rep's peak, a
pause at the peak, the mirror fall and a rest on the floor. The truth (`drill_truth.py`) is
read back off the posed geometry, never from these scripted numbers.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from posture.errors import UsageError
from posture.synth.anthro import BodyDims
from posture.synth.gait import BodyOscillation
from posture.synth.legs import FootShape, LegPose
from posture.synth.params import SynthParams
from posture.synth.skeleton import Skeleton, hand_points, head_points, rot_pitch

#: The exercises this generator can draw, by their `drills.toml` id.
DRILLS = ("mini_crunch", "lying_leg_raise", "prone_back_extension")
FACINGS = ("head_left", "head_right")
#: Body frame -> world: on the back (up -> -x, forward -> +y) or face down (up -> -x,
#: forward -> -y); both proper rotations, so the figure's left stays its left.
_SUPINE = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
_PRONE = np.array([[0.0, -1.0, 0.0], [-1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
#: Hip-joint height lying down, fraction of stature: on the back the buttocks lie under it,
#: face down the front of the pelvis.
HIP_HEIGHT_SUPINE = 0.058
HIP_HEIGHT_PRONE = 0.065
#: Ankle height of legs resting on the floor (heel on the mat / shin on the mat).
ANKLE_REST_SUPINE = 0.040
ANKLE_REST_PRONE = 0.030
#: Knee angle (180 straight) when not set: bent for the crunch, straight otherwise.
DEFAULT_KNEE_DEG = {"mini_crunch": 90.0, "lying_leg_raise": 178.0, "prone_back_extension": 178.0}
#: The trunk's rest angle in the leg raise: the hands under the head lift the shoulders.
LEG_RAISE_TRUNK_DEG = 4.0
RANGES: dict[str, tuple[float, float]] = {
    "height_cm": (140.0, 210.0),
    "rise_s": (0.3, 3.0),
    "rest_s": (0.3, 10.0),
    "lead_s": (0.3, 5.0),
    "fps": (10.0, 60.0),
    "body_frac": (0.4, 0.85),
    "noise_level": (0.0, 20.0),
    "crf": (0.0, 51.0),
}
PEAK_RANGE = {"mini_crunch": (10.0, 100.0), "lying_leg_raise": (20.0, 120.0),
              "prone_back_extension": (8.0, 50.0)}  # fmt: skip


@dataclass(frozen=True)
class DrillParams:
    """Everything that defines one synthetic drill clip; equal params give identical frames.

    Attributes:
        exercise: one of `DRILLS`.
        reps: number of reps.
        peaks_deg: each rep's peak of the exercise's rep angle (`drills.toml` `angle`),
            cycled over the reps. plateau_s: pause at the peak, cycled likewise.
        knee_deg: knee angle (180 straight) through the clip; None: the exercise's default.
        facing: `head_left` or `head_right` of the hips in the image (side view).
        rise_s: floor -> peak (and back) time. rest_s: time on the floor between reps.
        lead_s: rest before the first rep (and after the last).
        height_cm, seed (outfit, noise), background, noise_level, supersample, crf: as for
            the running clips. body_frac: standing height / frame width.
        resolution_wh, fps: video size (both even) and frame rate.
    """

    exercise: str = "mini_crunch"
    reps: int = 5
    peaks_deg: tuple[float, ...] = (45.0,)
    plateau_s: tuple[float, ...] = (0.3,)
    knee_deg: float | None = None
    facing: str = "head_left"
    rise_s: float = 0.8
    rest_s: float = 0.8
    lead_s: float = 1.0
    height_cm: float = 175.0
    resolution_wh: tuple[int, int] = (640, 360)
    fps: float = 30.0
    seed: int = 0
    background: bool = True
    noise_level: float = 2.0
    body_frac: float = 0.7
    supersample: int = 2
    crf: float = 26.0

    def __post_init__(self) -> None:
        if self.exercise not in DRILLS:
            raise UsageError(f"drill must be one of {', '.join(DRILLS)}, got {self.exercise!r}")
        if self.facing not in FACINGS:
            raise UsageError(f"facing must be head_left or head_right, got {self.facing!r}")
        if not isinstance(self.reps, int) or not 1 <= self.reps <= 60:
            raise UsageError(f"reps must be an integer in [1, 60], got {self.reps!r}")
        lo, hi = PEAK_RANGE[self.exercise]
        if not self.peaks_deg or not all(lo <= p <= hi for p in self.peaks_deg):
            raise UsageError(f"peaks for {self.exercise} must be in [{lo:g}, {hi:g}] deg")
        if not self.plateau_s or not all(0.0 <= p <= 5.0 for p in self.plateau_s):
            raise UsageError("pauses at the peak must be in [0, 5] s")
        if self.knee_deg is not None and not 60.0 <= self.knee_deg <= 180.0:
            raise UsageError(f"knee angle must be in [60, 180] deg, got {self.knee_deg:g}")
        for name, (low, high) in RANGES.items():
            value = float(getattr(self, name))
            if not math.isfinite(value) or not low <= value <= high:
                raise UsageError(f"{name} must be in [{low:g}, {high:g}], got {value:g}")
        if self.duration_s > 120.0:
            raise UsageError(f"the clip would last {self.duration_s:.0f} s (at most 120 s)")
        self.body_params()  # resolution, seed, supersample checked as for a running clip

    @property
    def knee(self) -> float:
        return DEFAULT_KNEE_DEG[self.exercise] if self.knee_deg is None else self.knee_deg

    def peak(self, i: int) -> float:
        return self.peaks_deg[i % len(self.peaks_deg)]

    def plateau(self, i: int) -> float:
        return self.plateau_s[i % len(self.plateau_s)]

    def rep_span(self, i: int) -> tuple[float, float]:
        """(start, end) of rep `i`'s movement, s: from leaving the floor to being back."""
        start = self.lead_s + sum(2 * self.rise_s + self.plateau(k) + self.rest_s for k in range(i))
        return start, start + 2 * self.rise_s + self.plateau(i)

    @property
    def duration_s(self) -> float:
        return self.rep_span(self.reps - 1)[1] + self.lead_s

    @property
    def n_frames(self) -> int:
        return max(1, round(self.duration_s * self.fps))

    def body_params(self) -> SynthParams:
        """The running params the shared figure and backdrop read (outfit, body, image)."""
        return SynthParams(
            view="side_right" if self.facing == "head_left" else "side_left",
            height_cm=self.height_cm, resolution_wh=self.resolution_wh, fps=self.fps,
            duration_s=1.0, seed=self.seed, background=self.background,
            noise_level=self.noise_level, supersample=self.supersample, crf=self.crf,
        )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["resolution_wh"] = list(self.resolution_wh)
        out["peaks_deg"] = list(self.peaks_deg)
        out["plateau_s"] = list(self.plateau_s)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DrillParams:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"unknown drill synth parameter(s): {', '.join(unknown)}")
        kw = dict(data)
        for key in ("resolution_wh", "peaks_deg", "plateau_s"):
            if key in kw:
                kw[key] = tuple(kw[key])
        if "resolution_wh" in kw:
            kw["resolution_wh"] = tuple(int(v) for v in kw["resolution_wh"])
        return cls(**kw)


def rest_angle_deg(params: DrillParams) -> float:
    """The rep angle lying at rest (the legs' hip -> ankle line sits a little below the hip)."""
    if params.exercise != "lying_leg_raise":
        return 0.0
    dims = BodyDims.from_height(params.height_cm)
    drop = (HIP_HEIGHT_SUPINE - ANKLE_REST_SUPINE) * dims.height_cm
    return -math.degrees(math.asin(drop / _hip_ankle_cm(dims, params.knee)))


def rep_angle_deg(params: DrillParams, t_s: float) -> float:
    """The scripted rep angle at `t_s` (rest between reps)."""
    base = rest_angle_deg(params)
    for i in range(params.reps):
        start, end = params.rep_span(i)
        if start <= t_s < end:
            u = t_s - start
            top = params.plateau(i)
            if u < params.rise_s:
                w = u / params.rise_s
            elif u < params.rise_s + top:
                w = 1.0
            else:
                w = 1.0 - (u - params.rise_s - top) / params.rise_s
            return base + (params.peak(i) - base) * (1.0 - math.cos(math.pi * w)) / 2.0
    return base


def _hip_ankle_cm(dims: BodyDims, knee_deg: float) -> float:
    t, s = dims.thigh_cm, dims.shank_cm
    return math.sqrt(t * t + s * s - 2 * t * s * math.cos(math.radians(knee_deg)))


def _limb(deg: float) -> np.ndarray:
    """Body-frame unit vector pointing down, swung forward by `deg`."""
    r = math.radians(deg)
    return np.array([math.sin(r), -math.cos(r), 0.0])


def _rot2(v: np.ndarray, deg: float) -> np.ndarray:
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return np.array([c * v[0] - s * v[1], s * v[0] + c * v[1], 0.0])


def _two_bone(a: np.ndarray, target: np.ndarray, l1: float, l2: float, pole: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """(middle joint, reachable end) of a two-segment chain from `a` toward `target`, the
    middle joint bending toward `pole`."""
    d = target - a
    dist = float(np.linalg.norm(d))
    reach = min(max(dist, abs(l1 - l2) + 1e-3), l1 + l2 - 1e-3)
    u = d / max(dist, 1e-9)
    v = pole - (pole @ u) * u
    v = v / max(float(np.linalg.norm(v)), 1e-9)
    along = (l1 * l1 - l2 * l2 + reach * reach) / (2 * reach)
    mid = a + along * u + math.sqrt(max(l1 * l1 - along * along, 0.0)) * v
    return mid, a + reach * u


_NO_OSC = BodyOscillation(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, (0.0, 0.0), (0.0, 0.0))


class DrillPoser:
    """Poses the lying figure of a clip at any time."""

    def __init__(self, params: DrillParams) -> None:
        self.params = params
        self.dims = BodyDims.from_height(params.height_cm)
        self.foot = FootShape.from_dims(self.dims)
        self.prone = params.exercise == "prone_back_extension"
        self.world = _PRONE if self.prone else _SUPINE
        h = self.dims.height_cm
        self.hip_y = (HIP_HEIGHT_PRONE if self.prone else HIP_HEIGHT_SUPINE) * h
        self.ankle_rest_y = (ANKLE_REST_PRONE if self.prone else ANKLE_REST_SUPINE) * h
        self.s = h / 175.0

    def at(self, t_s: float) -> Skeleton:
        """The skeleton (world cm, floor y = 0, pelvis above x = 0) at `t_s`."""
        p, d = self.params, self.dims
        angle = rep_angle_deg(p, t_s)
        lean = {"mini_crunch": angle, "lying_leg_raise": LEG_RAISE_TRUNK_DEG,
                "prone_back_extension": -angle}[p.exercise]  # fmt: skip
        trunk = rot_pitch(lean)
        pelvis = rot_pitch(0.25 * lean if p.exercise == "mini_crunch" else 0.0)
        neck, head_flex = (10.0 + 0.2 * lean, 12.0) if not self.prone else (-0.3 * angle, -15.0)
        head = trunk @ rot_pitch(head_flex)
        pts: dict[str, np.ndarray] = {"pelvis": np.zeros(3)}
        for side, sign in (("left", 1.0), ("right", -1.0)):
            pts[f"hip_{side}"] = sign * d.hip_half_cm * pelvis[:, 2]
        up, fwd, left = trunk[:, 1], trunk[:, 0], trunk[:, 2]
        shoulder_line = d.trunk_cm * up
        pts["neck_base"] = shoulder_line + 0.012 * d.height_cm * up - 0.025 * d.height_cm * fwd
        for side, sign in (("left", 1.0), ("right", -1.0)):
            pts[f"shoulder_{side}"] = shoulder_line + sign * d.shoulder_half_cm * left
        ear_mid = shoulder_line + d.shoulder_ear_cm * (trunk @ rot_pitch(neck))[:, 1]
        pts["head_pivot"] = ear_mid
        pts.update(head_points(ear_mid, head, self.s))
        legs = tuple(self._leg(side, angle, pts) for side in ("left", "right"))
        for side, sign in (("left", 1.0), ("right", -1.0)):
            self._arm(side, sign, trunk, head, ear_mid, pts)
        offset = np.array([0.0, self.hip_y, 0.0])
        world = {k: self.world @ v + offset for k, v in pts.items()}
        return Skeleton(world, self.world @ trunk, self.world @ pelvis, self.world @ head,
                        _NO_OSC, (legs[0], legs[1]))  # fmt: skip

    def _thigh_and_flexion(self, angle: float) -> tuple[float, float, float]:
        """(hip flexion, knee flexion, foot pitch), body frame, degrees."""
        p, d = self.params, self.dims
        flex = 180.0 - p.knee
        if p.exercise == "mini_crunch":
            # feet flat on the floor: solve the hip flexion that puts the ankle at its height
            drop = self.ankle_rest_y + 0.0 - self.hip_y  # body x of the ankle (supine: world y)
            lo, hi = flex / 2.0 - 60.0, 120.0
            for _ in range(50):
                mid = 0.5 * (lo + hi)
                x = d.thigh_cm * math.sin(math.radians(mid))
                x += d.shank_cm * math.sin(math.radians(mid - flex))
                lo, hi = (mid, hi) if x < drop else (lo, mid)
            return 0.5 * (lo + hi), flex, -90.0
        c = _hip_ankle_cm(d, p.knee)
        delta = math.degrees(math.asin(d.shank_cm * math.sin(math.radians(flex)) / c))
        if self.prone:
            rest = math.degrees(math.asin((self.hip_y - self.ankle_rest_y) / c))
            return rest + delta, flex, -70.0
        return angle + delta, flex, -20.0

    def _leg(self, side: str, angle: float, pts: dict[str, np.ndarray]) -> LegPose:
        d = self.dims
        thigh, flex, foot_rel = self._thigh_and_flexion(angle)
        hip = pts[f"hip_{side}"]
        knee = hip + d.thigh_cm * _limb(thigh)
        ankle = knee + d.shank_cm * _limb(thigh - flex)
        # the foot's pitch (+ toe up, 0 flat in the standing frame): the crunch's is fixed
        # flat on the floor, the others follow the shank
        foot_deg = foot_rel if self.params.exercise == "mini_crunch" else thigh - flex + foot_rel
        heel = ankle + _rot2(self.foot.heel, foot_deg)
        toe = ankle + _rot2(self.foot.toe, foot_deg)
        for name, q in (("knee", knee), ("ankle", ankle), ("heel", heel), ("toe", toe)):
            pts[f"{name}_{side}"] = q
        return LegPose(knee[:2], ankle[:2], heel[:2], toe[:2], foot_deg, stance=False)

    def _arm(self, side: str, sign: float, trunk: np.ndarray, head: np.ndarray,
             ear_mid: np.ndarray, pts: dict[str, np.ndarray]) -> None:  # fmt: skip
        d, s = self.dims, self.s
        left, up = trunk[:, 2], trunk[:, 1]
        if self.params.exercise == "mini_crunch":
            # hands relaxed by the ears, fingers toward the crown, elbows out
            wrist_target = ear_mid + head @ (np.array([1.0, 1.0, sign * 12.0]) * s)
            hand_dir = head[:, 1]
            pole = sign * left + 0.6 * up
        else:
            # hands crossed behind the head, elbows out
            wrist_target = ear_mid + head @ (np.array([-11.0, 1.5, -sign * 3.0]) * s)
            hand_dir = -sign * head[:, 2]
            pole = sign * left + 0.4 * up + 0.3 * trunk[:, 0]
        elbow, wrist = _two_bone(pts[f"shoulder_{side}"], wrist_target, d.upper_arm_cm,
                                 d.forearm_cm, pole)  # fmt: skip
        thumb_up = np.cross(hand_dir, trunk[:, 0])
        thumb_up = thumb_up / max(float(np.linalg.norm(thumb_up)), 1e-9)
        pts[f"elbow_{side}"] = elbow
        pts.update(hand_points(side, wrist, hand_dir, thumb_up, d.hand_cm, s))
