"""Per-step and per-stride tables of every registered metric, their painting onto frames, and
the clip summaries. One function serves the whole clip (offline) and a trailing window (live).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posture.metrics.analysis import IntervalTable, MetricSummary, central_value, summarise
from posture.metrics.config import MetricConfig
from posture.metrics.gait import Steps, stride_bounds
from posture.metrics.inputs import BodyScale, ClipInputs, ClipValue, StepInputs, StrideInputs
from posture.metrics.registry import MetricSpec, specs


@dataclass(frozen=True)
class GaitTables:
    """Step- and stride-level measures of a clip (or of a live window).

    Attributes:
        per_frame: metric id -> `(n,)` step / stride / clip values painted onto their frames.
        steps: one row per plausible step interval (step metrics).
        strides: one row per stride (every metric).
        clip: clip metric id -> its clip value.
        notes: plain-language caveats (e.g. an implausible cadence left unreported).
    """

    per_frame: dict[str, np.ndarray]
    steps: IntervalTable
    strides: IntervalTable
    clip: dict[str, ClipValue]
    notes: tuple[str, ...] = ()


def _span(a: float, b: float, n: int) -> slice:
    return slice(max(0, round(a)), min(n, round(b)))


def majority_view(views: np.ndarray) -> str:
    """The most common non-empty view of `views` `(k,)` str; `""` when none."""
    names, counts = np.unique(views[views != ""], return_counts=True)
    return str(names[np.argmax(counts)]) if names.size else ""


def _views_of(a: np.ndarray, b: np.ndarray, views: np.ndarray) -> np.ndarray:
    out = [majority_view(views[_span(i, j, views.size)]) for i, j in zip(a, b, strict=True)]
    return np.asarray(out, dtype=str).reshape(-1)


def _median_if_covered(x: np.ndarray) -> float:
    ok = np.isfinite(x)
    return float(np.median(x[ok])) if x.size and ok.mean() >= 0.5 else float("nan")


def _masked(spec: MetricSpec, values: np.ndarray, views: np.ndarray) -> np.ndarray:
    return np.where(spec.in_view(views), np.asarray(values, np.float64), np.nan)


def step_table(
    t: np.ndarray, steps: Steps, body_y_px: np.ndarray, views: np.ndarray, scale: BodyScale,
    cfg: MetricConfig, speed_mps: float | None = None,
) -> tuple[IntervalTable, np.ndarray]:  # fmt: skip
    """Every step metric per plausible step interval, and each interval's start event."""
    start, good = steps.intervals(cfg.steps.outlier_fraction)
    start = start[good]
    a, b = steps.index[start], steps.index[start + 1]
    t0, t1 = steps.time_ms[start], steps.time_ms[start + 1]
    speed = np.nan if speed_mps is None else speed_mps
    inputs = StepInputs(a, b, t1 - t0, body_y_px, scale, speed_mps=speed)
    step_views = _views_of(a, b, views)
    for spec in specs("step"):
        with np.errstate(invalid="ignore", divide="ignore"):
            inputs.values[spec.id] = _masked(spec, spec.compute(inputs), step_views)
    return IntervalTable(t0, t1, step_views, dict(inputs.values), a, b), start


def _stride_values(
    bounds: list[tuple[int, int]], step_start: np.ndarray, step_tab: IntervalTable,
    stride_in: StrideInputs, clip: dict[str, ClipValue],
) -> dict[str, np.ndarray]:  # fmt: skip
    """Every metric per stride: frame metrics as the stride's median, step metrics from the
    stride's two steps, stride metrics computed, clip metrics as rolling values."""
    by_event = {int(e): i for i, e in enumerate(step_start)}
    two = np.array([[by_event[e0], by_event[e0 + 1]] for e0, _ in bounds], np.int64).reshape(-1, 2)
    out: dict[str, np.ndarray] = {}
    for spec in specs():
        if spec.level == "frame":
            frames = stride_in.frames[spec.id]
            pairs = zip(stride_in.a, stride_in.b, strict=True)
            v = np.array([_median_if_covered(frames[_span(a, b, frames.size)]) for a, b in pairs])
        elif spec.level == "step":
            v = np.array([central_value(spec, step_tab.values[spec.id][i]) for i in two])
        elif spec.level == "stride":
            with np.errstate(invalid="ignore", divide="ignore"):
                v = spec.compute(stride_in)
        else:
            v = clip[spec.id].per_stride
        out[spec.id] = _masked(spec, np.asarray(v, np.float64).reshape(-1), stride_in.view)
    return out


def _clip_values(
    steps: Steps, bounds: list[tuple[int, int]], step_start: np.ndarray, dt_ms: np.ndarray,
    cfg: MetricConfig,
) -> dict[str, ClipValue]:  # fmt: skip
    """Clip metrics over every plausible interval, with a rolling value per stride."""
    w = cfg.steps.cv_window_strides
    windows = []
    for j in range(len(bounds)):
        lo, hi = bounds[max(0, j - w)][0], bounds[min(len(bounds) - 1, j + w)][1]
        windows.append((np.searchsorted(step_start, lo), np.searchsorted(step_start, hi)))
    inputs = ClipInputs(dt_ms, np.asarray(windows, np.int64).reshape(-1, 2))
    return {spec.id: spec.compute(inputs) for spec in specs("clip")}


def gait_tables(
    t: np.ndarray, steps: Steps, signal_px: np.ndarray, frames: dict[str, np.ndarray],
    views: np.ndarray, scale: BodyScale, cfg: MetricConfig, speed_mps: float | None = None,
) -> GaitTables:  # fmt: skip
    """Step, stride and clip values of every registered metric and their per-frame painting.

    Args:
        t: `(n,)` frame times in ms.
        steps: detected steps.
        signal_px: `(n, 2)` the gait signal (`gait_signal`), NaN where nobody.
        frames: frame metrics, id -> `(n,)` (durations in ms are blanked in place when the
            cadence shows the clip's clock is not real time).
        views: `(n,)` str view per frame.
        scale: the body scale.
        cfg: metric constants.
        speed_mps: the running speed (`--speed-kmh`), for step length; None: not known.
    """
    n = t.size
    step_tab, step_start = step_table(t, steps, signal_px[:, 1], views, scale, cfg, speed_mps)
    notes = _check_cadence(step_tab.values, cfg)
    bounds = stride_bounds(steps, cfg.steps.outlier_fraction)
    e0 = np.array([a for a, _ in bounds], np.int64)
    e2 = np.array([b for _, b in bounds], np.int64)
    sa, sb = steps.index[e0], steps.index[e2]
    duration_ms = steps.time_ms[e2] - steps.time_ms[e0]
    stride_in = StrideInputs(
        sa, sb, _views_of(sa, sb, views), signal_px, frames, scale, duration_ms
    )
    clip = _clip_values(steps, bounds, step_start, step_tab.end_ms - step_tab.start_ms, cfg)
    values = _stride_values(bounds, step_start, step_tab, stride_in, clip)
    strides = IntervalTable(steps.time_ms[e0], steps.time_ms[e2], stride_in.view, values, sa, sb)
    if notes:  # the clip's clock is not real time: durations in ms are not either
        for spec in specs():
            if spec.unit == "ms":
                (frames if spec.level == "frame" else values)[spec.id][:] = np.nan
    step_of, stride_of = row_of_frame(step_tab, n), row_of_frame(strides, n)
    painted = {}
    for spec in specs():
        if spec.level != "frame":
            table, row = (step_tab, step_of) if spec.level == "step" else (strides, stride_of)
            painted[spec.id] = paint(table.values[spec.id], row)
    return GaitTables(painted, step_tab, strides, clip, notes)


def row_of_frame(table: IntervalTable, n: int) -> np.ndarray:
    """`(n,)` index of the table row (step or stride) each frame belongs to, -1 for none;
    where two rows share a boundary frame, the later one has it."""
    out = np.full(n, -1, np.int64)
    for i in range(table.n):
        out[_span(table.a[i], table.b[i], n)] = i
    return out


def paint(row_values: np.ndarray, row: np.ndarray) -> np.ndarray:
    """`(n,)` per-frame series of per-row values `(m,)` (`row_of_frame`), NaN off rows."""
    if row_values.size == 0:
        return np.full(row.shape, np.nan)
    return np.where(row >= 0, row_values[np.clip(row, 0, None)], np.nan)


def _check_cadence(per_step: dict[str, np.ndarray], cfg: MetricConfig) -> tuple[str, ...]:
    """Blank an implausible cadence (in place) and say why."""
    spm = per_step.get("cadence_spm", np.zeros(0))
    finite = spm[np.isfinite(spm)]
    if finite.size == 0:
        return ()
    med = float(np.median(finite))
    if cfg.steps.min_spm <= med <= cfg.steps.max_spm:
        return ()
    spm[:] = np.nan
    return (
        f"cadence {med:.0f} steps/min in clip time is outside {cfg.steps.min_spm:.0f}-"
        f"{cfg.steps.max_spm:.0f}: slow-motion footage or wrong frame-rate metadata; cadence "
        "and contact time are not reported (bounce, sway, duty factor and cadence variability "
        "do not depend on the time scale)",
    )


def clip_summaries(frames: dict[str, np.ndarray], gait: GaitTables) -> dict[str, MetricSummary]:
    """Clip summary per metric over its own samples: frames, steps, strides or the clip."""
    out = {}
    for spec in specs():
        if spec.level == "frame":
            out[spec.id] = summarise(spec, frames[spec.id])
        elif spec.level == "step":
            out[spec.id] = summarise(spec, gait.steps.values[spec.id])
        elif spec.level == "stride":
            out[spec.id] = summarise(spec, gait.strides.values[spec.id])
        else:
            cv = gait.clip[spec.id]
            out[spec.id] = MetricSummary.scalar(spec.unit, cv.value, cv.n)
    return out
