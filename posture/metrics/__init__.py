"""Posture metrics: pose track -> smoothed landmarks -> view -> per-frame, per-step and
per-stride measures -> clip summaries (`analyse`), and the causal `LiveAnalyser`.

Example:
    >>> from posture.metrics import METRIC_IDS
    >>> "torso_lean_deg" in METRIC_IDS
    True
"""

from __future__ import annotations

from posture.metrics.analysis import Analysis, MetricSummary, StrideTable
from posture.metrics.compute import analyse, frame_metrics
from posture.metrics.config import MetricConfig, default_config
from posture.metrics.gait import Steps
from posture.metrics.live import LiveAnalyser
from posture.metrics.registry import METRIC_IDS, METRICS, MetricSpec
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
    "METRIC_IDS",
    "SMOOTHERS",
    "Analysis",
    "CausalSmoother",
    "LiveAnalyser",
    "MetricConfig",
    "MetricSpec",
    "MetricSummary",
    "OneEuroFilter",
    "Smoother",
    "Steps",
    "StrideTable",
    "ViewSegment",
    "ZeroPhaseButterworth",
    "analyse",
    "default_config",
    "frame_metrics",
    "make_smoother",
]
