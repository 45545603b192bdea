"""Command line: parse, build settings, call the pipeline, map errors to exit codes.

Exit codes (also in the README):
    0  analysed
    1  `posture batch`: at least one clip errored (the summary says which)
    2  bad input or usage (one line on stderr)
    3  no runner found in enough frames (the report still says so)
    4  `posture batch --fail-on LEVEL`: a clip has a rule at LEVEL or worse
    5  no pose model could be obtained
    6  an output could not be written
    130  interrupted (Ctrl-C); no partial output is left behind
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from posture.cli.common import (
    EXIT_NO_RUNNER,
    ContextOption,
    HeightOption,
    HistoryOption,
    ModelDirOption,
    ModelOption,
    PostureCommand,
    PostureGroup,
    QuietOption,
    RulesOption,
    RunnerOption,
    SpeedOption,
    ViewOption,
    analysis_settings,
    byte_callback,
    exit_with,
    fail,
    frame_callback,
    interruptible,
    progress_bar,
)
from posture.errors import PostureError, UsageError
from posture.gate.outputs import check_out_dir, unique_stems
from posture.gate.text import printable, rich_safe
from posture.settings import (
    DEFAULT_CONTEXT,
    DEFAULT_MODEL,
    DEFAULT_OUT_DIR,
    DEFAULT_VIEW,
    OutputSettings,
)

app = typer.Typer(
    name="posture",
    cls=PostureGroup,
    help="Check running posture from video: head, torso lean, shoulders, bounce, cadence.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command(cls=PostureCommand)
def check(
    videos: Annotated[
        list[Path],
        typer.Argument(metavar="VIDEO", help="Video files (or saved .pose.npz tracks)."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder.")] = DEFAULT_OUT_DIR,
    view: ViewOption = DEFAULT_VIEW,
    context: ContextOption = DEFAULT_CONTEXT,
    height_cm: HeightOption = None,
    speed_kmh: SpeedOption = None,
    rules: RulesOption = None,
    model: ModelOption = DEFAULT_MODEL,
    model_dir: ModelDirOption = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the report JSON to stdout.")
    ] = False,
    video: Annotated[
        bool, typer.Option("--video/--no-video", help="Write OUT/<name>.annotated.mp4.")
    ] = True,
    html: Annotated[
        bool, typer.Option("--html/--no-html", help="Write OUT/<name>.report.html.")
    ] = True,
    csv: Annotated[
        bool, typer.Option("--csv/--no-csv", help="Write OUT/<name>.frames.csv.")
    ] = True,
    pdf: Annotated[
        bool,
        typer.Option("--pdf", help="Also print the report to OUT/<name>.report.pdf (Chromium)."),
    ] = False,
    export: Annotated[
        str | None,
        typer.Option(
            "--export",
            metavar="FORMATS",
            help="Also write OpenSim files: trc (pose track as markers), mot (angles); "
            "e.g. trc,mot.",
        ),
    ] = None,
    history: HistoryOption = True,
    runner: RunnerOption = None,
    jobs: Annotated[
        int,
        typer.Option(help="Processes sharing one clip (time chunks); 0 = by length and cores."),
    ] = 0,
    quiet: QuietOption = False,
) -> None:
    """Analyse running clips: OUT/<name>.report.html, .annotated.mp4, .report.json, .frames.csv
    and .pose.npz (the pose track, to re-analyse without the model)."""
    from posture.pipeline import check_clip, clip_stem
    from posture.report.history import record_run_safely
    from posture.report.opensim import parse_exports
    from posture.report.summary import print_summary
    from posture.rules import load_rules

    err = Console(stderr=True, quiet=quiet)
    try:
        settings = replace(
            analysis_settings(
                view=view,
                context=context,
                height_cm=height_cm,
                speed_kmh=speed_kmh,
                rules=rules,
                model=model,
                model_dir=model_dir,
            ).with_pose(jobs=jobs),
            outputs=OutputSettings(
                video=video, html=html, csv=csv, exports=parse_exports(export), pdf=pdf
            ),
        )
        load_rules(rules)  # a bad rules file is one line before any clip is analysed
        if pdf:
            if not html:
                raise UsageError("--pdf prints the HTML report: drop --no-html")
            from posture.report.pdf import find_browser

            find_browser()  # no Chromium: one line before any clip is analysed
        check_out_dir(out)
    except PostureError as exc:
        exit_with(exc)
    # Two clips named run.mp4 from two folders get run-<hash8>.* each, as in `posture batch`.
    stems = unique_stems(videos, [clip_stem(clip) for clip in videos])
    worst = 0
    for clip, stem in zip(videos, stems, strict=True):
        label = rich_safe(clip.name)
        try:
            with interruptible(), progress_bar(err) as bar:
                result = check_clip(
                    clip,
                    settings,
                    out_dir=out,
                    progress=frame_callback(bar, f"{label}: pose"),
                    model_progress=byte_callback(bar),
                    output_progress=frame_callback(bar, f"{label}: annotated video"),
                    stem=stem,
                )
        except PostureError as exc:
            fail(exc, exit_now=len(videos) == 1)
            worst = max(worst, exc.exit_code)
            continue
        report = result.report
        data = report.to_dict()
        if json_out:
            sys.stdout.write(report.to_json() + "\n")
        main_file = out / f"{stem}.report.html" if html else out / f"{stem}.report.json"
        print_summary(result, err, report_path=str(main_file))
        report_json = out / f"{stem}.report.json"
        if history and (warning := record_run_safely(data, report_json, runner=runner)):
            typer.echo(f"posture: warning: {printable(warning)}", err=True)
        if report.status == "no_runner":
            worst = max(worst, EXIT_NO_RUNNER)
    raise typer.Exit(worst)


def _register_subcommands() -> None:
    from posture.cli.batch import batch
    from posture.cli.drill import drill
    from posture.cli.live import live
    from posture.cli.models import models_app
    from posture.cli.report_cmds import compare, history
    from posture.cli.synth import synth
    from posture.cli.validate import validate

    app.command(cls=PostureCommand)(batch)
    app.command(cls=PostureCommand)(live)
    app.command(cls=PostureCommand)(history)
    app.command(cls=PostureCommand)(compare)
    app.add_typer(models_app, name="models")
    app.command("synth", cls=PostureCommand)(synth)
    app.command("validate", cls=PostureCommand)(validate)
    app.command("drill", cls=PostureCommand)(drill)


_register_subcommands()


def _terminate(signum: int, frame: object) -> None:
    # Turn SIGTERM into the same clean unwind as Ctrl-C, so temp files are removed.
    raise KeyboardInterrupt


def main() -> None:
    """Console entry point: Ctrl-C or SIGTERM end with one line and exit 130, no traceback."""
    signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except KeyboardInterrupt:
        sys.stderr.write("posture: interrupted; no partial output was left behind\n")
        sys.exit(130)
    except SystemExit as done:
        _exit_now(done.code)
        raise


def _exit_now(code: object) -> None:
    """End a finished command without the interpreter's teardown.

    Every output is written and closed and every landmarker closed by then; what is left is
    unloading MediaPipe, OpenCV and scipy, which took 0.6-0.8 s after a `posture check` of a
    12 s 720p clip (a shared 2-core machine). Not after Ray, whose exit hooks stop its
    processes.
    """
    if "ray" in sys.modules:
        return
    if code is None or isinstance(code, int):
        status = code or 0
    else:
        sys.stderr.write(f"{code}\n")
        status = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(status)
