"""Two reports side by side: each metric's change, judged by the rules, and each rule's change.

Whether a change is better or worse comes from the rules that judge the metric (all their
criteria, including `also` second opinions): their warn limits make the metric's ok band
(e.g. `torso_lean_deg` between `lean_backward`'s -3 and `lean_forward`'s 10 deg). Two values
both inside the band are `ok` (no change there is a gain or a loss: a head pitch going from
-17 to 0 deg is not "worse"); otherwise the one closer to the band is better. A change smaller
than a tenth of the gap between the warn and fail limits is `same`; a metric no rule judges
(e.g. `cadence_spm`) is `unrated`.

Example:
    >>> c = compare_reports(load_report(Path("a.report.json")),
    ...                     load_report(Path("b.report.json")))  # doctest: +SKIP
    >>> [(m.metric_id, m.verdict) for m in c.metrics]  # doctest: +SKIP
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from posture.gate.report import read_report
from posture.rules import RuleSet, load_rules

Verdict = Literal["better", "worse", "same", "ok", "unrated"]
SAME_FRACTION_OF_BAND = 0.1  # changes below this share of (fail - warn) count as `same`


@dataclass(frozen=True)
class MetricGoal:
    """Which way a metric should move, from the rules that judge it.

    Attributes:
        upper_warn: the lowest warn limit of an `above` criterion, None when none limits it.
        lower_warn: the highest warn limit of a `below` criterion, None when none limits it.
        same_within: absolute change (metric unit) below which two values count as the same.
    """

    upper_warn: float | None
    lower_warn: float | None
    same_within: float

    def badness(self, value: float) -> float:
        """How far `value` lies outside the ok band (metric unit): 0 inside it."""
        over = value - self.upper_warn if self.upper_warn is not None else 0.0
        under = self.lower_warn - value if self.lower_warn is not None else 0.0
        return max(over, under, 0.0)

    def judge(self, a: float | None, b: float | None) -> Verdict:
        """`b` compared with `a`: `ok` when both are inside the ok band, else better, worse
        or same by their distance to it; unrated when either is missing."""
        if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
            return "unrated"
        if self.badness(a) == 0.0 and self.badness(b) == 0.0:
            return "ok"
        gain = self.badness(a) - self.badness(b)
        if abs(gain) < self.same_within:
            return "same"
        return "better" if gain > 0 else "worse"


@dataclass(frozen=True)
class MetricChange:
    """One metric in both reports; `delta` is `b_median - a_median`."""

    metric_id: str
    unit: str
    a_median: float | None
    b_median: float | None
    delta: float | None
    verdict: Verdict


@dataclass(frozen=True)
class RuleChange:
    """One rule's verdict in both reports (None where a report lacks the rule)."""

    rule_id: str
    a_status: str | None
    b_status: str | None
    a_value: float | None
    b_value: float | None
    changed: bool


@dataclass(frozen=True)
class Comparison:
    """Report B against report A: metrics in either report, rules in either report."""

    a_path: str
    b_path: str
    metrics: tuple[MetricChange, ...]
    rules: tuple[RuleChange, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a_path,
            "b": self.b_path,
            "metrics": [asdict(m) for m in self.metrics],
            "rules": [asdict(r) for r in self.rules],
        }


def metric_goals(rules: RuleSet | None = None) -> dict[str, MetricGoal]:
    """The goal of every metric some rule judges; `rules` defaults to the shipped rules."""
    ruleset = rules if rules is not None else load_rules()
    upper: dict[str, list[float]] = {}
    lower: dict[str, list[float]] = {}
    gaps: dict[str, list[float]] = {}
    for rule in ruleset.rules:
        for c in rule.criteria:
            (upper if c.direction == "above" else lower).setdefault(c.metric, []).append(c.warn)
            gaps.setdefault(c.metric, []).append(abs(c.fail - c.warn))
    goals = {}
    for metric, metric_gaps in gaps.items():
        gap = min((g for g in metric_gaps if g > 0), default=0.0)
        goals[metric] = MetricGoal(
            upper_warn=min(upper[metric]) if metric in upper else None,
            lower_warn=max(lower[metric]) if metric in lower else None,
            same_within=SAME_FRACTION_OF_BAND * gap,
        )
    return goals


def compare_reports(
    a: dict[str, Any], b: dict[str, Any], rules: RuleSet | None = None
) -> Comparison:
    """Compare report `b` with report `a` (both `Report.to_dict()` shapes, e.g. `load_report`).

    Args:
        a: the earlier or reference report.
        b: the report judged against it (`better` means b is better than a).
        rules: rules that give each metric its direction; the shipped rules when None.
    """
    goals = metric_goals(rules)
    ma, mb = a.get("metrics") or {}, b.get("metrics") or {}
    metrics = tuple(
        _metric_change(metric_id, ma.get(metric_id) or {}, mb.get(metric_id) or {}, goals)
        for metric_id in _union(ma, mb)
    )
    ra = {r["id"]: r for r in a.get("rules") or [] if "id" in r}
    rb = {r["id"]: r for r in b.get("rules") or [] if "id" in r}
    rule_changes = tuple(
        _rule_change(rule_id, ra.get(rule_id), rb.get(rule_id)) for rule_id in _union(ra, rb)
    )
    return Comparison(_path(a), _path(b), metrics, rule_changes)


def load_report(path: Path) -> dict[str, Any]:
    """Read a report JSON written by `posture check` (checked by `posture.gate.report`).

    Raises:
        BadInputError: the file is missing, not a regular file, too large, not JSON, not a
            posture report, written by a newer posture, or edited into a wrong shape.
    """
    return read_report(Path(path))


def _union(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Keys of `a` in order, then keys only in `b`."""
    return [*a, *(k for k in b if k not in a)]


def _path(report: dict[str, Any]) -> str:
    return str((report.get("input") or {}).get("path", ""))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _metric_change(
    metric_id: str, a: dict[str, Any], b: dict[str, Any], goals: dict[str, MetricGoal]
) -> MetricChange:
    a_median, b_median = _number(a.get("median")), _number(b.get("median"))
    delta = None
    if a_median is not None and b_median is not None:
        delta = round(b_median - a_median, 6)  # no float noise like 0.30000000000000004
    goal = goals.get(metric_id)
    return MetricChange(
        metric_id=metric_id,
        unit=str(a.get("unit") or b.get("unit") or ""),
        a_median=a_median,
        b_median=b_median,
        delta=delta,
        verdict=goal.judge(a_median, b_median) if goal else "unrated",
    )


def _rule_change(rule_id: str, a: dict[str, Any] | None, b: dict[str, Any] | None) -> RuleChange:
    a_status = None if a is None else a.get("status")
    b_status = None if b is None else b.get("status")
    return RuleChange(
        rule_id=rule_id,
        a_status=a_status,
        b_status=b_status,
        a_value=None if a is None else _number(a.get("typical", a.get("value"))),
        b_value=None if b is None else _number(b.get("typical", b.get("value"))),
        changed=a_status != b_status,
    )
