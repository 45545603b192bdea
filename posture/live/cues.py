"""Live rule checks and cue selection: stateful stages, `update(...) -> ...`, no I/O.

`RuleMonitor` judges the rules (the same TOML as `posture check`) with the same rule engine
as offline evaluation (`posture.rules.engine`): each frame's values (frame metrics as a
rolling median over `window_s`, step and stride metrics as the latest stride's) get their
level, and a rule is broken once its limit has been broken for a sustained stretch
(`min_s`), left again once the value is back by the hysteresis margin. `CueSelector` turns
the rule levels into ONE cue at a time, shown at least `hold_s` (no change of the shown cue,
or of its absence, within `hold_s` of the previous change), so the runner can read it and it
never flickers.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from posture.metrics.config import default_config
from posture.metrics.registry import METRICS
from posture.rules.engine import RuleTracker, criteria_for, is_exempt, sample_levels
from posture.rules.model import LEVELS, STATUS_ORDER, Level, Rule, RuleSet, RuleStatus

DEFAULT_HOLD_S = 2.5
DEFAULT_WINDOW_S = 1.0


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


class RuleMonitor:
    """`update(t_ms, values, view) -> {rule id: ok/warn/fail/not_measured/exempt}`.

    Args:
        rules: the rule set (`load_rules`).
        context: running context; exempt rules are `exempt`, relaxed limits apply.
        window_s: rolling-median window of the frame metrics.
    """

    def __init__(
        self, rules: RuleSet, context: str = "flat", *, window_s: float = DEFAULT_WINDOW_S
    ) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        self.rules, self.context, self.window_s = rules, context, window_s
        self._rolling: dict[str, _Rolling] = {}
        gap_s = default_config().steps.default_stride_s
        self._trackers = {
            r.id: RuleTracker.for_rule(r, per_stride=False, max_gap_s=gap_s) for r in rules.rules
        }
        self._t_ms: float | None = None
        self._i = 0

    def _smoothed(self, t_ms: float, values: Mapping[str, float]) -> dict[str, float]:
        out = {}
        for key, value in values.items():
            if key in METRICS and METRICS[key].level != "frame":
                out[key] = value  # already one stride's value
                continue
            roll = self._rolling.setdefault(key, _Rolling(self.window_s))
            out[key] = roll.update(t_ms, value)
        return out

    def _rule_level(self, rule: Rule, smoothed: Mapping[str, float], t0_s: float, t1_s: float
                    ) -> RuleStatus:  # fmt: skip
        criteria = criteria_for(rule, self.context)
        arrays = {c.metric: np.array([smoothed.get(c.metric, np.nan)]) for c in criteria}
        strict, loose = sample_levels(rule, criteria, arrays)
        level = self._trackers[rule.id].update(self._i, t0_s, t1_s, int(strict[0]), int(loose[0]))
        if strict[0] < 0 and level == 0:
            return "not_measured"
        return "exempt" if is_exempt(rule, self.context) else LEVELS[level]

    def update(
        self, t_ms: float, values: Mapping[str, float], view: str | None, running: bool = True
    ) -> dict[str, RuleStatus]:
        """Levels of every rule for one frame (`not_measured` outside the rule's views, and
        while the runner is not running: walking to recover is the text's advice)."""
        smoothed = self._smoothed(t_ms, values)
        t0_s = (self._t_ms if self._t_ms is not None else t_ms) / 1000.0
        self._t_ms, self._i = t_ms, self._i + 1
        out: dict[str, RuleStatus] = {}
        for rule in self.rules.rules:
            in_view = view in rule.views and running
            shown = {k: v if in_view else np.nan for k, v in smoothed.items()}
            out[rule.id] = self._rule_level(rule, shown, t0_s, t_ms / 1000.0)
            if not in_view:
                out[rule.id] = "not_measured"
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
        self._text = {r.id: r.cue for r in rules.rules}
        self._cue: Cue | None = None

    def _best(self, levels: Mapping[str, RuleStatus]) -> tuple[str | None, Level]:
        breaking = [(STATUS_ORDER[lv], -self._order.get(k, 0), k) for k, lv in levels.items()]
        breaking = [b for b in breaking if b[0] >= 1]
        if not breaking:
            return None, "ok"
        order, _, rule_id = max(breaking)
        return rule_id, LEVELS[order]

    def update(self, t_s: float, levels: Mapping[str, RuleStatus]) -> Cue:
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
