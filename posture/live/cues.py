"""Live rule checks and cue selection: stateful stages, `update(...) -> ...`, no I/O.

`RuleMonitor` judges the shipped rules (the same TOML as `posture check`) on rolling medians of
the live metrics, with hysteresis: a rule enters warn/fail at its limit but only leaves once the
value is back by `hysteresis_fraction` of the warn-fail distance. `CueSelector` turns the rule
levels into ONE cue at a time, shown at least `hold_s` (no change of the shown cue, or of its
absence, within `hold_s` of the previous change), so the runner can read it and it never flickers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from posture.rules.model import STATUS_ORDER, Criterion, Rule, RuleSet

Level = Literal["ok", "warn", "fail"]
RuleLevel = Literal["ok", "warn", "fail", "not_measured"]
LEVELS: tuple[Level, ...] = ("ok", "warn", "fail")

#: Short cues a runner can read at a glance, by rule id; other rules show their TOML message.
CUE_TEXT: dict[str, str] = {
    "lean_forward": "Stay upright",
    "lean_backward": "Stay upright: don't lean back",
    "head_down": "Eyes straight ahead",
    "head_shake": "Keep your head still",
    "shoulder_hunch": "Relax your shoulders",
    "vertical_bounce": "Run quieter: less bounce",
    "lateral_sway": "Don't rock side to side",
    "uneven_pace": "Keep an even pace",
}
DEFAULT_HOLD_S = 2.5
DEFAULT_WINDOW_S = 1.0
DEFAULT_HYSTERESIS = 0.3


def cue_text(rule: Rule) -> str:
    """The short cue of `rule` (its TOML message when the rule has no short cue)."""
    return CUE_TEXT.get(rule.id, rule.message)


class _Rolling:
    """Rolling median of one value over the last `window_s` (NaN samples ignored)."""

    def __init__(self, window_s: float) -> None:
        self.window_ms = window_s * 1000.0
        self._t: deque[float] = deque()
        self._v: deque[float] = deque()

    def update(self, t_ms: float, value: float) -> float:
        self._t.append(t_ms)
        self._v.append(value)
        while t_ms - self._t[0] > self.window_ms:
            self._t.popleft()
            self._v.popleft()
        finite = [v for v in self._v if np.isfinite(v)]
        # Half the window must be measured, so one lucky frame cannot raise a cue.
        return float(np.median(finite)) if 2 * len(finite) >= len(self._v) else float("nan")


def _hysteresis_level(crit: Criterion, value: float, level: int, margin: float) -> int:
    """New level (0 ok, 1 warn, 2 fail) of `crit` for `value`, leaving a level only once the
    value is `margin` inside its limit."""
    raw = STATUS_ORDER[crit.status(value)]
    if raw >= level:
        return raw
    toward_break = value + margin if crit.direction == "above" else value - margin
    return min(level, STATUS_ORDER[crit.status(toward_break)])


class RuleMonitor:
    """`update(t_ms, values, view) -> {rule id: ok/warn/fail/not_measured}`.

    Args:
        rules: the rule set (`load_rules`).
        context: running context; exempt rules stay ok, relaxed limits apply.
        window_s: rolling-median window of each metric.
        hysteresis_fraction: a level is left once the value is this fraction of
            |fail - warn| back inside the limit.
    """

    def __init__(
        self,
        rules: RuleSet,
        context: str = "flat",
        *,
        window_s: float = DEFAULT_WINDOW_S,
        hysteresis_fraction: float = DEFAULT_HYSTERESIS,
    ) -> None:
        if window_s <= 0 or not 0.0 <= hysteresis_fraction <= 1.0:
            raise ValueError(
                f"need window_s > 0 and hysteresis_fraction in [0, 1], got {window_s}, "
                f"{hysteresis_fraction}"
            )
        self.rules, self.context, self.hysteresis = rules, context, hysteresis_fraction
        self.window_s = window_s
        self._rolling: dict[str, _Rolling] = {}
        self._level: dict[tuple[str, int], int] = {}

    def _smoothed(self, t_ms: float, values: Mapping[str, float]) -> dict[str, float]:
        out = {}
        for key, value in values.items():
            roll = self._rolling.setdefault(key, _Rolling(self.window_s))
            out[key] = roll.update(t_ms, value)
        return out

    def _rule_level(self, rule: Rule, smoothed: Mapping[str, float]) -> RuleLevel:
        relax = rule.relax.get(self.context, 0.0)
        levels = []
        for i, crit in enumerate(rule.criteria):
            value = smoothed.get(crit.metric, float("nan"))
            if not np.isfinite(value):
                continue
            c = crit.relaxed(relax) if relax else crit
            margin = self.hysteresis * abs(c.fail - c.warn)
            key = (rule.id, i)
            self._level[key] = _hysteresis_level(c, value, self._level.get(key, 0), margin)
            levels.append(self._level[key])
        if not levels:
            return "not_measured"
        if self.context in rule.exempt_contexts:
            return "ok"
        return LEVELS[max(levels) if rule.combine == "any" else min(levels)]

    def update(
        self, t_ms: float, values: Mapping[str, float], view: str | None
    ) -> dict[str, RuleLevel]:
        """Levels of every rule for one frame (`not_measured` outside the rule's views)."""
        smoothed = self._smoothed(t_ms, values)
        out: dict[str, RuleLevel] = {}
        for rule in self.rules.rules:
            out[rule.id] = (
                self._rule_level(rule, smoothed) if view in rule.views else "not_measured"
            )
        return out


@dataclass(frozen=True)
class Cue:
    """What the runner is shown now.

    Attributes:
        rule_id: the rule behind the cue, None when all is well.
        text: the cue, None when all is well.
        level: `ok` (green), `warn` (amber) or `fail` (red).
        since_s: when this cue (or its absence) started being shown.
        changed: True on the update that changed the cue.
    """

    rule_id: str | None
    text: str | None
    level: Level
    since_s: float
    changed: bool = False


class CueSelector:
    """`update(t_s, levels) -> Cue`: the most severe breaking rule, one at a time.

    The shown cue (or its absence) changes at most once per `hold_s`, except that the first
    cue of a session shows at once. While the shown rule still breaks it stays, unless another
    rule breaks more severely; ties go to the rule file's order.
    """

    def __init__(self, rules: RuleSet, *, hold_s: float = DEFAULT_HOLD_S) -> None:
        if hold_s < 0:
            raise ValueError(f"hold_s must be >= 0, got {hold_s}")
        self.hold_s = hold_s
        self._order = {r.id: i for i, r in enumerate(rules.rules)}
        self._text = {r.id: cue_text(r) for r in rules.rules}
        self._cue: Cue | None = None

    def _best(self, levels: Mapping[str, RuleLevel]) -> tuple[str | None, Level]:
        breaking = [(STATUS_ORDER[lv], -self._order.get(k, 0), k) for k, lv in levels.items()]
        breaking = [b for b in breaking if b[0] >= 1]
        if not breaking:
            return None, "ok"
        order, _, rule_id = max(breaking)
        return rule_id, LEVELS[order]

    def update(self, t_s: float, levels: Mapping[str, RuleLevel]) -> Cue:
        best, best_level = self._best(levels)
        cue = self._cue
        if cue is None or (cue.rule_id is None and cue.since_s == -np.inf):
            return self._show(t_s, best, best_level, first=True)
        current = levels.get(cue.rule_id or "", "ok")
        if cue.rule_id is not None and current in ("warn", "fail"):
            cue = Cue(cue.rule_id, cue.text, current, cue.since_s)  # same cue, level may change
            self._cue = cue
        if t_s - cue.since_s < self.hold_s or best == cue.rule_id:
            return Cue(cue.rule_id, cue.text, cue.level, cue.since_s)
        still = cue.rule_id is not None and current in ("warn", "fail")
        if still and STATUS_ORDER[current] >= STATUS_ORDER[best_level]:
            return Cue(cue.rule_id, cue.text, cue.level, cue.since_s)
        return self._show(t_s, best, best_level)

    def _show(self, t_s: float, rule_id: str | None, level: Level, first: bool = False) -> Cue:
        since = -np.inf if first and rule_id is None else t_s
        previous = self._cue.rule_id if self._cue else None
        text = self._text.get(rule_id) if rule_id else None
        self._cue = Cue(rule_id, text, level, since)
        return Cue(rule_id, text, level, since, changed=rule_id != previous)
