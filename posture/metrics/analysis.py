"""`Analysis`: everything the metrics stage measured on one clip, as arrays and tables."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from posture.metrics.gait import Steps
from posture.metrics.registry import METRICS
from posture.metrics.view import ViewSegment
from posture.settings import AnalysisSettings


def _num(x: float | np.floating[Any] | None, nd: int = 3) -> float | None:
    """JSON-ready number: NaN / None -> None, else rounded."""
    if x is None or not math.isfinite(float(x)):
        return None
    return round(float(x), nd)


@dataclass(frozen=True)
class MetricSummary:
    """Clip summary of one metric over its samples (frames, steps or strides, see registry)."""

    unit: str
    median: float
    p10: float
    p90: float
    n: int

    @classmethod
    def of(cls, unit: str, values: np.ndarray) -> MetricSummary:
        v = values[np.isfinite(values)]
        if v.size == 0:
            return cls(unit, math.nan, math.nan, math.nan, 0)
        p10, med, p90 = np.percentile(v, [10, 50, 90])
        return cls(unit, float(med), float(p10), float(p90), int(v.size))

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit,
            "median": _num(self.median),
            "p10": _num(self.p10),
            "p90": _num(self.p90),
            "n": self.n,
        }


@dataclass(frozen=True)
class StrideTable:
    """One row per stride (two steps).

    Attributes:
        start_ms: `(m,)` stride start (a pelvis lowest point) in the track's clock.
        end_ms: `(m,)` stride end.
        view: `(m,)` str, the view of most of the stride's frames (`""` when none).
        values: metric id -> `(m,)` value for that stride (NaN where not measurable).
    """

    start_ms: np.ndarray
    end_ms: np.ndarray
    view: np.ndarray
    values: dict[str, np.ndarray]

    def __post_init__(self) -> None:
        m = self.start_ms.shape
        if self.start_ms.ndim != 1 or self.end_ms.shape != m or self.view.shape != m:
            raise ValueError(
                f"start_ms, end_ms, view must share shape (m,), got "
                f"{self.start_ms.shape}, {self.end_ms.shape}, {self.view.shape}"
            )
        for key, v in self.values.items():
            if v.shape != m:
                raise ValueError(f"stride values[{key!r}] must have shape {m}, got {v.shape}")

    @property
    def n(self) -> int:
        return int(self.start_ms.size)

    @property
    def duration_s(self) -> np.ndarray:
        return (self.end_ms - self.start_ms) / 1000.0

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
        metrics: metric id -> `(n,)` per-frame value (NaN where not measurable); step and
            stride metrics are painted onto the frames of their step / stride.
        steps: the detected steps.
        strides: the per-stride table.
        summary: metric id -> clip summary.
        leg_length_px: hip -> knee -> ankle length in pixels (NaN when legs were not seen).
        height_cm: stature used for cm metrics, None when neither given nor estimable.
        height_source: `given`, `estimated` (from world landmarks) or None.
        settings: the analysis settings used.
        notes: plain-language caveats about the measurement (e.g. slow-motion footage).
    """

    view: str | None
    view_source: str
    facing: str | None
    segments: tuple[ViewSegment, ...]
    timestamps_ms: np.ndarray
    frame_view: np.ndarray
    metrics: dict[str, np.ndarray]
    steps: Steps
    strides: StrideTable
    summary: dict[str, MetricSummary]
    leg_length_px: float
    height_cm: float | None
    height_source: str | None
    settings: AnalysisSettings = field(default_factory=AnalysisSettings)
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = self.timestamps_ms.shape
        if self.timestamps_ms.ndim != 1 or self.frame_view.shape != n:
            raise ValueError(
                f"timestamps_ms and frame_view must share shape (n,), got "
                f"{self.timestamps_ms.shape}, {self.frame_view.shape}"
            )
        for key, v in self.metrics.items():
            if key not in METRICS:
                raise ValueError(f"unknown metric id {key!r}")
            if v.shape != n:
                raise ValueError(f"metrics[{key!r}] must have shape {n}, got {v.shape}")

    @property
    def median_stride_s(self) -> float | None:
        """Median stride duration in seconds, None without strides."""
        return float(np.median(self.strides.duration_s)) if self.strides.n else None

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
            "settings": {
                "view": s.view,
                "context": s.context,
                "height_cm": _num(self.height_cm, 1),
                "height_source": self.height_source,
                "leg_length_px": _num(self.leg_length_px, 1),
                "rules_path": str(s.rules_path) if s.rules_path else None,
            },
        }
