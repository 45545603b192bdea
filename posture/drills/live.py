"""The live drill session: newest frame -> pose -> `DrillCoach` -> a window or a terminal
panel (and the voice), then the whole session analysed like a recording and saved.

The frame source, the pose estimator, the track recorder and the speaker are those of
`posture live`; only the coaching stage and the screen differ.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.text import Text

from posture.drills.coach import Coaching, DrillCoach
from posture.drills.model import DrillSettings, Exercise
from posture.live.record import TrackRecorder, percentile_ms
from posture.live.voice import Speaker
from posture.modelstore import ensure_model
from posture.pose.estimator import PoseEstimator
from posture.pose.track import PoseTrack
from posture.settings import PoseSettings
from posture.source.camera import LiveSource, parse_source

_STYLE = {"ok": "green", "warn": "yellow", "fail": "red"}


class DrillDisplay(Protocol):
    def show(self, rgb: np.ndarray, landmarks: np.ndarray, coaching: Coaching) -> list[str]: ...

    def close(self) -> None: ...


class TerminalDrillDisplay:
    """A rich live panel: the count in large type, the one cue, the angle."""

    def __init__(self, exercise: Exercise, console: Console | None = None) -> None:
        self.exercise = exercise
        self.console = console or Console(stderr=True)
        self._live = Live(Text("posture drill: starting..."), console=self.console,
                          refresh_per_second=8)  # fmt: skip
        self._live.start()
        self._last: tuple[str, str | None, int] | None = None

    def show(self, rgb: np.ndarray, landmarks: np.ndarray, coaching: Coaching) -> list[str]:
        angle = round(coaching.angle_deg) if np.isfinite(coaching.angle_deg) else -999
        key = (coaching.count, coaching.cue, angle)
        if key != self._last:
            self._live.update(render_panel(self.exercise, coaching))
            self._last = key
        return []

    def close(self) -> None:
        self._live.stop()


def render_panel(exercise: Exercise, c: Coaching) -> Panel:
    angle = f"{c.angle_deg:.0f} deg" if np.isfinite(c.angle_deg) else "angle not measured"
    body = Group(
        Text(c.count, style="bold", justify="center"),
        Text(c.cue or " ", style=f"bold {_STYLE.get(c.level, 'green')}", justify="center"),
        Text(f"{angle}  ({c.phase})", style="dim", justify="center"),
    )
    return Panel(body, title=f"posture drill: {exercise.name}", border_style=_STYLE[c.level])


class WindowDrillDisplay:
    """The `posture live` window showing the skeleton, the count and the cue."""

    def __init__(self) -> None:
        from posture.live.window import WindowDisplay

        self._window = WindowDisplay("posture drill")

    def show(self, rgb: np.ndarray, landmarks: np.ndarray, coaching: Coaching) -> list[str]:
        import cv2

        from posture.overlay.panels import draw_banner
        from posture.overlay.pose import draw_pose
        from posture.overlay.style import WHITE, TextStyle, put_text, ui_scale

        out = rgb.copy()
        if np.isfinite(landmarks[:, 0]).any():
            draw_pose(out, landmarks, facing=None, values={})
        style = TextStyle.at(ui_scale(out), 1.1)
        put_text(out, coaching.count, (12, 12 + style.size_px("Hg")[1]), style, WHITE)
        if coaching.cue:
            draw_banner(out, coaching.cue, level="fail" if coaching.level == "fail" else "warn")
        self._window.last_rgb = out
        cv2.imshow(self._window.title, cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
        return self._window.idle(wait_ms=1)

    def close(self) -> None:
        self._window.close()


@dataclass
class DrillSessionStats:
    frames_processed: int = 0
    latency_ms: list[float] = field(default_factory=list)
    cues: list[tuple[float, str]] = field(default_factory=list)
    end: str = "source ended"

    def section(self) -> dict[str, Any]:
        return {
            "frames_processed": self.frames_processed,
            "capture_to_cue_ms": {
                "p50": percentile_ms(self.latency_ms, 50),
                "p95": percentile_ms(self.latency_ms, 95),
            },
            "cues": [{"t_s": round(t, 2), "cue": c} for t, c in self.cues],
            "end": self.end,
        }


@dataclass(frozen=True)
class DrillSession:
    recorder: TrackRecorder
    resolution_wh: tuple[int, int]
    fps: float
    model: str
    stats: DrillSessionStats


def run_drill_session(
    exercise: Exercise, settings: DrillSettings, *, source: str, pose: PoseSettings,
    make_display: Callable[[], DrillDisplay], speaker: Speaker | None = None,
    duration_s: float | None = None, paced: bool = True,
) -> DrillSession:  # fmt: skip
    """Coach one live session until the source ends, `duration_s` passes, q or Ctrl-C.

    Raises:
        BadInputError: the source cannot be opened. ModelUnavailableError. UsageError: no
        display for a window.
    """
    live = LiveSource(parse_source(source), paced=paced)
    model_path = ensure_model(pose.model_variant, pose.model_dir)
    model = f"pose_landmarker_{pose.model_variant}"
    coach = DrillCoach(exercise, settings)
    scale = live.info.analysis_scale if live.spec.kind == "file" else 1.0
    recorder, stats = TrackRecorder(scale), DrillSessionStats()
    display = make_display()
    start = time.perf_counter()
    try:
        with PoseEstimator(model_path, pose, model) as est, live:
            while True:
                if duration_s and time.perf_counter() - start >= duration_s:
                    stats.end = f"stopped after {duration_s:g} s"
                    break
                frame = live.take(0.02)
                if frame is None:
                    if not live.running:
                        stats.end = live.message or "source ended"
                        break
                    continue
                landmarks, world = est.update(frame.timestamp_ms, frame.rgb)
                coaching = coach.update(frame.timestamp_ms / 1000.0, landmarks)
                keys = display.show(frame.rgb, landmarks, coaching)
                stats.latency_ms.append((time.perf_counter() - frame.captured_s) * 1000.0)
                recorder.add(frame.timestamp_ms, landmarks, world, frame.rgb)
                stats.frames_processed += 1
                if coaching.changed and coaching.cue:
                    stats.cues.append((frame.timestamp_ms / 1000.0, coaching.cue))
                    if speaker is not None:
                        speaker.say(coaching.cue)
                if "q" in keys:
                    stats.end = "stopped (q)"
                    break
    except KeyboardInterrupt:
        stats.end = "stopped with Ctrl-C"
    finally:
        display.close()
        if speaker is not None:
            speaker.close()
    return DrillSession(recorder, live.info.resolution_wh, live.info.fps, model, stats)


def session_track(session: DrillSession) -> PoseTrack:
    """The session's pose track (as `posture live` records it)."""
    return session.recorder.track(resolution_wh=session.resolution_wh, fps=session.fps,
                                  model=session.model)  # fmt: skip


def session_stem(name: str, exercise: Exercise) -> str:
    return f"{name}-{exercise.id}-live-{time.strftime('%Y%m%d-%H%M%S')}"
