"""`posture drill EXERCISE FILE` (a recording) and `posture drill EXERCISE --camera 0` (live):
parse, load the exercise, call the drill core, print the summary, map errors to exit codes.

Registered by the CLI as `app.command("drill")(drill)`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from posture.cli.common import (
    ModelDirOption,
    ModelOption,
    QuietOption,
    RunnerOption,
    byte_callback,
    exit_with,
    frame_callback,
    interruptible,
    progress_bar,
)
from posture.drills.model import DrillSettings, Exercise
from posture.errors import PostureError, UsageError
from posture.gate.text import printable
from posture.settings import DEFAULT_MODEL, DEFAULT_OUT_DIR


def drill(
    exercise: Annotated[
        str, typer.Argument(help="mini_crunch, lying_leg_raise or prone_back_extension.")
    ],
    file: Annotated[
        Path | None, typer.Argument(help="A recording (video or saved .pose.npz track).")
    ] = None,
    camera: Annotated[
        str | None,
        typer.Option("--camera", help="Coach live: a camera index, video file or stream URL."),
    ] = None,
    no_window: Annotated[
        bool, typer.Option("--no-window", help="Live: cues in the terminal, not a window.")
    ] = False,
    voice: Annotated[bool, typer.Option("--voice", help="Live: speak the cues.")] = False,
    duration: Annotated[
        float | None, typer.Option("--duration", help="Live: stop after this many seconds.")
    ] = None,
    as_fast_as_possible: Annotated[
        bool,
        typer.Option("--as-fast-as-possible", help="Live from a file: every frame, no pacing."),
    ] = False,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = DEFAULT_OUT_DIR,
    drills: Annotated[
        Path | None, typer.Option("--drills", help="An exercises TOML replacing the shipped one.")
    ] = None,
    set_gap_s: Annotated[
        float | None,
        typer.Option("--set-gap-s", help="A pause longer than this ends a set (seconds)."),
    ] = None,
    html: Annotated[
        bool, typer.Option("--html/--no-html", help="Write OUT/<name>.drill.html.")
    ] = True,
    history: Annotated[
        bool, typer.Option("--history/--no-history", help="Add the session to `posture history`.")
    ] = True,
    runner: RunnerOption = None,
    model: ModelOption = DEFAULT_MODEL,
    model_dir: ModelDirOption = None,
    quiet: QuietOption = False,
) -> None:
    """Count and check a core exercise of the text (reps, sets, peak angle, hold, form):
    writes OUT/<name>.drill.json and .drill.html. Film from the side at floor level."""
    from posture.drills import load_drills

    err = Console(stderr=True, quiet=quiet)
    try:
        book = load_drills(drills)
        chosen = book.find(exercise)
        if chosen is None:
            raise UsageError(f"unknown exercise {exercise!r}: choose one of {', '.join(book.ids)}")
        if set_gap_s is not None:
            if not 0.5 <= set_gap_s <= 3600:
                raise UsageError(f"--set-gap-s must be 0.5-3600 seconds, got {set_gap_s}")
            book = replace(book, settings=replace(book.settings, set_gap_s=set_gap_s))
        if (file is None) == (camera is None):
            raise UsageError("give a recording (FILE) or --camera for live coaching, not both")
    except PostureError as exc:
        exit_with(exc)
    if camera is not None:
        from posture.cli.drill_live import run_drill_live

        run_drill_live(chosen, book.settings, camera=camera, no_window=no_window, voice=voice,
                       duration=duration, out=out, model=model, model_dir=model_dir, err=err,
                       history=history, paced=not as_fast_as_possible, runner=runner)  # fmt: skip
        return
    assert file is not None
    _analyse_file(chosen, book.settings, file, out, model, model_dir, html, history, err, runner)


def _analyse_file(
    exercise: Exercise, settings: DrillSettings, file: Path, out: Path, model: str,
    model_dir: Path | None, html: bool, history: bool, err: Console, runner: str | None,
) -> None:  # fmt: skip
    from posture.drills.recording import analyse_recording
    from posture.drills.report import history_dict, print_drill_summary
    from posture.gate.outputs import check_out_dir
    from posture.report.history import record_run_safely

    try:
        check_out_dir(out)
        with interruptible(), progress_bar(err) as bar:
            saved = analyse_recording(
                file, exercise, settings, out_dir=out, model=model, model_dir=model_dir,
                html=html, progress=frame_callback(bar, f"{file.name}: pose"),
                model_progress=byte_callback(bar),
            )  # fmt: skip
    except PostureError as exc:
        exit_with(exc)
    main = saved.files.get("html", saved.files["json"])
    print_drill_summary(saved.report, err, path=str(main))
    if history and (warning := record_run_safely(
        history_dict(saved.report), saved.files["json"], runner=runner, kind="drill"
    )):  # fmt: skip
        typer.echo(f"posture: warning: {printable(warning)}", err=True)
