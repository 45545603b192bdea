"""The short terminal summary `posture check` prints after each clip."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from posture.gate.text import rich_safe
from posture.metrics import METRICS
from posture.report.html import activity_text, camera_text, episode_text, verdict_line
from posture.result import ClipResult
from posture.rules import RuleResult

_STATUS_STYLE = {
    "ok": "green", "warn": "yellow", "fail": "red", "not_measured": "dim", "exempt": "cyan",
}  # fmt: skip
_STATUS_WORDS = {"not_measured": "not measured", "exempt": "allowed"}


def print_summary(result: ClipResult, console: Console, *, report_path: str = "") -> None:
    """Print one clip's verdicts as a table, with the capture warnings and notes."""
    report = result.report.to_dict()
    inp, pose = report["input"], report["pose"]
    title = (
        f"{inp['path']}  {inp['width']}x{inp['height']} @ {inp['fps']:g} fps, "
        f"{inp['duration_s']:.1f} s; runner in {pose['coverage']:.0%} of frames"
    )
    view = report.get("view")
    if view:
        facing = report.get("facing")
        title += f"; view {view}" + (f", facing {facing}" if facing else "")
    if result.rules:
        console.print(_rules_table(result.rules, rich_safe(title)))
    else:
        console.print(rich_safe(title))
    console.print(f"[bold]{rich_safe(verdict_line(result))}[/bold]")
    for rule in result.rules:
        if rule.confidence == "low" and rule.status in ("ok", "warn", "fail") and rule.reasons:
            why = "; ".join(rule.reasons)
            console.print(f"[dim]low confidence:[/dim] {rich_safe(rule.title)}: {rich_safe(why)}")
    if result.analysis is not None:
        shows = f"activity: {activity_text(report)}; camera: {camera_text(report)}"
        console.print(rich_safe(shows), soft_wrap=True)
    for warning in report.get("capture", {}).get("warnings", []):
        console.print(f"[yellow]capture:[/yellow] {rich_safe(warning)}")
    for note in report.get("notes", []):
        console.print(f"[cyan]note:[/cyan] {rich_safe(note)}")
    if report_path:
        console.print(f"report: {rich_safe(report_path)}", soft_wrap=True)


def _when(rule: RuleResult) -> str:
    if not rule.flagged:
        return "; ".join(rule.reasons) if rule.status == "not_measured" else ""
    spans = "; ".join(episode_text(rule, e) for e in rule.episodes)
    return f"{spans} ({rule.share:.0%} of the run)"


def _rules_table(rules: tuple[RuleResult, ...], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("rule", "verdict", "typical", "when", "cue"):
        table.add_column(column)
    for rule in rules:
        status = rule.status
        word = _STATUS_WORDS.get(status, status)
        if rule.confidence == "low" and status in ("ok", "warn", "fail"):
            word += " (low confidence)"
        table.add_row(
            rich_safe(rule.title),
            f"[{_STATUS_STYLE.get(status, '')}]{rich_safe(word)}[/]",
            METRICS[rule.criterion.metric].format(rule.typical),
            rich_safe(_when(rule)),
            rich_safe(rule.cue) if rule.flagged else "",
        )
    return table
