"""DIR/index.html: the batch summary as one self-contained, sortable HTML table.

No external files, fonts or scripts: a few lines of inline JavaScript sort by any column
(click a header; click again to reverse). Rows start worst first (see `summary.Row.severity`).
Each clip links to its HTML report when there is one, else to its JSON report.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from urllib.parse import quote

from posture.batch.summary import Row, counts, rule_columns

_COLOURS = {
    "error": "#b00020",
    "no_runner": "#8a4b00",
    "fail": "#b00020",
    "warn": "#9a6700",
    "analysed": "#1a7f37",
    "ok": "#1a7f37",
    "not_measured": "#777",
    "pending": "#777",
}

_STYLE = """
body{font:14px system-ui,sans-serif;margin:1em;color:#222}
table{border-collapse:collapse;width:100%}th,td{padding:.3em .5em;border-bottom:1px solid
#ddd;text-align:left;vertical-align:top}td.clip,td.path{overflow-wrap:anywhere}
th{cursor:pointer;background:#f4f4f4;position:sticky;top:0;font-size:.9em}
td.num{text-align:right;font-variant-numeric:tabular-nums}.err{min-width:9em;max-width:24em}
td.path{font-size:.8em;color:#555;max-width:16em;min-width:8em}td.clip{min-width:10em}
.wide{overflow-x:auto}
@media (max-width:700px){body{margin:.5em;font-size:12px}th,td{padding:.2em}}
"""

_SCRIPT = """
document.querySelectorAll('th').forEach(function (th, col) {
  th.addEventListener('click', function () {
    var body = th.closest('table').tBodies[0];
    var dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir > 0 ? 'asc' : 'desc';
    Array.from(body.rows).sort(function (a, b) {
      var x = a.cells[col].dataset.key, y = b.cells[col].dataset.key;
      var nx = parseFloat(x), ny = parseFloat(y);
      if (!isNaN(nx) && !isNaN(ny)) return dir * (nx - ny);
      return dir * x.localeCompare(y);
    }).forEach(function (row) { body.appendChild(row); });
  });
});
"""


def to_html(rows: Sequence[Row]) -> str:
    """The index page; rows sorted worst first."""
    rules = rule_columns(rows)
    head = ["#", "status", "clip", "duration (s)", "view", "runner in frames"]
    head += [rule_id.replace("_", " ") + (f" ({unit})" if unit else "") for rule_id, unit in rules]
    head += ["error"]  # the path: the clip's tooltip (a column of its own ran off the page)
    ordered = sorted(enumerate(rows), key=lambda item: item[1].severity)
    body = "\n".join(
        _row_html(rank, row, [r for r, _ in rules]) for rank, (_, row) in enumerate(ordered)
    )
    tally = verdict_tally(rows)
    header = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        f"<title>posture batch</title><style>{_STYLE}</style></head><body>\n"
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<h1>posture batch</h1><p>{html.escape(tally)}. "
        "Click a column to sort.</p>\n"
        # a phone scrolls the table inside its box, never the page
        f'<div class="wide"><table><thead><tr>{header}</tr></thead><tbody>\n{body}\n'
        "</tbody></table></div>\n"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


_VERDICT_WORDS = (
    ("fail", "fail"), ("warn", "warn"), ("good", "good form"), ("not_judged", "nothing judged"),
    ("no_runner", "no runner found"), ("error", "could not be analysed"),
    ("pending", "not yet analysed"),
)  # fmt: skip


def verdict(row: Row) -> str:
    """A clip's verdict: its worst broken rule (`fail`, `warn`), `good` when it was analysed
    and no rule judged was broken, `not_judged` when no rule could be judged, else its
    status (`no_runner`, `error`, `pending`)."""
    if row.status != "analysed":
        return row.status
    if row.worst_rule in ("fail", "warn"):
        return row.worst_rule
    return "good" if row.worst_rule == "ok" else "not_judged"


def verdict_tally(rows: Sequence[Row]) -> str:
    """`8 clips: 3 fail, 1 warn, 4 good form` (verdicts, not how many were analysed)."""
    found: dict[str, int] = {}
    for row in rows:
        found[verdict(row)] = found.get(verdict(row), 0) + 1
    parts = [f"{found.pop(key)} {words}" for key, words in _VERDICT_WORDS if key in found]
    parts += [f"{n} {key}" for key, n in found.items()]
    resumed = counts(rows).get("resumed", 0)
    tail = f" ({resumed} from an earlier run)" if resumed else ""
    clips = f"{len(rows)} clip{'s' if len(rows) != 1 else ''}"
    return f"{clips}: {', '.join(parts)}{tail}" if parts else f"{clips}{tail}"


def _row_html(rank: int, row: Row, rule_ids: list[str]) -> str:
    status = row.status if row.status != "analysed" or not row.worst_rule else row.worst_rule
    clip = f'<span title="{html.escape(row.path)}">{html.escape(row.name)}</span>'
    if row.report:
        clip = f'<a href="{html.escape(quote(row.report))}">{clip}</a>'
    cells = [
        _cell(str(rank + 1), str(rank)),
        _cell(_coloured(status), str(rank), raw=True),
        _cell(clip, row.name, raw=True, css="clip"),
        _num(row.duration_s),
        _cell(row.view, row.view),
        _num(row.coverage, percent=True),
    ]
    by_id = {rule.id: rule for rule in row.rules}
    for rule_id in rule_ids:
        rule = by_id.get(rule_id)
        if rule is None:
            cells.append(_cell("", ""))
            continue
        value = _format(rule.value)
        text = _coloured(rule.status) + (f" {html.escape(value)}" if value else "")
        cells.append(_cell(text, str(4 - _level_rank(rule.status)), raw=True))
    cells.append(_cell(row.error, row.error, css="err"))
    return "<tr>" + "".join(cells) + "</tr>"


def _level_rank(status: str) -> int:
    order = ("fail", "warn", "ok", "not_measured")
    return order.index(status) if status in order else len(order)


def _coloured(status: str) -> str:
    colour = _COLOURS.get(status, "#222")
    return f'<span style="color:{colour}">{html.escape(status.replace("_", " "))}</span>'


def _format(value: float | str | None) -> str:
    if value is None:
        return ""
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def _num(value: float | None, *, percent: bool = False) -> str:
    if value is None:
        return _cell("", "")
    text = f"{value:.0%}" if percent else f"{value:.1f}"
    return _cell(text, repr(value), css="num")


def _cell(text: str, key: str, *, raw: bool = False, css: str = "") -> str:
    content = text if raw else html.escape(text)
    klass = f' class="{css}"' if css else ""
    return f'<td{klass} data-key="{html.escape(key)}">{content}</td>'
