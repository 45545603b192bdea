"""Posture rules: a shipped, commented TOML of limits and the seed texts' cues, one rule engine
(levels, sustained stretches, context handling) and the verdicts on an `Analysis`.

Example:
    >>> from posture.rules import load_rules
    >>> "lean_forward" in load_rules().ids
    True
"""

from __future__ import annotations

from posture.rules.engine import (
    RuleTracker,
    StretchTracker,
    criteria_for,
    is_exempt,
    level_of,
    sample_levels,
)
from posture.rules.evaluate import evaluate, evaluate_rule
from posture.rules.loader import load_rules, parse_rules
from posture.rules.model import (
    Criterion,
    Episode,
    Exercise,
    Rule,
    RuleResult,
    RuleSet,
    RuleStatus,
)

__all__ = [
    "Criterion",
    "Episode",
    "Exercise",
    "Rule",
    "RuleResult",
    "RuleSet",
    "RuleStatus",
    "RuleTracker",
    "StretchTracker",
    "criteria_for",
    "evaluate",
    "evaluate_rule",
    "is_exempt",
    "level_of",
    "load_rules",
    "parse_rules",
    "sample_levels",
]
