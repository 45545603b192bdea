"""Judge an `Analysis` against a `RuleSet`.

For each criterion of a rule the samples are the per-stride values of its metric in the
rule's views (per-frame values when the clip has too few strides and the metric is a frame
metric; the clip value for clip metrics). The reported value is the level reached by
`min_fraction` of the samples, and the status compares it with the limits, so "value beyond
the warn limit" and "at least min_fraction of the strides beyond it" are the same statement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posture.metrics.analysis import Analysis
from posture.metrics.config import default_config
from posture.metrics.registry import METRICS
from posture.rules.model import STATUS_ORDER, Criterion, Rule, RuleResult, RuleSet, Status
from posture.rules.spans import sustained_spans
from posture.settings import AnalysisSettings


@dataclass(frozen=True)
class Samples:
    """What a criterion is judged on.

    Attributes:
        values: `(m,)` sample values (finite).
        intervals_s: `(k, 2)` time intervals of the series used for spans.
        series: `(k,)` values over `intervals_s` (NaN allowed).
        min_span_s: shortest stretch reported as a span.
    """

    values: np.ndarray
    intervals_s: np.ndarray
    series: np.ndarray
    min_span_s: float


def _stride_s(analysis: Analysis) -> float:
    return analysis.median_stride_s or default_config().steps.default_stride_s


def _samples(analysis: Analysis, metric: str, rule: Rule) -> Samples | None:
    """The samples of `metric` in the rule's views, or None when there are too few."""
    spec, strides, stride_s = METRICS[metric], analysis.strides, _stride_s(analysis)
    in_view = np.isin(strides.view, rule.views)
    sv = np.where(in_view, strides.values[metric], np.nan)
    stride_iv = np.stack([strides.start_ms, strides.end_ms], axis=-1) / 1000.0
    # A run of whole strides is never a blip; 0.75 allows for stride-to-stride variation.
    by_stride = Samples(sv[np.isfinite(sv)], stride_iv, sv, 0.75 * stride_s)
    if spec.basis == "clip":
        value, n = analysis.summary[metric].median, analysis.summary[metric].n
        if not np.isfinite(value) or n < rule.min_samples or not in_view.any():
            return None
        return Samples(
            np.array([value]), by_stride.intervals_s, by_stride.series, by_stride.min_span_s
        )
    if by_stride.values.size >= rule.min_samples:
        return by_stride
    if spec.basis != "frame":
        return None
    t_s = analysis.timestamps_ms / 1000.0
    fv = np.where(np.isin(analysis.frame_view, rule.views), analysis.metrics[metric], np.nan)
    dt = float(np.median(np.diff(t_s))) if t_s.size > 1 else 0.0
    ok = np.isfinite(fv)
    # Too few strides (short clip, no steps): judge frames when they cover min_samples
    # typical strides.
    if ok.sum() * dt < rule.min_samples * default_config().steps.default_stride_s:
        return None
    return Samples(fv[ok], np.stack([t_s, t_s + dt], axis=-1), fv, stride_s)


@dataclass(frozen=True)
class _Verdict:
    status: Status
    value: float
    criterion: Criterion
    spans_s: tuple[tuple[float, float], ...]


def _judge(analysis: Analysis, crit: Criterion, rule: Rule) -> _Verdict | None:
    samples = _samples(analysis, crit.metric, rule)
    if samples is None:
        return None
    q = 1.0 - rule.min_fraction if crit.direction == "above" else rule.min_fraction
    value = float(np.quantile(samples.values, q))
    with np.errstate(invalid="ignore"):
        breaks = crit.breaks(samples.series, crit.warn) & np.isfinite(samples.series)
    spans = sustained_spans(
        samples.intervals_s, breaks, max_gap_s=_stride_s(analysis), min_len_s=samples.min_span_s
    )
    return _Verdict(crit.status(value), value, crit, spans)


def _pick(verdicts: list[_Verdict], combine: str) -> _Verdict:
    """`any`: the most severe verdict decides; `all`: the mildest (first wins ties)."""
    sign = 1 if combine == "any" else -1
    return max(verdicts, key=lambda v: (sign * STATUS_ORDER[v.status], -verdicts.index(v)))


def evaluate_rule(analysis: Analysis, rule: Rule, context: str = "flat") -> RuleResult:
    """The verdict of one rule (see the module docstring for how it is reached)."""
    relax = rule.relax.get(context, 0.0)
    criteria = [c.relaxed(relax) if relax else c for c in rule.criteria]
    verdicts = [v for c in criteria if (v := _judge(analysis, c, rule)) is not None]
    primary = criteria[0]
    if not verdicts:
        return RuleResult(
            rule.id,
            "not_measured",
            None,
            METRICS[primary.metric].unit,
            _limits(primary),
            (),
            rule.message,
            rule.advice,
        )
    best = _pick(verdicts, rule.combine)
    status, spans, advice = best.status, best.spans_s, rule.advice
    if context in rule.exempt_contexts:
        status, spans = "ok", ()
        advice = f"Not judged: context '{context}' exempts this rule. {rule.advice}"
    exercises = rule.exercises if status in ("warn", "fail") else ()
    return RuleResult(
        rule.id,
        status,
        best.value,
        METRICS[best.criterion.metric].unit,
        _limits(best.criterion),
        spans,
        rule.message,
        advice,
        exercises,
    )


def _limits(c: Criterion) -> dict[str, object]:
    return {"metric": c.metric, "warn": c.warn, "fail": c.fail, "direction": c.direction}


def evaluate(
    analysis: Analysis, rules: RuleSet, settings: AnalysisSettings | None = None
) -> list[RuleResult]:
    """Every rule's verdict, in the rule file's order.

    Args:
        analysis: the clip's measurements.
        rules: validated rules (`load_rules`).
        settings: analysis settings for the context; defaults to `analysis.settings`.
    """
    context = (settings or analysis.settings).context
    return [evaluate_rule(analysis, r, context) for r in rules.rules]
