"""Judge an `Analysis` against a `RuleSet` with the rule engine.

For each rule the samples are the per-stride values of its metrics in the rule's views, or,
for a frame metric on a clip with too few strides, its frames (a rolling median over a
typical stride, so the gait cycle's own swing is not a fault). The engine marks each
sample's level and finds the sustained stretches (episodes); the verdict is the worst
episode's level, with the episodes, the share of the judged time they cover, and the clip
figure of the metric as the typical value.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, replace

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
        whole: one sample that stands for the whole judged stretch (a clip figure): its
            level is the verdict, with no minimum duration.
        notes: what was left out of the judged frames, and why (for the reasons).
    """

    t0_s: np.ndarray
    t1_s: np.ndarray
    values: dict[str, np.ndarray]
    per_stride: bool
    n_strides: int
    whole: bool = False
    notes: list[str] = field(default_factory=list)


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


def _spans(t_s: np.ndarray, mask: np.ndarray) -> str:
    """`5.0-6.6 s, 9.0-9.4 s` for the True runs of `mask` (at most three)."""
    m = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    pairs = zip(edges[::2], edges[1::2], strict=True)
    runs = [f"{t_s[a]:.1f}-{t_s[b - 1]:.1f} s" for a, b in pairs]
    return ", ".join(runs[:3]) + (", ..." if len(runs) > 3 else "")


def _activity_seen(analysis: Analysis) -> str:
    """`walking 4.6 s, standing 1.0 s`: what the clip shows instead of running."""
    if analysis.activity is None:
        return "nothing"
    parts = [
        (a, analysis.activity.seconds(a))
        for a in ("walking", "standing", "crouched", "lying", "unknown")
    ]
    found = [f"{a} {sec:.1f} s" for a, sec in parts if sec >= 0.05]
    return ", ".join(found) or "nobody in view"


def judged_frames(analysis: Analysis, rule: Rule) -> tuple[np.ndarray, list[str]]:
    """`(n,)` bool: the running frames in the rule's views that could show its fault, and
    plain-language notes on what was left out (a moving camera, accelerating)."""
    t_s = analysis.timestamps_ms / 1000.0
    frames = np.isin(analysis.frame_view, rule.views) & analysis.running
    notes = []
    specs = [METRICS[c.metric] for c in rule.criteria]
    if analysis.camera is not None and any(sp.camera_sensitive for sp in specs):
        moving = frames & analysis.camera.moving
        if moving.any():
            notes.append(
                f"not judged where the camera moves ({_spans(t_s, moving)}): its motion adds "
                "to the body's in the image"
            )
            frames &= ~analysis.camera.moving
    if analysis.activity is not None and "accelerating" in rule.exempt_contexts:
        accelerating = frames & analysis.activity.accelerating
        if accelerating.any():
            notes.append(
                f"not judged while accelerating ({_spans(t_s, accelerating)}): the text "
                "allows a forward lean when speeding up"
            )
            frames &= ~analysis.activity.accelerating
    return frames, notes


def steps_in_real_time(analysis: Analysis) -> bool:
    """False when the step rate is outside what running produces (slow-motion footage or
    every other step missed): the clip's seconds are then not running seconds."""
    cadence = analysis.step_rate_spm
    cfg = default_config().activity
    return not np.isfinite(cadence) or cfg.run_min_spm <= cadence <= cfg.run_max_spm


def _implausible_steps(analysis: Analysis, rule: Rule) -> str | None:
    """Why the step events cannot be trusted as real steps for this rule, or None."""
    if not any(METRICS[c.metric].step_timing for c in rule.criteria):
        return None
    if steps_in_real_time(analysis):
        return None
    cadence = analysis.step_rate_spm
    cfg = default_config().activity
    return (
        f"the cadence reads {cadence:.0f} steps/min, outside what running produces "
        f"({cfg.run_min_spm:.0f}-{cfg.run_max_spm:.0f}): slow-motion footage or missed steps, "
        "so step timing and bounce are not judged"
    )


def _stride_mask(analysis: Analysis, frames: np.ndarray) -> np.ndarray:
    """`(m,)` bool: strides whose middle frame is one of `frames`."""
    strides = analysis.strides
    if strides.n == 0 or frames.size == 0:
        return np.zeros(strides.n, bool)
    mid = np.clip(np.round((strides.a + strides.b) / 2).astype(int), 0, frames.size - 1)
    return frames[mid]


def select_samples(analysis: Analysis, rule: Rule) -> Samples | str:
    """The rule's samples, or the reason it cannot be judged on this clip."""
    metrics = {c.metric for c in rule.criteria}
    in_view = np.isin(analysis.frame_view, rule.views)
    if not in_view.any():
        seen = analysis.view or "no view (nobody seen)"
        return f"needs a {_views_needed(rule)} view; this clip is {seen}"
    if not (in_view & analysis.running).any():
        shows = _activity_seen(analysis)
        return f"no running found in a {_views_needed(rule)} view (the clip shows {shows})"
    why = _implausible_steps(analysis, rule)
    if why:
        return why
    frames, notes = judged_frames(analysis, rule)
    if not frames.any():
        return "; ".join(notes) or "no frame could show this fault"
    strides = analysis.strides
    keep = _stride_mask(analysis, frames) & np.isin(strides.view, rule.views)
    primary = METRICS[rule.metric]
    n = int(np.isfinite(np.where(keep, strides.values[rule.metric], np.nan)).sum())
    if primary.level == "clip" and analysis.summary[rule.metric].n < rule.min_samples:
        have = analysis.summary[rule.metric].n
        return f"needs {rule.min_samples} step intervals; {have} were found"
    if primary.level == "clip" and n < rule.min_strides:
        # Enough steps for the clip value, too few strides for a rolling one: the clip value
        # stands for the whole stretch the steps cover, if that stretch could be judged.
        steps = analysis.step_table
        mid = np.clip(np.round((steps.a + steps.b) / 2).astype(int), 0, frames.size - 1)
        if steps.n == 0 or frames[mid].mean() < 0.8:
            return "; ".join(notes) or "too few step intervals while running"
        t0, t1 = steps.start_ms[0] / 1000, steps.end_ms[-1] / 1000
        values = {m: np.array([analysis.summary[m].median]) for m in metrics}
        return Samples(np.array([t0]), np.array([t1]), values, True, n, whole=True, notes=notes)
    if n >= (rule.min_strides if primary.level == "clip" else rule.min_samples):
        values = {m: np.where(keep, strides.values[m], np.nan) for m in metrics}
        return Samples(strides.start_ms / 1000, strides.end_ms / 1000, values, True, n, notes=notes)
    if primary.level != "frame":
        return f"needs {rule.min_samples} strides in a {_views_needed(rule)} view; {n} were found"
    return _frame_samples(analysis, rule, metrics, n, frames, notes)


def _frame_samples(
    analysis: Analysis, rule: Rule, metrics: set[str], n: int, frames: np.ndarray,
    notes: list[str],
) -> Samples | str:  # fmt: skip
    """Too few strides for episodes: the median of the judged frames stands for the clip
    (a low-confidence verdict), if they cover at least `min_samples` typical strides."""
    t_s = analysis.timestamps_ms / 1000.0
    dt = float(np.median(np.diff(t_s))) if t_s.size > 1 else 0.0
    values = {m: np.where(frames, analysis.metrics[m], np.nan) for m in metrics}
    seen = np.isfinite(values[rule.metric])
    seen_s = float(seen.sum() * dt)
    need_s = rule.min_samples * stride_s(analysis)
    if seen_s < need_s:
        return (
            f"needs {rule.min_samples} strides in a {_views_needed(rule)} view (or "
            f"{need_s:.1f} s of it); {n} strides and {seen_s:.1f} s were found"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        medians = {m: np.array([np.nanmedian(v)]) for m, v in values.items()}
    idx = np.flatnonzero(seen)
    t0, t1 = np.array([t_s[idx[0]]]), np.array([t_s[idx[-1]] + dt])
    note = f"judged on the median of {seen_s:.1f} s of frames: only {n} strides were found"
    return Samples(t0, t1, medians, False, n, whole=True, notes=[*notes, note])


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
    rule: Rule, criteria: tuple[Criterion, ...], samples: Samples, max_gap_s: float,
    real_time: bool = True,
) -> tuple[tuple[Episode, ...], float]:  # fmt: skip
    """The rule's episodes on `samples` and the share of the judged time they cover.

    Where the clip's seconds are not running seconds (`real_time` False: slow motion), a
    stride rule's stretch is sustained by its count of strides only, not by its duration
    (two slow-motion strides last `min_s`)."""
    strict, loose = sample_levels(rule, criteria, samples.values)
    if samples.whole:
        level = int(strict[0]) if strict.size else -1
        if level <= 0:
            return (), 0.0
        return (_episode(0, 0, level, samples, criteria),), 1.0
    if samples.per_stride and not real_time:
        rule = replace(rule, min_s=math.inf)
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
    episodes, share = find_episodes(
        rule, criteria, samples, stride_s(analysis), steps_in_real_time(analysis)
    )
    level = max((LEVELS.index(e.level) for e in episodes), default=0)
    confidence, reasons = rule_confidence(
        analysis, rule, samples.n_strides, criteria[0], LEVELS[level]
    )
    reasons = [*samples.notes, *reasons]
    if samples.whole and not samples.per_stride:
        confidence = "low"
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
