"""What a live session keeps: the pose rows it processed and its counters and latencies.

The end-of-session report is built by the same core as `posture check`: the rows become a
`PoseTrack` that goes through `analyse_track`, and a `live` section is added.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from posture.live.calibration import Baselines
from posture.metrics import default_config
from posture.pipeline import ClipResult, Outputs, analyse_track, write_outputs
from posture.pose.track import PoseTrack
from posture.rules import RuleSet
from posture.rules.model import STATUS_ORDER
from posture.settings import OutputSettings, Settings
from posture.source import VideoInfo


class TrackRecorder:
    """Collects `(timestamp_ms, (33, 5), (33, 3))` rows of processed frames into a track.

    Args:
        frame_scale: the frames were resized by this factor before pose estimation; landmarks
            are mapped back to pixels of the source frame (as `estimate_track` does).
    """

    def __init__(self, frame_scale: float = 1.0) -> None:
        self.frame_scale = frame_scale
        self._t: list[float] = []
        self._lm: list[np.ndarray] = []
        self._world: list[np.ndarray] = []
        self._brightness: list[float] = []

    def add(self, t_ms: float, landmarks: np.ndarray, world: np.ndarray, rgb: np.ndarray) -> None:
        if len(self._t) % 15 == 0:  # as `run_pose` samples it, for the dark-video warning
            self._brightness.append(float(rgb[::8, ::8].mean()))
        self._t.append(t_ms)
        self._lm.append(landmarks)
        self._world.append(world)

    def __len__(self) -> int:
        return len(self._t)

    def track(self, *, resolution_wh: tuple[int, int], fps: float, model: str) -> PoseTrack:
        if not self._t:
            return PoseTrack.empty(resolution_wh=resolution_wh, fps=fps, model=model)
        landmarks = np.stack(self._lm).astype(np.float32)
        if self.frame_scale != 1.0:
            landmarks[..., :3] /= self.frame_scale
        track = PoseTrack(
            timestamps_ms=np.asarray(self._t, np.float64),
            landmarks=landmarks,
            world_landmarks_m=np.stack(self._world).astype(np.float32),
            resolution_wh=resolution_wh,
            fps=fps,
            model=model,
        )
        track.meta["brightness_mean"] = round(float(np.mean(self._brightness)), 1)
        return track


def percentile_ms(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


@dataclass
class SessionStats:
    """Counters and latencies of one session (mutable: the loop owns it).

    Capture-to-cue latency runs from the moment OpenCV returned the frame to the moment the
    cue was handed to the display (pose, metrics, rules, drawing and showing included).
    """

    frames_seen: int = 0
    frames_processed: int = 0
    frames_dropped: int = 0
    frames_paused: int = 0
    wall_s: float = 0.0
    end_reason: str = "running"
    end_message: str = ""
    snapshots: int = 0
    calibrations: int = 0

    def __post_init__(self) -> None:
        self.latency_ms: list[float] = []
        self.infer_ms: list[float] = []
        #: capture-to-shown times and frames drawn, from a front end drawing on its own
        #: thread (None: the display drew each frame in line, `latency_ms` includes it).
        self.shown_ms: list[float] | None = None
        self.frames_shown: int | None = None
        self.shown: dict[str, list[float]] = {}
        self.cued: dict[str, str] = {}

    def observe(self, values: Mapping[str, float], levels: Mapping[str, str]) -> None:
        """Keep what the runner was shown: each metric's live value and each rule's worst
        live level (for the report's `live` section, beside the session's analysis)."""
        for key, value in values.items():
            self.shown.setdefault(key, []).append(value)
        for rule_id, level in levels.items():
            if STATUS_ORDER.get(level, -1) > STATUS_ORDER.get(self.cued.get(rule_id, ""), -1):
                self.cued[rule_id] = level

    def shown_medians(self) -> dict[str, float | None]:
        """Metric id -> median of the live values shown (None when never measured)."""
        out: dict[str, float | None] = {}
        for key, values in self.shown.items():
            v = np.asarray(values, np.float64)
            v = v[np.isfinite(v)]
            out[key] = round(float(np.median(v)), 3) if v.size else None
        return out

    def section(self, baselines: dict[str, Any] | None) -> dict[str, Any]:
        """The report's `live` section."""
        wall = max(self.wall_s, 1e-9)
        return {
            "frames_seen": self.frames_seen,
            "frames_processed": self.frames_processed,
            "frames_dropped": self.frames_dropped,
            "frames_paused": self.frames_paused,
            "processed_fps": round(self.frames_processed / wall, 2),
            "wall_s": round(self.wall_s, 2),
            "latency_ms": {
                "capture_to_cue_p50": percentile_ms(self.latency_ms, 50),
                "capture_to_cue_p95": percentile_ms(self.latency_ms, 95),
                "pose_p50": percentile_ms(self.infer_ms, 50),
                "pose_p95": percentile_ms(self.infer_ms, 95),
                **(
                    {
                        "capture_to_shown_p50": percentile_ms(self.shown_ms, 50),
                        "capture_to_shown_p95": percentile_ms(self.shown_ms, 95),
                    }
                    if self.shown_ms is not None
                    else {}
                ),
            },
            **({"frames_shown": self.frames_shown} if self.frames_shown is not None else {}),
            "end": {"reason": self.end_reason, "message": self.end_message},
            "calibration": baselines,
            "shown_medians": self.shown_medians(),
            "live_levels": dict(self.cued),
            "snapshots": self.snapshots,
        }


def session_result(
    recorder: TrackRecorder,
    info: VideoInfo,
    settings: Settings,
    rules: RuleSet,
    stats: SessionStats,
    baselines: Baselines | None = None,
) -> ClipResult:
    """The whole session analysed like a `posture check` clip, plus the `live` section.

    When the runner calibrated, the head and shoulder metrics are measured from their own
    stand-tall baselines, as the live cues were.
    """
    model = f"pose_landmarker_{settings.pose.model_variant}"
    track = recorder.track(resolution_wh=info.resolution_wh, fps=info.fps, model=model)
    config = baselines.metric_config(default_config()) if baselines else None
    result = analyse_track(track, info, settings, rules, config=config)
    report = result.report
    warnings = list(report.capture.get("warnings", []))
    if stats.end_reason == "failed":
        warnings.append(f"{stats.end_message}; the session up to then was analysed")
    report = replace(
        report,
        capture={**report.capture, "warnings": warnings},
        sections={
            **report.sections,
            "live": stats.section(baselines.to_dict() if baselines else None),
        },
    )
    return replace(result, report=report)


@dataclass(frozen=True)
class SavedSession:
    """Where a session's report went, and the result behind it."""

    result: ClipResult
    outputs: Outputs


def save_session(result: ClipResult, out_dir: Path, stem: str) -> SavedSession:
    """Write the session like `posture check` writes a clip (`write_outputs`)."""
    outputs = OutputSettings(video=False)  # the live screen was the annotated video
    return SavedSession(result, write_outputs(result, out_dir, stem=stem, outputs=outputs))
