"""Synthetic runner clips with known posture: the ground truth for accuracy tests.

A 3D figure (anthropometric segment lengths, running-gait kinematics, clothing, a face) is
posed from `SynthParams`, drawn with OpenCV and written as H.264; a `<name>.truth.json` next
to the video holds the true angles, pelvis path, strike times and 2D landmark positions.

Example:
    >>> from posture.synth import SynthParams, iter_frames
    >>> p = SynthParams(view="side_right", torso_lean_deg=12, duration_s=0.5, fps=10,
    ...                 resolution_wh=(160, 128))
    >>> t_ms, frame = next(iter_frames(p))
    >>> t_ms, frame.shape
    (0.0, (128, 160, 3))
"""

from __future__ import annotations

from pathlib import Path

from posture.errors import UsageError
from posture.io import read_mp4, write_mp4
from posture.synth.clip import ClipModel, FrameRenderer, iter_frames
from posture.synth.params import VIEWS, SynthParams
from posture.synth.truth import SCHEMA_VERSION, Truth, compute_truth

__all__ = [
    "SCHEMA_VERSION",
    "VIEWS",
    "SynthParams",
    "Truth",
    "iter_frames",
    "read_mp4",
    "render_clip",
    "truth_path_for",
]


def truth_path_for(video_path: Path) -> Path:
    """`clip.mp4` -> `clip.truth.json` (same folder)."""
    video_path = Path(video_path)
    return video_path.with_name(video_path.stem + ".truth.json")


def render_clip(params: SynthParams, out_path: Path) -> Truth:
    """Render `params` to an H.264 MP4 at `out_path` and write its truth file next to it.

    Args:
        params: clip parameters.
        out_path: destination, must end in `.mp4`; its folder must exist.

    Returns:
        The clip's `Truth` (also written to `truth_path_for(out_path)`).

    Raises:
        UsageError: `out_path` does not end in `.mp4` or its folder does not exist.
        OutputError: a file cannot be written.
    """
    out_path = Path(out_path)
    if out_path.suffix.lower() != ".mp4":
        raise UsageError(f"output must be an .mp4 file, got {out_path.name!r}")
    if not out_path.parent.is_dir():
        raise UsageError(f"output folder {out_path.parent} does not exist; create it first")
    clip = ClipModel.build(params)
    renderer = FrameRenderer(clip)
    frames = (renderer.render(i) for i in range(params.n_frames))
    write_mp4(frames, out_path, params.fps, params.crf)
    truth = compute_truth(clip)
    truth.write(truth_path_for(out_path))
    return truth
