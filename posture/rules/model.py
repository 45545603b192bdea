"""Rule types: what a rules TOML holds once validated, and what evaluation returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Direction = Literal["above", "below"]
Combine = Literal["any", "all"]
Status = Literal["ok", "warn", "fail", "not_measured"]
STATUS_ORDER: dict[str, int] = {"not_measured": -1, "ok": 0, "warn": 1, "fail": 2}


@dataclass(frozen=True)
class Exercise:
    """A core-training exercise of the source text, with its dosing."""

    id: str
    name: str
    how: str
    dose: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name, "how": self.how, "dose": self.dose}


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

    def status(self, value: float) -> Status:
        if self.breaks(value, self.fail):
            return "fail"
        return "warn" if self.breaks(value, self.warn) else "ok"

    def relaxed(self, amount: float) -> Criterion:
        """The criterion with both limits moved `amount` in the permissive direction."""
        d = amount if self.direction == "above" else -amount
        return Criterion(self.metric, self.warn + d, self.fail + d, self.direction)


@dataclass(frozen=True)
class Rule:
    """One posture rule (see the header of `rules.toml` for each field's meaning)."""

    id: str
    criteria: tuple[Criterion, ...]
    views: tuple[str, ...]
    min_fraction: float
    min_samples: int
    message: str
    advice: str
    combine: Combine = "any"
    exempt_contexts: tuple[str, ...] = ()
    relax: dict[str, float] = field(default_factory=dict)
    exercises: tuple[Exercise, ...] = ()

    def __post_init__(self) -> None:
        if not self.criteria:
            raise ValueError(f"rule {self.id!r} needs at least one criterion")
        if not 0.0 < self.min_fraction <= 1.0:
            raise ValueError(f"min_fraction must be in (0, 1], got {self.min_fraction}")

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
class RuleResult:
    """The verdict of one rule on one clip.

    Attributes:
        id: rule id.
        status: `ok`, `warn`, `fail` or `not_measured`.
        value: the level reached by `min_fraction` of the samples (None when not measured).
        unit: unit of `value`.
        limits: `{"metric", "warn", "fail", "direction"}` of the deciding criterion (relaxed
            limits when a context relaxed them).
        spans_s: `[(start_s, end_s), ...]` sustained stretches beyond the warn limit.
        message: the source text's cue.
        advice: what to do (says so when a context exempts the rule).
        exercises: core exercises, given with a warn or fail of a core-strength rule.
    """

    id: str
    status: Status
    value: float | None
    unit: str
    limits: dict[str, Any]
    spans_s: tuple[tuple[float, float], ...]
    message: str
    advice: str
    exercises: tuple[Exercise, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "value": None if self.value is None else round(self.value, 2),
            "unit": self.unit,
            "limits": self.limits,
            "spans_s": [[round(a, 2), round(b, 2)] for a, b in self.spans_s],
            "message": self.message,
            "advice": self.advice,
        }
        if self.exercises:
            out["exercises"] = [e.to_dict() for e in self.exercises]
        return out
