"""`Analysis`: everything the metrics stage measured on one clip, as arrays and tables, and
`summarise`, the one way a metric's samples become the figure every output shows."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posture.metrics.activity import Activity
from posture.metrics.camera import CameraMotion
from posture.metrics.gait import Steps
from posture.metrics.inputs import BodyScale
from posture.metrics.registry import METRICS, MetricSpec
from posture.metrics.view import ViewSegment
from posture.settings import AnalysisSettings


def _num(x: float | np.floating[Any] | None, nd: int = 3) -> float | None:
    """JSON-ready number: NaN / None -> None, else rounded."""
    if x is None or not math.isfinite(float(x)):
        return None
    return round(float(x), nd)


@dataclass(frozen=True)
class MetricSummary:
    """A metric's figure over some of its samples (the clip, a stride, the last 3 s)."""

    unit: str
    median: float
    p10: float
    p90: float
    n: int

    @classmethod
    def scalar(cls, unit: str, value: float, n: int) -> MetricSummary:
        """A figure that is one number (a clip metric), formed from `n` samples."""
        if not math.isfinite(value):
            return cls(unit, math.nan, math.nan, math.nan, 0)
        return cls(unit, value, value, value, n)

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "median": _num(self.median),
            "p10": _num(self.p10),
            "p90": _num(self.p90),
            "n": self.n,
        }


def central_value(spec: MetricSpec, values: np.ndarray) -> float:
    """The central value of finite `values` `(k,)`: the median, or for `rate` metrics
    (cadence) the count over the time, 60 / mean interval (errors in single step times
    cannot bias it the way they bias a median of rates). NaN without values."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return math.nan
    if spec.aggregate == "rate":
        return float(v.size / np.sum(1.0 / v)) if np.all(v > 0) else math.nan
    return float(np.median(v))


def summarise(spec: MetricSpec, values: np.ndarray) -> MetricSummary:
    """The figure of `values` (the metric's samples, NaN ignored) as every output shows it:
    the `central_value` and the 10th and 90th percentiles of the samples."""
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return MetricSummary(spec.unit, math.nan, math.nan, math.nan, 0)
    p10, p90 = np.percentile(v, [10, 90])
    return MetricSummary(spec.unit, central_value(spec, v), float(p10), float(p90), int(v.size))


@dataclass(frozen=True)
class IntervalTable:
    """One row per step interval or per stride.

    Attributes:
        start_ms, end_ms: `(m,)` start and end (lowest points of the body) in the track's clock.
        view: `(m,)` str, the view of most of the row's frames (`""` when none).
        values: metric id -> `(m,)` value for that row (NaN where not measurable).
        a, b: `(m,)` sub-frame indices of start and end.
    """

    start_ms: np.ndarray
    end_ms: np.ndarray
    view: np.ndarray
    values: dict[str, np.ndarray]
    a: np.ndarray
    b: np.ndarray

    def __post_init__(self) -> None:
        m = self.start_ms.shape
        shapes = [x.shape for x in (self.end_ms, self.view, self.a, self.b)]
        if self.start_ms.ndim != 1 or any(s != m for s in shapes):
            raise ValueError(
                f"start_ms, end_ms, view, a, b must share shape (m,), got {m} and {shapes}"
            )
        for key, v in self.values.items():
            if v.shape != m:
                raise ValueError(f"values[{key!r}] must have shape {m}, got {v.shape}")

    @classmethod
    def empty(cls) -> IntervalTable:
        z = np.zeros(0)
        return cls(z, z, np.zeros(0, dtype=str), {}, z, z)

    @property
    def n(self) -> int:
        return int(self.start_ms.size)

    @property
    def duration_s(self) -> np.ndarray:
        return (self.end_ms - self.start_ms) / 1000.0

    def within(self, t0_ms: float, t1_ms: float) -> np.ndarray:
        """`(m,)` bool: rows that end inside `[t0_ms, t1_ms]`."""
        return (self.end_ms >= t0_ms) & (self.end_ms <= t1_ms)

    def to_rows(self) -> list[dict[str, Any]]:
        rows = []
        for i in range(self.n):
            row: dict[str, Any] = {
                "start_s": _num(self.start_ms[i] / 1000.0),
                "end_s": _num(self.end_ms[i] / 1000.0),
                "view": str(self.view[i]) or None,
            }
            row.update({k: _num(v[i]) for k, v in self.values.items()})
            rows.append(row)
        return rows


def window_figure(
    spec: MetricSpec, frames: tuple[np.ndarray, np.ndarray] | None, steps: IntervalTable,
    strides: IntervalTable, t0_ms: float, t1_ms: float,
) -> MetricSummary:  # fmt: skip
    """A metric's figure over `[t0_ms, t1_ms]`, by the code that gives the clip figure: its
    steps or strides that end in the window, or its frames `(t_ms, values)` in the window.

    The rolling figures ("last 3 s") of the video and live panels come from here, so they
    and the report's clip figure cannot disagree in how they are formed.
    """
    if spec.level in ("step", "stride", "clip"):
        table = steps if spec.level == "step" else strides
        return summarise(spec, table.values[spec.id][table.within(t0_ms, t1_ms)])
    if frames is None:
        return summarise(spec, np.zeros(0))
    t, v = frames
    return summarise(spec, v[(t >= t0_ms) & (t <= t1_ms)])


@dataclass(frozen=True)
class Analysis:
    """What the metrics stage measured on one clip.

    Attributes:
        view: the clip's main view (`side`, `front`, `rear`), None when nobody was seen.
        view_source: `given` (settings.view) or `detected`.
        facing: `left` / `right` for a side-view clip (its main facing), else None.
        segments: the clip's view segments in time order.
        timestamps_ms: `(n,)` frame times, as in the pose track.
        frame_view: `(n,)` str view of each frame (`""` where nobody).
        metrics: metric id -> `(n,)` per-frame value (NaN where not measurable); step,
            stride and clip metrics are painted onto the frames of their step / stride.
        gait_signal_px: `(n, 2)` the body point steps and bounce are read from (pixels).
        steps: the detected step events.
        step_table: one row per plausible step interval (step metrics).
        strides: one row per stride (every metric).
        summary: metric id -> clip figure (`summarise` over the metric's own samples).
        scale: the body scale every cm value uses.
        visibility: `(n, 33)` MediaPipe's visibility of each landmark (NaN where nobody).
        settings: the analysis settings used.
        notes: plain-language caveats about the measurement (e.g. slow-motion footage).
        camera: where the camera moved and where the clip was cut (None: not measured).
        activity: running / walking / ... per frame (None: every frame counts as running).
    """

    view: str | None
    view_source: str
    facing: str | None
    segments: tuple[ViewSegment, ...]
    timestamps_ms: np.ndarray
    frame_view: np.ndarray
    metrics: dict[str, np.ndarray]
    gait_signal_px: np.ndarray
    steps: Steps
    step_table: IntervalTable
    strides: IntervalTable
    summary: dict[str, MetricSummary]
    scale: BodyScale
    visibility: np.ndarray
    settings: AnalysisSettings = field(default_factory=AnalysisSettings)
    notes: tuple[str, ...] = ()
    camera: CameraMotion | None = None
    activity: Activity | None = None

    def __post_init__(self) -> None:
        n = self.timestamps_ms.shape
        if self.timestamps_ms.ndim != 1 or self.frame_view.shape != n:
            raise ValueError(
                f"timestamps_ms and frame_view must share shape (n,), got "
                f"{self.timestamps_ms.shape}, {self.frame_view.shape}"
            )
        if self.gait_signal_px.shape != (*n, 2):
            raise ValueError(f"gait_signal_px must have shape {(*n, 2)}, got "
                             f"{self.gait_signal_px.shape}")  # fmt: skip
        for key, v in self.metrics.items():
            if key not in METRICS:
                raise ValueError(f"unknown metric id {key!r}")
            if v.shape != n:
                raise ValueError(f"metrics[{key!r}] must have shape {n}, got {v.shape}")

    @property
    def median_stride_s(self) -> float | None:
        """Median stride duration in seconds, None without strides."""
        return float(np.median(self.strides.duration_s)) if self.strides.n else None

    def window_summary(self, metric_id: str, t0_ms: float, t1_ms: float) -> MetricSummary:
        """The metric's figure over `[t0_ms, t1_ms]` (`window_figure`)."""
        spec = METRICS[metric_id]
        frames = (self.timestamps_ms, self.metrics[metric_id])
        return window_figure(spec, frames, self.step_table, self.strides, t0_ms, t1_ms)

    def body_height_cm(self) -> np.ndarray:
        """`(n,)` height of the gait point in cm above its clip median (+ up; NaN unknown):
        the up-and-down travel the bounce metrics are measured on."""
        y = self.gait_signal_px[:, 1]
        with np.errstate(all="ignore"):
            return (np.nanmedian(y) - y) * self.scale.cm_per_px

    @property
    def step_rate_spm(self) -> float:
        """Steps per minute of the clip's clock from the raw step events (NaN under 3): the
        rate the step detector found, reported or not (a slow-motion clip reads low)."""
        same = np.diff(self.steps.run) == 0
        gaps = np.diff(self.steps.time_ms)[same]
        return 60000.0 / float(np.median(gaps)) if gaps.size >= 2 else math.nan

    @property
    def running(self) -> np.ndarray:
        """`(n,)` bool: the frames the running rules are judged on."""
        if self.activity is None:
            return np.ones(self.timestamps_ms.shape, bool)
        return self.activity.running

    def _camera_dict(self) -> dict[str, Any] | None:
        c = self.camera
        if c is None:
            return None
        t = self.timestamps_ms / 1000.0
        return {
            "motion": c.label,
            "moving_share": _num(c.moving_share, 3),
            "cuts_s": [_num(x, 2) for x in t[c.cut]],
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready sections: view, facing, view_segments, metrics, strides, steps_s, notes,
        settings (with the height used and its source)."""
        s = self.settings
        return {
            "view": self.view,
            "view_source": self.view_source,
            "facing": self.facing,
            "view_segments": [seg.to_dict() for seg in self.segments],
            "metrics": {k: m.to_dict() for k, m in self.summary.items()},
            "strides": self.strides.to_rows(),
            "steps_s": [_num(t / 1000.0) for t in self.steps.time_ms],
            "notes": list(self.notes),
            "activity": self.activity.to_dict() if self.activity else None,
            "camera": self._camera_dict(),
            "settings": {
                "view": s.view,
                "context": s.context,
                "height_cm": _num(self.scale.height_cm, 1),
                "height_source": self.scale.height_source,
                "leg_length_px": _num(self.scale.leg_length_px, 1),
                "cm_per_px": _num(self.scale.cm_per_px, 4),
                "rules_path": str(s.rules_path) if s.rules_path else None,
            },
        }
