"""The one rule engine: a rule's limits in a context, the level of each sample, and the
sustained stretches (episodes) that break it.

Offline evaluation (`evaluate.py`), the live cues (`posture.live.cues`) and the accuracy
suite's true verdicts (`posture.validate.truth`) all call these functions, so a context's
exemption or relaxing, the `any` / `all` combining of criteria and what counts as a broken
rule are decided in one place.

A rule is broken at a level when that level's limit is broken over a sustained stretch: at
least `rule.min_strides` consecutive strides or `rule.min_s` seconds (short ok gaps of up to
a stride are bridged; a stretch is left only once the value is back inside the limit by the
hysteresis margin), not merely when the clip's median breaks it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from posture.rules.model import Criterion, Rule


def criteria_for(rule: Rule, context: str) -> tuple[Criterion, ...]:
    """The rule's criteria with the context's relaxing applied."""
    relax = rule.relax.get(context, 0.0)
    return tuple(c.relaxed(relax) if relax else c for c in rule.criteria)


def is_exempt(rule: Rule, context: str) -> bool:
    """True when the context allows what the rule forbids (the source texts' exceptions)."""
    return context in rule.exempt_contexts


def combine(rule: Rule, per_criterion: list[np.ndarray]) -> np.ndarray:
    """Combined level per sample from each criterion's levels (-1 where it is NaN).

    `any`: the most severe measurable criterion decides; `all`: the mildest measurable one
    (all must agree). -1 where no criterion is measurable.
    """
    stack = np.stack(per_criterion)
    measured = stack >= 0
    if rule.combine == "any":
        out = np.where(measured, stack, -1).max(axis=0)
    else:
        out = np.where(measured, stack, 3).min(axis=0)
        out = np.where(measured.any(axis=0), out, -1)
    return out.astype(np.int64)


def sample_levels(
    rule: Rule, criteria: tuple[Criterion, ...], values: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Strict and hysteresis (loose) combined levels of samples `values[metric]` `(m,)`.

    A stretch starts where the strict level reaches a limit and goes on while the loose
    level (limits moved toward ok by each criterion's margin) still breaks it.
    """
    strict = combine(rule, [c.levels(values[c.metric]) for c in criteria])
    loose = combine(rule, [c.levels(values[c.metric], c.margin) for c in criteria])
    return strict, loose


def level_of(rule: Rule, context: str, values: Mapping[str, float]) -> int:
    """Level (-1 not measurable, 0 ok, 1 warn, 2 fail) of one set of metric values."""
    criteria = criteria_for(rule, context)
    arrays = {c.metric: np.array([values.get(c.metric, np.nan)], np.float64) for c in criteria}
    return int(sample_levels(rule, criteria, arrays)[0][0])


@dataclass
class _Run:
    start_s: float
    end_s: float
    first: int
    last: int
    count: int = 1


@dataclass
class StretchTracker:
    """Stateful, no I/O: `update(i, t0_s, t1_s, strict, loose) -> sustained now?`.

    Finds sustained stretches of samples at or above `threshold` (1 warn, 2 fail). Samples
    arrive in time order, each covering `[t0_s, t1_s]` with its strict and loose level.

    Args:
        threshold: the level a stretch is about.
        min_s: a stretch this long is sustained.
        min_count: a stretch of this many samples is sustained (None: duration only, for
            per-frame samples).
        max_gap_s: samples below the level for at most this long do not end a stretch.
    """

    threshold: int
    min_s: float
    min_count: int | None
    max_gap_s: float
    stretches: list[tuple[float, float, int, int]] = field(default_factory=list)
    _run: _Run | None = None

    def _sustained(self, run: _Run) -> bool:
        long = run.end_s - run.start_s >= self.min_s - 1e-9
        return long or (self.min_count is not None and run.count >= self.min_count)

    def update(self, i: int, t0_s: float, t1_s: float, strict: int, loose: int) -> bool:
        """Add sample `i`; True while a sustained stretch is open (also in a short gap
        within it: the stretch ends only when the gap grows past `max_gap_s`)."""
        run = self._run
        if run is not None and t0_s - run.end_s > self.max_gap_s:
            self._close()
            run = None
        if run is None and strict >= self.threshold:
            self._run = run = _Run(t0_s, t1_s, i, i)
        elif run is not None and loose >= self.threshold:
            run.end_s, run.last, run.count = t1_s, i, run.count + 1
        return run is not None and self._sustained(run)

    def _close(self) -> None:
        run = self._run
        if run is not None and self._sustained(run):
            self.stretches.append((run.start_s, run.end_s, run.first, run.last))
        self._run = None

    def finish(self) -> list[tuple[float, float, int, int]]:
        """Close the open stretch; every sustained `(start_s, end_s, first, last)`."""
        self._close()
        return self.stretches


@dataclass
class RuleTracker:
    """Stateful, no I/O: `update(i, t0_s, t1_s, strict, loose) -> level now (0, 1, 2)`.

    A warn stretch and a fail stretch tracker side by side; the level now is the highest
    whose stretch is sustained at this sample. Used sample by sample offline (strides or
    frames of a clip) and live (frames of the camera), so both judge alike.
    """

    warn: StretchTracker
    fail: StretchTracker

    @classmethod
    def for_rule(cls, rule: Rule, *, per_stride: bool, max_gap_s: float) -> RuleTracker:
        count = rule.min_strides if per_stride else None
        return cls(
            StretchTracker(1, rule.min_s, count, max_gap_s),
            StretchTracker(2, rule.min_s, count, max_gap_s),
        )

    def update(self, i: int, t0_s: float, t1_s: float, strict: int, loose: int) -> int:
        in_fail = self.fail.update(i, t0_s, t1_s, strict, loose)
        in_warn = self.warn.update(i, t0_s, t1_s, strict, loose)
        return 2 if in_fail else 1 if in_warn else 0

    def finish(self) -> list[tuple[float, float, int, int, int]]:
        """Every warn stretch as `(start_s, end_s, first, last, level)`, level 2 when a
        sustained fail stretch lies inside it."""
        fails = self.fail.finish()
        out = []
        for a, b, first, last in self.warn.finish():
            level = 2 if any(fa < b and fb > a for fa, fb, _, _ in fails) else 1
            out.append((a, b, first, last, level))
        return out
