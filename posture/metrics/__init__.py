"""Posture metrics: pose track -> smoothed landmarks -> view -> per-frame, per-step and
per-stride measures -> clip figures (`analyse`), and the causal `LiveAnalyser`.

Every metric is declared once in the registry (`registry.py`, built-in entries in
`catalog.py`); everything that shows a metric reads it from there.

Example:
    >>> from posture.metrics import METRICS
    >>> "torso_lean_deg" in METRICS
    True
"""

from __future__ import annotations

from posture.metrics import catalog as _catalog  # noqa: F401  (registers the built-ins)
from posture.metrics.analysis import (
    Analysis,
    IntervalTable,
    MetricSummary,
    central_value,
    summarise,
    window_figure,
)
from posture.metrics.compute import analyse, frame_metrics
from posture.metrics.config import MetricConfig, default_config
from posture.metrics.gait import Steps
from posture.metrics.inputs import BodyScale
from posture.metrics.registry import METRICS, MetricSpec, metric_ids, panel_specs, specs
from posture.metrics.smoothing import (
    SMOOTHERS,
    CausalSmoother,
    OneEuroFilter,
    Smoother,
    ZeroPhaseButterworth,
    make_smoother,
)
from posture.metrics.view import ViewSegment

__all__ = [
    "METRICS",
    "SMOOTHERS",
    "Analysis",
    "BodyScale",
    "CausalSmoother",
    "IntervalTable",
    "MetricConfig",
    "MetricSpec",
    "MetricSummary",
    "OneEuroFilter",
    "Smoother",
    "Steps",
    "ViewSegment",
    "ZeroPhaseButterworth",
    "analyse",
    "central_value",
    "default_config",
    "frame_metrics",
    "make_smoother",
    "metric_ids",
    "panel_specs",
    "specs",
    "summarise",
    "window_figure",
]
