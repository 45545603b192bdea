"""How sure a verdict is: `high`, or `low` with the reasons, from the evidence behind it.

A verdict is only as good as what it was judged on: how many strides, how well MediaPipe saw
the landmarks the metric uses, and how well the camera's view fits the rule.
"""

from __future__ import annotations

import numpy as np

from posture.metrics.analysis import Analysis
from posture.metrics.registry import METRICS
from posture.rules.model import Confidence, Rule

#: Mean MediaPipe visibility of a metric's landmarks below which its verdict is low.
MIN_VISIBILITY = 0.6


def rule_confidence(analysis: Analysis, rule: Rule, n_strides: int) -> tuple[Confidence, list[str]]:
    """`high`, or `low` with plain-language reasons."""
    reasons = []
    summary = analysis.summary[rule.metric]
    if METRICS[rule.metric].level == "clip":
        if summary.n < 2 * rule.min_samples:
            reasons.append(f"only {summary.n} step intervals")
    elif n_strides < 2 * rule.min_samples:
        reasons.append(f"only {n_strides} strides in a {' or '.join(rule.views)} view")
    if rule.caveat:
        reasons.append(rule.caveat)
    visibility = _visibility(analysis, rule)
    if np.isfinite(visibility) and visibility < MIN_VISIBILITY:
        reasons.append(f"the landmarks it needs were seen poorly (visibility {visibility:.2f})")
    return ("low" if reasons else "high"), reasons


def _visibility(analysis: Analysis, rule: Rule) -> float:
    """Mean visibility of the rule's landmarks over the frames in its views."""
    points = np.array(sorted({p for c in rule.criteria for p in METRICS[c.metric].landmarks}))
    frames = np.isin(analysis.frame_view, rule.views)
    if not points.size or not frames.any():
        return float("nan")
    vis = analysis.visibility[np.ix_(frames, points)]
    return float(np.nanmean(vis)) if np.isfinite(vis).any() else float("nan")
