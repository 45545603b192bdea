"""The document half of the input gate: parse TOML and JSON without a traceback, and find
what no posture document may hold (numbers that are not finite, absurd nesting).

TOML accepts `inf` and `nan`, Python's JSON reader accepts `NaN` and `Infinity`; a limit or a
measured value that is not finite passes every comparison wrongly and cannot be written back
as JSON, so it is refused at the door, naming the key. Both parsers recurse: thousands of
nested arrays raise RecursionError, refused here as "nested too deeply".
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Callable
from typing import Any

from posture.errors import PostureError

#: Deeper than any posture document (reports reach 5 levels, rules 4).
MAX_DEPTH = 32
#: Integers beyond this lose precision as floats (and past ~1e308 cannot become one at all).
MAX_EXACT_INT = 2**53

#: Builds the caller's domain error from (key path, problem).
ErrorFn = Callable[[str, str], PostureError]


def find_problem(doc: Any, max_depth: int = MAX_DEPTH) -> tuple[str, str] | None:
    """The first key holding a non-finite or huge number or nested past `max_depth`, else None.

    Walks without recursion, so any depth is safe.

    Returns:
        (key path such as `rules.lean_forward.also[0].warn`, what is wrong there).
    """
    stack: list[tuple[str, Any, int]] = [("", doc, 0)]
    while stack:
        key, value, depth = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return key or "(top level)", f"{value} is not a finite number"
        if isinstance(value, int) and abs(value) > MAX_EXACT_INT:
            return key or "(top level)", f"a number of {len(str(abs(value)))} digits is too large"
        if not isinstance(value, dict | list):
            continue
        if depth >= max_depth:
            return key or "(top level)", f"nested deeper than {max_depth} levels"
        if isinstance(value, dict):
            items = [(f"{key}.{k}" if key else str(k), v) for k, v in value.items()]
        else:
            items = [(f"{key}[{i}]", v) for i, v in enumerate(value)]
        stack.extend((k, v, depth + 1) for k, v in reversed(items))
    return None


def describe(value: Any) -> str:
    """A JSON/TOML value named for a message: `an object`, `the text '1'`, `int 5`."""
    names = {dict: "an object", list: "a list", bool: "true/false"}
    if type(value) in names:
        return names[type(value)]
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    return "null" if value is None else f"{type(value).__name__} {value!r}"[:60]


def check_document(doc: Any, error: ErrorFn, max_depth: int = MAX_DEPTH) -> None:
    """Raise `error(key, problem)` for the first problem `find_problem` finds."""
    problem = find_problem(doc, max_depth)
    if problem is not None:
        raise error(*problem)


def parse_toml(text: str, error: Callable[[str], PostureError]) -> dict[str, Any]:
    """`tomllib.loads`, every failure turned into `error(problem)`."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"not valid TOML: {exc}") from exc
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise error(f"not a usable TOML file: {exc}") from exc
    except RecursionError as exc:
        raise error(f"not a usable TOML file: nested deeper than {MAX_DEPTH} levels") from exc


def parse_json(text: str, error: Callable[[str], PostureError]) -> Any:
    """`json.loads`, every failure turned into `error(problem)`."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"not valid JSON ({exc})") from exc
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise error(f"not a usable JSON file: {exc}") from exc
    except RecursionError as exc:
        raise error(f"not a usable JSON file: nested deeper than {MAX_DEPTH} levels") from exc
