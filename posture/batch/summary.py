"""The batch summary: one row per input, written as CSV, JSON and an HTML index.

Rows are read generically from each clip's report dict (`status`, `input.duration_s`,
`pose.coverage`, `view`, and the `rules` list of `{id, status, typical, unit}`), so a report
section added later shows up without changes here.

Row status: `analysed`, `no_runner`, `error`, or `pending` in a summary written while the batch
still runs (or by a run that was interrupted). "Worst first" orders rows: error, no_runner,
then clips by their worst rule (fail, warn, ok, not measured), then pending.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from posture.batch.inputs import ClipJob
from posture.gate.text import csv_cell

SUMMARY_SCHEMA = 1
RULE_LEVELS: tuple[str, ...] = ("not_measured", "exempt", "ok", "warn", "fail")
_STATUS_RANK = {"error": 0, "no_runner": 1, "analysed": 2, "pending": 3}
_BASE_COLUMNS = (
    "path",
    "name",
    "status",
    "error",
    "duration_s",
    "elapsed_s",
    "view",
    "coverage",
    "report",
)


@dataclass(frozen=True)
class RuleCell:
    """One rule's verdict on one clip."""

    id: str
    status: str
    value: float | str | None = None
    unit: str = ""


@dataclass(frozen=True)
class Row:
    """One input's line in the summary.

    Attributes:
        path: the clip as given (absolute).
        name: its output stem in the batch folder.
        status: `ok`, `no_runner`, `error` or `pending`.
        error: one-line message of an error.
        duration_s: clip length from the report.
        elapsed_s: wall time of its analysis.
        view: camera view from the report ("" when the report has none).
        coverage: fraction of frames with a runner.
        rules: the report's rule verdicts.
        report: the clip's report file, relative to the batch folder ("" when none).
        resumed: True when taken from an earlier run.
        detail: traceback of an internal error.
    """

    path: str
    name: str
    status: str
    error: str = ""
    duration_s: float | None = None
    elapsed_s: float | None = None
    view: str = ""
    coverage: float | None = None
    rules: tuple[RuleCell, ...] = field(default_factory=tuple)
    report: str = ""
    resumed: bool = False
    detail: str = ""

    @property
    def worst_rule(self) -> str:
        """The most severe rule status (`fail` > `warn` > `ok` > `not_measured`), or ""."""
        levels = [RULE_LEVELS.index(r.status) for r in self.rules if r.status in RULE_LEVELS]
        return RULE_LEVELS[max(levels)] if levels else ""

    @property
    def severity(self) -> tuple[int, int, int, int]:
        """Sort key, worst first: status, worst rule, number of fails, number of warns."""
        fails = sum(r.status == "fail" for r in self.rules)
        warns = sum(r.status == "warn" for r in self.rules)
        worst = RULE_LEVELS.index(self.worst_rule) if self.worst_rule else -1
        return (_STATUS_RANK.get(self.status, 9), -worst, -fails, -warns)


def report_row(
    job: ClipJob,
    report: Mapping[str, Any],
    *,
    elapsed_s: float | None,
    link: str,
    resumed: bool = False,
) -> Row:
    """The row of an analysed clip, from its report dict."""
    return Row(
        path=str(job.path),
        name=job.name,
        status=str(report.get("status", "error")),
        duration_s=_number(report.get("input", {}).get("duration_s")),
        elapsed_s=None if elapsed_s is None else round(elapsed_s, 3),
        view=_view(report.get("view")),
        coverage=_number(report.get("pose", {}).get("coverage")),
        rules=tuple(_rule(r) for r in report.get("rules") or () if isinstance(r, Mapping)),
        report=link,
        resumed=resumed,
    )


def error_row(job: ClipJob, message: str, *, elapsed_s: float = 0.0, detail: str = "") -> Row:
    return Row(
        path=str(job.path),
        name=job.name,
        status="error",
        error=message,
        elapsed_s=round(elapsed_s, 3),
        detail=detail,
    )


def pending_row(job: ClipJob) -> Row:
    return Row(path=str(job.path), name=job.name, status="pending")


def _rule(data: Mapping[str, Any]) -> RuleCell:
    value = data.get("typical")
    if not isinstance(value, int | float | str) or isinstance(value, bool):
        value = None
    return RuleCell(
        id=str(data.get("id", "?")),
        status=str(data.get("status", "not_measured")),
        value=value,
        unit=str(data.get("unit") or ""),
    )


def _view(value: Any) -> str:
    if isinstance(value, Mapping):  # tolerate a view section as well as a plain label
        value = value.get("view") or value.get("label")
    return str(value) if value else ""


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def rule_columns(rows: Sequence[Row]) -> list[tuple[str, str]]:
    """(rule id, unit) of every rule in any row, in first-seen order."""
    seen: dict[str, str] = {}
    for row in rows:
        for rule in row.rules:
            seen.setdefault(rule.id, rule.unit)
    return list(seen.items())


def counts(rows: Sequence[Row]) -> dict[str, int]:
    """Rows per status, plus how many were resumed."""
    out = {status: 0 for status in _STATUS_RANK}
    for row in rows:
        out[row.status] = out.get(row.status, 0) + 1
    out["resumed"] = sum(row.resumed for row in rows)
    return out


def to_csv(rows: Sequence[Row]) -> str:
    """CSV text: base columns, then `<rule>.status` and `<rule>.typical[_<unit>]` per rule.

    Text cells starting with `= + - @` are prefixed with `'` (shown as text by spreadsheets).
    """
    rules = rule_columns(rows)
    header = list(_BASE_COLUMNS)
    for rule_id, unit in rules:
        header += [f"{rule_id}.status", f"{rule_id}.typical" + (f"_{unit}" if unit else "")]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # Paths, messages and rule ids are user text: a cell like `=cmd|...` must stay text.
    writer.writerow([csv_cell(cell) for cell in header])
    for row in rows:
        cells: list[Any] = [_blank(getattr(row, column)) for column in _BASE_COLUMNS]
        by_id = {rule.id: rule for rule in row.rules}
        for rule_id, _ in rules:
            rule = by_id.get(rule_id)
            cells += [rule.status, _blank(rule.value)] if rule else ["", ""]
        writer.writerow([csv_cell(cell) for cell in cells])
    return buffer.getvalue()


def to_json(rows: Sequence[Row]) -> str:
    """JSON text: counts, then the rows with their rules as lists of dicts."""
    data = {
        "schema": SUMMARY_SCHEMA,
        "counts": counts(rows),
        "rows": [_row_dict(row) for row in rows],
    }
    return json.dumps(data, indent=2, allow_nan=False) + "\n"


def _row_dict(row: Row) -> dict[str, Any]:
    data: dict[str, Any] = {column: getattr(row, column) for column in _BASE_COLUMNS}
    data["resumed"] = row.resumed
    data["rules"] = [
        {"id": r.id, "status": r.status, "typical": r.value, "unit": r.unit} for r in row.rules
    ]
    if row.detail:
        data["detail"] = row.detail
    return data


def _blank(value: Any) -> Any:
    return "" if value is None else value
