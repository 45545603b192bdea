"""`posture live`: parse options, build settings, run the live session, report where it went.

Registered by the CLI as `app.command()(live)`.
"""

from __future__ import annotations

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
    RulesOption,
    RunnerOption,
    ViewOption,
    analysis_settings,
    byte_callback,
    exit_with,
    progress_bar,
)
from posture.errors import PostureError, UsageError
from posture.gate.outputs import check_out_dir
from posture.gate.text import printable
from posture.settings import DEFAULT_CONTEXT, DEFAULT_MODEL, DEFAULT_OUT_DIR, DEFAULT_VIEW


def live(
    camera: Annotated[
        str, typer.Option("--camera", help="Camera index, a video file or a stream URL.")
    ] = "0",
    no_window: Annotated[
        bool, typer.Option("--no-window", help="Cues in the terminal instead of a window.")
    ] = False,
    fullscreen: Annotated[
        bool, typer.Option("--fullscreen", help="The window fills the screen.")
    ] = False,
    window_size: Annotated[
        str | None,
        typer.Option(
            "--window-size",
            metavar="WIDTHxHEIGHT",
            help="Window size in pixels, e.g. 1280x720 (default: 90 % of the screen).",
        ),
    ] = None,
    duration: Annotated[
        float | None, typer.Option("--duration", help="Stop after this many seconds.")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the report and snapshots.")
    ] = DEFAULT_OUT_DIR,
    as_fast_as_possible: Annotated[
        bool,
        typer.Option(
            "--as-fast-as-possible", help="Video file: process every frame, no real-time pacing."
        ),
    ] = False,
    voice: Annotated[bool, typer.Option("--voice", help="Speak the cues (offline TTS).")] = False,
    view: ViewOption = DEFAULT_VIEW,
    context: ContextOption = DEFAULT_CONTEXT,
    height_cm: HeightOption = None,
    rules: RulesOption = None,
    model: ModelOption = DEFAULT_MODEL,
    model_dir: ModelDirOption = None,
    history: HistoryOption = True,
    runner: RunnerOption = None,
) -> None:
    """Live cues while running (window keys: q quit, p pause, s snapshot, c calibrate).

    At the end the whole session is analysed like `posture check`: writes
    OUT/<name>-live-<time>.report.json (with a `live` section) and .pose.npz. Ctrl-C stops
    and saves.
    """
    from posture.live.display import Display, TerminalDisplay
    from posture.live.session import LiveOptions, run_live
    from posture.live.voice import NO_TTS_MESSAGE, find_speaker
    from posture.modelstore import ensure_model
    from posture.report.summary import print_summary

    err = Console(stderr=True)
    try:
        settings = analysis_settings(
            view=view,
            context=context,
            height_cm=height_cm,
            rules=rules,
            model=model,
            model_dir=model_dir,
        )
        options = LiveOptions(
            source=camera, duration_s=duration, out_dir=out, paced=not as_fast_as_possible
        )
        check_out_dir(out)  # before the session, not when it is saved
        size_wh = parse_window_size(window_size)
        if not no_window:
            from posture.live.window import check_display

            check_display()  # one line before the model or the camera start
    except PostureError as exc:
        exit_with(exc)
    except ValueError as exc:
        typer.echo(f"posture: error: {printable(exc)}", err=True)
        raise typer.Exit(2) from exc
    speaker = find_speaker() if voice else None
    if voice and speaker is None:
        typer.echo(f"posture: {NO_TTS_MESSAGE}", err=True)

    def make_display() -> Display:
        if no_window:
            return TerminalDisplay(err)
        from posture.live.window import BackgroundWindow, WindowDisplay

        return BackgroundWindow(lambda: WindowDisplay(size_wh=size_wh, fullscreen=fullscreen))

    try:
        # Fetched first (a no-op when present), so its progress bar is gone before the
        # terminal panel (rich shows one live display at a time) starts.
        with progress_bar(err) as bar:
            ensure_model(model, model_dir, progress=byte_callback(bar))
        saved = run_live(settings, options, make_display, speaker=speaker)
    except PostureError as exc:
        exit_with(exc)
    report = saved.result.report
    live_info = report.sections["live"]
    if live_info["end"]["reason"] == "failed":
        message = printable(live_info["end"]["message"])
        typer.echo(f"posture: warning: {message}; session saved", err=True)
    page = saved.outputs.files.get("report_html", saved.outputs.report_json)
    print_summary(saved.result, err, report_path=str(page))
    if history:
        from posture.report.history import record_run_safely

        data, path = report.to_dict(), saved.outputs.report_json
        if warning := record_run_safely(data, path, runner=runner, kind="live"):
            typer.echo(f"posture: warning: {printable(warning)}", err=True)
    lat = live_info["latency_ms"]
    err.print(
        f"live: {live_info['frames_processed']} of {live_info['frames_seen']} frames processed "
        f"({live_info['frames_dropped']} dropped), {live_info['processed_fps']} frames/s, "
        f"capture-to-cue p50 {lat['capture_to_cue_p50']} ms, p95 {lat['capture_to_cue_p95']} ms"
        + (
            f"; {live_info['frames_shown']} frames shown, capture-to-screen p50 "
            f"{lat['capture_to_shown_p50']} ms, p95 {lat['capture_to_shown_p95']} ms"
            if "frames_shown" in live_info
            else ""
        )
    )
    raise typer.Exit(EXIT_NO_RUNNER if report.status == "no_runner" else 0)


def parse_window_size(text: str | None) -> tuple[int, int] | None:
    """`1280x720` -> (1280, 720); None -> None.

    Raises:
        UsageError: not two whole numbers of at least 160 joined by `x`.
    """
    if text is None:
        return None
    parts = text.lower().replace(" ", "").split("x")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        w, h = int(parts[0]), int(parts[1])
        if w >= 160 and h >= 160:
            return w, h
    raise UsageError(f"--window-size must be WIDTHxHEIGHT in pixels (e.g. 1280x720), got {text!r}")
