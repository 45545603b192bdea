"""Load and strictly validate a rules TOML into a `RuleSet`.

Every problem raises `UsageError` whose message names the file and the key, e.g.
`rules.toml: rules.lean_forward.warn: expected a number, got 'ten'`.
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from posture.errors import UsageError
from posture.gate.documents import check_document, describe, parse_toml
from posture.gate.files import RULES, read_text
from posture.metrics.registry import METRICS
from posture.rules.model import (
    DEFAULT_MIN_S,
    DEFAULT_MIN_STRIDES,
    Criterion,
    Exercise,
    Rule,
    RuleSet,
)
from posture.settings import CONTEXTS

SHIPPED_RULES = "rules.toml"
FORMAT_VERSION = 1
VIEW_NAMES = ("side", "front", "rear")
REQUIRED = (
    "title",
    "metric",
    "direction",
    "warn",
    "fail",
    "views",
    "min_samples",
    "message",
    "cue",
    "advice",
)
#: No limit, fraction or relaxation of any metric is anywhere near this.
MAX_ABS_NUMBER = 1e6
OPTIONAL = (
    "combine", "also", "exempt_contexts", "relax", "exercises", "min_strides", "min_s", "caveat",
    "follows",
)  # fmt: skip


class _Ctx:
    """Raises errors that name the file and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> UsageError:
        return UsageError(
            f"{self.path}: {key}: {problem} (see the comments in the shipped "
            "posture/rules/rules.toml)"
        )

    def table(
        self, raw: Any, key: str, allowed: tuple[str, ...], required: tuple[str, ...]
    ) -> dict[str, Any]:
        """`raw` as a table; `allowed` empty means any key (ids chosen by the user)."""
        if not isinstance(raw, dict):
            raise self.fail(key, f"expected a table, got {describe(raw)}")
        for k in raw:
            if allowed and k not in allowed:
                raise self.fail(f"{key}.{k}", f"unknown key (allowed: {', '.join(allowed)})")
        for k in required:
            if k not in raw:
                raise self.fail(f"{key}.{k}", "missing")
        return raw

    def number(self, raw: Any, key: str) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise self.fail(key, f"expected a number, got {describe(raw)}")
        # Non-finite values are refused by parse_rules first; huge ones would overflow to inf
        # once a context relaxes the limit.
        if not math.isfinite(raw) or abs(raw) > MAX_ABS_NUMBER:
            bound = f"{MAX_ABS_NUMBER:g}"
            raise self.fail(key, f"expected a number between -{bound} and {bound}, got {raw}")
        return float(raw)

    def text(self, raw: Any, key: str) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise self.fail(key, f"expected a non-empty string, got {raw!r}")
        return raw

    def choice(self, raw: Any, key: str, allowed: tuple[str, ...]) -> str:
        if raw not in allowed:
            raise self.fail(key, f"expected one of {', '.join(allowed)}, got {raw!r}")
        return str(raw)

    def choices(self, raw: Any, key: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
        if not isinstance(raw, list):
            raise self.fail(key, f"expected a list, got {raw!r}")
        return tuple(self.choice(v, f"{key}[{i}]", allowed) for i, v in enumerate(raw))


def _criterion(
    c: _Ctx, raw: dict[str, Any], key: str, direction: str, views: tuple[str, ...]
) -> Criterion:
    metric = c.choice(raw.get("metric"), f"{key}.metric", tuple(METRICS))
    bad_views = [v for v in views if v not in METRICS[metric].views]
    if bad_views:
        raise c.fail(f"{key}.metric", f"{metric} is not measured in view(s) {bad_views}")
    warn, fail = c.number(raw.get("warn"), f"{key}.warn"), c.number(raw.get("fail"), f"{key}.fail")
    try:
        return Criterion(metric, warn, fail, direction)  # type: ignore[arg-type]
    except ValueError as exc:
        raise c.fail(f"{key}.fail", str(exc)) from exc


def _count(c: _Ctx, raw: Any, key: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 10_000:
        raise c.fail(key, f"expected an integer from 1 to 10000, got {raw!r}")
    return raw


def _rule(c: _Ctx, rule_id: str, raw: Any, exercises: dict[str, Exercise]) -> Rule:
    key = f"rules.{rule_id}"
    raw = c.table(raw, key, REQUIRED + OPTIONAL, REQUIRED)
    direction = c.choice(raw["direction"], f"{key}.direction", ("above", "below"))
    views = c.choices(raw["views"], f"{key}.views", VIEW_NAMES)
    if not views:
        raise c.fail(f"{key}.views", "needs at least one view")
    criteria = [_criterion(c, raw, key, direction, views)]
    also = raw.get("also", [])
    if not isinstance(also, list):
        raise c.fail(f"{key}.also", f"expected a list of tables, got {also!r}")
    for i, item in enumerate(also):
        sub = c.table(
            item, f"{key}.also[{i}]", ("metric", "warn", "fail"), ("metric", "warn", "fail")
        )
        criteria.append(_criterion(c, sub, f"{key}.also[{i}]", direction, views))
    samples = _count(c, raw["min_samples"], f"{key}.min_samples")
    min_strides = _count(c, raw.get("min_strides", DEFAULT_MIN_STRIDES), f"{key}.min_strides")
    min_s = c.number(raw.get("min_s", DEFAULT_MIN_S), f"{key}.min_s")
    if not 0.0 < min_s <= 600.0:
        raise c.fail(f"{key}.min_s", f"expected seconds in (0, 600], got {min_s}")
    follows = None
    if "follows" in raw:
        follows = c.number(raw["follows"], f"{key}.follows")
        if not 0.0 < follows <= 1.0:
            raise c.fail(f"{key}.follows", f"expected a share in (0, 1], got {follows}")
        first = criteria[0]
        if (first.warn <= 0) if direction == "above" else (first.warn >= 0):
            raise c.fail(
                f"{key}.follows",
                "needs limits on the breaking side of 0 (a metric that reads 0 when neutral)",
            )
    levels = {METRICS[cr.metric].level for cr in criteria}
    if len(levels) > 1:
        raise c.fail(f"{key}.also", f"all metrics of a rule must have one level, got {levels}")
    relax_raw = c.table(raw.get("relax", {}), f"{key}.relax", CONTEXTS, ())
    relax = {k: c.number(v, f"{key}.relax.{k}") for k, v in relax_raw.items()}
    if any(v < 0 for v in relax.values()):
        raise c.fail(f"{key}.relax", f"amounts must be >= 0, got {relax}")
    ex_ids = c.choices(raw.get("exercises", []), f"{key}.exercises", tuple(exercises))
    return Rule(
        id=rule_id,
        title=c.text(raw["title"], f"{key}.title"),
        criteria=tuple(criteria),
        views=views,
        min_samples=samples,
        min_strides=min_strides,
        min_s=min_s,
        message=c.text(raw["message"], f"{key}.message"),
        cue=c.text(raw["cue"], f"{key}.cue"),
        advice=c.text(raw["advice"], f"{key}.advice"),
        combine=c.choice(raw.get("combine", "any"), f"{key}.combine", ("any", "all")),  # type: ignore[arg-type]
        exempt_contexts=c.choices(
            raw.get("exempt_contexts", []), f"{key}.exempt_contexts", CONTEXTS
        ),
        relax=relax,
        exercises=tuple(exercises[e] for e in ex_ids),
        caveat=c.text(raw["caveat"], f"{key}.caveat") if "caveat" in raw else None,
        follows=follows,
    )


def parse_rules(doc: dict[str, Any], path: Path) -> RuleSet:
    """Validate a parsed rules TOML document; `path` is only used in error messages."""
    c = _Ctx(path)
    # inf/nan limits and absurd nesting, anywhere, before any key is read
    check_document(doc, c.fail)
    c.table(doc, "(top level)", ("version", "exercises", "rules"), ("version", "rules"))
    if doc["version"] != FORMAT_VERSION or isinstance(doc["version"], bool):
        raise c.fail("version", f"expected {FORMAT_VERSION}, got {doc['version']!r}")
    exercises: dict[str, Exercise] = {}
    ex_raw = c.table(doc.get("exercises", {}), "exercises", (), ())
    for ex_id, raw in ex_raw.items():
        t = c.table(raw, f"exercises.{ex_id}", ("name", "how", "dose"), ("name", "how", "dose"))
        exercises[ex_id] = Exercise(
            ex_id, *(c.text(t[k], f"exercises.{ex_id}.{k}") for k in ("name", "how", "dose"))
        )
    rules_raw = c.table(doc["rules"], "rules", (), ())
    if not rules_raw:
        raise c.fail("rules", "no rules defined")
    rules = tuple(_rule(c, rule_id, raw, exercises) for rule_id, raw in rules_raw.items())
    return RuleSet(rules=rules, source=path, exercises=exercises)


def load_rules(path: Path | None = None) -> RuleSet:
    """Load a rules TOML; None loads the shipped `posture/rules/rules.toml`.

    Raises:
        UsageError: the file is missing, not TOML, or has an unknown key or a bad value;
            the message names the file and the key.
    """
    if path is None:
        res = resources.files("posture.rules").joinpath(SHIPPED_RULES)
        return parse_rules(tomllib.loads(res.read_text("utf-8")), Path(str(res)))
    path = Path(path)
    text = read_text(path, RULES)  # a regular file of at most 1 MB, read with that bound
    doc = parse_toml(text, lambda problem: UsageError(f"{path}: {problem}"))
    return parse_rules(doc, path)
