"""Frame source: the one module that owns OpenCV capture.

`open_video(path)` checks the file, reads its container facts into a `VideoInfo`, and returns a
`VideoSource` that yields `(timestamp_ms, rgb)` for every frame, upright (phone rotation
metadata applied) and timed by the container's presentation timestamps, so variable frame rate
clips stay correctly timed. Decoding runs in a background thread one small queue ahead of the
consumer, so decoding overlaps pose inference.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

# FFmpeg inside OpenCV prints demuxer complaints ("moov atom not found") straight to stderr;
# the user gets our one-line error instead. Must be set before the first capture opens.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")

import cv2
import numpy as np

from posture.errors import BadInputError
from posture.gate.files import VIDEO, decoder_path, read_head

# OpenCV reads OPENCV_LOG_LEVEL only when it is first imported, which another module (the
# report's JPEG thumbnails) may have done already: set its own level too.
if os.environ["OPENCV_LOG_LEVEL"] == "OFF":
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)

# Frame rates outside this range are treated as broken metadata, not as facts.
_MIN_PLAUSIBLE_FPS = 1.0
_MAX_PLAUSIBLE_FPS = 480.0
_FALLBACK_FPS = 30.0
_PREFETCH_FRAMES = 8
#: ... but no more decoded frames queued than fit in this many bytes (at least 2): eight
#: 1080p RGB frames are 50 MB of a run's peak memory.
_PREFETCH_BYTES = 16 * 2**20
#: Frames larger than this (longest side) are downscaled before pose estimation: MediaPipe
#: works on 256-pixel crops anyway, and an 8K frame would cost 100 MB per queued frame.
MAX_ANALYSIS_SIDE_PX = 1920
#: Below this (shortest side) no body can be resolved.
MIN_SIDE_PX = 32
#: Threads FFmpeg decodes one clip with (0: its own choice, about one per core);
#: `single_threaded()` sets 1 in a pool worker.
_decode_threads = 0
# Leading bytes of still-image formats FFmpeg would otherwise open as a one-frame "video".
_IMAGE_MAGIC = {
    b"\x89PNG": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF8": "GIF",
    b"BM": "BMP",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}


@dataclass(frozen=True)
class VideoInfo:
    """Container facts of a video, as the runner's frames will be seen (upright).

    Attributes:
        path: the file.
        fps: nominal frame rate (from metadata, or 30 when the metadata is implausible).
        frame_count: frames the container claims; the decoded count may differ.
        duration_s: frame_count / fps.
        width, height: size in pixels of the upright frame.
        rotation_deg: rotation metadata the source applied (0, 90, 180, 270).
        codec: the container's four-character codec code.
        warnings: plain-language notes about the capture (e.g. broken fps metadata).
        trust_timestamps: False when the container's timing is implausible; frames are then
            re-timed at `fps`.
        analysis_scale: frames are resized by this factor (<= 1) before pose estimation.
    """

    path: Path
    fps: float
    frame_count: int
    duration_s: float
    width: int
    height: int
    rotation_deg: int
    codec: str
    warnings: tuple[str, ...] = field(default=())
    trust_timestamps: bool = True

    @property
    def resolution_wh(self) -> tuple[int, int]:
        return (self.width, self.height)

    @property
    def analysis_scale(self) -> float:
        return min(1.0, MAX_ANALYSIS_SIDE_PX / max(self.width, self.height))


def single_threaded() -> None:
    """One thread for OpenCV's own parallel loops and for FFmpeg's decoder in this process.

    For a worker of a pool that already runs one process per core: there, extra threads
    only compete with the other workers (measured on a 720p clip: decoding 1.9 -> 1.75,
    camera motion 1.6 -> 1.4 CPU-ms a frame).
    """
    global _decode_threads
    _decode_threads = 1
    cv2.setNumThreads(1)


def _capture(path: Path) -> cv2.VideoCapture:
    """An FFmpeg capture of `path` (never through `proto:` names)."""
    params = [cv2.CAP_PROP_N_THREADS, _decode_threads] if _decode_threads else []
    return cv2.VideoCapture(decoder_path(path), cv2.CAP_FFMPEG, params)


def _check_file(path: Path) -> None:
    # The input gate refuses FIFOs, devices, sockets and folders before FFmpeg can block on them.
    head = read_head(path, VIDEO, 16)
    for magic, kind in _IMAGE_MAGIC.items():
        if head.startswith(magic):
            raise BadInputError(f"{path}: is a still image ({kind}), not a video; film a clip")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        raise BadInputError(f"{path}: is a still image (WebP), not a video; film a clip")


def _fourcc(cap: cv2.VideoCapture) -> str:
    code = int(cap.get(cv2.CAP_PROP_FOURCC))
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text if text.isprintable() else ""


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Read a video's facts without decoding more than its first frame.

    Raises:
        BadInputError: missing, unreadable, empty, or not a video OpenCV can decode.
    """
    path = Path(path)
    _check_file(path)
    cap = _capture(path)
    try:
        if not cap.isOpened():
            raise BadInputError(
                f"{path}: not a video file this tool can read (no decodable video stream)"
            )
        ok, frame = cap.read()
        if not ok or frame is None or frame.ndim != 3 or frame.size == 0:
            raise BadInputError(f"{path}: the video has no frames that can be decoded")
        fps_meta = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        rotation = round(cap.get(cv2.CAP_PROP_ORIENTATION_META) or 0) % 360
        codec = _fourcc(cap)
    finally:
        cap.release()
    warnings: list[str] = []
    fps = fps_meta
    if not _MIN_PLAUSIBLE_FPS <= fps_meta <= _MAX_PLAUSIBLE_FPS:
        fps = _FALLBACK_FPS
        warnings.append(
            f"the file claims {fps_meta:g} frames/s, which cannot be right; frames were timed "
            f"at {fps:g} frames/s, so times, cadence and speeds may be off"
        )
    height, width = frame.shape[:2]
    if min(height, width) < MIN_SIDE_PX:
        raise BadInputError(
            f"{path}: frames are {width}x{height} pixels, too small to see a runner "
            f"(at least {MIN_SIDE_PX} pixels a side are needed)"
        )
    return VideoInfo(
        path=path,
        fps=fps,
        frame_count=max(count, 0),
        duration_s=max(count, 0) / fps,
        width=int(width),
        height=int(height),
        rotation_deg=rotation,
        codec=codec,
        warnings=tuple(warnings),
        trust_timestamps=not warnings,
    )


class VideoSource:
    """Iterate `(timestamp_ms, rgb)` over a video's frames, upright and in order.

    `rgb` is `(height, width, 3)` uint8 RGB, resized by `info.analysis_scale` when the source
    is larger than `MAX_ANALYSIS_SIDE_PX` (resizing happens in the decoding thread, so a huge
    frame is never queued). Timestamps come from the container; when a
    container gives none or repeats one (seen in AVI files), the previous timestamp plus one
    nominal frame interval is used, so timestamps always increase strictly.

    Example:
        >>> src = open_video("clip.mp4")  # doctest: +SKIP
        >>> for t_ms, rgb in src: ...  # doctest: +SKIP
    """

    def __init__(
        self,
        info: VideoInfo,
        *,
        prefetch: int = _PREFETCH_FRAMES,
        range_ms: tuple[float, float] | None = None,
    ) -> None:
        if prefetch < 1:
            raise ValueError(f"prefetch must be >= 1, got {prefetch}")
        if range_ms is not None and not range_ms[0] < range_ms[1]:
            raise ValueError(f"range_ms must be (start, end) with start < end, got {range_ms}")
        self.info = info
        frame_bytes = 3 * info.width * info.height * min(1.0, info.analysis_scale) ** 2
        #: How many decoded frames may wait ahead of the consumer (`_PREFETCH_BYTES`).
        self.prefetch_frames = min(prefetch, max(2, int(_PREFETCH_BYTES // max(frame_bytes, 1))))
        self._range_ms = range_ms

    def between(self, start_ms: float, end_ms: float) -> VideoSource:
        """The frames with `start_ms <= timestamp < end_ms` only (the decoder seeks there)."""
        return VideoSource(self.info, prefetch=self.prefetch_frames, range_ms=(start_ms, end_ms))

    def __iter__(self) -> Iterator[tuple[float, np.ndarray]]:
        """Decode in a background thread (OpenCV releases the GIL while decoding)."""
        frames: queue.Queue[tuple[float, np.ndarray] | BaseException | None] = queue.Queue(
            self.prefetch_frames
        )
        stop = threading.Event()
        worker = threading.Thread(target=self._decode, args=(frames, stop), daemon=True)
        worker.start()
        try:
            while True:
                item = frames.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while worker.is_alive():  # unblock a producer waiting on a full queue
                try:
                    frames.get_nowait()
                except queue.Empty:
                    worker.join(timeout=0.05)

    def _decode(
        self,
        out: queue.Queue[tuple[float, np.ndarray] | BaseException | None],
        stop: threading.Event,
    ) -> None:
        try:
            for item in self.frames_in_thread(stop):
                out.put(item)
            out.put(None)
        except Exception as exc:  # handed to the consumer, which re-raises it
            out.put(exc)

    def frames_in_thread(
        self, stop: threading.Event | None = None
    ) -> Iterator[tuple[float, np.ndarray]]:
        """Decode synchronously in the calling thread (the background thread uses this)."""
        cap = _capture(self.info.path)
        step_ms = 1000.0 / self.info.fps
        scale = self.info.analysis_scale
        start_ms, end_ms = self._range_ms or (-np.inf, np.inf)
        pending: tuple[bool, np.ndarray | None] | None = None
        if start_ms > 0:
            # Seeking lands near, not exactly on, the time: aim a little early, skip forward.
            cap.set(cv2.CAP_PROP_POS_MSEC, max(0.0, start_ms - 4 * step_ms))
            pending = cap.read()
            landed_ms = float(cap.get(cv2.CAP_PROP_POS_MSEC))
            if not pending[0] or not (landed_ms <= start_ms or not self.info.trust_timestamps):
                # Some files do not seek (no index, or it lands past the time): decode from
                # the start and skip, rather than lose the frames.
                cap.release()
                cap = _capture(self.info.path)
                pending = None
        last_ms = -np.inf
        try:
            while stop is None or not stop.is_set():
                ok, bgr = pending if pending is not None else cap.read()
                pending = None
                if not ok or bgr is None:
                    return
                t_ms = (
                    float(cap.get(cv2.CAP_PROP_POS_MSEC)) if self.info.trust_timestamps else np.nan
                )
                if not np.isfinite(t_ms) or t_ms <= last_ms:
                    t_ms = (last_ms + step_ms) if np.isfinite(last_ms) else 0.0
                last_ms = t_ms
                if t_ms < start_ms:
                    continue
                if t_ms >= end_ms:
                    return
                if scale < 1.0:
                    bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
                yield t_ms, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        finally:
            cap.release()


def sample_brightness(
    frames: Iterable[tuple[float, np.ndarray]], out: list[float], every: int = 15
) -> Iterator[tuple[float, np.ndarray]]:
    """Pass frames through, appending the mean brightness (0-255) of every `every`-th to `out`.

    Capture quality (a very dark clip) is judged from these samples.
    """
    for i, (t_ms, rgb) in enumerate(frames):
        if i % every == 0:
            out.append(float(rgb[::8, ::8].mean()))
        yield t_ms, rgb


def open_video(path: str | os.PathLike[str], *, prefetch: int = _PREFETCH_FRAMES) -> VideoSource:
    """Check `path` and return a `VideoSource` for it (see `probe` for the errors raised)."""
    return VideoSource(probe(path), prefetch=prefetch)
