"""`LiveFeedback`: one frame's landmarks in, what to show the runner out. No I/O.

The same measuring code as `posture check` (`LiveAnalyser` runs the registry's metric
functions and the offline step and stride tables over a trailing window; `RuleMonitor`
judges the same rules TOML with the same rule engine), run causally.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posture.live.calibration import (
    DEFAULT_CALIBRATION_S,
    Baselines,
    CalibrationState,
    Calibrator,
)
from posture.live.cues import DEFAULT_HOLD_S, Cue, CueSelector, RuleMonitor
from posture.metrics.config import default_config
from posture.metrics.live import LiveAnalyser, LiveValues
from posture.rules import RuleSet, RuleStatus
from posture.settings import Settings


@dataclass(frozen=True)
class Feedback:
    """What one processed frame tells the runner.

    Attributes:
        timestamp_ms: the frame's source time.
        live: the frame's measurements (values now, rolling figures, body height, view);
            head pitch and shoulder hunch from the runner's calibrated neutrals once
            calibrated.
        levels: rule id -> live level.
        cue: the one cue shown.
        calibration: calibration progress.
    """

    timestamp_ms: float
    live: LiveValues
    levels: dict[str, RuleStatus]
    cue: Cue
    calibration: CalibrationState = field(default_factory=lambda: CalibrationState("idle"))

    @property
    def values(self) -> dict[str, float]:
        return self.live.values

    @property
    def view(self) -> str | None:
        return self.live.view

    @property
    def facing(self) -> str | None:
        return self.live.facing


class LiveFeedback:
    """`update(timestamp_ms, landmarks, world) -> Feedback`; `calibrate(t_ms)` starts the
    stand-tall calibration.

    Args:
        settings: analysis settings (view, context, height, rules path).
        rules: the rule set.
        fps_hint: expected processed frame rate.
        hold_s: shortest time a cue is shown.
        calibration_s: how long the runner stands tall when calibrating.
    """

    def __init__(
        self,
        settings: Settings,
        rules: RuleSet,
        *,
        fps_hint: float = 30.0,
        hold_s: float = DEFAULT_HOLD_S,
        calibration_s: float = DEFAULT_CALIBRATION_S,
    ) -> None:
        self.analyser = LiveAnalyser(settings.analysis, fps_hint=fps_hint)
        self.monitor = RuleMonitor(rules, settings.analysis.context)
        self.selector = CueSelector(rules, hold_s=hold_s)
        self.calibrator = Calibrator(calibration_s)

    @property
    def baselines(self) -> Baselines | None:
        return self.calibrator.baselines

    def calibrate(self, t_ms: float) -> None:
        self.calibrator.start(t_ms)

    def update(self, timestamp_ms: float, landmarks: np.ndarray, world: np.ndarray) -> Feedback:
        """Feedback for one frame: `landmarks` `(33, 5)`, `world` `(33, 3)` (NaN: nobody)."""
        live = self.analyser.update(timestamp_ms, landmarks, world)
        calibration = self.calibrator.update(timestamp_ms, live.values)
        if calibration.phase == "done" and self.calibrator.baselines is not None:
            # From the next frame on, the same formulas measure from the runner's neutrals.
            base = self.calibrator.baselines.metric_config(default_config())
            if self.analyser.config != base:
                self.analyser.use_config(base)
        running = live.activity in (None, "running")  # None: the window is still filling
        levels = self.monitor.update(timestamp_ms, live.values, live.view, running)
        cue = self.selector.update(timestamp_ms / 1000.0, levels)
        return Feedback(timestamp_ms, live, levels, cue, calibration)
