"""The annotated video: the source clip with the skeleton, torso and head angles, a metrics
panel, the vertical-bounce trace and a banner while a rule is broken.

The source is decoded again frame by frame (never held in memory) with the same decoder as
the pose stage, so frame `i` of the video is row `i` of the pose track.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posture.io import VideoWriter
from posture.metrics import Analysis
from posture.metrics.config import default_config
from posture.overlay import draw_banner, draw_hud, draw_pose, draw_trace
from posture.overlay.panels import Level
from posture.pose.landmarks import LM
from posture.pose.track import PoseTrack
from posture.source import open_video

#: Metrics shown in the panel, in this order, when the view measures them.
PANEL_METRICS = (
    "torso_lean_deg",
    "head_pitch_deg",
    "neck_flexion_deg",
    "shoulder_hunch_pct",
    "vertical_bounce_cm",
    "lateral_sway_pct_leg",
    "cadence_spm",
)
TRACE_S = 3.0
#: Not "bounce": the trace's range over TRACE_S includes drift, unlike the per-step metric.
TRACE_LABEL = "up/down, 3 s:"
FrameProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Banner:
    """A rule broken over `[start_s, end_s]`, shown as `text` at `level`."""

    start_s: float
    end_s: float
    text: str
    level: Level


def rule_title(rule_id: str) -> str:
    """`lean_forward` -> `Lean forward`."""
    return rule_id.replace("_", " ").capitalize()


def banners(rules: list[dict[str, Any]]) -> list[Banner]:
    """One banner per flagged span of every warn/fail rule (rule name: cue), worst first."""
    out = [
        Banner(
            float(a),
            float(b),
            f"{rule_title(str(r['id']))}: {r['message']}",
            "fail" if r["status"] == "fail" else "warn",
        )
        for r in rules
        if r["status"] in ("warn", "fail")
        for a, b in r.get("spans_s") or []
    ]
    return sorted(out, key=lambda b: b.level != "fail")


def body_height_trace_cm(track: PoseTrack, analysis: Analysis) -> np.ndarray:
    """`(n,)` height of the shoulders in cm above their clip median (NaN where unknown).

    The bounce the report measures is read at the shoulders, so the trace shows the same.
    """
    y = np.nanmean(track.landmarks[:, [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER], 1], axis=1)
    body = default_config().body
    leg_cm = body.leg_over_height * analysis.height_cm if analysis.height_cm else np.nan
    cm_per_px = leg_cm / analysis.leg_length_px if analysis.leg_length_px else np.nan
    with np.errstate(all="ignore"):
        return (np.nanmedian(y) - y) * cm_per_px


def write_annotated_video(
    track: PoseTrack,
    analysis: Analysis | None,
    report: dict[str, Any],
    path: Path,
    *,
    progress: FrameProgress | None = None,
) -> int:
    """Write `path` (H.264 MP4, source timing and orientation); returns frames written.

    Frames larger than the analysis size are written at that size (as the pose model saw
    them). Raises `OutputError` when the file cannot be written.
    """
    source = open_video(report["input"]["path"])
    scale = source.info.analysis_scale
    trace = body_height_trace_cm(track, analysis) if analysis else np.full(track.n_frames, np.nan)
    flagged = banners(report.get("rules") or [])
    samples = max(2, round(TRACE_S * track.fps))
    with VideoWriter(path, track.fps, timed=True) as writer:
        for i, (t_ms, rgb) in enumerate(source):
            if i >= track.n_frames:
                break
            frame = rgb.copy()
            annotate_frame(frame, i, t_ms, track, analysis, scale, flagged)
            draw_trace(frame, trace[max(0, i - samples + 1) : i + 1], label=TRACE_LABEL)
            writer.write(frame, t_ms)
            if progress is not None:
                progress(i + 1, track.n_frames)
    return writer.frames_written


def annotate_frame(
    frame: np.ndarray,
    i: int,
    t_ms: float,
    track: PoseTrack,
    analysis: Analysis | None,
    scale: float,
    flagged: list[Banner],
) -> None:
    """Draw frame `i` (at `t_ms`) in place: pose, metrics panel, banner of active rules.

    `scale` maps track pixels to the frame's pixels (the analysis size of a large source).
    """
    landmarks = track.landmarks[i].copy()
    landmarks[:, :3] *= scale
    values = {}
    if analysis is not None:
        values = {
            k: float(analysis.metrics[k][i])
            for k in PANEL_METRICS
            if k in analysis.metrics and np.isfinite(analysis.metrics[k][i])
        }
    side = analysis is not None and analysis.frame_view[i] == "side"
    if np.isfinite(landmarks[0, 0]):
        draw_pose(
            frame,
            landmarks,
            facing=analysis.facing if side and analysis else None,
            lean_deg=values.get("torso_lean_deg"),
            head_pitch_deg=values.get("head_pitch_deg"),
        )
    t_s = t_ms / 1000.0
    active = [b for b in flagged if b.start_s <= t_s <= b.end_s]
    draw_hud(frame, values, state=active[0].level if active else "ok")
    if active:  # `flagged` is worst first; every rule broken now is named
        texts = dict.fromkeys(b.text for b in active)
        draw_banner(frame, "  /  ".join(texts), level=active[0].level)
