"""The live session: newest frame -> pose -> feedback -> display, then the session report.

`run_live` opens the source (a bad camera fails before the model is fetched), runs
`SessionLoop` until the runner quits, `--duration` passes or the source ends or fails, and
always analyses and saves what was captured with the same core as `posture check`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from posture.live.cues import DEFAULT_HOLD_S
from posture.live.display import Display, LiveView
from posture.live.feedback import Feedback, LiveFeedback
from posture.live.record import SavedSession, SessionStats, TrackRecorder, save_session
from posture.live.record import session_result as build_result
from posture.live.voice import Speaker
from posture.metrics.live import RECENT_S
from posture.metrics.smoothing import load_scipy
from posture.modelstore import ProgressFn, ensure_model
from posture.pose.estimator import PoseEstimator
from posture.rules import load_rules
from posture.settings import DEFAULT_OUT_DIR, Settings
from posture.source.camera import DEFAULT_STALL_S, Frame, LiveSource, parse_source
from posture.source.video import VideoInfo

#: Frames the recent frame rate is taken over.
_FPS_FRAMES = 30


@dataclass(frozen=True)
class LiveOptions:
    """How a live session runs (see `posture live --help`).

    Attributes:
        source: camera index, video file or stream URL.
        duration_s: stop after this many seconds (None: until quit or the source ends).
        out_dir: where the report, pose track and snapshots go.
        paced: play files at their own frame rate (False: every frame, no pacing).
        hold_s: shortest time a cue is shown.
        stall_s: a camera or stream silent this long is treated as stopped.
    """

    source: str = "0"
    duration_s: float | None = None
    out_dir: Path = DEFAULT_OUT_DIR
    paced: bool = True
    hold_s: float = DEFAULT_HOLD_S
    stall_s: float = DEFAULT_STALL_S

    def __post_init__(self) -> None:
        if self.duration_s is not None and self.duration_s <= 0:
            raise ValueError(f"duration must be > 0 seconds, got {self.duration_s}")


class SessionLoop:
    """Takes the newest frame, measures it, shows the feedback, handles keys. Owns the I/O."""

    def __init__(
        self,
        source: LiveSource,
        estimator: PoseEstimator,
        feedback: LiveFeedback,
        display: Display,
        *,
        options: LiveOptions,
        stem: str,
        speaker: Speaker | None = None,
    ) -> None:
        self.source, self.estimator, self.feedback = source, estimator, feedback
        self.display, self.options, self.stem, self.speaker = display, options, stem, speaker
        scale = source.info.analysis_scale if source.spec.kind == "file" else 1.0
        self.recorder = TrackRecorder(scale)
        self.stats = SessionStats()
        self.paused = False
        self.frame_wh: tuple[int, int] | None = None
        self._trace: deque[float] = deque(maxlen=round(RECENT_S * source.info.fps))
        self._done_s: deque[float] = deque(maxlen=_FPS_FRAMES)
        self._last: LiveView | None = None
        self._quit = False

    def run(self) -> SessionStats:
        start_s = time.perf_counter()
        try:
            while not self._quit:
                if self.options.duration_s and time.perf_counter() - start_s >= (
                    self.options.duration_s
                ):
                    self._finish("duration", f"stopped after {self.options.duration_s:g} s")
                    break
                if not self._step():
                    break
        except KeyboardInterrupt:
            self._finish("stopped", "stopped with Ctrl-C")
        self.stats.wall_s = time.perf_counter() - start_s
        self.stats.frames_seen = self.source.slot.seen
        self.stats.frames_dropped = self.source.slot.dropped
        return self.stats

    def _finish(self, reason: str, message: str) -> None:
        if self.stats.end_reason == "running":
            self.stats.end_reason, self.stats.end_message = reason, message

    def _step(self) -> bool:
        frame = self.source.take(0.02)
        if frame is None:
            if not self.source.running:
                self._finish(self.source.end_reason, self.source.message)
                return False
            self._handle(self.display.idle())
            return True
        if self.paused:
            self.stats.frames_paused += 1
            self._handle(self.display.idle())
            return True
        self._handle(self._process(frame), frame.timestamp_ms)
        return True

    def _process(self, frame: Frame) -> list[str]:
        t0 = time.perf_counter()
        landmarks, world = self.estimator.update(frame.timestamp_ms, frame.rgb)
        self.stats.infer_ms.append((time.perf_counter() - t0) * 1000.0)
        fb = self.feedback.update(frame.timestamp_ms, landmarks, world)
        self.recorder.add(frame.timestamp_ms, landmarks, world, frame.rgb)
        self.frame_wh = (frame.rgb.shape[1], frame.rgb.shape[0])
        self._trace.append(fb.live.body_height_cm)
        self._done_s.append(time.perf_counter())
        view = self._view(frame, landmarks, fb)
        keys = self.display.show(view)
        self.stats.latency_ms.append((time.perf_counter() - frame.captured_s) * 1000.0)
        self.stats.observe(fb.values, fb.levels)
        self.stats.frames_processed += 1
        if self.speaker is not None and fb.cue.changed and fb.cue.text:
            self.speaker.say(fb.cue.text)
        self._last = view
        return keys

    def _view(self, frame: Frame, landmarks: np.ndarray, fb: Feedback) -> LiveView:
        status = ""
        if fb.calibration.phase == "collecting":
            status = f"{fb.calibration.message}: {fb.calibration.remaining_s:.1f} s"
        elif fb.calibration.phase == "failed" and fb.cue.level == "ok":
            status = fb.calibration.message
        done = self._done_s
        fps = (len(done) - 1) / (done[-1] - done[0]) if len(done) > 1 else 0.0
        return LiveView(
            frame.rgb,
            landmarks,
            fb,
            np.asarray(self._trace, np.float64),
            status,
            fps,
            self.source.slot.dropped,
            frame.captured_s,
        )

    def _handle(self, keys: list[str], t_ms: float | None = None) -> None:
        for key in keys:
            if key == "q":
                self._finish("quit", "stopped by the runner (q)")
                self._quit = True
            elif key == "p":
                self.paused = not self.paused
                if self.paused and self._last is not None:
                    # the last frame shown again: no capture to time on screen
                    status = "Paused: press p to resume"
                    self.display.show(replace(self._last, status=status, captured_s=None))
            elif key == "s":
                path = self.options.out_dir / f"{self.stem}-snapshot-{self.stats.snapshots:03d}.png"
                if self.display.snapshot(path) is not None:
                    self.stats.snapshots += 1
            elif key == "c":
                self.feedback.calibrate(t_ms if t_ms is not None else self._last_t_ms())
                self.stats.calibrations += 1

    def _last_t_ms(self) -> float:
        return self._last.feedback.timestamp_ms if self._last is not None else 0.0


def session_info(loop: SessionLoop, stats: SessionStats) -> VideoInfo:
    """The `VideoInfo` the session report describes: the frames as they were processed."""
    info = loop.source.info
    if loop.source.spec.kind == "file":
        # Dropped frames are not decode failures: only an every-frame run keeps the count.
        return info if not loop.options.paced else replace(info, frame_count=0)
    w, h = loop.frame_wh or info.resolution_wh
    fps = stats.frames_seen / stats.wall_s if stats.wall_s > 0 and stats.frames_seen else 0.0
    return replace(info, width=w, height=h, fps=fps if fps >= 1.0 else info.fps)


def session_stem(name: str) -> str:
    return f"{name}-live-{time.strftime('%Y%m%d-%H%M%S')}"


def run_live(
    settings: Settings,
    options: LiveOptions,
    make_display: Callable[[], Display],
    *,
    speaker: Speaker | None = None,
    model_progress: ProgressFn | None = None,
    stem: str | None = None,
) -> SavedSession:
    """Run a live session and save its report (also when the source fails mid-run).

    Raises:
        BadInputError: the camera, stream or file cannot be opened. UsageError: bad rules
        file or no display. ModelUnavailableError: no pose model. OutputError.
    """
    rules = load_rules(settings.analysis.rules_path)
    spec = parse_source(options.source)
    # The analysis's scipy loads while the model and the window do, not in the first frames
    # (2 s of frames were dropped while it loaded).
    preload = threading.Thread(target=load_scipy, daemon=True)
    preload.start()
    source = LiveSource(spec, paced=options.paced, stall_s=options.stall_s)
    model_path = ensure_model(
        settings.pose.model_variant, settings.pose.model_dir, progress=model_progress
    )
    stem = stem or session_stem(spec.name)
    feedback = LiveFeedback(settings, rules, fps_hint=source.info.fps, hold_s=options.hold_s)
    model_name = f"pose_landmarker_{settings.pose.model_variant}"
    try:
        display = make_display()
    except BaseException:
        source.stop()
        raise
    try:
        # Everything is loaded before the source starts: a camera's first frames are not
        # dropped while the analysis imports (the model is loaded before the capture too).
        preload.join()
        with PoseEstimator(model_path, settings.pose, model_name) as est, source:
            loop = SessionLoop(
                source, est, feedback, display, options=options, stem=stem, speaker=speaker
            )
            stats = loop.run()
    finally:
        display.close()
        if speaker is not None:
            speaker.close()
    # A window drawn on its own thread (`BackgroundWindow`) reports what it showed, and when.
    shown = getattr(display, "shown_ms", None)
    if shown is not None:
        stats.shown_ms = list(shown)
        stats.frames_shown = int(getattr(display, "frames_shown", len(shown)))
    result = build_result(
        loop.recorder, session_info(loop, stats), settings, rules, stats, feedback.baselines
    )
    return save_session(result, options.out_dir, stem)
