"""User text on its way out: never parsed as markup, never an escape code, never a formula.

File names, rule ids and rules messages are the user's text. Printed through Rich, `[/]`
raises MarkupError and `[old] run.mp4` loses its first word; written to a terminal, ESC and
other control characters move the cursor or retitle the window; written to a CSV, a cell
starting with `=` is a spreadsheet formula. These functions make such text inert.

Example:
    >>> printable("run\\x1b[2J.mp4")
    'run\\\\x1b[2J.mp4'
    >>> rich_safe("[old] run.mp4")
    '\\\\[old] run.mp4'
    >>> csv_cell("=HYPERLINK(1)")
    "'=HYPERLINK(1)"
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape

# C0 controls but tab, DEL, C1 controls, and the line/paragraph separators a terminal or a
# one-line message would break on.
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """`str(text)` with control characters shown as `\\xNN` (so a name stays recognisable)."""
    return _CONTROL.sub(_escaped, str(text))


def rich_safe(text: object) -> str:
    """`printable(text)` escaped for Rich markup: shown exactly as written."""
    return escape(printable(text))


def csv_cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text: strings starting with `= + - @` get a `'`.

    Numbers are left alone (a negative number is a number, not a formula).
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
