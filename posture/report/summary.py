"""The short terminal summary `posture check` prints after each clip."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from posture.gate.text import rich_safe

_STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "red", "not_measured": "dim"}


def print_summary(report: dict[str, Any], console: Console, *, report_path: str = "") -> None:
    """Print one clip's verdicts (or its capture facts until rules exist) as a table."""
    inp, pose = report["input"], report["pose"]
    title = (
        f"{rich_safe(inp['path'])}  {inp['width']}x{inp['height']} @ {inp['fps']:g} fps, "
        f"{inp['duration_s']:.1f} s; runner in {pose['coverage']:.0%} of frames"
    )
    view = report.get("view")
    if view:
        facing = report.get("facing")
        title += f"; view {rich_safe(view)}" + (f", facing {rich_safe(facing)}" if facing else "")
    rules = report.get("rules") or []
    if rules:
        console.print(_rules_table(rules, title))
    else:
        console.print(title)
    if report["status"] == "no_runner":
        console.print("[red]No runner found in enough frames to analyse.[/red]")
    for warning in report.get("capture", {}).get("warnings", []):
        console.print(f"[yellow]capture:[/yellow] {rich_safe(warning)}")
    for note in report.get("notes", []):
        console.print(f"[cyan]note:[/cyan] {rich_safe(note)}")
    if report_path:
        console.print(f"report: {rich_safe(report_path)}", soft_wrap=True)


def _rules_table(rules: list[dict[str, Any]], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("rule", "status", "value", "worst span (s)", "cue"):
        table.add_column(column)
    for rule in rules:
        status = rule["status"]
        value = rule.get("value")
        shown = "" if value is None else f"{value:.1f} {rich_safe(rule.get('unit', ''))}".strip()
        spans = rule.get("spans_s") or []
        worst = max(spans, key=lambda s: s[1] - s[0], default=None)
        table.add_row(
            rich_safe(rule["id"]),
            f"[{_STATUS_STYLE.get(status, '')}]{rich_safe(status)}[/]",
            shown,
            f"{worst[0]:.1f}-{worst[1]:.1f}" if worst else "",
            rich_safe(rule.get("message", "")) if status in ("warn", "fail") else "",
        )
    return table
