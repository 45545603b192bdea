"""A recording's drill end to end: video or saved track -> pose -> drill analysis -> files.

The pose stage is `posture.pipeline.run_pose`, the one `posture check` uses; a saved
`.pose.npz` track needs no model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posture.drills.analysis import DrillResult, analyse_drill
from posture.drills.keyframes import worst_rep_frames
from posture.drills.model import DrillSettings, Exercise
from posture.drills.report import report_dict, write_drill_outputs
from posture.gate.track import verified_source
from posture.pipeline import TRACK_SUFFIX, clip_stem, input_section, run_pose
from posture.pose.track import PoseTrack
from posture.progress import FrameProgress
from posture.settings import PoseSettings, Settings


@dataclass(frozen=True)
class SavedDrill:
    result: DrillResult
    report: dict[str, Any]
    files: dict[str, Path]


def load_pose(
    path: Path, *, model: str = "full", model_dir: Path | None = None,
    progress: FrameProgress | None = None, model_progress: Any = None,
) -> tuple[PoseTrack, dict[str, Any]]:  # fmt: skip
    """The pose track of a video (estimated) or a saved track (read), and its input section."""
    if path.name.endswith(TRACK_SUFFIX):
        track = PoseTrack.load(path)
        source = dict(track.meta.get("input", {}))
        source["path"] = str(path)
        return track, source
    settings = Settings(pose=PoseSettings(model_variant=model, model_dir=model_dir))
    track, info = run_pose(path, settings, progress=progress, model_progress=model_progress)
    return track, input_section(info, decoded_frames=track.n_frames)


def analyse_recording(
    path: Path, exercise: Exercise, settings: DrillSettings, *, out_dir: Path | None = None,
    model: str = "full", model_dir: Path | None = None, html: bool = True,
    progress: FrameProgress | None = None, model_progress: Any = None,
) -> SavedDrill:  # fmt: skip
    """Analyse one recording and (when `out_dir` is given) write its drill report.

    Raises:
        BadInputError: unreadable input. PlacementError: the recording cannot show the
        exercise. ModelUnavailableError, OutputError.
    """
    track, source = load_pose(
        path, model=model, model_dir=model_dir, progress=progress, model_progress=model_progress
    )
    result = analyse_drill(track, exercise, settings)
    report = report_dict(result, source)
    files: dict[str, Path] = {}
    if out_dir is not None:
        stem = f"{clip_stem(path)}-{exercise.id}"
        frames = worst_rep_frames(result, track, _video_of(path, track)) if html else []
        files = write_drill_outputs(result, report, out_dir, stem, html_page=html, frames=frames)
        if not path.name.endswith(TRACK_SUFFIX):
            files["pose_track"] = track.save(out_dir / f"{clip_stem(path)}{TRACK_SUFFIX}")
    return SavedDrill(result, report, files)


def _video_of(path: Path, track: PoseTrack) -> Path | None:
    """The source video: the input itself, or a track's source if it is still that file."""
    if not path.name.endswith(TRACK_SUFFIX):
        return path
    return verified_source(track.meta.get("input", {}))[0]
