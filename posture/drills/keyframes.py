"""Key frames of the worst rep (start, peak, end) from the source video, skeleton drawn,
for the drill report. Needs the video: a camera session or a moved file has none."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posture.drills.analysis import DrillResult
from posture.drills.model import Rep
from posture.pose.track import PoseTrack


def worst_rep(result: DrillResult) -> Rep | None:
    """The rep with the most faults, then the one whose peak is furthest from the target."""
    if not result.reps:
        return None
    target = result.exercise.target_deg
    return max(result.reps, key=lambda r: (len(r.faults), abs(r.cycle.peak_deg - target)))


def worst_rep_frames(
    result: DrillResult, track: PoseTrack, video: Path | None
) -> list[tuple[str, np.ndarray]]:
    """`[(label, rgb (h, w, 3))]` at the worst rep's start, peak and end; empty without a
    readable video or rep."""
    rep = worst_rep(result)
    if rep is None or video is None or not video.is_file():
        return []
    from posture.errors import PostureError
    from posture.overlay.pose import draw_pose
    from posture.source import open_video

    try:
        source = open_video(video)
    except PostureError:
        return []
    scale = source.info.analysis_scale
    c = rep.cycle
    out = []
    for label, t_s in (("start", c.start_s), ("peak", c.peak_s), ("end", c.end_s)):
        i = int(np.argmin(np.abs(result.t_s - t_s)))
        t_ms = float(track.timestamps_ms[i])
        frame = next(iter(source.between(t_ms - 0.5, t_ms + 0.5)), None)
        if frame is None:
            continue
        rgb = frame[1].copy()
        landmarks = track.landmarks[i].copy()
        landmarks[:, :3] *= scale
        if np.isfinite(landmarks[:, 0]).any():
            draw_pose(rgb, landmarks, facing=None, values={})
        out.append((f"rep {rep.number} {label} ({t_s:.1f} s)", rgb))
    return out
