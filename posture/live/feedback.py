"""`LiveFeedback`: one frame's landmarks in, what to show the runner out. No I/O.

The same measuring code as `posture check` (`LiveAnalyser` runs the registry's metric
functions and the offline step and stride tables over a trailing window; `RuleMonitor`
judges the same rules TOML with the same rule engine), run causally.
"""

from __future__ import annotations

from collections.abc import Mapping
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
from posture.metrics.registry import METRICS
from posture.overlay.panels import State
from posture.rules import RuleSet, RuleStatus
from posture.rules.model import LEVELS
from posture.settings import Settings

#: What the screen says while no rule breaks but none can be judged either (grey, never the
#: green "Good form": a verdict only on evidence that could show the fault).
NO_RUNNER = "Step into view: the whole body"
MEASURING = "Measuring your form"
NOT_RUNNING = "{activity}: cues when you run"
GOOD_FORM = "Good form"


@dataclass(frozen=True)
class Headline:
    """The screen's main line: the cue, or what can be said when no rule breaks.

    Attributes:
        text: the line in large type.
        state: `warn` / `fail` (a cue), `ok` (rules judged, none broken) or `none` (nothing
            judged now: nobody in view, not running, or still measuring).
        detail: a smaller second line: the rules of this view not judged now (e.g.
            "not judged: bounce, pace CV" while no steps are found), "" when none.
    """

    text: str
    state: State
    detail: str = ""


def headline(
    cue: Cue, levels: Mapping[str, RuleStatus], rules: RuleSet, view: str | None,
    activity: str | None, runner_seen: bool,
) -> Headline:  # fmt: skip
    """The headline for one frame: the cue while one shows, else "Good form" only when at
    least one rule of the view is judged now, with the view's rules not judged named."""
    if cue.text is not None and cue.level != "ok":
        return Headline(cue.text, cue.level)
    if not runner_seen or view is None:
        return Headline(NO_RUNNER, "none")
    if activity in ("walking", "standing"):
        return Headline(NOT_RUNNING.format(activity=activity.capitalize()), "none")
    in_view = [r for r in rules.rules if view in r.views and levels.get(r.id) != "exempt"]
    waiting = [r for r in in_view if levels.get(r.id) not in LEVELS]
    if len(waiting) == len(in_view):
        return Headline(MEASURING, "none")
    labels = dict.fromkeys(METRICS[r.metric].label for r in waiting)
    return Headline(GOOD_FORM, "ok", f"not judged: {', '.join(labels)}" if labels else "")


#: A headline other than a cue is shown once it has held this long, so a frame without the
#: runner or a passing misread of the view never flashes "Step into view" on screen.
SETTLE_S = 1.0


class SettledHeadline:
    """`update(t_s, line) -> Headline`: the line shown. A cue shows at once (`CueSelector`
    already holds it, and it needs a sustained fault); any other line replaces the shown one
    only after its text has been the line's for `settle_s` without a break. The detail (what
    is not judged) follows the current line while the text stays."""

    def __init__(self, settle_s: float = SETTLE_S) -> None:
        self.settle_s = settle_s
        self._shown: Headline | None = None
        self._next: tuple[tuple[str, str], float] | None = None

    def update(self, t_s: float, line: Headline) -> Headline:
        key = (line.text, line.state)
        shown = self._shown
        if shown is None or line.state in ("warn", "fail") or key == (shown.text, shown.state):
            self._shown, self._next = line, None
            return line
        if self._next is None or self._next[0] != key:
            self._next = (key, t_s)
        if t_s - self._next[1] >= self.settle_s:
            self._shown, self._next = line, None
            return line
        return shown


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
        headline: the screen's main line (the cue, "Good form" or why nothing is judged).
    """

    timestamp_ms: float
    live: LiveValues
    levels: dict[str, RuleStatus]
    cue: Cue
    calibration: CalibrationState = field(default_factory=lambda: CalibrationState("idle"))
    headline: Headline = field(default_factory=lambda: Headline(MEASURING, "none"))

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
        self.rules = rules
        self.settled = SettledHeadline()
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
        seen = bool(np.isfinite(landmarks[:, 0]).any())
        line = headline(cue, levels, self.rules, live.view, live.activity, seen)
        line = self.settled.update(timestamp_ms / 1000.0, line)
        return Feedback(timestamp_ms, live, levels, cue, calibration, line)
