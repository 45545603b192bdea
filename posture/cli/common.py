"""What every command shares: one-line errors, and progress bars on stderr."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

from posture.errors import PostureError
from posture.gate.text import printable
from posture.progress import FrameProgress
from posture.settings import AnalysisSettings, PoseSettings, Settings

# The analysis options every analysing command takes (check, batch, live), declared once.
ViewOption = Annotated[str, typer.Option(help="Camera view: auto, side, front or rear.")]
ContextOption = Annotated[
    str, typer.Option(help="flat, uphill, accelerating (lean allowed) or uneven.")
]
HeightOption = Annotated[
    float | None, typer.Option("--height-cm", help="Runner's height, for cm values.")
]
SpeedOption = Annotated[
    float | None,
    typer.Option(
        "--speed-kmh", help="Running (treadmill) speed, for step length and vertical ratio."
    ),
]
RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="A rules TOML replacing the shipped rules.")
]
ModelOption = Annotated[str, typer.Option(help="Pose model: lite, full or heavy.")]
ModelDirOption = Annotated[
    Path | None, typer.Option("--model-dir", help="Folder of pose model bundles.")
]


class PostureCommand(TyperCommand):
    """A command whose help reads in words: a flag shows no `<bool>` type (it takes no
    value), an argument shows its name (`VIDEO...`), not `{videos}...` and `<list[Path]>`;
    options with values keep their type (`<int>`, `<path>`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            _plain_help(param)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            _plain_help(option)
        return option


class PostureGroup(TyperGroup):
    """A command group whose `--help` shows no `<bool>` type (see `PostureCommand`)."""

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            _plain_help(option)
        return option


def _plain_help(param: Any) -> None:
    # Per-instance overrides of Typer's help rendering (its classes are built internally).
    if getattr(param, "is_flag", False):
        param.display_type_rich = lambda ctx: None
    elif param.param_type_name == "argument":
        name = str(param.display_name_raw).upper() + ("..." if param.nargs != 1 else "")
        param.display_type_rich = lambda ctx: None
        param._rich_display_name = lambda: name
        param._usage_display_name = lambda: name if param.required else f"[{name}]"


QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")]
RunnerOption = Annotated[
    str | None,
    typer.Option(
        "--runner",
        metavar="NAME",
        help="Whose run, for `posture history` (default: your user name).",
    ),
]
HistoryOption = Annotated[
    bool, typer.Option("--history/--no-history", help="Add each run to `posture history`.")
]


def analysis_settings(
    *,
    view: str,
    context: str,
    height_cm: float | None,
    rules: Path | None,
    model: str,
    model_dir: Path | None,
    speed_kmh: float | None = None,
) -> Settings:
    """Settings from the shared options.

    Raises:
        PostureError: a value is out of range (the message names the option).
    """
    return Settings(
        pose=PoseSettings(model_variant=model, model_dir=model_dir),
        analysis=AnalysisSettings(
            view=view,
            context=context,
            height_cm=height_cm,
            rules_path=rules,
            speed_kmh=speed_kmh,
        ),
    )


ByteProgress = Callable[[int, int | None, str], None]


def one_line(exc: BaseException) -> str:
    """The error's message folded onto one line, control characters (from file names)
    shown as `\\xNN` so they never reach the terminal raw."""
    return printable(" ".join(str(exc).split()))


def fail(exc: PostureError, *, exit_now: bool = True) -> None:
    """Print `exc` as one stderr line; exit with its code unless `exit_now` is False."""
    typer.echo(f"posture: error: {one_line(exc)}", err=True)
    if exit_now:
        raise typer.Exit(exc.exit_code) from exc


def exit_with(exc: PostureError) -> NoReturn:
    """Print `exc` as one stderr line and exit with its code."""
    typer.echo(f"posture: error: {one_line(exc)}", err=True)
    raise typer.Exit(exc.exit_code) from exc


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn a `PostureError` raised in the block into one stderr line and its exit code."""
    try:
        yield
    except PostureError as exc:
        exit_with(exc)


EXIT_INTERRUPTED = 130
EXIT_NO_RUNNER = 3


@contextmanager
def interruptible() -> Iterator[None]:
    """Ctrl-C (or SIGTERM, see `posture.cli.main`) in the block: one line, exit 130.

    Outputs are written atomically, so an interrupted run leaves no half-written file.
    """
    try:
        yield
    except KeyboardInterrupt:
        typer.echo("posture: interrupted; no partial output was left behind", err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None


class _RateColumn(ProgressColumn):
    """`123/456 frames  52.1 frames/s` or `3.1/9.4 MB  1.2 MB/s`, by the task's unit."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "")
        scale = 1e6 if unit == "MB" else 1.0
        done = task.completed / scale
        total = f"/{task.total / scale:.{1 if scale > 1 else 0}f}" if task.total else ""
        speed = f"  {task.speed / scale:.1f} {unit}/s" if task.speed else ""
        return Text(f"{done:.{1 if scale > 1 else 0}f}{total} {unit}{speed}")


@contextmanager
def progress_bar(console: Console) -> Iterator[Progress]:
    """One live progress display for a command (rich allows one at a time).

    Off when stderr is not a terminal: there a bar is useless, and Rich would still print an
    empty line when it stops, so an error would no longer be one line.
    """
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        _RateColumn(),
        TimeRemainingColumn(),
    )
    off = console.quiet or not console.is_terminal
    with Progress(*columns, console=console, transient=True, disable=off) as bar:
        yield bar


def frame_callback(bar: Progress, label: str) -> FrameProgress:
    """A per-frame callback that drives a `frames` task on `bar`."""
    task: list[TaskID] = []

    def on_frame(done: int, expected: int) -> None:
        if not task:
            task.append(bar.add_task(label, total=expected or None, unit="frames"))
        bar.update(task[0], completed=done, total=max(expected, done) if expected else None)

    return on_frame


def byte_callback(bar: Progress) -> ByteProgress:
    """A download/build callback that drives one `MB` task per label on `bar`."""
    tasks: dict[str, TaskID] = {}

    def on_bytes(done: int, total: int | None, label: str) -> None:
        if label not in tasks:
            tasks[label] = bar.add_task(label, total=total, unit="MB")
        bar.update(tasks[label], completed=done, total=total)

    return on_bytes
