"""Stand-tall calibration: the runner's own neutral head pitch and ear-shoulder distance.

Key `c` starts it: the runner stands tall, side-on, looking straight ahead for
`duration_s`. The medians become `Baselines`; from then on `head_pitch_deg` is measured from
the runner's own level gaze and `shoulder_hunch_pct` from their own relaxed shoulders, so the
head and shoulder rules judge changes from that posture rather than the shipped population
neutrals. `Calibrator.update(t_ms, values) -> CalibrationState` is a stage with no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from posture.metrics.config import MetricConfig

DEFAULT_CALIBRATION_S = 3.0
#: At least this share of the calibration frames must measure both values.
MIN_MEASURED_FRACTION = 0.5
Phase = Literal["idle", "collecting", "done", "failed"]


@dataclass(frozen=True)
class Baselines:
    """The runner's neutral posture.

    Attributes:
        head_pitch_deg: head pitch (shipped neutral already removed) while standing tall.
        ear_shoulder_over_torso: ear-shoulder / torso length ratio while standing tall.
        frames: frames the medians were taken over.
    """

    head_pitch_deg: float
    ear_shoulder_over_torso: float
    frames: int

    def metric_config(self, base: MetricConfig) -> MetricConfig:
        """`base` with the neutral head pitch and shoulder ratio taken from these baselines.

        The camera does not move during a session, so the calibrated ratio serves every view.
        """
        head = replace(base.head, pitch_offset_deg=base.head.pitch_offset_deg + self.head_pitch_deg)
        shoulders = replace(
            base.shoulders,
            ear_shoulder_over_torso_neutral_side=self.ear_shoulder_over_torso,
            ear_shoulder_over_torso_neutral_front=self.ear_shoulder_over_torso,
        )
        return replace(base, head=head, shoulders=shoulders)

    def to_dict(self) -> dict[str, float | int]:
        return {
            "head_pitch_deg": round(self.head_pitch_deg, 2),
            "ear_shoulder_over_torso": round(self.ear_shoulder_over_torso, 4),
            "frames": self.frames,
        }


@dataclass(frozen=True)
class CalibrationState:
    """Where calibration is: `phase`, seconds left while collecting, a message for the runner."""

    phase: Phase
    remaining_s: float = 0.0
    message: str = ""


class Calibrator:
    """`start(t_ms)`, then `update(t_ms, values) -> CalibrationState` each frame.

    Args:
        duration_s: how long the runner stands tall.
    """

    def __init__(self, duration_s: float = DEFAULT_CALIBRATION_S) -> None:
        if duration_s <= 0:
            raise ValueError(f"duration_s must be > 0, got {duration_s}")
        self.duration_s = duration_s
        self.baselines: Baselines | None = None
        self._start_ms: float | None = None
        self._pitch: list[float] = []
        self._ratio: list[float] = []
        self._state = CalibrationState("idle")

    def start(self, t_ms: float) -> None:
        self._start_ms, self._pitch, self._ratio = t_ms, [], []
        self._state = CalibrationState("collecting", self.duration_s, "Stand tall, look ahead")

    def update(self, t_ms: float, values: Mapping[str, float]) -> CalibrationState:
        if self._start_ms is None:
            return self._state
        self._pitch.append(values.get("head_pitch_deg", float("nan")))
        self._ratio.append(values.get("ear_shoulder_over_torso", float("nan")))
        elapsed_s = (t_ms - self._start_ms) / 1000.0
        if elapsed_s < self.duration_s:
            left = self.duration_s - elapsed_s
            self._state = CalibrationState("collecting", left, "Stand tall, look ahead")
            return self._state
        self._start_ms = None
        self._state = self._finish()
        return self._state

    def _finish(self) -> CalibrationState:
        pitch, ratio = np.asarray(self._pitch), np.asarray(self._ratio)
        ok = np.isfinite(pitch) & np.isfinite(ratio)
        if ok.sum() < max(3, MIN_MEASURED_FRACTION * ok.size):
            return CalibrationState(
                "failed",
                message="Calibration failed: stand side-on, whole body in view, then press c",
            )
        self.baselines = Baselines(
            float(np.median(pitch[ok])), float(np.median(ratio[ok])), int(ok.sum())
        )
        return CalibrationState("done", message="Calibrated")
