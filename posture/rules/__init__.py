"""Posture rules: a shipped, commented TOML of limits and the seed texts' cues, and their
verdicts on an `Analysis`.

Example:
    >>> from posture.rules import load_rules
    >>> "lean_forward" in load_rules().ids
    True
"""

from __future__ import annotations

from posture.rules.evaluate import evaluate, evaluate_rule
from posture.rules.loader import load_rules, parse_rules
from posture.rules.model import Criterion, Exercise, Rule, RuleResult, RuleSet
from posture.rules.spans import sustained_spans

__all__ = [
    "Criterion",
    "Exercise",
    "Rule",
    "RuleResult",
    "RuleSet",
    "evaluate",
    "evaluate_rule",
    "load_rules",
    "parse_rules",
    "sustained_spans",
]
