"""Rule verdicts given by the pipeline against the verdicts the true values imply."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from posture.validate.records import ClipRecord

FLAGS = ("warn", "fail")
JUDGED = ("ok", "warn", "fail")


@dataclass(frozen=True)
class RuleRow:
    """Confusion counts of one rule over clips.

    Attributes:
        rule: rule id.
        n: clips where the truth or the pipeline judged the rule (not both `not_measured`).
        right: same status.
        false_flags: true ok, flagged (warn/fail).
        missed: true warn/fail, given ok.
        wrong_level: both flagged, warn vs fail differ.
        not_measured: truth judged, pipeline gave `not_measured`.
        unexpected: truth `not_measured` (wrong view, too few steps), pipeline judged.
        honest: right, or wrong but said so: given at low confidence (the reason is in every
            output) or `not_measured` with its reason.
        confusion: (true status, given status) -> clips.
    """

    rule: str
    n: int
    right: int
    false_flags: int
    missed: int
    wrong_level: int
    not_measured: int
    unexpected: int
    honest: int
    confusion: dict[tuple[str, str], int]


def _kind(true: str, given: str) -> str:
    if true == given:
        return "right"
    if true == "not_measured":
        return "unexpected"
    if given == "not_measured":
        return "not_measured"
    if true == "ok":
        return "false_flags"
    return "missed" if given == "ok" else "wrong_level"


def _honest(record: ClipRecord, rule: str) -> bool:
    """Right, or wrong but said so (`not_measured`, or a low-confidence verdict)."""
    true = str(record.true_statuses[rule])
    given = str(record.statuses.get(rule, "not_measured"))
    if true == given == "not_measured":
        return False  # not counted in the row at all
    return true == given or given == "not_measured" or record.confidences.get(rule) == "low"


def rule_rows(records: Sequence[ClipRecord]) -> list[RuleRow]:
    """One row per rule (in the rule file's order of the first record)."""
    if not records:
        return []
    rows = []
    for rule in records[0].true_statuses:
        pairs: Counter[tuple[str, str]] = Counter(
            (str(r.true_statuses[rule]), str(r.statuses.get(rule, "not_measured"))) for r in records
        )
        pairs.pop(("not_measured", "not_measured"), None)
        kinds: Counter[str] = Counter()
        for (t, g), c in pairs.items():
            kinds[_kind(t, g)] += c
        honest = sum(_honest(r, rule) for r in records)
        rows.append(
            RuleRow(
                rule,
                sum(pairs.values()),
                kinds["right"],
                kinds["false_flags"],
                kinds["missed"],
                kinds["wrong_level"],
                kinds["not_measured"],
                kinds["unexpected"],
                honest,
                dict(pairs),
            )
        )
    return rows


@dataclass(frozen=True)
class SampleRow:
    """A committed sample's verdicts.

    Attributes:
        name: sample file stem.
        expected: true flags, rule id -> warn/fail.
        given: flags given.
        wrong: rule ids whose given status differs from the true one.
        details: per wrong rule, "given <status> on <value> vs true <status> on <value>".
    """

    name: str
    expected: dict[str, str]
    given: dict[str, str]
    wrong: tuple[str, ...]
    details: tuple[str, ...]

    @property
    def right(self) -> bool:
        return not self.wrong


def sample_row(record: ClipRecord, rule_metric: dict[str, str]) -> SampleRow:
    """Compare every rule's status on a sample with its true status.

    Args:
        record: the sample's record.
        rule_metric: rule id -> its primary metric (for the true value in the details).
    """
    wrong, details = [], []
    for rule, true in record.true_statuses.items():
        given = record.statuses.get(rule, "not_measured")
        if given == true:
            continue
        wrong.append(rule)
        metric = rule_metric[rule]
        details.append(
            f"{rule}: given {given} on {record.rule_values.get(rule, float('nan')):.1f}, "
            f"true {true} on {metric} {record.true.values[metric]:.1f}"
        )
    expected = {k: str(v) for k, v in record.true_flags.items()}
    flags = {k: str(v) for k, v in record.flags.items()}
    return SampleRow(record.name, expected, flags, tuple(wrong), tuple(details))
