"""The one pipeline every front end calls: video -> pose track -> analysis -> report.

`check()` analyses a clip end to end and writes its outputs; `analyse_track()` is the part after
the pose stage, so a saved `.pose.npz` can be re-analysed without the model. `posture check`,
`posture live` and `posture batch` all go through these two functions.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posture.atomic import write_atomic
from posture.errors import BadInputError
from posture.metrics import Analysis, MetricConfig, analyse
from posture.pose.track import PoseTrack
from posture.report.model import Report, Status
from posture.rules import RuleSet, evaluate, load_rules
from posture.settings import Settings
from posture.source import VideoInfo, open_video, sample_brightness

#: Called with (frames done, frames expected or 0) while the pose stage runs.
FrameProgress = Callable[[int, int], None]
TRACK_SUFFIX = ".pose.npz"


@dataclass(frozen=True)
class ClipResult:
    """Everything one analysed clip produced: the report and the arrays behind it.

    `analysis` is None when the clip had no runner to measure.
    """

    report: Report
    track: PoseTrack
    info: VideoInfo
    analysis: Analysis | None


@dataclass(frozen=True)
class Outputs:
    """Where `check` wrote a clip's files."""

    report_json: Path
    pose_track: Path | None


def check(
    path: str | os.PathLike[str],
    settings: Settings | None = None,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    progress: FrameProgress | None = None,
    model_progress: Any = None,
) -> Report:
    """Analyse one clip (a video, or a `.pose.npz` track saved by an earlier run).

    Args:
        path: the video file or pose track.
        settings: analysis settings; defaults when None.
        out_dir: when given, write `<stem>.report.json` and `<stem>.pose.npz` there.
        progress: called per frame during pose estimation.
        model_progress: passed to the model store while it fetches the model (bytes progress).

    Returns:
        The report; `report.status == "no_runner"` when too few frames had a runner.

    Raises:
        BadInputError: the input cannot be read. ModelUnavailableError: no pose model.
        OutputError: an output cannot be written.
    """
    result = analyse_clip(path, settings, progress=progress, model_progress=model_progress)
    if out_dir is not None:
        write_outputs(result.report, result.track, Path(out_dir), stem=clip_stem(Path(path)))
    return result.report


def analyse_clip(
    path: str | os.PathLike[str],
    settings: Settings | None = None,
    *,
    progress: FrameProgress | None = None,
    model_progress: Any = None,
) -> ClipResult:
    """Like `check`, but returns the arrays too and writes nothing."""
    settings = settings or Settings()
    rules = load_rules(settings.analysis.rules_path)  # a bad rules file fails before any work
    path = Path(path)
    if path.name.endswith(TRACK_SUFFIX):
        track, info = _load_track(path)
    else:
        track, info = run_pose(path, settings, progress=progress, model_progress=model_progress)
    return analyse_track(track, info, settings, rules)


def run_pose(
    path: Path,
    settings: Settings,
    *,
    progress: FrameProgress | None = None,
    model_progress: Any = None,
) -> tuple[PoseTrack, VideoInfo]:
    """Decode `path` and estimate the runner's pose in every frame."""
    # Imported here so re-analysing a saved track never loads MediaPipe.
    from posture.modelstore import ensure_model
    from posture.pose.estimator import PoseEstimator, estimate_track
    from posture.pose.parallel import auto_jobs, estimate_parallel

    source = open_video(path)  # validates the file before the model is fetched
    model_path = ensure_model(
        settings.pose.model_variant, settings.pose.model_dir, progress=model_progress
    )
    model_name = f"pose_landmarker_{settings.pose.model_variant}"
    jobs = settings.pose.jobs or auto_jobs(source.info)
    if jobs > 1:
        track, brightness = estimate_parallel(
            source.info, model_path, settings.pose, model_name, jobs, progress
        )
    else:
        brightness = []
        with PoseEstimator(model_path, settings.pose, model_name) as est:
            track = estimate_track(
                sample_brightness(source, brightness),
                est,
                resolution_wh=source.info.resolution_wh,
                fps=source.info.fps,
                expected_frames=source.info.frame_count,
                progress=progress,
                frame_scale=source.info.analysis_scale,
            )
    if track.n_frames == 0:
        raise BadInputError(f"{path}: the video has no frames that can be decoded")
    info = source.info
    track.meta["input"] = input_section(info, decoded_frames=track.n_frames)
    track.meta["brightness_mean"] = round(float(np.mean(brightness)), 1)
    return track, info


def _load_track(path: Path) -> tuple[PoseTrack, VideoInfo]:
    track = PoseTrack.load(path)
    meta = track.meta.get("input", {})
    w, h = track.resolution_wh
    info = VideoInfo(
        path=Path(meta.get("path", path)),
        fps=track.fps,
        frame_count=int(meta.get("frame_count", track.n_frames)),
        duration_s=float(meta.get("duration_s", track.n_frames / max(track.fps, 1e-9))),
        width=w,
        height=h,
        rotation_deg=int(meta.get("rotation_deg", 0)),
        codec=str(meta.get("codec", "")),
        warnings=tuple(meta.get("warnings", ())),
    )
    return track, info


def input_section(info: VideoInfo, *, decoded_frames: int) -> dict[str, Any]:
    """The report's `input` section."""
    return {
        "path": str(info.path),
        "fps": round(info.fps, 3),
        "frame_count": decoded_frames,
        "container_frame_count": info.frame_count,
        "duration_s": round(info.duration_s, 3),
        "width": info.width,
        "height": info.height,
        "rotation_deg": info.rotation_deg,
        "codec": info.codec,
        "warnings": list(info.warnings),
    }


def analyse_track(
    track: PoseTrack,
    info: VideoInfo,
    settings: Settings,
    rules: RuleSet | None = None,
    *,
    config: MetricConfig | None = None,
) -> ClipResult:
    """Everything after the pose stage: coverage check, metrics, rules -> `ClipResult`.

    `config` replaces the shipped metric constants (live mode passes the runner's own
    calibrated neutrals).
    """
    detected = int(track.detected.sum())
    coverage = track.coverage
    status: Status = (
        "ok" if coverage >= settings.pose.min_coverage and detected > 0 else "no_runner"
    )
    warnings = [*info.warnings, *capture_warnings(track, info)]
    if status == "no_runner":
        warnings.append(
            f"a runner was found in {detected} of {track.n_frames} frames "
            f"({coverage:.0%}); at least {settings.pose.min_coverage:.0%} are needed"
        )
    if track.n_frames:
        duration_s = (track.timestamps_ms[-1] - track.timestamps_ms[0]) / 1000.0 + 1.0 / info.fps
    else:
        duration_s = 0.0
    input_info = input_section(info, decoded_frames=track.n_frames)
    input_info["duration_s"] = round(float(duration_s), 3)
    sections: dict[str, Any] = {}
    settings_info = settings_section(settings)
    analysis = None
    if status == "ok":
        analysis = analyse(track, settings.analysis, config=config)
        rules = rules or load_rules(settings.analysis.rules_path)
        sections = analysis.to_dict()
        settings_info["analysis"].update(sections.pop("settings"))
        settings_info["analysis"]["rules_path"] = str(rules.source)
        sections["rules"] = [r.to_dict() for r in evaluate(analysis, rules, settings.analysis)]
    report = Report(
        status=status,
        input=input_info,
        pose={"model": track.model, "frames_with_runner": detected, "coverage": round(coverage, 4)},
        capture={"warnings": warnings},
        settings=settings_info,
        sections=sections,
    )
    return ClipResult(report=report, track=track, info=info, analysis=analysis)


#: Below these a clip is still analysed, but the report says why its numbers are weak.
MIN_USEFUL_DURATION_S = 3.0
MIN_USEFUL_FPS = 20.0
MIN_USEFUL_BRIGHTNESS = 40.0


def capture_warnings(track: PoseTrack, info: VideoInfo) -> list[str]:
    """Plain-language problems with the capture that the numbers should be read with."""
    warnings = []
    if info.frame_count > 0 and track.n_frames < 0.95 * info.frame_count - 1:
        warnings.append(
            f"the file ends early: {track.n_frames} of the {info.frame_count} frames it "
            "announces could be decoded (truncated or damaged); the rest was analysed"
        )
    if track.n_frames:
        span_s = (track.timestamps_ms[-1] - track.timestamps_ms[0]) / 1000.0
        if span_s < MIN_USEFUL_DURATION_S:
            warnings.append(
                f"the clip is only {span_s:.1f} s long; film at least "
                f"{MIN_USEFUL_DURATION_S:.0f} s (ideally 10-20 s) so several strides are seen"
            )
    brightness = track.meta.get("brightness_mean")
    if brightness is not None and brightness < MIN_USEFUL_BRIGHTNESS:
        warnings.append(
            f"the video is very dark (mean brightness {brightness:.0f} of 255); "
            "film in better light or face the light"
        )
    if info.fps < MIN_USEFUL_FPS:
        warnings.append(
            f"{info.fps:g} frames/s is too few to time steps and bounce well; "
            f"film at {MIN_USEFUL_FPS:.0f} frames/s or more (30 or 60 is best)"
        )
    return warnings


def settings_section(settings: Settings) -> dict[str, Any]:
    """The report's `settings` section (paths as strings)."""
    data = asdict(settings)
    for group in data.values():
        for key, value in group.items():
            if isinstance(value, Path):
                group[key] = str(value)
    return data


def clip_stem(path: Path) -> str:
    """Output name stem of a clip: `run.mp4` -> `run`, `run.pose.npz` -> `run`."""
    name = path.name
    return name[: -len(TRACK_SUFFIX)] if name.endswith(TRACK_SUFFIX) else path.stem


def write_outputs(report: Report, track: PoseTrack, out_dir: Path, *, stem: str) -> Outputs:
    """Write the report JSON and the pose track into `out_dir`, each atomically."""
    track_path = out_dir / f"{stem}{TRACK_SUFFIX}"
    if track.n_frames:
        out_dir.mkdir(parents=True, exist_ok=True)
        track.save(track_path)
    report_path = write_atomic(out_dir / f"{stem}.report.json", report.to_json() + "\n")
    return Outputs(report_json=report_path, pose_track=track_path if track.n_frames else None)
