"""Parameters of a synthetic running clip: one frozen, validated dataclass.

Every posture value here is the ground truth the generator draws; `truth.py` reports what the
figure's geometry actually did with it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

from posture.errors import UsageError

View = Literal["side_left", "side_right", "front", "rear"]
#: `side_left`: the runner faces screen-left (camera on the runner's left side);
#: `side_right`: faces screen-right (camera on the runner's right); `front`: runner faces the
#: camera; `rear`: camera behind the runner.
VIEWS: tuple[str, ...] = ("side_left", "side_right", "front", "rear")

#: (low, high) inclusive bounds of every numeric parameter, checked in `__post_init__`.
RANGES: dict[str, tuple[float, float]] = {
    "height_cm": (120.0, 220.0),
    "torso_lean_deg": (-15.0, 40.0),
    "torso_lean_osc_deg": (0.0, 5.0),
    "head_pitch_deg": (-30.0, 60.0),
    "neck_flexion_deg": (-15.0, 45.0),
    "shoulder_elevation_cm": (0.0, 8.0),
    "shoulder_rounding_cm": (0.0, 10.0),
    "bounce_cm": (2.0, 18.0),
    "lateral_sway_cm": (0.0, 25.0),
    "trunk_roll_deg": (0.0, 30.0),
    "head_yaw_amp_deg": (0.0, 45.0),
    "overstride_cm": (-10.0, 30.0),
    "strike_knee_deg": (5.0, 40.0),
    "cadence_spm": (120.0, 220.0),
    "cadence_cv_pct": (0.0, 20.0),
    "speed_mps": (1.5, 6.0),
    "fps": (10.0, 120.0),
    "duration_s": (0.5, 60.0),
    "subject_frac": (0.3, 0.9),
    "noise_level": (0.0, 20.0),
    "crf": (0.0, 51.0),
}
#: Bounds of the integer parameters.
INT_RANGES: dict[str, tuple[int, int]] = {"seed": (0, 2**31 - 1), "supersample": (1, 4)}
RESOLUTION_RANGE_PX = (64, 3840)


@dataclass(frozen=True)
class SynthParams:
    """Everything that defines one synthetic clip; equal params give identical frames.

    Attributes:
        view: camera view, one of `VIEWS`.
        height_cm: standing body height; every segment scales with it.
        torso_lean_deg: trunk (spine line, pelvis to the neck base) from vertical, + forward in
            the direction of travel. With `shoulder_rounding_cm == 0` it equals the hip-joint to
            shoulder-joint line's lean.
        torso_lean_osc_deg: amplitude of the trunk's twice-per-stride pitch oscillation.
        head_pitch_deg: head rotation about the upper neck relative to the world, + chin down,
            0 = Frankfort plane horizontal (eyes level).
        neck_flexion_deg: shoulder->ear line relative to the trunk line, + forward.
        shoulder_elevation_cm: shrug, shoulder joints raised along the trunk toward the ears.
        shoulder_rounding_cm: shoulder joints carried forward of the trunk line.
        bounce_cm: pelvis (hip-joint midpoint) vertical peak-to-trough per step.
        lateral_sway_cm: pelvis side-to-side peak-to-peak per stride.
        trunk_roll_deg: trunk side-to-side roll (over the stance foot) peak-to-peak per stride.
        head_yaw_amp_deg: amplitude (+/-) of the once-per-stride head shake.
        overstride_cm: the ankle lands this much further ahead of the hip than the default
            (32 % of the foot's travel on the belt); the stance travel is fixed by speed and
            contact time, so the foot also pushes off this much less far behind (less hip
            extension at toe-off).
        strike_knee_deg: knee flexion at foot strike (the pelvis is lower the more it bends).
        cadence_spm: mean steps per minute.
        cadence_cv_pct: step-interval coefficient of variation, drawn per step from `seed`.
        speed_mps: treadmill belt speed; sets how far the foot travels during contact.
        resolution_wh: `(width, height)` of the video in pixels, both even (yuv420p).
        fps: frames per second; frame `i` is at `i * 1000 / fps` ms.
        duration_s: clip length.
        seed: drives step timing, the start phase, the outfit colours and camera noise.
        background: textured wall and treadmill if True, a plain grey backdrop if False.
        noise_level: standard deviation of per-pixel camera noise, grey levels (0-255).
        subject_frac: standing body height as a fraction of the frame height.
        supersample: render at this many times the resolution, then downsample (anti-aliasing).
        crf: libx264 constant rate factor of the written MP4 (lower = better quality).
    """

    view: str = "side_left"
    height_cm: float = 175.0
    torso_lean_deg: float = 5.0
    torso_lean_osc_deg: float = 1.0
    head_pitch_deg: float = 0.0
    neck_flexion_deg: float = 0.0
    shoulder_elevation_cm: float = 0.0
    shoulder_rounding_cm: float = 0.0
    bounce_cm: float = 7.0
    lateral_sway_cm: float = 4.0
    trunk_roll_deg: float = 0.0
    head_yaw_amp_deg: float = 3.0
    overstride_cm: float = 0.0
    strike_knee_deg: float = 15.0
    cadence_spm: float = 170.0
    cadence_cv_pct: float = 2.0
    speed_mps: float = 3.2
    resolution_wh: tuple[int, int] = (480, 640)
    fps: float = 30.0
    duration_s: float = 5.0
    seed: int = 0
    background: bool = True
    noise_level: float = 2.0
    subject_frac: float = 0.72
    supersample: int = 2
    crf: float = 26.0

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise UsageError(f"view must be one of {', '.join(VIEWS)}, got {self.view!r}")
        for name, (low, high) in RANGES.items():
            _check_range(name, float(getattr(self, name)), low, high)
        for name, (ilow, ihigh) in INT_RANGES.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise UsageError(f"{name} must be an integer, got {value!r}")
            _check_range(name, value, ilow, ihigh)
        _check_resolution(self.resolution_wh)
        if not isinstance(self.background, bool):
            raise UsageError(f"background must be true or false, got {self.background!r}")

    @property
    def n_frames(self) -> int:
        """Number of frames in the clip (`round(duration_s * fps)`)."""
        return max(1, round(self.duration_s * self.fps))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; `from_dict(to_dict())` gives back an equal object."""
        out = asdict(self)
        out["resolution_wh"] = list(self.resolution_wh)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SynthParams:
        """Build from a dict such as the `params` of a truth file; unknown keys are rejected.

        Raises:
            UsageError: a key is unknown or a value is out of range.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"unknown synth parameter(s): {', '.join(unknown)}")
        kwargs = dict(data)
        if "resolution_wh" in kwargs:
            kwargs["resolution_wh"] = tuple(int(v) for v in kwargs["resolution_wh"])
        return cls(**kwargs)


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not math.isfinite(value) or not low <= value <= high:
        raise UsageError(f"{name} must be in [{low:g}, {high:g}], got {value:g}")


def _check_resolution(resolution_wh: tuple[int, int]) -> None:
    low, high = RESOLUTION_RANGE_PX
    if len(resolution_wh) != 2:
        raise UsageError(f"resolution_wh must be (width, height), got {resolution_wh!r}")
    for axis, value in zip(("width", "height"), resolution_wh, strict=True):
        if not isinstance(value, int) or not low <= value <= high or value % 2:
            raise UsageError(
                f"resolution_wh {axis} must be an even integer in [{low}, {high}], got {value!r}"
            )
