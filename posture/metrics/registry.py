"""The metrics this stage measures: id, unit, valid views and the sample each value is for.

Rules refer to metrics by these ids; `posture.rules` rejects any other id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Basis = Literal["frame", "step", "stride", "clip"]
SIDE: tuple[str, ...] = ("side",)
FRONT_REAR: tuple[str, ...] = ("front", "rear")
ALL_VIEWS: tuple[str, ...] = ("side", "front", "rear")


@dataclass(frozen=True)
class MetricSpec:
    """What one metric id means.

    Attributes:
        id: metric id, ending in its unit (`_deg`, `_cm`, `_pct`, `_pct_leg`, `_spm`).
        unit: unit shown in reports.
        views: camera views where the metric is valid; elsewhere it is NaN / not measured.
        basis: what one value describes: a frame, a step, a stride, or the whole clip.
        summary: one line for reports and docs.
    """

    id: str
    unit: str
    views: tuple[str, ...]
    basis: Basis
    summary: str


METRICS: dict[str, MetricSpec] = {
    s.id: s
    for s in (
        MetricSpec(
            "torso_lean_deg",
            "deg",
            SIDE,
            "frame",
            "hip-mid -> shoulder-mid from vertical, + forward",
        ),
        MetricSpec(
            "head_pitch_deg",
            "deg",
            SIDE,
            "frame",
            "ear -> nose below horizontal minus neutral, + looking down",
        ),
        MetricSpec(
            "neck_flexion_deg",
            "deg",
            SIDE,
            "frame",
            "shoulder-mid -> ear-mid against the torso line, + head forward",
        ),
        MetricSpec(
            "ear_shoulder_over_torso",
            "ratio",
            ("side", "front"),
            "frame",
            "|ear-mid -> shoulder-mid| / |shoulder-mid -> hip-mid|",
        ),
        MetricSpec(
            "shoulder_hunch_pct",
            "%",
            ("side", "front"),
            "frame",
            "ear-shoulder distance shortened vs neutral, + shrugged",
        ),
        MetricSpec(
            "shoulder_rounding_pct_torso",
            "% torso",
            SIDE,
            "frame",
            "shoulder-mid ahead of the hip -> ear line, + rounded",
        ),
        MetricSpec(
            "head_yaw_sway_deg", "deg", FRONT_REAR, "stride", "peak-to-peak head yaw per stride"
        ),
        MetricSpec(
            "vertical_bounce_pct_leg",
            "% leg",
            ALL_VIEWS,
            "step",
            "body rise per step (read at the shoulders), % leg length",
        ),
        MetricSpec(
            "vertical_bounce_cm",
            "cm",
            ALL_VIEWS,
            "step",
            "body rise per step (read at the shoulders), cm",
        ),
        MetricSpec(
            "lateral_sway_pct_leg",
            "% leg",
            FRONT_REAR,
            "stride",
            "pelvis side-to-side peak-to-peak per stride, % leg length",
        ),
        MetricSpec("cadence_spm", "steps/min", ALL_VIEWS, "step", "steps per minute"),
        MetricSpec(
            "cadence_cv_pct", "%", ALL_VIEWS, "clip", "coefficient of variation of step intervals"
        ),
    )
}

METRIC_IDS: tuple[str, ...] = tuple(METRICS)
