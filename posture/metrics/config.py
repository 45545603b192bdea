"""Constants of the metrics stage, read from the shipped, commented `calibration.toml`.

The TOML is the single place these numbers are defined; `MetricConfig` only gives them types.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import Any

CALIBRATION_FILE = "calibration.toml"


@dataclass(frozen=True)
class SmoothingConfig:
    cutoff_hz: float
    order: int
    max_gap_s: float
    visibility_min: float


@dataclass(frozen=True)
class OneEuroConfig:
    min_cutoff_hz: float
    beta: float
    d_cutoff_hz: float


@dataclass(frozen=True)
class HeadConfig:
    pitch_neutral_ear_nose_deg: float
    pitch_neutral_ear_eye_deg: float
    pitch_neutral_ear_mouth_deg: float
    pitch_neutral_eye_mouth_deg: float
    pitch_offset_deg: float
    depth_over_half_ear_width: float

    @property
    def pitch_neutrals_deg(self) -> tuple[float, float, float, float]:
        """Neutral angle of each face line in `geometry.FACE_LINES` order."""
        return (
            self.pitch_neutral_ear_nose_deg,
            self.pitch_neutral_ear_eye_deg,
            self.pitch_neutral_ear_mouth_deg,
            self.pitch_neutral_eye_mouth_deg,
        )


@dataclass(frozen=True)
class ShouldersConfig:
    ear_shoulder_over_torso_neutral_side: float
    ear_shoulder_over_torso_neutral_front: float


@dataclass(frozen=True)
class BodyConfig:
    thigh_over_height: float
    shank_over_height: float
    trunk_over_height: float
    leg_length_percentile: float
    world_length_scale: float

    @property
    def leg_over_height(self) -> float:
        """Hip joint -> ankle length over stature."""
        return self.thigh_over_height + self.shank_over_height


@dataclass(frozen=True)
class ViewConfig:
    side_max_width_ratio: float
    smooth_window_s: float
    min_segment_s: float


@dataclass(frozen=True)
class StepsConfig:
    search_min_spm: float
    min_spm: float
    max_spm: float
    min_prominence_fraction: float
    outlier_fraction: float
    cv_window_strides: int
    default_stride_s: float


@dataclass(frozen=True)
class CameraConfig:
    moving_min_legs_s: float
    cut_min_change: float
    cut_over_background: float


@dataclass(frozen=True)
class ActivityConfig:
    window_strides: float
    min_stretch_s: float
    run_min_knee_deg: float
    run_min_split_side: float
    run_min_split_front: float
    walk_min_split_range: float
    run_min_spm: float
    run_max_spm: float
    lying_min_trunk_deg: float
    lying_max_hip_legs: float
    crouch_min_trunk_deg: float
    crouch_always_trunk_deg: float
    accelerating_min_legs_s2: float
    start_accelerating_s: float
    switch_jump_legs: float
    min_leg_px: float


@dataclass(frozen=True)
class MetricConfig:
    """All constants of the metrics stage (see `calibration.toml` for meaning and sources)."""

    smoothing: SmoothingConfig
    one_euro: OneEuroConfig
    head: HeadConfig
    shoulders: ShouldersConfig
    body: BodyConfig
    view: ViewConfig
    steps: StepsConfig
    camera: CameraConfig
    activity: ActivityConfig

    def r_neutral(self, view: str) -> float:
        """Neutral ear-shoulder / torso ratio for `view` (`side`, `front` or `rear`)."""
        s = self.shoulders
        if view == "side":
            return s.ear_shoulder_over_torso_neutral_side
        return s.ear_shoulder_over_torso_neutral_front


def _section(cls: type, name: str, raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ValueError(f"{CALIBRATION_FILE}: [{name}] must be a table")
    expected = {f.name: f.type for f in fields(cls)}
    unknown = sorted(set(raw) - set(expected))
    missing = sorted(set(expected) - set(raw))
    if unknown or missing:
        raise ValueError(f"{CALIBRATION_FILE}: [{name}] unknown {unknown}, missing {missing}")
    values: dict[str, Any] = {}
    for key, type_name in expected.items():
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{CALIBRATION_FILE}: {name}.{key} must be a number, got {value!r}")
        values[key] = int(value) if type_name == "int" else float(value)
    return cls(**values)


def parse_config(raw: dict[str, Any]) -> MetricConfig:
    """Build a `MetricConfig` from a parsed TOML document; ValueError names a bad key."""
    sections = {f.name: f.type for f in fields(MetricConfig)}
    unknown = sorted(set(raw) - set(sections))
    if unknown:
        raise ValueError(f"{CALIBRATION_FILE}: unknown sections {unknown}")
    classes = {
        "smoothing": SmoothingConfig,
        "one_euro": OneEuroConfig,
        "head": HeadConfig,
        "shoulders": ShouldersConfig,
        "body": BodyConfig,
        "view": ViewConfig,
        "steps": StepsConfig,
        "camera": CameraConfig,
        "activity": ActivityConfig,
    }
    return MetricConfig(**{k: _section(c, k, raw.get(k)) for k, c in classes.items()})


@cache
def default_config() -> MetricConfig:
    """The shipped calibration (cached)."""
    text = resources.files("posture.metrics").joinpath(CALIBRATION_FILE).read_text("utf-8")
    return parse_config(tomllib.loads(text))
