"""How sure a verdict is: `high`, or `low` with the reasons, from the evidence behind it.

A verdict is only as good as what it was judged on: how many strides, how well MediaPipe saw
the landmarks the metric uses, and how well the camera's view fits the rule.
"""

from __future__ import annotations

import numpy as np

from posture.metrics.analysis import Analysis
from posture.metrics.registry import METRICS
from posture.rules.model import Confidence, Criterion, Rule, RuleStatus

#: Mean MediaPipe visibility of a metric's landmarks below which its verdict is low.
MIN_VISIBILITY = 0.6


def rule_confidence(
    analysis: Analysis, rule: Rule, n_strides: int, criterion: Criterion, status: RuleStatus
) -> tuple[Confidence, list[str]]:
    """`high`, or `low` with plain-language reasons.

    Args:
        analysis: what the metrics stage measured.
        rule: the rule judged.
        n_strides: strides in the rule's views.
        criterion: the rule's primary criterion with the limits it was judged on.
        status: the level reached.
    """
    reasons = []
    summary = analysis.summary[rule.metric]
    if METRICS[rule.metric].level == "clip":
        if summary.n < 2 * rule.min_samples:
            reasons.append(f"only {summary.n} step intervals")
    elif n_strides < 2 * rule.min_samples:
        reasons.append(f"only {n_strides} strides in a {' or '.join(rule.views)} view")
    if rule.caveat:
        reasons.append(rule.caveat)
    under_read = _under_read(analysis, rule, criterion, status)
    if under_read:
        reasons.append(under_read)
    visibility = _visibility(analysis, rule)
    if np.isfinite(visibility) and visibility < MIN_VISIBILITY:
        reasons.append(f"the landmarks it needs were seen poorly (visibility {visibility:.2f})")
    return ("low" if reasons else "high"), reasons


def _under_read(analysis: Analysis, rule: Rule, criterion: Criterion, status: RuleStatus) -> str:
    """Why the verdict may be milder than the truth, given how much of a true change the pose
    model follows (`rule.follows`); "" when even an under-read value supports it."""
    typical = analysis.summary[rule.metric].median
    if rule.follows is None or not np.isfinite(typical) or status not in ("ok", "warn"):
        return ""
    sign = 1.0 if criterion.direction == "above" else -1.0
    reach = typical / rule.follows
    name, limit = ("warn", criterion.warn) if status == "ok" else ("fail", criterion.fail)
    if sign * reach < sign * limit:
        return ""
    unit = METRICS[rule.metric].unit
    return (
        f"the pose model follows about {rule.follows:.0%} of a true change here "
        f"(docs/ACCURACY.md), so {typical:.1f} {unit} may be a true {reach:.0f} {unit}, "
        f"past the {name} limit {limit:g}"
    )


def _visibility(analysis: Analysis, rule: Rule) -> float:
    """Mean visibility of the rule's landmarks over the frames in its views."""
    points = np.array(sorted({p for c in rule.criteria for p in METRICS[c.metric].landmarks}))
    frames = np.isin(analysis.frame_view, rule.views)
    if not points.size or not frames.any():
        return float("nan")
    vis = analysis.visibility[np.ix_(frames, points)]
    return float(np.nanmean(vis)) if np.isfinite(vis).any() else float("nan")
