"""Load and strictly validate `drills.toml` into a `DrillBook`.

Every problem raises `UsageError` naming the file and the key, e.g.
`drills.toml: exercise[0].check[1].max: expected a number, got the text 'sixty'`; unknown
keys and numbers that are not finite are refused the same way.
"""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from posture.drills.angles import SIGNALS
from posture.drills.model import (
    HOLD_SIGNAL,
    Bound,
    Dose,
    DrillBook,
    DrillSettings,
    Exercise,
    FormCheck,
    MatchCheck,
)
from posture.errors import UsageError
from posture.gate.documents import check_document, describe, parse_toml
from posture.gate.files import FileKind, read_text

SHIPPED = "drills.toml"
DRILLS_FILE = FileKind(
    "exercises file",
    "give an exercises TOML like the shipped posture/drills/drills.toml",
    1024 * 1024,
    UsageError,
)
_EXERCISE_KEYS = (
    "id", "name", "aliases", "position", "how", "angle", "down_deg", "up_deg", "target_deg",
    "tolerance_deg", "hold_within_deg", "dose", "cue_up", "check", "match",
)  # fmt: skip
_REQUIRED = tuple(k for k in _EXERCISE_KEYS if k not in ("aliases", "check", "match"))
_CHECK_KEYS = ("id", "signal", "stat", "min", "max", "fault", "cue")
_MATCH_KEYS = ("id", "signal", "stat", "min", "max", "message")
_STATS = ("max", "min", "median")


class _Ctx:
    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, key: str, problem: str) -> UsageError:
        return UsageError(
            f"{self.path.name}: {key}: {problem} (see the comments in posture/drills/drills.toml)"
        )

    def table(self, raw: Any, key: str, allowed: tuple[str, ...], required: tuple[str, ...]
              ) -> dict[str, Any]:  # fmt: skip
        if not isinstance(raw, dict):
            raise self.fail(key, f"expected a table, got {describe(raw)}")
        for k in raw:
            if k not in allowed:
                raise self.fail(f"{key}.{k}", f"unknown key (allowed: {', '.join(allowed)})")
        for k in required:
            if k not in raw:
                raise self.fail(f"{key}.{k}", "missing")
        return raw

    def number(self, raw: Any, key: str, lo: float = -1e6, hi: float = 1e6) -> float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise self.fail(key, f"expected a number, got {describe(raw)}")
        if not math.isfinite(raw) or not lo <= raw <= hi:
            raise self.fail(key, f"expected a number from {lo:g} to {hi:g}, got {raw}")
        return float(raw)

    def text(self, raw: Any, key: str) -> str:
        if not isinstance(raw, str) or not raw.strip():
            raise self.fail(key, f"expected a non-empty string, got {describe(raw)}")
        return raw

    def choice(self, raw: Any, key: str, allowed: tuple[str, ...]) -> str:
        if raw not in allowed:
            raise self.fail(key, f"expected one of {', '.join(allowed)}, got {describe(raw)}")
        return str(raw)

    def tables(self, raw: Any, key: str) -> list[Any]:
        if not isinstance(raw, list):
            raise self.fail(key, f"expected a list of tables ([[{key}]]), got {describe(raw)}")
        return raw

    def count_range(self, raw: Any, key: str) -> tuple[int, int]:
        ok = isinstance(raw, list) and len(raw) == 2
        ok = ok and all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
        if not ok or not 1 <= raw[0] <= raw[1] <= 1000:
            raise self.fail(key, f"expected [min, max] whole numbers 1-1000, got {describe(raw)}")
        return int(raw[0]), int(raw[1])


def _bound(c: _Ctx, raw: dict[str, Any], key: str) -> Bound:
    lo = c.number(raw["min"], f"{key}.min") if "min" in raw else None
    hi = c.number(raw["max"], f"{key}.max") if "max" in raw else None
    try:
        return Bound(lo, hi)
    except ValueError as exc:
        raise c.fail(key, str(exc)) from exc


def _check(c: _Ctx, raw: Any, key: str) -> FormCheck:
    t = c.table(raw, key, _CHECK_KEYS, ("id", "signal", "fault", "cue"))
    signal = c.choice(t["signal"], f"{key}.signal", (*SIGNALS, HOLD_SIGNAL))
    stat = "max" if signal == HOLD_SIGNAL else t.get("stat")
    return FormCheck(
        id=c.text(t["id"], f"{key}.id"),
        signal=signal,
        stat=c.choice(stat, f"{key}.stat", _STATS),  # type: ignore[arg-type]
        bound=_bound(c, t, key),
        fault=c.text(t["fault"], f"{key}.fault"),
        cue=c.text(t["cue"], f"{key}.cue"),
    )


def _match(c: _Ctx, raw: Any, key: str) -> MatchCheck:
    t = c.table(raw, key, _MATCH_KEYS, ("id", "signal", "stat", "message"))
    return MatchCheck(
        id=c.text(t["id"], f"{key}.id"),
        signal=c.choice(t["signal"], f"{key}.signal", tuple(SIGNALS)),
        stat=c.choice(t["stat"], f"{key}.stat", _STATS),  # type: ignore[arg-type]
        bound=_bound(c, t, key),
        message=c.text(t["message"], f"{key}.message"),
    )


def _exercise(c: _Ctx, raw: Any, key: str) -> Exercise:
    t = c.table(raw, key, _EXERCISE_KEYS, _REQUIRED)
    dose = c.table(t["dose"], f"{key}.dose", ("sets", "reps"), ("sets", "reps"))
    aliases = t.get("aliases", [])
    if not isinstance(aliases, list):
        raise c.fail(f"{key}.aliases", f"expected a list of names, got {describe(aliases)}")
    deg = {k: c.number(t[k], f"{key}.{k}", -180.0, 180.0)
           for k in ("down_deg", "up_deg", "target_deg")}  # fmt: skip
    sets = c.count_range(dose["sets"], f"{key}.dose.sets")
    reps = c.count_range(dose["reps"], f"{key}.dose.reps")
    checks = c.tables(t.get("check", []), f"{key}.check")
    matches = c.tables(t.get("match", []), f"{key}.match")
    if deg["down_deg"] >= deg["up_deg"]:
        raise c.fail(f"{key}.up_deg", f"must be above down_deg ({deg['down_deg']:g})")
    return Exercise(
        id=c.text(t["id"], f"{key}.id"),
        name=c.text(t["name"], f"{key}.name"),
        aliases=tuple(c.text(a, f"{key}.aliases[{i}]") for i, a in enumerate(aliases)),
        position=c.choice(t["position"], f"{key}.position", ("supine", "prone")),  # type: ignore[arg-type]
        how=c.text(t["how"], f"{key}.how"),
        angle=c.choice(t["angle"], f"{key}.angle", tuple(SIGNALS)),
        **deg,
        tolerance_deg=c.number(t["tolerance_deg"], f"{key}.tolerance_deg", 0.0, 90.0),
        hold_within_deg=c.number(t["hold_within_deg"], f"{key}.hold_within_deg", 0.1, 45.0),
        dose=Dose(*sets, *reps),
        cue_up=c.text(t["cue_up"], f"{key}.cue_up"),
        checks=tuple(_check(c, r, f"{key}.check[{i}]") for i, r in enumerate(checks)),
        matches=tuple(_match(c, r, f"{key}.match[{i}]") for i, r in enumerate(matches)),
    )


def parse_drills(doc: dict[str, Any], path: Path) -> DrillBook:
    """Validate a parsed drills TOML document; `path` is only used in messages."""
    c = _Ctx(path)
    check_document(doc, c.fail)  # inf/nan anywhere, named by key, before anything is read
    c.table(doc, "(top level)", ("drill", "exercise"), ("exercise",))
    s = c.table(doc.get("drill", {}), "drill", ("set_gap_s", "min_coverage", "max_gap_s"), ())
    settings = DrillSettings(
        set_gap_s=c.number(s.get("set_gap_s", DrillSettings.set_gap_s), "drill.set_gap_s",
                           0.5, 3600.0),
        min_coverage=c.number(s.get("min_coverage", DrillSettings.min_coverage),
                              "drill.min_coverage", 0.0, 1.0),
        max_gap_s=c.number(s.get("max_gap_s", DrillSettings.max_gap_s), "drill.max_gap_s",
                           0.0, 60.0),
    )  # fmt: skip
    raws = c.tables(doc["exercise"], "exercise")
    if not raws:
        raise c.fail("exercise", "no exercise defined")
    exercises = tuple(_exercise(c, r, f"exercise[{i}]") for i, r in enumerate(raws))
    seen: dict[str, int] = {}
    for i, ex in enumerate(exercises):
        own = {n.lower().replace("-", "_"): n for n in (ex.id, *ex.aliases)}
        for key, name in own.items():
            if key in seen:
                used = f"{name!r} is already used by exercise[{seen[key]}]"
                raise c.fail(f"exercise[{i}].id", used)
            seen[key] = i
    return DrillBook(settings, exercises, str(path))


def load_drills(path: Path | None = None) -> DrillBook:
    """Load a drills TOML; None loads the shipped `posture/drills/drills.toml`.

    Raises:
        UsageError: missing or unreadable file, not TOML, unknown key or bad value (named).
    """
    if path is None:
        res = resources.files("posture.drills").joinpath(SHIPPED)
        return parse_drills(tomllib.loads(res.read_text("utf-8")), Path(str(res)))
    path = Path(path)
    text = read_text(path, DRILLS_FILE)  # a regular file of at most 1 MB
    doc = parse_toml(text, lambda problem: UsageError(f"{path}: {problem}"))
    return parse_drills(doc, path)
