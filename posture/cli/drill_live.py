"""`posture drill EXERCISE --camera 0|FILE|URL`: the live coach, then the session's report."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from posture.cli.common import exit_with
from posture.drills.model import DrillSettings, Exercise
from posture.errors import PostureError, UsageError
from posture.gate.text import printable


def run_drill_live(
    exercise: Exercise, settings: DrillSettings, *, camera: str, no_window: bool, voice: bool,
    duration: float | None, out: Path, model: str, model_dir: Path | None, err: Console,
    history: bool, paced: bool = True, runner: str | None = None,
) -> None:  # fmt: skip
    """Coach live, then analyse the whole session like a recording and save it."""
    from posture.drills.analysis import analyse_drill
    from posture.drills.live import (
        DrillDisplay,
        TerminalDrillDisplay,
        WindowDrillDisplay,
        run_drill_session,
        session_stem,
        session_track,
    )
    from posture.drills.report import (
        history_dict,
        print_drill_summary,
        report_dict,
        write_drill_outputs,
    )
    from posture.gate.outputs import check_out_dir
    from posture.live.voice import NO_TTS_MESSAGE, find_speaker
    from posture.pipeline import TRACK_SUFFIX
    from posture.report.history import record_run_safely
    from posture.settings import PoseSettings
    from posture.source.camera import parse_source

    speaker = find_speaker() if voice else None
    if voice and speaker is None:
        typer.echo(f"posture: {NO_TTS_MESSAGE}", err=True)

    def make_display() -> DrillDisplay:
        return TerminalDrillDisplay(exercise, err) if no_window else WindowDrillDisplay()

    try:
        if duration is not None and duration <= 0:
            raise UsageError(f"--duration must be > 0 seconds, got {duration}")
        check_out_dir(out)
        pose = PoseSettings(model_variant=model, model_dir=model_dir)
        session = run_drill_session(
            exercise, settings, source=camera, pose=pose, make_display=make_display,
            speaker=speaker, duration_s=duration, paced=paced,
        )  # fmt: skip
        stem = session_stem(parse_source(camera).name, exercise)
        track = session_track(session)
        if track.n_frames:
            track.save(out / f"{stem}{TRACK_SUFFIX}")  # re-analyse it with `posture drill`
        result = analyse_drill(track, exercise, settings)
        source = {"path": camera, "fps": round(session.fps, 3), "frame_count": track.n_frames}
        report = report_dict(result, source) | {"live": session.stats.section()}
        files = write_drill_outputs(result, report, out, stem, html_page=True)
    except PostureError as exc:
        exit_with(exc)
    print_drill_summary(report, err, path=str(files["html"]))
    lat = report["live"]["capture_to_cue_ms"]
    err.print(f"live: {session.stats.frames_processed} frames, capture-to-cue p50 {lat['p50']} "
              f"ms, p95 {lat['p95']} ms; {session.stats.end}")  # fmt: skip
    if history and (warning := record_run_safely(
        history_dict(report), files["json"], runner=runner, kind="drill"
    )):  # fmt: skip
        typer.echo(f"posture: warning: {printable(warning)}", err=True)
