"""`posture batch`: parse options, build settings, run the batch, map the outcome to an exit.

Registered by the CLI as `app.command()(batch)`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import Progress, TaskID

from posture.cli.common import (
    EXIT_INTERRUPTED,
    ContextOption,
    HeightOption,
    HistoryOption,
    ModelDirOption,
    ModelOption,
    QuietOption,
    RulesOption,
    RunnerOption,
    ViewOption,
    analysis_settings,
    byte_callback,
    exit_with,
    progress_bar,
)
from posture.errors import PostureError
from posture.gate.text import printable, rich_safe
from posture.settings import DEFAULT_CONTEXT, DEFAULT_MODEL, DEFAULT_VIEW, Settings

if TYPE_CHECKING:  # imported where used: `posture --help` must not load the pipeline
    from posture.batch import BatchOptions, ClipJob, Row


def batch(
    inputs: Annotated[list[str], typer.Argument(help="Video files, folders (searched) or globs.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Batch output folder.")],
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (local) or CPUs (Ray). Default: cores.")
    ] = None,
    engine: Annotated[str, typer.Option(help="local (processes) or ray.")] = "local",
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="Ray cluster to join (else a local one).")
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Skip clips already analysed from the same file and settings.")
    ] = True,
    fail_on: Annotated[
        str,
        typer.Option("--fail-on", help="Exit 4 when a rule is at this level: never, warn, fail."),
    ] = "never",
    clip_timeout: Annotated[
        float | None,
        typer.Option(
            "--clip-timeout",
            metavar="SECONDS",
            help="Stop a clip that takes longer and go on (default: 2 min + 10x its length).",
        ),
    ] = None,
    view: ViewOption = DEFAULT_VIEW,
    context: ContextOption = DEFAULT_CONTEXT,
    height_cm: HeightOption = None,
    rules: RulesOption = None,
    model: ModelOption = DEFAULT_MODEL,
    model_dir: ModelDirOption = None,
    history: HistoryOption = True,
    runner: RunnerOption = None,
    quiet: QuietOption = False,
) -> None:
    """Analyse many clips: OUT/<name>.report.json per clip, OUT/summary.csv|json, OUT/index.html.

    Exit 0 when every input was analysed, 1 when any errored, 4 with --fail-on.
    """
    from posture.batch import BatchOptions, default_workers, run_batch

    err = Console(stderr=True, quiet=quiet)
    try:
        settings = analysis_settings(
            view=view,
            context=context,
            height_cm=height_cm,
            rules=rules,
            model=model,
            model_dir=model_dir,
        )
        options = BatchOptions(
            out_dir=out,
            workers=workers if workers is not None else default_workers(),
            engine=engine,
            ray_address=ray_address,
            resume=resume,
            fail_on=fail_on,
            clip_timeout_s=clip_timeout,
        )
        with progress_bar(err) as bar:
            outcome = run_batch(
                inputs,
                settings,
                options,
                _BarProgress(bar),
                prepare_model=_model_fetcher(settings, options, bar),
            )
    except PostureError as exc:
        exit_with(exc)
    except KeyboardInterrupt:
        typer.echo(
            "posture: interrupted; finished clips are kept, run the same command to resume",
            err=True,
        )
        raise typer.Exit(EXIT_INTERRUPTED) from None
    _print_outcome(outcome.rows, out, err)
    if history:
        _record(outcome.rows, out, runner)
    raise typer.Exit(outcome.exit_code)


def _record(rows: tuple[Row, ...], out: Path, runner: str | None) -> None:
    """Add each clip analysed now (not the resumed ones) to `posture history`."""
    from posture.report.history import record_run_safely

    for row in rows:
        path = out / f"{row.name}.report.json"
        if row.resumed or row.status not in ("analysed", "no_runner") or not path.is_file():
            continue
        warning = record_run_safely(
            json.loads(path.read_text(encoding="utf-8")), path, runner=runner, kind="batch"
        )
        if warning:
            typer.echo(f"posture: warning: {printable(warning)}", err=True)
            return  # the same database problem for every clip: say it once


def _model_fetcher(
    settings: Settings, options: BatchOptions, bar: Progress
) -> Callable[[], None] | None:
    """Fetch the model once in the driver, unless the clips run on a remote cluster."""
    if options.ray_address:
        return None

    def fetch() -> None:
        from posture.modelstore import ensure_model

        ensure_model(
            settings.pose.model_variant, settings.pose.model_dir, progress=byte_callback(bar)
        )

    return fetch


def _print_outcome(rows: tuple[Row, ...], out: Path, err: Console) -> None:
    from posture.batch.index_html import verdict_tally

    for row in rows:
        if row.status == "error":
            message = f"{row.path}: {_strip_path(row.error, row.path)}"
            typer.echo(f"posture: error: {printable(message)}", err=True)
    err.print(rich_safe(verdict_tally(rows)))
    err.print(f"summary: {rich_safe(out / 'index.html')}")


def _strip_path(message: str, path: str) -> str:
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


class _BarProgress:
    """Draws the batch on a rich progress display: clips overall, frames per running clip."""

    def __init__(self, bar: Progress) -> None:
        self._bar = bar
        self._clips: TaskID | None = None
        self._frames: dict[int, TaskID] = {}

    def started(self, total: int, to_run: int) -> None:
        done = total - to_run
        self._clips = self._bar.add_task("clips", total=total, completed=done, unit="clips")

    def frames(self, job: ClipJob, done: int, expected: int) -> None:
        task = self._frames.get(job.index)
        if task is None:
            label = f"  {rich_safe(job.path.name)}"
            task = self._bar.add_task(label, total=expected or None, unit="frames")
            self._frames[job.index] = task
        self._bar.update(task, completed=done, total=max(expected, done) if expected else None)

    def clip_done(self, job: ClipJob, row: Row) -> None:
        task = self._frames.pop(job.index, None)
        if task is not None:
            self._bar.remove_task(task)
        if self._clips is not None:
            self._bar.advance(self._clips)
