"""The metric registry: everything about one metric, declared once.

A `MetricSpec` carries the metric's id, unit, valid views, level (what one value describes),
its words (title for plots and cards, short label for panels, one-line definition), how it is
shown (panel row, history trend, digits, smallest plot range), its accuracy target, and the
function that computes it. The view masks, the report's metric sections and JSON schema, the
CSV columns, the HTML plots, the video and live panels, the terminal summary, history,
compare and the accuracy suite all read this table; none keeps a list of its own.

The built-in metrics are declared in `posture.metrics.catalog`; `register()` adds one (a
plug-in, or a test's metric) and `registered()` adds one for the length of a `with` block.

Example:
    >>> METRICS["torso_lean_deg"].title
    'Torso lean'
    >>> [s.id for s in specs("clip")]
    ['cadence_cv_pct']
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Level = Literal["frame", "step", "stride", "clip"]
LEVELS: tuple[Level, ...] = ("frame", "step", "stride", "clip")
SIDE: tuple[str, ...] = ("side",)
FRONT_REAR: tuple[str, ...] = ("front", "rear")
ALL_VIEWS: tuple[str, ...] = ("side", "front", "rear")

#: `compute(inputs) -> (n,)` for frame metrics (`FrameInputs`), `(k,)` per step interval for
#: step metrics (`StepInputs`), `(m,)` per stride for stride metrics (`StrideInputs`), and
#: `(m,)` per stride plus the clip value for clip metrics (`ClipInputs` -> `ClipValue`).
Compute = Callable[[Any], Any]


@dataclass(frozen=True)
class Accuracy:
    """The accuracy target of a metric against known truth (`posture validate`).

    A clip passes when |error| <= max(abs_limit, rel_limit x |true value|).
    """

    abs_limit: float
    rel_limit: float = 0.0

    def limit(self, true_value: float) -> float:
        return max(self.abs_limit, self.rel_limit * abs(true_value))

    def describe(self, unit: str) -> str:
        """`<= 1 cm or 10 %` (how the target reads in tables)."""
        rel = f" or {self.rel_limit * 100:g} %" if self.rel_limit else ""
        return f"<= {self.abs_limit:.3g} {unit}{rel}"


@dataclass(frozen=True)
class MetricSpec:
    """What one metric id means, how it is computed and how it is shown.

    Attributes:
        id: metric id, ending in its unit (`_deg`, `_cm`, `_pct`, `_pct_leg`, `_spm`).
        unit: unit shown with values (`deg`, `cm`, `%`, `% leg`, `steps/min`, `ratio`).
        views: camera views where the metric is valid; elsewhere it is NaN / not measured.
        level: what one value describes: a `frame`, a `step` interval, a `stride` (two
            steps), or the whole `clip` (then also a rolling value per stride).
        title: name in words for plots, cards and tables ("Torso lean").
        label: short name for panels ("lean").
        summary: one-line definition for reports and docs.
        compute: the function that computes it (see `Compute`).
        landmarks: landmark indices the value depends on (its confidence reads their
            visibility).
        panel: shown as a row of the video and live panels and the terminal summary.
        trend: shown in `posture history`'s trend table.
        digits: decimals shown (values of 100 or more are shown without decimals).
        plot_min_range: smallest value range of its plot axis, so noise never looks like a
            trend (e.g. 10 deg, 20 steps/min).
        accuracy: target error against truth; None when the suite does not check it.
        aggregate: how the clip value is formed from the level's samples: `median`, or
            `rate` (60 / mean interval, for counts over time such as cadence).
        camera_sensitive: reads the body's path in the image (bounce, sway, step timing), so
            a moving camera adds its own motion: not judged where the camera moves.
        step_timing: needs the step events to be real steps: not judged when the cadence is
            outside what running produces (slow motion, every other step missed).
    """

    id: str
    unit: str
    views: tuple[str, ...]
    level: Level
    title: str
    label: str
    summary: str
    compute: Compute
    landmarks: tuple[int, ...] = ()
    panel: bool = False
    trend: bool = False
    digits: int = 1
    plot_min_range: float = 1.0
    accuracy: Accuracy | None = None
    aggregate: Literal["median", "rate"] = "median"
    camera_sensitive: bool = False
    step_timing: bool = False

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"{self.id}: level must be one of {LEVELS}, got {self.level!r}")
        bad = [v for v in self.views if v not in ALL_VIEWS]
        if not self.views or bad:
            raise ValueError(f"{self.id}: views must be a non-empty subset of {ALL_VIEWS}")
        if not self.id.isidentifier() or self.id.startswith("_"):
            raise ValueError(f"{self.id!r}: a metric id is a lower-case identifier")

    def format(self, value: float | None) -> str:
        """`12.3 deg`, `171 steps/min`, or `--` for a missing value."""
        if value is None or not np.isfinite(value):
            return "--"
        digits = 0 if abs(value) >= 100 else self.digits
        return f"{value:.{digits}f} {self.unit}".strip()

    def in_view(self, view: np.ndarray) -> np.ndarray:
        """`(n,)` bool: True where the frame's view (`(n,)` str) lets this metric be measured."""
        view = np.asarray(view)
        ok = np.zeros(view.shape, bool)
        for v in self.views:  # a few string compares: np.isin sorts strings on every call
            ok |= view == v
        return ok


#: Every metric, in display and computation order (a metric may use those before it).
METRICS: dict[str, MetricSpec] = {}


def register(spec: MetricSpec) -> MetricSpec:
    """Add `spec` to the registry (after the metrics already there).

    Raises:
        ValueError: a metric with this id is already registered.
    """
    if spec.id in METRICS:
        raise ValueError(f"metric {spec.id!r} is already registered")
    METRICS[spec.id] = spec
    return spec


@contextmanager
def registered(spec: MetricSpec) -> Iterator[MetricSpec]:
    """Register `spec` for the length of the block (tests, experiments)."""
    register(spec)
    try:
        yield spec
    finally:
        METRICS.pop(spec.id, None)


def specs(level: Level | None = None) -> tuple[MetricSpec, ...]:
    """The registered metrics of `level` (all when None), in registry order."""
    return tuple(s for s in METRICS.values() if level is None or s.level == level)


def metric_ids() -> tuple[str, ...]:
    """Every registered metric id, in registry order."""
    return tuple(METRICS)


def panel_specs(view: str | None = None) -> tuple[MetricSpec, ...]:
    """The panel rows, in order; only those `view` measures when it is given."""
    return tuple(s for s in METRICS.values() if s.panel and (view is None or view in s.views))
