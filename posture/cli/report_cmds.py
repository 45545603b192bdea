"""`posture history` (past runs and metric trends) and `posture compare A B` (two reports).

Both print to stdout; errors are one stderr line with the error's exit code.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from posture.cli.common import domain_errors
from posture.errors import UsageError
from posture.gate.text import printable, rich_safe
from posture.metrics.registry import METRICS
from posture.report.compare import (
    Comparison,
    MetricGoal,
    Verdict,
    compare_reports,
    load_report,
    metric_goals,
)
from posture.report.history import (
    RunSummary,
    TrendPoint,
    default_runner,
    history_path,
    list_runs,
    metric_trend,
)
from posture.rules.model import STATUS_ORDER


def trend_metrics() -> list[str]:
    """The metrics `posture history` shows trends of (the registry's `trend` flag)."""
    return [s.id for s in METRICS.values() if s.trend]


SPARK_BLOCKS = "▁▂▃▄▅▆▇█"
_STATUS_STYLE = {"ok": "green", "warn": "yellow", "fail": "red", "not_measured": "dim"}
_VERDICT_STYLE = {
    "better": "green", "worse": "red", "same": "dim", "ok": "green", "unrated": "dim",
}  # fmt: skip
_TREND_WORD = {
    "better": "improving", "worse": "worsening", "same": "steady", "ok": "within limits",
}  # fmt: skip
_RUN_VERDICT_STYLE = {
    "fail": "red",
    "warn": "yellow",
    "good form": "green",
    "nothing judged": "dim",
}


def history(
    limit: Annotated[int, typer.Option(help="How many recent runs to show.")] = 20,
    metric: Annotated[
        str | None, typer.Option(help="Show only this metric's trend, run by run.")
    ] = None,
    runner: Annotated[
        str | None,
        typer.Option(help="Whose runs (default: your user name).", metavar="NAME"),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(help="History database (default: $POSTURE_HISTORY_DB or the data dir)."),
    ] = None,
) -> None:
    """List one runner's past runs and each main metric's trend per camera view, to see
    whether the fixes worked."""
    out = Console()
    who = runner or default_runner()
    with domain_errors():
        if limit < 1:
            raise UsageError(f"--limit must be at least 1, got {limit}")
        if metric is not None and metric not in METRICS:
            raise UsageError(f"--metric {metric}: unknown metric; one of {', '.join(METRICS)}")
        runs = list_runs(db, limit, runner=who)
        if not runs:
            out.print(
                f"No runs recorded yet for {rich_safe(who)} in "
                f"{rich_safe(str(db or history_path()))}; `posture check` adds one."
            )
            return
        goals = metric_goals()
        views = list(dict.fromkeys(r.view for r in runs if r.view))
        if metric is not None:
            for v in views:
                points = metric_trend(metric, db, limit, runner=who, view=v)
                _print_metric(out, metric, v, points, goals.get(metric))
            return
        out.print(_runs_table(runs, who))
        for v in views:
            trends = {m: metric_trend(m, db, limit, runner=who, view=v) for m in trend_metrics()}
            trends = {m: p for m, p in trends.items() if p or v in METRICS[m].views}
            out.print(_trends_table(trends, goals, v))


def compare(
    a: Annotated[Path, typer.Argument(help="Reference report (<name>.report.json).")],
    b: Annotated[Path, typer.Argument(help="Report judged against A.")],
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the comparison as JSON to stdout.")
    ] = False,
    html_page: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="PAGE",
            help="Also write a before/after page: both clips at a foot strike, side by side.",
        ),
    ] = None,
) -> None:
    """Put two reports side by side: metric changes (judged against the rules' ok band) and
    rule changes."""
    with domain_errors():
        ra, rb = load_report(a), load_report(b)
        comparison = compare_reports(ra, rb)
        if html_page is not None:
            from posture.report.compare_html import write_compare_html

            write_compare_html(comparison, html_page, ((a, ra), (b, rb)))
            typer.echo(f"page: {printable(str(html_page))}", err=True)
    if json_out:
        typer.echo(json.dumps(comparison.to_dict(), indent=2))
        return
    out = Console()
    out.print(_metrics_table(comparison))
    out.print(_rules_table(comparison))


def sparkline(values: list[float]) -> str:
    """One block character per value, scaled from the smallest (▁) to the largest (█)."""
    if not values:
        return ""
    lo, hi = min(values), max(values)
    if hi - lo <= 1e-9 * max(abs(hi), 1.0):
        return SPARK_BLOCKS[len(SPARK_BLOCKS) // 2] * len(values)
    top = len(SPARK_BLOCKS) - 1
    return "".join(SPARK_BLOCKS[round((v - lo) / (hi - lo) * top)] for v in values)


def trend_halves(values: list[float]) -> tuple[float, float]:
    """(mean of the older half, mean of the newer half) of `values` (oldest first, >= 2)."""
    half = len(values) // 2
    older, newer = values[:half], values[-half:]
    return sum(older) / len(older), sum(newer) / len(newer)


def trend_verdict(values: list[float], goal: MetricGoal | None) -> Verdict:
    """The newer half of `values` (oldest first) against the older half, by the rules."""
    if goal is None or len(values) < 2:
        return "unrated"
    return goal.judge(*trend_halves(values))


def _when(analysed_at: str) -> str:
    return datetime.fromisoformat(analysed_at).astimezone().strftime("%Y-%m-%d %H:%M")


def _runs_table(runs: list[RunSummary], runner: str) -> Table:
    table = Table(
        title=f"Past runs of {rich_safe(runner)} (newest first)", title_justify="left",
        box=box.SIMPLE,
    )  # fmt: skip
    table.add_column("when", no_wrap=True)
    table.add_column("session")
    table.add_column("clip", overflow="fold")
    table.add_column("view")
    table.add_column("verdict")
    table.add_column("flagged rules", overflow="fold")
    for run in runs:
        flagged = ", ".join(
            f"[{_STATUS_STYLE.get(s, 'dim')}]{rich_safe(rule)} {rich_safe(s)}[/]"
            for rule, s in run.flagged
        )
        verdict = run.verdict.replace("_", " ")
        style = _RUN_VERDICT_STYLE.get(run.verdict, "red")
        table.add_row(
            _when(run.analysed_at),
            rich_safe(run.kind or ""),
            rich_safe(run.clip_name),
            rich_safe(run.view or ""),
            f"[{style}]{rich_safe(verdict)}[/]",
            flagged,
        )
    return table


def _trend_text(points: list[TrendPoint], goal: MetricGoal | None) -> tuple[str, str, str]:
    """(sparkline, `first -> last unit`, verdict word) of one metric's trend."""
    values = [p.median for p in points]
    unit = points[-1].unit or ""
    # the two numbers the verdict compares: older runs' mean -> newer runs' mean
    older, newer = trend_halves(values) if len(values) > 1 else (values[0], values[0])
    span = f"{older:.1f} → {newer:.1f}" if len(values) > 1 else f"{values[0]:.1f}"
    span = f"{span} {unit}"
    verdict = trend_verdict(values, goal)
    if len(values) < 2:
        word = "one run"
    elif goal is None:
        word = "no rule judges it"
    else:
        word = f"[{_VERDICT_STYLE[verdict]}]{_TREND_WORD.get(verdict, verdict)}[/]"
    arrow = "→" if len(values) < 2 or round(newer, 1) == round(older, 1) else "↗↘"[newer < older]
    return sparkline(values), span, f"{arrow} {word}"


def _trends_table(
    trends: dict[str, list[TrendPoint]], goals: dict[str, MetricGoal], view: str
) -> Table:
    table = Table(
        title=f"Trends in {rich_safe(view)} view (oldest → newest)", title_justify="left",
        box=box.SIMPLE,
    )  # fmt: skip
    for column in ("metric", "trend", "values", "verdict"):
        table.add_column(column, overflow="fold")
    for metric_id, points in trends.items():
        if not points:
            table.add_row(metric_id, "", "[dim]not measured[/]", "")
            continue
        table.add_row(metric_id, *_trend_text(points, goals.get(metric_id)))
    return table


def _print_metric(
    out: Console, metric_id: str, view: str, points: list[TrendPoint], goal: MetricGoal | None
) -> None:
    if not points:
        out.print(f"{metric_id}: not measured in any recorded {view}-view run")
        return
    table = Table(
        title=f"{metric_id} in {rich_safe(view)} view (oldest → newest)", title_justify="left",
        box=box.SIMPLE,
    )  # fmt: skip
    for column in ("when", "clip", "median"):
        table.add_column(column, overflow="fold", justify="right" if column == "median" else "left")
    for p in points:
        table.add_row(
            _when(p.analysed_at),
            rich_safe(Path(p.clip_path).name),
            f"{p.median:.2f} {p.unit or ''}",
        )
    out.print(table)
    spark, span, verdict = _trend_text(points, goal)
    out.print(f"{spark}  {span}  {verdict}")


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    return f"{value:+.2f}" if signed else f"{value:.2f}"


def _metrics_table(c: Comparison) -> Table:
    table = Table(
        title=f"A: {rich_safe(c.a_path)}\nB: {rich_safe(c.b_path)}",
        title_justify="left",
        box=box.SIMPLE,
    )
    for column in ("metric", "A", "B", "delta", "B vs A"):
        table.add_column(column, justify="left" if column in ("metric", "B vs A") else "right")
    for m in c.metrics:
        if m.a_median is None and m.b_median is None:
            continue  # measured in neither clip (e.g. a front-view metric of two side clips)
        style = _VERDICT_STYLE[m.verdict]
        table.add_row(
            f"{rich_safe(m.metric_id)} [dim]{rich_safe(m.unit)}[/]",
            _fmt(m.a_median),
            _fmt(m.b_median),
            _fmt(m.delta, signed=True),
            f"[{style}]{'both ok' if m.verdict == 'ok' else m.verdict}[/]",
        )
    return table


def _rules_table(c: Comparison) -> Table:
    table = Table(title="Rules", title_justify="left", box=box.SIMPLE)
    for column in ("rule", "A", "B", "change"):
        table.add_column(column)
    for r in c.rules:
        a, b = r.a_status or "—", r.b_status or "—"
        table.add_row(rich_safe(r.rule_id), _styled(a), _styled(b), _rule_change_word(a, b))
    return table


def _styled(status: str) -> str:
    style = _STATUS_STYLE.get(status)
    return f"[{style}]{status}[/]" if style else rich_safe(status)


def _rule_change_word(a: str, b: str) -> str:
    if a == b:
        return ""
    if a in ("ok", "warn", "fail") and b in ("ok", "warn", "fail"):
        return "[green]improved[/]" if STATUS_ORDER[b] < STATUS_ORDER[a] else "[red]worsened[/]"
    return "changed"  # measured in one report only (view, too few strides)
