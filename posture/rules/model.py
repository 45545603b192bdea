"""Rule types: what a rules TOML holds once validated, and what evaluation returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

Direction = Literal["above", "below"]
Combine = Literal["any", "all"]
#: A rule's verdict. `exempt`: the running context allows what the rule forbids (e.g. a
#: forward lean uphill); `not_measured`: the footage cannot show it (the reason says why).
RuleStatus = Literal["ok", "warn", "fail", "not_measured", "exempt"]
Level = Literal["ok", "warn", "fail"]
Confidence = Literal["high", "low"]
LEVELS: tuple[Level, ...] = ("ok", "warn", "fail")
#: Severity of each status; not_measured and exempt rank below ok (nothing was broken).
STATUS_ORDER: dict[str, int] = {"not_measured": -1, "exempt": -1, "ok": 0, "warn": 1, "fail": 2}
#: Defaults of the optional rule keys (the one place they are defined).
DEFAULT_MIN_STRIDES = 3
DEFAULT_MIN_S = 2.0
DEFAULT_HYSTERESIS = 0.3


@dataclass(frozen=True)
class Exercise:
    """A core-training exercise of the source text, with its dosing."""

    id: str
    name: str
    how: str
    dose: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "how": self.how, "dose": self.dose}

    @property
    def command(self) -> str:
        """The command that coaches it (`posture drill`; the ids match drills.toml)."""
        return f"posture drill {self.id} --camera 0"


@dataclass(frozen=True)
class Criterion:
    """One metric with its limits; `direction` says which side of the limits breaks."""

    metric: str
    warn: float
    fail: float
    direction: Direction

    def __post_init__(self) -> None:
        strict = self.fail >= self.warn if self.direction == "above" else self.fail <= self.warn
        if not strict:
            raise ValueError(
                f"fail ({self.fail}) must be at least as strict as warn ({self.warn}) for "
                f"direction {self.direction!r}"
            )

    def breaks(self, value: Any, limit: float) -> Any:
        """True where `value` (scalar or array) is beyond `limit` (NaN never breaks)."""
        return value > limit if self.direction == "above" else value < limit

    def levels(self, values: np.ndarray, margin: float = 0.0) -> np.ndarray:
        """Level of each value: 0 ok, 1 warn, 2 fail, -1 where NaN; with `margin` > 0 both
        limits move that far toward ok (a level is kept until the value is back by it)."""
        v = np.asarray(values, np.float64)
        d = margin if self.direction == "above" else -margin
        with np.errstate(invalid="ignore"):
            out = self.breaks(v, self.warn - d).astype(np.int64)
            out += self.breaks(v, self.fail - d)
        return np.where(np.isfinite(v), out, -1)

    def status(self, value: float) -> Level:
        return LEVELS[max(0, int(self.levels(np.array([value]))[0]))]

    def worst(self, values: np.ndarray) -> float:
        """The most limit-breaking of finite `values` (max for `above`, min for `below`)."""
        v = values[np.isfinite(values)]
        if v.size == 0:
            return float("nan")
        return float(v.max() if self.direction == "above" else v.min())

    def relaxed(self, amount: float) -> Criterion:
        """The criterion with both limits moved `amount` in the permissive direction."""
        d = amount if self.direction == "above" else -amount
        return Criterion(self.metric, self.warn + d, self.fail + d, self.direction)

    @property
    def margin(self) -> float:
        """The hysteresis margin of this criterion: a share of its warn-fail gap."""
        return DEFAULT_HYSTERESIS * abs(self.fail - self.warn)

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "warn": self.warn,
            "fail": self.fail,
            "direction": self.direction,
        }


@dataclass(frozen=True)
class Rule:
    """One posture rule (see the header of `rules.toml` for each field's meaning)."""

    id: str
    title: str
    criteria: tuple[Criterion, ...]
    views: tuple[str, ...]
    min_samples: int
    message: str
    cue: str
    advice: str
    combine: Combine = "any"
    exempt_contexts: tuple[str, ...] = ()
    relax: dict[str, float] = field(default_factory=dict)
    exercises: tuple[Exercise, ...] = ()
    min_strides: int = DEFAULT_MIN_STRIDES
    min_s: float = DEFAULT_MIN_S
    caveat: str | None = None
    follows: float | None = None

    def __post_init__(self) -> None:
        if not self.criteria:
            raise ValueError(f"rule {self.id!r} needs at least one criterion")

    @property
    def metric(self) -> str:
        return self.criteria[0].metric


@dataclass(frozen=True)
class RuleSet:
    """The validated rules of one file, in file order."""

    rules: tuple[Rule, ...]
    source: Path
    exercises: dict[str, Exercise] = field(default_factory=dict)

    def __getitem__(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rules)


@dataclass(frozen=True)
class Episode:
    """A sustained stretch in which a rule was broken.

    Attributes:
        start_s, end_s: when, in clip seconds.
        level: `warn`, or `fail` when the fail limit was broken over a sustained stretch
            within it.
        metric: the criterion's metric that broke most (its values below).
        median: the metric's median over the episode; peak: its most limit-breaking value.
    """

    start_s: float
    end_s: float
    level: Level
    metric: str
    median: float
    peak: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": round(self.start_s, 2),
            "end_s": round(self.end_s, 2),
            "level": self.level,
            "metric": self.metric,
            "median": _round(self.median),
            "peak": _round(self.peak),
        }


def _round(x: float | None, nd: int = 2) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)


@dataclass(frozen=True)
class RuleResult:
    """The verdict of one rule on one clip.

    Attributes:
        id, title: rule id and its name in words.
        status: see `RuleStatus`.
        confidence: `high` or `low`; `reasons` says why it is low (or why not measured).
        typical: the clip figure of the rule's metric (the report's metric median).
        unit: unit of `typical` and of the limits.
        criterion: the primary criterion with the limits used (relaxed for the context).
        episodes: sustained stretches beyond the limits, in time order (empty unless warn
            or fail).
        share: fraction of the judged time inside episodes.
        message: the source text's cue; cue: its short form for screens; advice: what to do.
        exercises: core exercises, given with a warn or fail of a core-strength rule.
    """

    id: str
    title: str
    status: RuleStatus
    confidence: Confidence
    reasons: tuple[str, ...]
    typical: float | None
    unit: str
    criterion: Criterion
    episodes: tuple[Episode, ...]
    share: float
    message: str
    cue: str
    advice: str
    exercises: tuple[Exercise, ...] = ()

    @property
    def flagged(self) -> bool:
        return self.status in ("warn", "fail")

    @property
    def worst(self) -> Episode | None:
        """The episode to show first: the highest level, then the longest."""
        order = {"fail": 1, "warn": 0}
        return max(self.episodes, key=lambda e: (order[e.level], e.duration_s), default=None)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "confidence": self.confidence,
            "reasons": list(self.reasons),
            "typical": _round(self.typical),
            "unit": self.unit,
            "limits": self.criterion.to_dict(),
            "episodes": [e.to_dict() for e in self.episodes],
            "share": round(self.share, 3),
            "message": self.message,
            "cue": self.cue,
            "advice": self.advice,
        }
        if self.exercises:
            out["exercises"] = [e.to_dict() for e in self.exercises]
        return out
