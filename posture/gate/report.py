"""A report JSON given back to posture (`posture compare`), validated before it is used.

Reports are meant to be read by people and programs, so some get edited by hand. What
`compare` relies on (the tool mark, the schema version, `status`, `input`, `metrics`,
`rules`) is checked for its type here, and the first problem is one line naming the key:
`b.json: metrics: expected an object of metric id -> values, got a list`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from posture.errors import BadInputError
from posture.gate.documents import check_document, describe, parse_json
from posture.gate.files import REPORT, read_text
from posture.report.model import SCHEMA_VERSION

#: Report statuses; `ok` is schema 1's word for `analysed`.
REPORT_STATUSES = ("analysed", "no_runner", "ok")
RULE_STATUSES = ("ok", "warn", "fail", "not_measured", "exempt")
_HINT = REPORT.hint


def _fail(path: Path, key: str, problem: str) -> BadInputError:
    return BadInputError(f"{path}: {key}: {problem}; {_HINT}")


def read_report(path: Path) -> dict[str, Any]:
    """Read a report JSON written by `posture check`, checked for what readers rely on.

    Raises:
        BadInputError: not a regular file, too large, not JSON, not a posture report, written
            by a newer posture, or a section of the wrong type; the message names the key.
    """
    text = read_text(path, REPORT)
    doc = parse_json(text, lambda problem: BadInputError(f"{path}: {problem}; {_HINT}"))
    check_document(doc, lambda key, problem: _fail(path, key, problem))
    tool = doc.get("tool") if isinstance(doc, dict) else None
    if not isinstance(tool, dict) or tool.get("name") != "posture" or "schema_version" not in doc:
        raise BadInputError(f"{path}: not a posture report; {_HINT}")
    _check_version(path, doc["schema_version"])
    _check_sections(path, doc)
    return doc


def _check_version(path: Path, version: Any) -> None:
    if isinstance(version, bool) or not isinstance(version, int):
        raise _fail(
            path,
            "schema_version",
            f"is {describe(version)}, expected a whole number such as {SCHEMA_VERSION} "
            "(the report was edited)",
        )
    if version < 1:
        raise _fail(path, "schema_version", f"is {version}, expected 1 or more")
    if version > SCHEMA_VERSION:
        raise BadInputError(
            f"{path}: report schema {version} is newer than this posture reads "
            f"({SCHEMA_VERSION}); upgrade posture"
        )


def _check_sections(path: Path, doc: dict[str, Any]) -> None:
    if doc.get("status") not in REPORT_STATUSES:
        allowed = " or ".join(REPORT_STATUSES)
        raise _fail(path, "status", f"is {describe(doc.get('status'))}, expected {allowed}")
    inp = doc.get("input")
    if not isinstance(inp, dict) or not isinstance(inp.get("path"), str):
        raise _fail(path, "input", f"is {describe(inp)}, expected an object with a text `path`")
    for key in ("pose", "capture", "settings"):
        if not isinstance(doc.get(key, {}), dict):
            raise _fail(path, key, f"is {describe(doc[key])}, expected an object")
    for key in ("view", "facing"):
        if not isinstance(doc.get(key), str | None):
            raise _fail(path, key, f"is {describe(doc[key])}, expected text or null")
    _check_metrics(path, doc.get("metrics", {}))
    _check_rules(path, doc.get("rules", []))


def _check_metrics(path: Path, metrics: Any) -> None:
    if metrics is None:
        return
    if not isinstance(metrics, dict):
        raise _fail(path, "metrics", f"is {describe(metrics)}, expected an object of metrics")
    for metric_id, values in metrics.items():
        key = f"metrics.{metric_id}"
        if not isinstance(values, dict):
            raise _fail(path, key, f"is {describe(values)}, expected an object")
        _number_or_null(path, f"{key}.median", values.get("median"))
        if not isinstance(values.get("unit", ""), str | None):
            raise _fail(path, f"{key}.unit", f"is {describe(values['unit'])}, expected text")


def _check_rules(path: Path, rules: Any) -> None:
    if rules is None:
        return
    if not isinstance(rules, list):
        raise _fail(path, "rules", f"is {describe(rules)}, expected a list of rule verdicts")
    for i, rule in enumerate(rules):
        key = f"rules[{i}]"
        if not isinstance(rule, dict):
            raise _fail(path, key, f"is {describe(rule)}, expected an object")
        if not isinstance(rule.get("id"), str):
            raise _fail(path, f"{key}.id", f"is {describe(rule.get('id'))}, expected text")
        if rule.get("status") not in RULE_STATUSES:
            allowed = ", ".join(RULE_STATUSES)
            got = describe(rule.get("status"))
            raise _fail(path, f"{key}.status", f"is {got}, expected one of {allowed}")
        for field in ("typical", "value"):  # `value` in schema 1
            _number_or_null(path, f"{key}.{field}", rule.get(field))


def _number_or_null(path: Path, key: str, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise _fail(path, key, f"is {describe(value)}, expected a number or null")
