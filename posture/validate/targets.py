"""Accuracy targets (from the metric registry) and the per-metric error rows measured
against them."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from posture.metrics.registry import METRICS, Accuracy
from posture.validate.records import ClipRecord

#: An accuracy target (declared with the metric in the registry).
Target = Accuracy
#: The bounce target in cm also applies with the height the pipeline estimates.
_EXTRA_TARGETS = {"vertical_bounce_cm@estimated_height": "vertical_bounce_cm"}
ROW_UNITS = {"vertical_bounce_cm@estimated_height": "cm", "height_cm@estimated": "cm"}


def targets() -> dict[str, Accuracy]:
    """Row id -> target: every registry metric with an accuracy target, plus the extra rows."""
    out = {s.id: s.accuracy for s in METRICS.values() if s.accuracy is not None}
    for row, metric in _EXTRA_TARGETS.items():
        accuracy = METRICS[metric].accuracy
        if accuracy is not None:
            out[row] = accuracy
    return out


def rows() -> tuple[str, ...]:
    """Table rows: the registry's metrics, bounce in cm also with the estimated height, and
    the estimated stature itself."""
    return (*METRICS, *_EXTRA_TARGETS, "height_cm@estimated")


def _pair(row: str) -> Callable[[ClipRecord], tuple[float, float]]:
    """(measured, true) of `row` for one clip."""
    if row == "vertical_bounce_cm@estimated_height":
        return lambda r: (r.measured["vertical_bounce_cm"], r.true.values["vertical_bounce_cm"])
    if row == "height_cm@estimated":
        return lambda r: (r.height_estimated_cm, r.true.height_cm)
    if row == "vertical_bounce_cm":  # the cm target assumes the runner's height is known
        return lambda r: (r.measured_height_given[row], r.true.values[row])
    return lambda r: (r.measured.get(row, math.nan), r.true.values.get(row, math.nan))


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
    target = targets().get(row)
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
    out = [metric_row(k, records) for k in rows()]
    return [r for r in out if r.n]
