"""Judge an `Analysis` against a `RuleSet` with the rule engine.

For each rule the samples are the per-stride values of its metrics in the rule's views, or,
for a frame metric on a clip with too few strides, its frames (a rolling median over a
typical stride, so the gait cycle's own swing is not a fault). The engine marks each
sample's level and finds the sustained stretches (episodes); the verdict is the worst
episode's level, with the episodes, the share of the judged time they cover, and the clip
figure of the metric as the typical value.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from posture.metrics.analysis import Analysis
from posture.metrics.config import default_config
from posture.metrics.registry import METRICS
from posture.rules.confidence import rule_confidence
from posture.rules.engine import RuleTracker, criteria_for, is_exempt, sample_levels
from posture.rules.model import (
    LEVELS,
    Confidence,
    Criterion,
    Episode,
    Rule,
    RuleResult,
    RuleSet,
    RuleStatus,
)
from posture.settings import AnalysisSettings


@dataclass(frozen=True)
class Samples:
    """What a rule is judged on: `(m,)` intervals and each criterion metric's values.

    Attributes:
        t0_s, t1_s: `(m,)` start and end of each sample (a stride, or a frame).
        values: metric id -> `(m,)` (NaN outside the rule's views or where not measured).
        per_stride: True for stride samples, False for frames.
        n_strides: strides of the clip in the rule's views.
    """

    t0_s: np.ndarray
    t1_s: np.ndarray
    values: dict[str, np.ndarray]
    per_stride: bool
    n_strides: int


def stride_s(analysis: Analysis) -> float:
    """Median stride duration, or the configured typical one when no stride was found."""
    return analysis.median_stride_s or default_config().steps.default_stride_s


def _rolling_median(x: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling median of `x` `(n,)` ignoring NaN (NaN where half the window is)."""
    if window <= 1 or x.size < window:
        return x.copy()
    half = window // 2
    padded = np.concatenate([np.full(half, np.nan), x, np.full(window - 1 - half, np.nan)])
    win = sliding_window_view(padded, window)
    enough = np.isfinite(win).sum(axis=1) * 2 >= window
    with warnings.catch_warnings():  # all-NaN windows are expected: they become NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(win, axis=1)
    return np.where(enough & np.isfinite(x), med, np.nan)


def _views_needed(rule: Rule) -> str:
    return " or ".join(rule.views)


def select_samples(analysis: Analysis, rule: Rule) -> Samples | str:
    """The rule's samples, or the reason it cannot be judged on this clip."""
    metrics = {c.metric for c in rule.criteria}
    if not np.isin(analysis.frame_view, rule.views).any():
        seen = analysis.view or "no view (nobody seen)"
        return f"needs a {_views_needed(rule)} view; this clip is {seen}"
    strides = analysis.strides
    in_view = np.isin(strides.view, rule.views)
    primary = METRICS[rule.metric]
    n = int(np.isfinite(np.where(in_view, strides.values[rule.metric], np.nan)).sum())
    if primary.level == "clip" and analysis.summary[rule.metric].n < rule.min_samples:
        have = analysis.summary[rule.metric].n
        return f"needs {rule.min_samples} step intervals; {have} were found"
    if primary.level == "clip" and n < rule.min_strides:
        # Enough steps for the clip value, too few strides for a rolling one: the clip value
        # stands for the whole stretch the steps cover.
        t0, t1 = analysis.step_table.start_ms[0] / 1000, analysis.step_table.end_ms[-1] / 1000
        values = {m: np.array([analysis.summary[m].median]) for m in metrics}
        return Samples(np.array([t0]), np.array([t1]), values, True, n)
    if n >= (rule.min_strides if primary.level == "clip" else rule.min_samples):
        values = {m: np.where(in_view, strides.values[m], np.nan) for m in metrics}
        return Samples(strides.start_ms / 1000, strides.end_ms / 1000, values, True, n)
    if primary.level != "frame":
        return f"needs {rule.min_samples} strides in a {_views_needed(rule)} view; {n} were found"
    return _frame_samples(analysis, rule, metrics, n)


def _frame_samples(analysis: Analysis, rule: Rule, metrics: set[str], n: int) -> Samples | str:
    t_s = analysis.timestamps_ms / 1000.0
    dt = float(np.median(np.diff(t_s))) if t_s.size > 1 else 0.0
    in_view = np.isin(analysis.frame_view, rule.views)
    window = max(1, round(stride_s(analysis) / dt)) if dt > 0 else 1
    values = {
        m: _rolling_median(np.where(in_view, analysis.metrics[m], np.nan), window) for m in metrics
    }
    seen_s = float(np.isfinite(values[rule.metric]).sum() * dt)
    need_s = rule.min_samples * default_config().steps.default_stride_s
    if seen_s < need_s:
        return (
            f"needs {rule.min_samples} strides in a {_views_needed(rule)} view (or "
            f"{need_s:.1f} s of it); {n} strides and {seen_s:.1f} s were found"
        )
    return Samples(t_s, t_s + dt, values, False, n)


def _episode(
    first: int, last: int, level: int, samples: Samples, criteria: tuple[Criterion, ...]
) -> Episode:
    sl = slice(first, last + 1)

    def mean_level(c: Criterion) -> float:
        lv = c.levels(samples.values[c.metric][sl])
        return float(lv[lv >= 0].mean()) if (lv >= 0).any() else -1.0

    crit = max(criteria, key=mean_level)  # first wins ties: the primary criterion
    v = samples.values[crit.metric][sl]
    with np.errstate(all="ignore"):
        median = float(np.nanmedian(v)) if np.isfinite(v).any() else float("nan")
    return Episode(
        float(samples.t0_s[first]), float(samples.t1_s[last]), LEVELS[level], crit.metric,
        median, crit.worst(v),
    )  # fmt: skip


def find_episodes(
    rule: Rule, criteria: tuple[Criterion, ...], samples: Samples, max_gap_s: float
) -> tuple[tuple[Episode, ...], float]:
    """The rule's episodes on `samples` and the share of the judged time they cover."""
    strict, loose = sample_levels(rule, criteria, samples.values)
    tracker = RuleTracker.for_rule(rule, per_stride=samples.per_stride, max_gap_s=max_gap_s)
    for i in range(strict.size):
        tracker.update(i, samples.t0_s[i], samples.t1_s[i], int(strict[i]), int(loose[i]))
    episodes = tuple(
        _episode(first, last, level, samples, criteria)
        for _, _, first, last, level in tracker.finish()
    )
    judged_s = float(np.sum((samples.t1_s - samples.t0_s)[strict >= 0]))
    covered_s = sum(e.duration_s for e in episodes)
    return episodes, min(1.0, covered_s / judged_s) if judged_s > 0 else 0.0


def _result(
    analysis: Analysis, rule: Rule, criterion: Criterion, status: RuleStatus,
    reasons: list[str], *, episodes: tuple[Episode, ...] = (), share: float = 0.0,
    confidence: Confidence = "low",
) -> RuleResult:  # fmt: skip
    summary = analysis.summary[rule.metric]
    return RuleResult(
        id=rule.id,
        title=rule.title,
        status=status,
        confidence=confidence,
        reasons=tuple(reasons),
        typical=summary.median if np.isfinite(summary.median) else None,
        unit=METRICS[rule.metric].unit,
        criterion=criterion,
        episodes=episodes,
        share=share,
        message=rule.message,
        cue=rule.cue,
        advice=rule.advice,
        exercises=rule.exercises if status in ("warn", "fail") else (),
    )


def evaluate_rule(analysis: Analysis, rule: Rule, context: str = "flat") -> RuleResult:
    """The verdict of one rule (see the module docstring for how it is reached)."""
    criteria = criteria_for(rule, context)
    samples = select_samples(analysis, rule)
    if isinstance(samples, str):
        return _result(analysis, rule, criteria[0], "not_measured", [samples])
    if is_exempt(rule, context):
        why = f"not judged: the running context '{context}' allows it"
        return _result(analysis, rule, criteria[0], "exempt", [why], confidence="high")
    episodes, share = find_episodes(rule, criteria, samples, stride_s(analysis))
    level = max((LEVELS.index(e.level) for e in episodes), default=0)
    confidence, reasons = rule_confidence(analysis, rule, samples.n_strides)
    return _result(
        analysis, rule, criteria[0], LEVELS[level], reasons, episodes=episodes, share=share,
        confidence=confidence,
    )  # fmt: skip


def evaluate(
    analysis: Analysis, rules: RuleSet, settings: AnalysisSettings | None = None
) -> list[RuleResult]:
    """Every rule's verdict, in the rule file's order.

    Args:
        analysis: what the metrics stage measured.
        rules: validated rules (`load_rules`).
        settings: analysis settings for the context; defaults to `analysis.settings`.
    """
    context = (settings or analysis.settings).context
    return [evaluate_rule(analysis, r, context) for r in rules.rules]
