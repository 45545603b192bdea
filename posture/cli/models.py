"""`posture models`: list and fetch the MediaPipe pose bundles.

Thin front end over `posture.modelstore`: parse options, call the store, show a table or a
progress bar, and map domain errors to one stderr line and their exit code.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from posture.cli.common import PostureCommand, PostureGroup
from posture.errors import PostureError
from posture.modelstore import (
    SOURCES,
    ModelStatus,
    ProgressFn,
    default_sources,
    ensure_model,
    list_models,
)
from posture.settings import DEFAULT_MODEL

models_app = typer.Typer(
    cls=PostureGroup,
    help="List, download or build the MediaPipe pose model bundles (.task files).",
    no_args_is_help=True,
)

ModelDirOption = Annotated[
    Path | None,
    typer.Option(
        "--model-dir",
        help="Folder holding the bundles (default: $POSTURE_MODEL_DIR, the checkout's "
        "models/, or ~/.cache/posture/models).",
        file_okay=False,
    ),
]


@models_app.command("list", cls=PostureCommand)
def list_command(model_dir: ModelDirOption = None) -> None:
    """Show each variant: present or not, size, sha256, and where it came from."""
    with _domain_errors():
        statuses = list_models(model_dir)
    Console().print(_status_table(statuses))


@models_app.command("fetch", cls=PostureCommand)
def fetch_command(
    variant: Annotated[str, typer.Argument(help="lite, full or heavy.")] = DEFAULT_MODEL,
    model_dir: ModelDirOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Download or rebuild even if a bundle is present.")
    ] = False,
) -> None:
    """Make sure a bundle is present (download it, or build `full` from PyPI)."""
    sources = default_sources()
    if force:
        # Skipping `file` makes the store obtain a fresh copy; the old one is replaced
        # only once the new one is complete and loads.
        sources = tuple(name for name in sources if name != "file") or SOURCES[1:]
    console = Console(stderr=True)
    with _domain_errors(), _progress_bar(console) as progress:
        path = ensure_model(variant, model_dir, sources=sources, progress=progress)
    typer.echo(str(path))


def _status_table(statuses: list[ModelStatus]) -> Table:
    # Every bundle lives in one folder: name it once in the title, keep rows narrow.
    folder = statuses[0].path.parent if statuses else "-"
    table = Table(title=f"Pose model bundles in {folder}")
    for header in ("variant", "present", "size", "sha256", "origin", "can fetch from"):
        table.add_column(header, no_wrap=True)
    for status in statuses:
        size = (
            f"{status.size_bytes / 1e6:.1f} MB"
            if status.size_bytes is not None
            else f"~{status.approx_size_mb:.1f} MB"
        )
        table.add_row(
            status.variant,
            "yes" if status.present else "no",
            size,
            status.sha256[:12] if status.sha256 else "-",
            status.origin or "-",
            ", ".join(status.sources) or "-",
        )
    return table


@contextmanager
def _progress_bar(console: Console) -> Iterator[ProgressFn]:
    """Yield a `ProgressFn` that drives one rich bar per label."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    tasks: dict[str, TaskID] = {}
    with Progress(*columns, console=console, transient=True) as bar:

        def report(done_bytes: int, total_bytes: int | None, label: str) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total_bytes)
            bar.update(tasks[label], completed=done_bytes, total=total_bytes)

        yield report


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Turn a `PostureError` into one stderr line and its exit code."""
    try:
        yield
    except PostureError as exc:
        typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
        raise typer.Exit(code=exc.exit_code) from exc
