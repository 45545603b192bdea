"""The annotated video: the source clip with the skeleton, torso and head angles, the metrics
panel, the bounce trace and a banner while a rule is broken.

The source is decoded again frame by frame (never held in memory) with the same decoder as
the pose stage, so frame `i` of the video is row `i` of the pose track. The same pass hands
back the annotated frames the HTML report shows as key moments, so a `posture check` decodes
the clip at most once more than the pose stage.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posture.io import VideoWriter
from posture.metrics import METRICS
from posture.metrics.analysis import Analysis
from posture.metrics.live import RECENT_S
from posture.metrics.tables import row_of_frame
from posture.overlay import FrameOverlay, draw_overlay
from posture.overlay.panels import Level
from posture.progress import FrameProgress
from posture.result import ClipResult
from posture.rules import RuleResult
from posture.source import open_video


@dataclass(frozen=True)
class Banner:
    """A rule broken over `[start_s, end_s]` (its `metric`), shown as `title value: cue`."""

    start_s: float
    end_s: float
    title: str
    cue: str
    level: Level
    metric: str

    def text(self, values: dict[str, float]) -> str:
        """`Leaning forward 16 deg: Stay upright`, with the metric's value at this frame."""
        value = values.get(self.metric)
        spec = METRICS.get(self.metric)
        shown = f" {spec.format(value)}" if spec is not None and value is not None else ""
        return f"{self.title}{'' if shown.endswith('--') else shown}: {self.cue}"


def banners(rules: tuple[RuleResult, ...]) -> list[Banner]:
    """One banner per episode of every warn/fail rule, fails first."""
    out = [
        Banner(e.start_s, e.end_s, r.title, r.cue, e.level, e.metric)  # type: ignore[arg-type]
        for r in rules
        if r.flagged
        for e in r.episodes
    ]
    return sorted(out, key=lambda b: b.level != "fail")


def judged_frames(analysis: Analysis) -> np.ndarray:
    """`(n,)` bool: the frames a verdict covers, in a stride (the CSV's stride column,
    `row_of_frame`) and judged as running. Elsewhere (before the first stride, after the
    last, walking, nobody seen) the panel says `NOT JUDGED`, never `POSTURE OK`."""
    return (row_of_frame(analysis.strides, analysis.timestamps_ms.size) >= 0) & analysis.running


class OverlayPlan:
    """What every frame of a clip's annotated video shows, prepared once per clip.

    `at(i)` gives frame `i`'s overlay: the report's per-frame values, the rolling bounce
    figure over the last `RECENT_S` (`Analysis.window_summary`, the code of the clip figure)
    and the banner of every rule broken at that moment.

    Args:
        result: the analysed clip.
        scale: maps track pixels to the frame's pixels (the analysis size of a large source).
    """

    def __init__(self, result: ClipResult, scale: float) -> None:
        self.result, self.scale = result, scale
        self.flagged = banners(result.rules)
        a = result.analysis
        self.heights_cm = a.body_height_cm() if a is not None else np.zeros(0)
        self.judged = judged_frames(a) if a is not None else np.zeros(0, bool)

    def at(self, i: int) -> FrameOverlay:
        track, analysis = self.result.track, self.result.analysis
        landmarks = track.landmarks[i].copy()
        landmarks[:, :3] *= self.scale
        if analysis is None:
            return FrameOverlay(landmarks, {}, None, None, "none")
        t_ms = float(track.timestamps_ms[i])
        t0_ms = t_ms - RECENT_S * 1000.0
        active = [b for b in self.flagged if b.start_s <= t_ms / 1000.0 <= b.end_s]
        first = int(np.searchsorted(track.timestamps_ms, t0_ms))
        recent = analysis.window_summary("vertical_bounce_cm", t0_ms, t_ms)
        view = str(analysis.frame_view[i]) or None
        values = {k: float(v[i]) for k, v in analysis.metrics.items()}
        return FrameOverlay(
            landmarks=landmarks,
            values=values,
            view=view,
            facing=analysis.facing if view == "side" else None,
            state=active[0].level if active else "ok" if self.judged[i] else "none",
            banner="  /  ".join(dict.fromkeys(b.text(values) for b in active)) or None,
            flagged=tuple(dict.fromkeys(b.metric for b in active)),
            trace_cm=self.heights_cm[first : i + 1],
            recent_bounce_cm=recent.median if recent.n else None,
        )


def write_annotated_video(
    result: ClipResult,
    path: Path,
    *,
    keep: Collection[int] = (),
    progress: FrameProgress | None = None,
) -> dict[int, np.ndarray]:
    """Write `path` (H.264 MP4, source timing and orientation) and return the annotated
    frames whose index is in `keep` (the HTML report's key moments).

    Frames larger than the analysis size are written at that size (as the pose model saw
    them). Raises `OutputError` when the file cannot be written.
    """
    track = result.track
    source = open_video(result.info.path)
    plan = OverlayPlan(result, source.info.analysis_scale)
    kept: dict[int, np.ndarray] = {}
    with VideoWriter(path, track.fps, timed=True) as writer:
        for i, (t_ms, rgb) in enumerate(source):
            if i >= track.n_frames:
                break
            frame = rgb.copy()
            draw_overlay(frame, plan.at(i))
            writer.write(frame, t_ms)
            if i in keep:
                kept[i] = frame
            if progress is not None:
                progress(i + 1, track.n_frames)
    return kept


def annotated_frames(result: ClipResult, indices: Collection[int]) -> dict[int, np.ndarray]:
    """The annotated frames `indices` without writing a video: each is decoded by seeking."""
    source = open_video(result.info.path)
    plan = OverlayPlan(result, source.info.analysis_scale)
    out = {}
    for i in sorted(indices):
        t_ms = float(result.track.timestamps_ms[i])
        frame = next(iter(source.between(t_ms - 0.5, t_ms + 0.5)), None)
        if frame is not None:
            rgb = frame[1].copy()
            draw_overlay(rgb, plan.at(i))
            out[i] = rgb
    return out
