"""Video writing: the one module that encodes video (H.264 MP4 through PyAV).

H.264 in yuv420p plays in browsers and on phones (OpenCV's `mp4v` does not). Frames are
streamed to the encoder one at a time, the file is written under a temporary name beside the
destination and renamed only when complete, so an interrupted run leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

# OpenCV before PyAV: PyAV's wheel carries its own libxcb, and loaded first it leaves
# OpenCV's Qt with two of them, so every OpenCV window hangs as it opens (`namedWindow` never
# returns; measured under Xvfb). This module is the only one that imports PyAV.
import cv2  # noqa: F401

# isort: split
import av
import numpy as np

from posture.atomic import atomic_path
from posture.errors import OutputError
from posture.gate.files import decoder_path

#: With per-frame timestamps, presentation times are kept in milliseconds.
_MS = Fraction(1, 1000)


def fps_fraction(fps: float) -> Fraction:
    """`fps` as an exact fraction (29.97 -> 30000/1001)."""
    return Fraction(fps).limit_denominator(1001)


class VideoWriter:
    """Stream RGB frames into an H.264 MP4, atomically.

    Use as a context manager; the file appears at `path` only when the block ends without
    an error. Frames with odd width or height lose their last row/column (yuv420p needs even
    sizes).

    Args:
        path: destination `.mp4`.
        fps: frame rate: exact when frames come without timestamps (frame `i` at `i / fps`),
            nominal when each frame brings its own (variable frame rate sources).
        crf: libx264 constant rate factor (lower is better quality, bigger files).
        timed: frames come with their own `timestamp_ms` (kept to the millisecond).

    Example:
        >>> with VideoWriter(Path("out.mp4"), fps=30.0) as w:  # doctest: +SKIP
        ...     w.write(rgb, timestamp_ms=0.0)
    """

    def __init__(self, path: Path, fps: float, *, crf: float = 23.0, timed: bool = False) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be > 0, got {fps}")
        self.path = Path(path)
        self.frames_written = 0
        self._rate = fps_fraction(fps)
        self._time_base = _MS if timed else 1 / self._rate
        self._crf = crf
        self._atomic: Any = None
        self._container: Any = None
        self._stream: Any = None
        self._last_pts = -1

    def __enter__(self) -> VideoWriter:
        self._atomic = atomic_path(self.path)
        tmp = self._atomic.__enter__()
        try:
            self._container = av.open(decoder_path(tmp), mode="w", format="mp4")
        except (OSError, av.FFmpegError) as exc:
            self._atomic.__exit__(type(exc), exc, exc.__traceback__)
            raise OutputError(f"cannot write {self.path}: {exc}") from exc
        return self

    def write(self, rgb: np.ndarray, timestamp_ms: float | None = None) -> None:
        """Append one `(h, w, 3)` uint8 RGB frame (at `timestamp_ms` when `timed`)."""
        h, w = (rgb.shape[0] // 2) * 2, (rgb.shape[1] // 2) * 2
        if self._stream is None:
            self._open_stream(w, h)
        if self._time_base == _MS and timestamp_ms is not None:
            pts = max(round(timestamp_ms), self._last_pts + 1)  # strictly increasing
        else:
            pts = self._last_pts + 1
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb[:h, :w]), format="rgb24")
        frame.pts, frame.time_base = pts, self._time_base
        self._last_pts = pts
        try:
            self._container.mux(self._stream.encode(frame))
        except (OSError, av.FFmpegError) as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from exc
        self.frames_written += 1

    def _open_stream(self, width: int, height: int) -> None:
        stream = self._container.add_stream("libx264", rate=self._rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        # The same frames must give the same bytes: the accuracy suite's clips are cached
        # and compared with a baseline. One thread, and no macroblock tree: with mbtree on,
        # libx264 in PyAV's wheel gave a different bitstream (pixels off by up to 159) on 2 of
        # 3 encodes of one clip, within one process and across processes; off, 24 of 24 agreed.
        stream.options = {
            "crf": f"{self._crf:g}",
            "preset": "veryfast",
            "threads": "1",
            "x264-params": "mbtree=0",
        }
        stream.codec_context.time_base = self._time_base
        self._stream = stream

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        error = exc if exc is not None else self._finish()
        try:
            self._container.close()
        except (OSError, av.FFmpegError) as err:
            error = error or OutputError(f"cannot write {self.path}: {err}")
        # renames the temp file into place, or deletes it when there was an error
        self._atomic.__exit__(type(error) if error else None, error, None)
        if error is not None and exc is None:
            raise error

    def _finish(self) -> BaseException | None:
        """Flush the encoder; the error that spoils the file, if any."""
        if self._stream is None:
            return OutputError(f"{self.path}: no frames to write")
        try:
            self._container.mux(self._stream.encode(None))
        except (OSError, av.FFmpegError) as err:
            return OutputError(f"cannot write {self.path}: {err}")
        return None


def write_mp4(frames: Iterable[np.ndarray], out_path: Path, fps: float, crf: float = 26.0) -> int:
    """Encode RGB frames at a constant `fps` (frame `i` at `i / fps` s); returns the count.

    Raises:
        OutputError: the folder is not writable, encoding failed, or there were no frames.
    """
    with VideoWriter(out_path, fps, crf=crf) as writer:
        for rgb in frames:
            writer.write(rgb)
    return writer.frames_written


def read_mp4(path: Path) -> list[tuple[float, np.ndarray]]:
    """Decode an MP4 to `(timestamp_ms, (h, w, 3) uint8 RGB)` pairs (for tests and checks)."""
    out = []
    with av.open(decoder_path(path)) as container:
        for frame in container.decode(video=0):
            if frame.pts is None or frame.time_base is None:
                raise OutputError(f"{path}: a frame has no timestamp")
            out.append(
                (float(frame.pts * frame.time_base * 1000), frame.to_ndarray(format="rgb24"))
            )
    return out
