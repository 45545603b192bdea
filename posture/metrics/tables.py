"""Per-step and per-stride tables, their painting onto frames, and clip summaries."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posture.metrics.analysis import MetricSummary, StrideTable
from posture.metrics.config import MetricConfig
from posture.metrics.gait import (
    Steps,
    detrended_range,
    peak_to_trough_px,
    plain_range,
    stride_bounds,
)
from posture.metrics.registry import FRONT_REAR, METRICS

STEP_METRICS = ("vertical_bounce_pct_leg", "vertical_bounce_cm", "cadence_spm")


@dataclass(frozen=True)
class GaitTables:
    """Step- and stride-based measures of a clip.

    Attributes:
        per_frame: metric id -> `(n,)` step / stride values painted onto their frames.
        per_step: metric id -> `(k,)` value per plausible step interval.
        strides: the per-stride table (every metric).
        cadence_cv_pct: step-interval coefficient of variation over the clip (NaN < 4 steps).
        n_intervals: plausible step intervals behind `cadence_cv_pct`.
        notes: plain-language caveats (e.g. an implausible cadence left unreported).
    """

    per_frame: dict[str, np.ndarray]
    per_step: dict[str, np.ndarray]
    strides: StrideTable
    cadence_cv_pct: float
    n_intervals: int
    notes: tuple[str, ...] = ()


def _span(a: float, b: float, n: int) -> slice:
    return slice(max(0, round(a)), min(n, round(b)))


def cv_pct(intervals: np.ndarray) -> float:
    """Coefficient of variation in % (sample std / mean); NaN with fewer than 4 intervals."""
    if intervals.size < 4:
        return float("nan")
    return float(np.std(intervals, ddof=1) / np.mean(intervals) * 100.0)


def _step_values(
    t: np.ndarray,
    steps: Steps,
    hip_y: np.ndarray,
    leg_px: float,
    leg_cm: float,
    cfg: MetricConfig,
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    start, good = steps.intervals(cfg.steps.outlier_fraction)
    start = start[good]
    a, b = steps.index[start], steps.index[start + 1]
    bounce_px = np.array([peak_to_trough_px(hip_y, i, j) for i, j in zip(a, b, strict=True)])
    pct = bounce_px / leg_px * 100.0
    values = {
        "vertical_bounce_pct_leg": pct,
        "vertical_bounce_cm": pct / 100.0 * leg_cm,
        "cadence_spm": 60000.0 / (steps.time_ms[start + 1] - steps.time_ms[start]),
    }
    return start, values


def _stride_view(views: np.ndarray) -> str:
    names, counts = np.unique(views[views != ""], return_counts=True)
    return str(names[np.argmax(counts)]) if names.size else ""


def _median_if_covered(x: np.ndarray) -> float:
    ok = np.isfinite(x)
    return float(np.median(x[ok])) if x.size and ok.mean() >= 0.5 else float("nan")


def _stride_rows(
    steps: Steps,
    bounds: list[tuple[int, int]],
    step_start: np.ndarray,
    per_step: dict[str, np.ndarray],
    hip_x: np.ndarray,
    per_frame: dict[str, np.ndarray],
    views: np.ndarray,
    leg_px: float,
) -> tuple[dict[str, list[float]], list[str]]:
    """Per-stride values of every metric except the rolling cadence variability."""
    n = views.size
    by_event = {int(e): i for i, e in enumerate(step_start)}
    rows: dict[str, list[float]] = {k: [] for k in METRICS}
    stride_views = []
    for e0, e2 in bounds:
        a, b = steps.index[e0], steps.index[e2]
        sl = _span(a, b, n)
        view = _stride_view(views[sl])
        stride_views.append(view)
        for k in METRICS:
            if METRICS[k].basis == "frame":
                rows[k].append(_median_if_covered(per_frame[k][sl]))
        two = [by_event[e0], by_event[e0 + 1]]
        for k in STEP_METRICS:
            rows[k].append(float(np.mean(per_step[k][two])))
        rows["cadence_spm"][-1] = 120000.0 / (steps.time_ms[e2] - steps.time_ms[e0])
        wide = view in FRONT_REAR
        sway = detrended_range(hip_x, a, b) / leg_px * 100.0 if wide else np.nan
        rows["lateral_sway_pct_leg"].append(sway)
        yaw = plain_range(per_frame["_head_yaw_deg"], a, b) if wide else np.nan
        rows["head_yaw_sway_deg"].append(yaw)
    return rows, stride_views


def build_gait_tables(
    t: np.ndarray,
    steps: Steps,
    hip_xy: np.ndarray,
    per_frame: dict[str, np.ndarray],
    views: np.ndarray,
    leg_px: float,
    leg_cm: float,
    cfg: MetricConfig,
) -> GaitTables:
    """Step values, the stride table and their per-frame painting.

    Args:
        t: `(n,)` frame times in ms.
        steps: detected steps.
        hip_xy: `(n, 2)` smoothed hip midpoint in pixels (NaN where nobody).
        per_frame: frame metrics `(n,)` plus `_head_yaw_deg`.
        views: `(n,)` str view per frame.
        leg_px: leg length in pixels; leg_cm: the same in cm (NaN when height unknown).
        cfg: metric constants.
    """
    n = t.size
    step_start, per_step = _step_values(t, steps, hip_xy[:, 1], leg_px, leg_cm, cfg)
    notes = _check_cadence(per_step, cfg)
    painted = {k: np.full(n, np.nan) for k in METRICS if METRICS[k].basis != "frame"}
    for i, e in enumerate(step_start):
        for k in STEP_METRICS:
            painted[k][_span(steps.index[e], steps.index[e + 1], n)] = per_step[k][i]
    bounds = stride_bounds(steps, cfg.steps.outlier_fraction)
    rows, stride_views = _stride_rows(
        steps, bounds, step_start, per_step, hip_xy[:, 0], per_frame, views, leg_px
    )
    intervals = np.diff(steps.time_ms)
    good = np.zeros(intervals.size, bool)
    good[step_start] = True
    w = cfg.steps.cv_window_strides
    for j in range(len(bounds)):
        lo, hi = bounds[max(0, j - w)][0], bounds[min(len(bounds) - 1, j + w)][1]
        rows["cadence_cv_pct"].append(cv_pct(intervals[lo:hi][good[lo:hi]]))
    values = {k: np.asarray(v, dtype=np.float64) for k, v in rows.items()}
    for k in ("lateral_sway_pct_leg", "head_yaw_sway_deg", "cadence_cv_pct"):
        for i, (e0, e2) in enumerate(bounds):
            painted[k][_span(steps.index[e0], steps.index[e2], n)] = values[k][i]
    ev0 = np.array([e0 for e0, _ in bounds], dtype=np.int64)
    ev2 = np.array([e2 for _, e2 in bounds], dtype=np.int64)
    strides = StrideTable(
        steps.time_ms[ev0],
        steps.time_ms[ev2],
        np.asarray(stride_views, dtype=str).reshape(-1),
        values,
    )
    if notes:
        values["cadence_spm"][:] = np.nan
    good_intervals = intervals[step_start] if step_start.size else np.zeros(0)
    return GaitTables(
        painted, per_step, strides, cv_pct(good_intervals), good_intervals.size, notes
    )


def _check_cadence(per_step: dict[str, np.ndarray], cfg: MetricConfig) -> tuple[str, ...]:
    """Blank an implausible cadence (in place) and say why."""
    spm = per_step["cadence_spm"]
    if spm.size == 0:
        return ()
    med = float(np.median(spm))
    if cfg.steps.min_spm <= med <= cfg.steps.max_spm:
        return ()
    spm[:] = np.nan
    return (
        f"cadence {med:.0f} steps/min in clip time is outside {cfg.steps.min_spm:.0f}-"
        f"{cfg.steps.max_spm:.0f}: slow-motion footage or wrong frame-rate metadata; cadence "
        "is not reported (bounce, sway and cadence variability do not depend on the time scale)",
    )


def summarise(metrics: dict[str, np.ndarray], gait: GaitTables) -> dict[str, MetricSummary]:
    """Clip summary per metric over its own samples: frames, steps, strides or the clip."""
    out = {}
    for k, spec in METRICS.items():
        if spec.basis == "frame":
            values = metrics[k]
        elif spec.basis == "step":
            values = gait.per_step[k]
        elif spec.basis == "stride":
            values = gait.strides.values[k]
        else:
            values = np.array([gait.cadence_cv_pct])
        summary = MetricSummary.of(spec.unit, values)
        if k == "cadence_spm" and summary.n:
            # Cadence is a count over time: steps / minute over every plausible interval
            # (60 / mean interval), which errors in single step times cannot bias the way
            # they bias a median of per-step rates. p10 / p90 stay per-step.
            rate = float(60000.0 / np.mean(60000.0 / values[np.isfinite(values)]))
            summary = MetricSummary(spec.unit, rate, summary.p10, summary.p90, summary.n)
        if spec.basis == "clip" and summary.n:
            summary = MetricSummary(
                spec.unit, summary.median, summary.p10, summary.p90, gait.n_intervals
            )
        out[k] = summary
    return out
