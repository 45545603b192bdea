"""Live frame source: a camera, a stream URL or a video file played like a camera.

The capture thread always holds only the NEWEST frame (`LatestFrame`): when the consumer is
slower than the source, older frames are replaced and counted as dropped, never queued, so
feedback never lags behind the runner. A file is read through `VideoSource` (the same frames
and timestamps `posture check` sees) and played at its own frame rate; with `paced=False`
every frame is handed over and the reader waits for the consumer instead of dropping.

Cameras and streams are opened with OpenCV here; files go through `posture.source.video`.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from posture.errors import BadInputError
from posture.source.video import MAX_ANALYSIS_SIDE_PX, VideoInfo, VideoSource, probe

SourceKind = Literal["camera", "stream", "file"]
EndReason = Literal["running", "ended", "stopped", "failed"]
_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
#: A camera or stream that sends nothing for this long is treated as gone.
DEFAULT_STALL_S = 3.0
_FALLBACK_FPS = 30.0


@dataclass(frozen=True)
class Frame:
    """One captured frame.

    Attributes:
        index: 0-based count of frames the source produced (dropped ones included).
        timestamp_ms: source time: the container's time for files, time since the first frame
            (monotonic clock) for cameras and streams.
        captured_s: `time.perf_counter()` when capture returned the frame (for latency).
        rgb: `(h, w, 3)` uint8 RGB, upright, downscaled like `VideoSource` when huge.
    """

    index: int
    timestamp_ms: float
    captured_s: float
    rgb: np.ndarray


@dataclass(frozen=True)
class SourceSpec:
    """What `--camera SRC` names: a camera index, a stream URL or a video file."""

    kind: SourceKind
    target: str

    @property
    def label(self) -> str:
        return {"camera": f"camera {self.target}", "stream": self.target}.get(
            self.kind, str(self.target)
        )

    @property
    def name(self) -> str:
        """A short name for output files: `camera0`, `stream`, or the file's stem."""
        if self.kind == "camera":
            return f"camera{self.target}"
        return "stream" if self.kind == "stream" else Path(self.target).stem


def parse_source(src: str) -> SourceSpec:
    """`"0"` -> camera 0, `"rtsp://..."` -> stream, anything else -> a video file."""
    text = src.strip()
    if text.isdigit():
        return SourceSpec("camera", str(int(text)))
    if _URL.match(text):
        return SourceSpec("stream", text)
    return SourceSpec("file", text)


class LatestFrame:
    """A one-frame slot between the capture thread and the consumer: put replaces, take waits.

    With `blocking=True` (`--as-fast-as-possible`) `put` waits until the slot is empty, so no
    frame is ever dropped.
    """

    def __init__(self, *, blocking: bool = False) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._closed = False
        self.blocking = blocking
        self.seen = 0
        self.dropped = 0

    def put(self, frame: Frame, stop: threading.Event | None = None) -> None:
        with self._cond:
            while self.blocking and self._frame is not None and not self._closed:
                if stop is not None and stop.is_set():
                    return
                self._cond.wait(0.05)
            self.seen += 1
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._cond.notify_all()

    def take(self, timeout_s: float) -> Frame | None:
        """The newest frame, waiting up to `timeout_s`; None when none came (or closed)."""
        with self._cond:
            if self._frame is None and not self._closed:
                self._cond.wait(timeout_s)
            frame, self._frame = self._frame, None
            self._cond.notify_all()
            return frame

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed


class LiveSource:
    """A running capture thread feeding a `LatestFrame`.

    Args:
        spec: what to open (see `parse_source`).
        paced: play files at their own frame rate (False: every frame, as fast as consumed).
        stall_s: a camera or stream silent for this long is reported as stopped.

    Raises:
        BadInputError: the camera, stream or file cannot be opened (one-line message).

    Use as a context manager; `take()` returns the newest frame; `end_reason` and `message`
    say why it ended.
    """

    def __init__(self, spec: SourceSpec, *, paced: bool = True, stall_s: float = DEFAULT_STALL_S):
        if stall_s <= 0:
            raise ValueError(f"stall_s must be > 0, got {stall_s}")
        self.spec, self.stall_s = spec, stall_s
        self.slot = LatestFrame(blocking=spec.kind == "file" and not paced)
        self._paced = paced
        self._stop = threading.Event()
        self.end_reason: EndReason = "running"
        self.message = ""
        self._cap: cv2.VideoCapture | None = None
        self._video: VideoSource | None = None
        self._last_frame_s = time.perf_counter()
        if spec.kind == "file":
            self._video = VideoSource(probe(spec.target))
            self.info = self._video.info
        else:
            self._cap, self.info = _open_capture(spec)
        self._thread = threading.Thread(target=self._run, name="posture-capture", daemon=True)

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> LiveSource:
        self._last_frame_s = time.perf_counter()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop capturing (idempotent); a running source ends as `stopped`."""
        self._stop.set()
        self.slot.close()
        if self._thread.ident is not None:  # stopped before it started: nothing to join
            self._thread.join(timeout=2.0)
        if self._cap is not None and not self._thread.is_alive():
            self._cap.release()
        if self.end_reason == "running":
            self.end_reason = "stopped"

    def __enter__(self) -> LiveSource:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- consumer side --------------------------------------------------------------------------
    def take(self, timeout_s: float = 0.05) -> Frame | None:
        """The newest frame, or None. Marks a silent camera/stream as failed after `stall_s`."""
        frame = self.slot.take(timeout_s)
        now = time.perf_counter()
        if frame is not None:
            self._last_frame_s = now
        elif self.spec.kind != "file" and self.end_reason == "running":
            silent = now - self._last_frame_s
            if silent > self.stall_s:
                self._end("failed", f"{self.spec.label} sent no frame for {silent:.1f} s")
        return frame

    @property
    def running(self) -> bool:
        return self.end_reason == "running"

    # -- capture thread -------------------------------------------------------------------------
    def _end(self, reason: EndReason, message: str) -> None:
        if self.end_reason == "running":
            self.end_reason, self.message = reason, message
        self.slot.close()

    def _run(self) -> None:
        index = 0
        try:
            for t_ms, rgb in self._frames():
                self.slot.put(Frame(index, t_ms, time.perf_counter(), rgb), self._stop)
                index += 1
        except (cv2.error, OSError, BadInputError) as exc:  # reported, never silent
            self._end("failed", f"{self.spec.label}: capture failed after {index} frames ({exc})")
            return
        if self._stop.is_set():
            return
        if self.spec.kind == "file":
            expected = self.info.frame_count
            if expected and index < 0.95 * expected - 1:
                self._end(
                    "failed",
                    f"{self.spec.label}: the video ended early after {index} of its "
                    f"{expected} frames (truncated or damaged)",
                )
            self._end("ended", f"{self.spec.label}: end of the video after {index} frames")
        else:
            self._end("failed", f"{self.spec.label} stopped sending frames after {index} frames")

    def _frames(self) -> Iterator[tuple[float, np.ndarray]]:
        if self._video is not None:
            frames = self._video.frames_in_thread(self._stop)
            yield from (_paced(frames, self._stop) if self._paced else frames)
        else:
            assert self._cap is not None
            yield from _camera_frames(self._cap, self._stop)


def _paced(
    frames: Iterator[tuple[float, np.ndarray]], stop: threading.Event
) -> Iterator[tuple[float, np.ndarray]]:
    """Release each frame at its own time, as a camera would (a late reader never waits)."""
    start_s: float | None = None
    first_ms = 0.0
    for t_ms, rgb in frames:
        if start_s is None:
            start_s, first_ms = time.perf_counter(), t_ms
        wait = start_s + (t_ms - first_ms) / 1000.0 - time.perf_counter()
        if wait > 0 and stop.wait(wait):
            return
        yield t_ms, rgb


def _camera_frames(
    cap: cv2.VideoCapture, stop: threading.Event
) -> Iterator[tuple[float, np.ndarray]]:
    start_s: float | None = None
    while not stop.is_set():
        ok, bgr = cap.read()
        if not ok or bgr is None or bgr.ndim != 3:
            return
        now = time.perf_counter()
        start_s = now if start_s is None else start_s
        scale = min(1.0, MAX_ANALYSIS_SIDE_PX / max(bgr.shape[:2]))
        if scale < 1.0:
            bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        yield (now - start_s) * 1000.0, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _open_capture(spec: SourceSpec) -> tuple[cv2.VideoCapture, VideoInfo]:
    if spec.kind == "camera":
        cap = cv2.VideoCapture(int(spec.target))
        hint = "no camera at this index, or it is in use; try another index, a video file or a URL"
    else:
        cap = cv2.VideoCapture(spec.target, cv2.CAP_FFMPEG)
        hint = "check the URL and that the stream is live"
    if not cap.isOpened():
        cap.release()
        raise BadInputError(f"{spec.label}: cannot be opened ({hint})")
    cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)  # keep the driver's queue short: newest frame wins
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    width = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH) or 0)
    height = int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0)
    info = VideoInfo(
        path=Path(spec.label),
        fps=fps if 1.0 <= fps <= 480.0 else _FALLBACK_FPS,
        frame_count=0,
        duration_s=0.0,
        width=max(width, 1),
        height=max(height, 1),
        rotation_deg=0,
        codec="",
    )
    return cap, info


def live_info(info: VideoInfo, *, resolution_wh: tuple[int, int], fps: float) -> VideoInfo:
    """`info` with the size and frame rate actually seen in a live session."""
    w, h = resolution_wh
    return VideoInfo(
        path=info.path,
        fps=fps if fps > 0 else info.fps,
        frame_count=info.frame_count,
        duration_s=info.duration_s,
        width=w,
        height=h,
        rotation_deg=info.rotation_deg,
        codec=info.codec,
        warnings=info.warnings,
        trust_timestamps=info.trust_timestamps,
    )
