"""The one pipeline every front end calls: video -> pose track -> analysis -> report.

`check()` analyses a clip end to end and writes its outputs; `analyse_track()` is the part after
the pose stage, so a saved `.pose.npz` can be re-analysed without the model. `posture check`,
`posture live` and `posture batch` all go through these two functions.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posture.atomic import write_atomic
from posture.errors import BadInputError
from posture.gate.outputs import check_out_dir
from posture.gate.track import source_record, verified_source
from posture.metrics import Analysis, MetricConfig, analyse
from posture.metrics.smoothing import load_scipy
from posture.pose.track import PoseTrack
from posture.progress import FrameProgress
from posture.report.capture import body_warnings, capture_warnings
from posture.report.model import ClipStatus, Report
from posture.result import ClipResult
from posture.rules import RuleResult, RuleSet, evaluate, load_rules
from posture.settings import OutputSettings, Settings
from posture.source import VideoInfo, open_video, sample_brightness

TRACK_SUFFIX = ".pose.npz"


@dataclass(frozen=True)
class Outputs:
    """Where a clip's files were written: the report JSON and the others by kind."""

    report_json: Path
    files: dict[str, Path]

    @property
    def pose_track(self) -> Path | None:
        return self.files.get("pose_track")


def check(
    path: str | os.PathLike[str],
    settings: Settings | None = None,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    progress: FrameProgress | None = None,
    model_progress: Any = None,
    output_progress: FrameProgress | None = None,
    stem: str | None = None,
) -> Report:
    """Analyse one clip (a video, or a `.pose.npz` track saved by an earlier run).

    Args:
        path: the video file or pose track.
        settings: analysis settings; defaults when None.
        out_dir: when given, write `<stem>.report.json`, `<stem>.pose.npz` and the files
            `settings.outputs` asks for (annotated video, HTML report, per-frame CSV) there.
        progress: called per frame during pose estimation.
        model_progress: passed to the model store while it fetches the model (bytes progress).
        output_progress: called per frame while the annotated video is written.
        stem: output file names' stem; `clip_stem(path)` when None.

    Returns:
        The report; `report.status == "no_runner"` when too few frames had a runner.

    Raises:
        BadInputError: the input cannot be read. ModelUnavailableError: no pose model.
        OutputError: an output cannot be written.
    """
    result = check_clip(
        path, settings, out_dir=out_dir, progress=progress, model_progress=model_progress,
        output_progress=output_progress, stem=stem,
    )  # fmt: skip
    return result.report


def check_clip(
    path: str | os.PathLike[str],
    settings: Settings | None = None,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    progress: FrameProgress | None = None,
    model_progress: Any = None,
    output_progress: FrameProgress | None = None,
    stem: str | None = None,
) -> ClipResult:
    """`check`, returning the typed result (report, track, analysis, rule verdicts)."""
    settings = settings or Settings()
    if out_dir is not None:
        check_out_dir(Path(out_dir))  # before the analysis, not after it
    result = analyse_clip(path, settings, progress=progress, model_progress=model_progress)
    if out_dir is not None:
        stem = stem or clip_stem(Path(path))
        write_outputs(
            result, Path(out_dir), stem=stem, outputs=settings.outputs, progress=output_progress
        )
    return result


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


def release_freed_memory() -> None:
    """Give the C heap's freed pages back to the system (glibc's `malloc_trim`; nothing
    elsewhere). Freed memory otherwise stays resident, so the analysis after the pose stage
    would stack on top of what MediaPipe and FFmpeg held."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to do
        return
    trim(0)


#: Clips up to this long (s) load scipy during the pose stage (`run_pose`).
PRELOAD_SCIPY_MAX_S = 120.0


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
    from posture.pose.parallel import auto_jobs, estimate_parallel, pose_pool

    source = open_video(path)  # validates the file before the model is fetched
    # The analysis after the pose stage needs scipy (~1 s to import): loaded meanwhile, on a
    # clip short enough that the second saved counts; a long clip's pose stage runs without
    # scipy's 77 MB resident (imported when the analysis needs it).
    if source.info.duration_s <= PRELOAD_SCIPY_MAX_S:
        threading.Thread(target=load_scipy, daemon=True).start()
    jobs = settings.pose.jobs or auto_jobs(source.info)
    # Started before the model is fetched: the workers load MediaPipe meanwhile.
    pool = pose_pool(jobs).start() if jobs > 1 else None
    try:
        model_path = ensure_model(
            settings.pose.model_variant, settings.pose.model_dir, progress=model_progress
        )
        model_name = f"pose_landmarker_{settings.pose.model_variant}"
        if pool is not None:
            track, brightness = estimate_parallel(
                source.info, model_path, settings.pose, model_name, jobs, progress, pool=pool
            )
    finally:
        if pool is not None:
            pool.close()
    if pool is None:
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
    release_freed_memory()  # the landmarker's and the decoder's, before the analysis
    if track.n_frames == 0:
        raise BadInputError(f"{path}: the video has no frames that can be decoded")
    info = source.info
    # The absolute path, size and hash let a later re-analysis trust the path (`_load_track`).
    track.meta["input"] = {
        **input_section(info, decoded_frames=track.n_frames),
        **source_record(path),
    }
    track.meta["brightness_mean"] = round(float(np.mean(brightness)), 1)
    return track, info


def _load_track(path: Path) -> tuple[PoseTrack, VideoInfo]:
    track = PoseTrack.load(path)  # every value the analysis uses is checked here
    meta = track.meta.get("input", {})
    source, why_not = verified_source(meta)
    warnings = list(meta.get("warnings", ()))
    if why_not:
        warnings.append(f"{why_not}, so there is no annotated video and no key frames")
    w, h = track.resolution_wh
    info = VideoInfo(
        path=source or path,  # never a stored path that was not verified
        fps=track.fps,
        frame_count=int(meta.get("frame_count", track.n_frames)),
        duration_s=float(meta.get("duration_s", track.n_frames / track.fps)),
        width=w,
        height=h,
        rotation_deg=int(meta.get("rotation_deg", 0)),
        codec=str(meta.get("codec", "")),
        warnings=tuple(warnings),
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
    status: ClipStatus = (
        "analysed" if coverage >= settings.pose.min_coverage and detected > 0 else "no_runner"
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
    analysis: Analysis | None = None
    verdicts: tuple[RuleResult, ...] = ()
    if status == "analysed":
        analysis = analyse(track, settings.analysis, config=config)
        rules = rules or load_rules(settings.analysis.rules_path)
        verdicts = tuple(evaluate(analysis, rules, settings.analysis))
        sections = analysis.to_dict()
        settings_info["analysis"].update(sections.pop("settings"))
        settings_info["analysis"]["rules_path"] = str(rules.source)
        sections["rules"] = [r.to_dict() for r in verdicts]
        warnings += body_warnings(track, analysis)
    report = Report(
        status=status,
        input=input_info,
        pose={"model": track.model, "frames_with_runner": detected, "coverage": round(coverage, 4)},
        capture={"warnings": warnings},
        settings=settings_info,
        sections=sections,
    )
    return ClipResult(report=report, track=track, info=info, analysis=analysis, rules=verdicts)


def settings_section(settings: Settings) -> dict[str, Any]:
    """The report's `settings` section (paths as strings)."""
    data = asdict(settings)
    for group in data.values():
        for key, value in group.items():
            if isinstance(value, Path):
                group[key] = str(value)
    return data


def _is_source_video(path: Path) -> bool:
    """True when `path` is a video to decode again (not a track, a camera or a stream)."""
    return path.is_file() and not path.name.endswith(TRACK_SUFFIX)


def clip_stem(path: Path) -> str:
    """Output name stem of a clip: `run.mp4` -> `run`, `run.pose.npz` -> `run`."""
    name = path.name
    return name[: -len(TRACK_SUFFIX)] if name.endswith(TRACK_SUFFIX) else path.stem


def write_outputs(
    result: ClipResult,
    out_dir: Path,
    *,
    stem: str,
    outputs: OutputSettings | None = None,
    progress: FrameProgress | None = None,
) -> Outputs:
    """Write a clip's files into `out_dir`, each atomically; the report JSON last.

    The annotated video and the HTML key frames need the source video, and come from one
    decoding pass (the key frames by seeking when no video is written); when the source
    cannot be read (a camera, a track analysed elsewhere) the video is skipped and the page
    has no key frames.
    """
    from posture.report.frames_csv import write_frames_csv
    from posture.report.html import picture_indices, write_html
    from posture.report.video import annotated_frames, write_annotated_video

    outputs = outputs or OutputSettings()
    track, report = result.track, result.report
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if track.n_frames:
        written["pose_track"] = track.save(out_dir / f"{stem}{TRACK_SUFFIX}")
    if outputs.csv and track.n_frames:
        path = out_dir / f"{stem}.frames.csv"
        written["frames_csv"] = write_frames_csv(result, path)
    if outputs.exports and track.n_frames and result.analysis is not None:
        from posture.report.opensim import write_exports

        exported = write_exports(track, result.analysis, out_dir, stem, outputs.exports)
        written |= {f"opensim_{kind}": path for kind, path in exported.items()}
    has_source = _is_source_video(result.info.path) and track.n_frames > 0
    wanted = picture_indices(result) if outputs.html and has_source else set()
    key_frames = {}
    if outputs.video and has_source:
        path = out_dir / f"{stem}.annotated.mp4"
        key_frames = write_annotated_video(result, path, keep=wanted, progress=progress)
        written["annotated_video"] = path
    elif wanted:
        key_frames = annotated_frames(result, wanted)
    if outputs.html:
        page = out_dir / f"{stem}.report.html"
        video = written.get("annotated_video")
        written["report_html"] = write_html(result, page, key_frames=key_frames, video=video)
        if outputs.pdf:
            from posture.report.pdf import print_pdf

            written["report_pdf"] = print_pdf(page, out_dir / f"{stem}.report.pdf")
    report_path = write_atomic(out_dir / f"{stem}.report.json", report.to_json() + "\n")
    return Outputs(report_json=report_path, files=written)
