"""Accuracy targets of issue 4 and the per-metric error rows measured against them."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from posture.metrics.registry import METRICS
from posture.validate.records import ClipRecord


@dataclass(frozen=True)
class Target:
    """A clip passes when |error| <= max(abs_limit, rel_limit x |true value|).

    Attributes:
        abs_limit: absolute limit in the metric's unit.
        rel_limit: fraction of the true value (0: none).
        text: how the target reads in the table.
    """

    abs_limit: float
    rel_limit: float
    text: str

    def limit(self, true_value: float) -> float:
        return max(self.abs_limit, self.rel_limit * abs(true_value))


#: 1 cm of the generator's 175 cm runner's 85.9 cm leg, in % leg.
_CM_AS_PCT_LEG = 100.0 / 85.925
TARGETS: dict[str, Target] = {
    "torso_lean_deg": Target(2.0, 0.0, "<= 2 deg"),
    "head_pitch_deg": Target(4.0, 0.0, "<= 4 deg"),
    "neck_flexion_deg": Target(4.0, 0.0, "<= 4 deg"),
    "head_yaw_sway_deg": Target(4.0, 0.0, "<= 4 deg"),
    "vertical_bounce_cm": Target(1.0, 0.10, "<= 1 cm or 10 %"),
    "vertical_bounce_cm@estimated_height": Target(1.0, 0.10, "<= 1 cm or 10 %"),
    "vertical_bounce_pct_leg": Target(_CM_AS_PCT_LEG, 0.10, "<= 1 cm (1.16 % leg) or 10 %"),
    "cadence_spm": Target(2.0, 0.0, "<= 2 spm"),
}
#: Table rows: the registry's metrics, bounce in cm also with the estimated height, and the
#: estimated stature itself.
ROWS: tuple[str, ...] = (
    *METRICS,
    "vertical_bounce_cm@estimated_height",
    "height_cm@estimated",
)
ROW_UNITS = {"vertical_bounce_cm@estimated_height": "cm", "height_cm@estimated": "cm"}


def _pair(row: str) -> Callable[[ClipRecord], tuple[float, float]]:
    """(measured, true) of `row` for one clip."""
    if row == "vertical_bounce_cm@estimated_height":
        return lambda r: (r.measured["vertical_bounce_cm"], r.true.values["vertical_bounce_cm"])
    if row == "height_cm@estimated":
        return lambda r: (r.height_estimated_cm, r.true.height_cm)
    if row == "vertical_bounce_cm":  # the cm target assumes the runner's height is known
        return lambda r: (r.measured_height_given[row], r.true.values[row])
    return lambda r: (r.measured[row], r.true.values[row])


@dataclass(frozen=True)
class MetricRow:
    """Errors of one metric over the clips where it has a true value.

    Attributes:
        metric: row id (a metric id, or one of the extra `ROWS`).
        unit: unit of the errors.
        n: clips with a true value; n_missing: of those, clips the pipeline gave no value.
        mean_abs, max_abs, bias: mean |error|, max |error|, mean signed error (measured -
            true) over the clips with both values (NaN when none).
        worst: clip with the largest |error| beyond its limit ratio ("" when none).
        target: the target, None for metrics without one.
        met: target reached on every clip and no clip missing (None without a target).
        n_beyond: clips beyond the target.
    """

    metric: str
    unit: str
    n: int
    n_missing: int
    mean_abs: float
    max_abs: float
    bias: float
    worst: str
    target: Target | None
    met: bool | None
    n_beyond: int


def metric_row(row: str, records: Sequence[ClipRecord]) -> MetricRow:
    """Aggregate `row` over `records`."""
    pair = _pair(row)
    unit = ROW_UNITS.get(row) or METRICS[row].unit
    names, errs, trues, missing = [], [], [], 0
    for r in records:
        measured, true = pair(r)
        if not math.isfinite(true):
            continue
        if not math.isfinite(measured):
            missing += 1
            continue
        names.append(r.name)
        errs.append(measured - true)
        trues.append(true)
    e = np.asarray(errs, dtype=float)
    target = TARGETS.get(row)
    n_beyond = 0
    if target is not None:
        n_beyond = sum(abs(x) > target.limit(t) for x, t in zip(errs, trues, strict=True))
    worst = names[int(np.argmax(np.abs(e)))] if e.size else ""
    return MetricRow(
        metric=row,
        unit=unit,
        n=len(errs) + missing,
        n_missing=missing,
        mean_abs=float(np.mean(np.abs(e))) if e.size else math.nan,
        max_abs=float(np.max(np.abs(e))) if e.size else math.nan,
        bias=float(np.mean(e)) if e.size else math.nan,
        worst=worst,
        target=target,
        met=None if target is None else (n_beyond == 0 and missing == 0 and e.size > 0),
        n_beyond=n_beyond,
    )


def metric_rows(records: Sequence[ClipRecord]) -> list[MetricRow]:
    """Every row of `ROWS` that has at least one clip with a true value."""
    rows = [metric_row(k, records) for k in ROWS]
    return [r for r in rows if r.n]
