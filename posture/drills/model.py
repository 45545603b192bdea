"""What an exercise is, as data: the frozen types `drills.toml` loads into, and a rep.

Angles are in degrees, times in seconds from the clip's (or session's) start.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Stat = Literal["max", "min", "median"]
Position = Literal["supine", "prone"]
CheckStatus = Literal["ok", "fault", "not_measured"]
#: A check on this signal measures the rep's time at the peak, not an angle.
HOLD_SIGNAL = "hold_s"


@dataclass(frozen=True)
class Bound:
    """A measured value's allowed range: `min <= value <= max` (either side may be open)."""

    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        if self.min is None and self.max is None:
            raise ValueError("needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) must be <= max ({self.max})")

    def status(self, value: float) -> CheckStatus:
        """`ok`, `fault` (outside the range) or `not_measured` (NaN)."""
        if not math.isfinite(value):
            return "not_measured"
        too_low = self.min is not None and value < self.min
        too_high = self.max is not None and value > self.max
        return "fault" if too_low or too_high else "ok"


@dataclass(frozen=True)
class FormCheck:
    """A form check judged on every rep: `stat` of `signal` over the rep within `bound`."""

    id: str
    signal: str
    stat: Stat
    bound: Bound
    fault: str
    cue: str


@dataclass(frozen=True)
class MatchCheck:
    """A check that the movement is this exercise at all, over every frame with a body."""

    id: str
    signal: str
    stat: Stat
    bound: Bound
    message: str


@dataclass(frozen=True)
class Dose:
    """The prescribed dose: `sets_min`-`sets_max` sets of `reps_min`-`reps_max`."""

    sets_min: int
    sets_max: int
    reps_min: int
    reps_max: int

    @property
    def text(self) -> str:
        return f"{self.sets_min}-{self.sets_max} sets of {self.reps_min}-{self.reps_max}"


@dataclass(frozen=True)
class Exercise:
    """One exercise of `drills.toml` (see its comments for every field)."""

    id: str
    name: str
    aliases: tuple[str, ...]
    position: Position
    how: str
    angle: str
    down_deg: float
    up_deg: float
    target_deg: float
    tolerance_deg: float
    hold_within_deg: float
    dose: Dose
    cue_up: str
    checks: tuple[FormCheck, ...] = ()
    matches: tuple[MatchCheck, ...] = ()

    def __post_init__(self) -> None:
        if not self.down_deg < self.up_deg:
            raise ValueError(f"down_deg ({self.down_deg}) must be < up_deg ({self.up_deg})")

    @property
    def band_deg(self) -> tuple[float, float]:
        """The on-target range of the peak angle."""
        return self.target_deg - self.tolerance_deg, self.target_deg + self.tolerance_deg

    @property
    def signals(self) -> tuple[str, ...]:
        """Every angle the exercise needs per frame (the rep angle first)."""
        names = [self.angle, *(c.signal for c in self.checks), *(m.signal for m in self.matches)]
        return tuple(dict.fromkeys(n for n in names if n != HOLD_SIGNAL))


@dataclass(frozen=True)
class DrillSettings:
    """Settings shared by every exercise (`[drill]` in `drills.toml`)."""

    set_gap_s: float = 10.0
    min_coverage: float = 0.5
    max_gap_s: float = 0.6


@dataclass(frozen=True)
class DrillBook:
    """Everything `drills.toml` holds."""

    settings: DrillSettings
    exercises: tuple[Exercise, ...]
    source: str = ""

    def find(self, name: str) -> Exercise | None:
        """The exercise with this id or alias (`-` and `_` alike, any case), else None."""
        key = name.strip().lower().replace("-", "_")
        for ex in self.exercises:
            if key in (ex.id, *(a.replace("-", "_") for a in ex.aliases)):
                return ex
        return None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(ex.id for ex in self.exercises)


@dataclass(frozen=True)
class RepCycle:
    """One full down-up-down cycle of the rep angle (`RepCounter`'s event)."""

    start_s: float
    end_s: float
    peak_s: float
    peak_deg: float
    hold_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Rep:
    """A counted rep with its set and its form.

    Attributes:
        number: 1-based over the session. set_number: 1-based set; number_in_set: within it.
        cycle: timing and peak of the rep angle.
        values: each check's measured value (NaN: not measured).
        checks: each check's status; `faults` lists those at `fault`.
    """

    number: int
    set_number: int
    number_in_set: int
    cycle: RepCycle
    values: Mapping[str, float] = field(default_factory=dict)
    checks: Mapping[str, CheckStatus] = field(default_factory=dict)

    @property
    def faults(self) -> tuple[str, ...]:
        return tuple(k for k, v in self.checks.items() if v == "fault")
