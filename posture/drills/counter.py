"""Rep counting and form checks, one frame at a time: `update(t_s, ...) -> event | None`.

`RepCounter` turns the rep angle into full down-up-down cycles with hysteresis: a rep starts
at the last frame under `down_deg`, counts once the angle passes `up_deg`, and ends when it is
back under `down_deg`. A dip at the top that stays above `down_deg` (a bounce) is part of the
same rep. `DrillTracker` adds the exercise's form checks and the sets (a pause longer than
`set_gap_s` between reps starts a new set). Neither does I/O, so a recording and a live camera
run the same code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from posture.drills.model import (
    HOLD_SIGNAL,
    CheckStatus,
    DrillSettings,
    Exercise,
    FormCheck,
    Rep,
    RepCycle,
)


def _crossing_s(t0: float, a0: float, t1: float, a1: float, level: float) -> float:
    """Time between two samples where the angle crosses `level` (linear)."""
    if a1 == a0:
        return t1
    return t0 + (t1 - t0) * (level - a0) / (a1 - a0)


def hold_s(t_s: np.ndarray, angle_deg: np.ndarray, within_deg: float) -> tuple[float, float, float]:
    """(peak time, peak angle, time at the peak): how long the angle stays within
    `within_deg` of its peak around the peak, crossings interpolated between samples.

    Args:
        t_s, angle_deg: `(k,)` one rep's samples (finite angles).
    """
    i = int(np.argmax(angle_deg))
    peak = float(angle_deg[i])
    level = peak - within_deg
    lo = i
    while lo > 0 and angle_deg[lo - 1] >= level:
        lo -= 1
    hi = i
    while hi < len(angle_deg) - 1 and angle_deg[hi + 1] >= level:
        hi += 1
    start = (
        _crossing_s(t_s[lo - 1], angle_deg[lo - 1], t_s[lo], angle_deg[lo], level) if lo else t_s[0]
    )
    last = len(angle_deg) - 1
    end = (
        _crossing_s(t_s[hi], angle_deg[hi], t_s[hi + 1], angle_deg[hi + 1], level)
        if hi < last
        else t_s[last]
    )
    return float(t_s[i]), peak, float(end - start)


class RepCounter:
    """`update(t_s, angle_deg) -> RepCycle | None`: a cycle when a rep is completed.

    Args:
        down_deg: under this the body is down (a rep starts and ends here).
        up_deg: a rep counts once the angle passes this; must be above `down_deg`.
        hold_within_deg: the time at the peak is the time within this of the peak.
        max_gap_s: a gap longer than this (no body, a cut) drops the rep in progress; the
            next rep needs a down position first.

    Example:
        >>> c = RepCounter(10.0, 30.0)
        >>> [c.update(t, a) for t, a in [(0, 0), (1, 40), (2, 20), (3, 45), (4, 0)]][-1] is not None
        True
    """

    def __init__(
        self,
        down_deg: float,
        up_deg: float,
        *,
        hold_within_deg: float = 5.0,
        max_gap_s: float = 0.6,
    ) -> None:
        if not (math.isfinite(down_deg) and math.isfinite(up_deg)) or down_deg >= up_deg:
            raise ValueError(f"down_deg must be < up_deg, got {down_deg} and {up_deg}")
        if not hold_within_deg > 0:
            raise ValueError(f"hold_within_deg must be > 0, got {hold_within_deg}")
        if not max_gap_s >= 0:
            raise ValueError(f"max_gap_s must be >= 0, got {max_gap_s}")
        self.down_deg, self.up_deg = down_deg, up_deg
        self.hold_within_deg, self.max_gap_s = hold_within_deg, max_gap_s
        self.armed = False  # a down position was seen: the next rise can be a rep
        self.up = False  # the rise passed up_deg
        self._t: list[float] = []
        self._a: list[float] = []
        self._last_s: float | None = None

    @property
    def start_s(self) -> float | None:
        """Start of the rep in progress (the last frame down), None when not armed."""
        return self._t[0] if self.armed and self._t else None

    @property
    def at_rest(self) -> bool:
        """Armed and down now (the last sample was under `down_deg`)."""
        return self.armed and len(self._t) == 1

    @property
    def peak_deg(self) -> float:
        """Highest angle of the rep in progress (NaN when none)."""
        return max(self._a) if self.up and self._a else float("nan")

    def reset(self) -> None:
        self.armed = self.up = False
        self._t, self._a = [], []

    def update(self, t_s: float, angle_deg: float) -> RepCycle | None:
        if self._last_s is not None and t_s - self._last_s > self.max_gap_s:
            self.reset()
        if not math.isfinite(angle_deg):
            return None
        self._last_s = t_s
        if angle_deg < self.down_deg:
            done = self._finish(t_s, angle_deg) if self.up else None
            self.armed, self.up = True, False
            self._t, self._a = [t_s], [angle_deg]
            return done
        if self.armed:
            self._t.append(t_s)
            self._a.append(angle_deg)
            self.up = self.up or angle_deg > self.up_deg
        return None

    def _finish(self, t_s: float, angle_deg: float) -> RepCycle:
        t = np.array([*self._t, t_s])
        a = np.array([*self._a, angle_deg])
        peak_s, peak, held = hold_s(t, a, self.hold_within_deg)
        return RepCycle(float(t[0]), float(t_s), peak_s, peak, held)


@dataclass(frozen=True)
class LiveState:
    """What the tracker knows between reps: for live cues and the rep/set count."""

    phase: str  # "waiting" (no down position yet), "down", "rising", "up"
    reps: int
    set_number: int
    reps_in_set: int
    breaking: tuple[str, ...]  # checks the current frame already breaks (max/min checks)


def _robust(values: np.ndarray, stat: str) -> float:
    """`stat` of a rep's values after a 3-sample running median (one glitchy frame of the
    pose model is not a fault); NaN when none is finite."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return float("nan")
    if v.size >= 3:
        v = np.median(np.stack([v[:-2], v[1:-1], v[2:]]), axis=0)
    if stat == "max":
        return float(np.max(v))
    return float(np.min(v)) if stat == "min" else float(np.median(v))


class DrillTracker:
    """`update(t_s, values) -> Rep | None`: the exercise's reps with their form and sets.

    Args:
        exercise: the exercise (`drills.toml`).
        settings: set gap and the longest gap a rep survives.

    `values` maps each name of `exercise.signals` to this frame's angle (NaN: not measured).
    """

    def __init__(self, exercise: Exercise, settings: DrillSettings | None = None) -> None:
        self.exercise = exercise
        self.settings = settings or DrillSettings()
        self.counter = RepCounter(
            exercise.down_deg,
            exercise.up_deg,
            hold_within_deg=exercise.hold_within_deg,
            max_gap_s=self.settings.max_gap_s,
        )
        self.reps: list[Rep] = []
        self._frames: list[tuple[float, Mapping[str, float]]] = []
        self._set, self._in_set = 0, 0

    def update(self, t_s: float, values: Mapping[str, float]) -> Rep | None:
        cycle = self.counter.update(t_s, values.get(self.exercise.angle, float("nan")))
        self._frames.append((t_s, values))
        rep = self._rep(cycle) if cycle is not None else None
        start = self.counter.start_s
        if start is None:
            self._frames = self._frames[-1:]
        else:  # keep only the rep in progress
            self._frames = [f for f in self._frames if f[0] >= start]
        return rep

    def _rep(self, cycle: RepCycle) -> Rep:
        frames = [f for f in self._frames if cycle.start_s <= f[0] <= cycle.end_s]
        values: dict[str, float] = {}
        checks: dict[str, CheckStatus] = {}
        for check in self.exercise.checks:
            values[check.id] = self._value(check, cycle, frames)
            checks[check.id] = check.bound.status(values[check.id])
        previous = self.reps[-1].cycle.end_s if self.reps else None
        if previous is None or cycle.start_s - previous > self.settings.set_gap_s:
            self._set, self._in_set = self._set + 1, 0
        self._in_set += 1
        rep = Rep(len(self.reps) + 1, self._set, self._in_set, cycle, values, checks)
        self.reps.append(rep)
        return rep

    @staticmethod
    def _value(check: FormCheck, cycle: RepCycle, frames: list) -> float:
        if check.signal == HOLD_SIGNAL:
            return cycle.hold_s
        series = np.array([v.get(check.signal, np.nan) for _, v in frames], np.float64)
        return _robust(series, check.stat)

    def state(self, values: Mapping[str, float], t_s: float) -> LiveState:
        """The live state after `update(t_s, values)`: phase, counts and the max/min checks
        this frame already breaks (while the body is off the floor)."""
        c = self.counter
        phase = "up" if c.up else "down" if c.at_rest else "rising"
        phase = phase if c.armed else "waiting"
        breaking: list[str] = []
        if phase in ("rising", "up"):
            for check in self.exercise.checks:
                if check.signal == HOLD_SIGNAL or check.stat == "median":
                    continue
                value = values.get(check.signal, float("nan"))
                if check.bound.status(value) == "fault":
                    breaking.append(check.id)
        gap = self.reps and t_s - self.reps[-1].cycle.end_s > self.settings.set_gap_s
        in_set = 0 if gap else self._in_set
        set_number = self._set + 1 if gap or not self.reps else self._set
        return LiveState(phase, len(self.reps), set_number, in_set, tuple(breaking))
