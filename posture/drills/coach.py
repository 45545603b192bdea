"""The live drill coach as a stage with no I/O: `DrillCoach.update(t_s, landmarks) -> Coaching`.

It runs the same `BodyGate` and `DrillTracker` as a recording's analysis and picks ONE cue at
a time, held at least `hold_s` so it can be read: a fault happening now ("Stop at 45
degrees", "Keep your legs straight") first, then a fault of the rep just finished ("Hold at
the top"), else the way up ("Up to 45 degrees") while rising. The count is always shown:
`set 2 of 3: 12 / 15`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posture.drills.angles import BodyGate
from posture.drills.angles import signals as angle_signals
from posture.drills.counter import DrillTracker
from posture.drills.model import DrillSettings, Exercise, Rep

DEFAULT_HOLD_S = 2.0
_SEVERITY = {"ok": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class Coaching:
    """What the athlete is shown for one frame.

    Attributes:
        cue: the one cue (None: nothing to say). level: `ok`, `warn` or `fail`.
        count: `set 2 of 3: 12 / 15`. angle_deg: the rep angle now (NaN: not measured).
        phase: `waiting`, `down`, `rising` or `up`. rep: the rep finished on this frame.
        changed: the cue changed on this frame (speak it).
    """

    cue: str | None
    level: str
    count: str
    angle_deg: float
    phase: str
    rep: Rep | None = None
    changed: bool = False


class DrillCoach:
    """`update(t_s, landmarks (33, 5)) -> Coaching` for one live frame."""

    def __init__(
        self, exercise: Exercise, settings: DrillSettings | None = None, *,
        hold_s: float = DEFAULT_HOLD_S,
    ) -> None:  # fmt: skip
        if not hold_s >= 0:
            raise ValueError(f"hold_s must be >= 0, got {hold_s}")
        self.exercise, self.hold_s = exercise, hold_s
        self.tracker = DrillTracker(exercise, settings)
        self.gate = BodyGate()
        self._cue: tuple[str | None, str] = (None, "ok")
        self._since_s = -math.inf
        self._cues = {c.id: c.cue for c in exercise.checks}
        self._pending: tuple[str, float] | None = None  # a finished rep's fault cue, until

    def update(self, t_s: float, landmarks: np.ndarray) -> Coaching:
        ex = self.exercise
        usable, head = (False, self.gate.head)
        if np.isfinite(landmarks[:, 0]).any():
            usable, head = self.gate.update(landmarks)
        nan = float("nan")
        if usable:
            values = {k: float(v[0]) for k, v in angle_signals(landmarks, ex.signals, head).items()}
        else:
            values = dict.fromkeys(ex.signals, nan)
        rep = self.tracker.update(t_s, values)
        state = self.tracker.state(values, t_s)
        if rep is not None and rep.faults:
            self._pending = (self._cues[rep.faults[0]], t_s + self.hold_s)
        if self._pending is not None and t_s > self._pending[1]:
            self._pending = None
        wanted = self._wanted(state.breaking, state.phase)
        changed = self._show(t_s, wanted)
        d = ex.dose
        count = f"set {state.set_number} of {d.sets_min}: {state.reps_in_set} / {d.reps_min}"
        return Coaching(self._cue[0], self._cue[1], count, values.get(ex.angle, nan),
                        state.phase, rep, changed)  # fmt: skip

    def _wanted(self, breaking: tuple[str, ...], phase: str) -> tuple[str | None, str]:
        if breaking:
            return self._cues[breaking[0]], "fail"
        if self._pending is not None:
            return self._pending[0], "warn"
        if phase == "rising":
            return self.exercise.cue_up, "ok"
        return None, "ok"

    def _show(self, t_s: float, wanted: tuple[str | None, str]) -> bool:
        """Change the shown cue at most once per `hold_s`, except that a more severe cue (a
        fault now, then a fault of the rep just done) replaces a milder one at once."""
        if wanted == self._cue:
            return False
        urgent = _SEVERITY[wanted[1]] > _SEVERITY[self._cue[1]]
        if not urgent and t_s - self._since_s < self.hold_s:
            return False
        if wanted[0] is None and self._cue[0] is None:
            return False
        self._cue, self._since_s = wanted, t_s
        return wanted[0] is not None
