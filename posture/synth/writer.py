"""H.264 MP4 writing with PyAV: exact frame timestamps, atomic replace on success."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from posture.errors import OutputError


def fps_fraction(fps: float) -> Fraction:
    """`fps` as an exact fraction (29.97 -> 30000/1001)."""
    return Fraction(fps).limit_denominator(1001)


def write_mp4(frames: Iterable[np.ndarray], out_path: Path, fps: float, crf: float = 26.0) -> int:
    """Encode RGB frames to an H.264 (libx264, yuv420p) MP4, atomically.

    Frame `i` gets pts `i` in a `1/fps` time base, so its timestamp is exactly `i / fps` s.
    The file is written next to `out_path` under a temporary name and moved into place only
    when encoding finished; on failure nothing is left behind.

    Args:
        frames: `(h, w, 3)` uint8 RGB arrays, all the same even size.
        out_path: destination `.mp4`.
        fps: frame rate.
        crf: libx264 constant rate factor.

    Returns:
        Number of frames written.

    Raises:
        OutputError: the folder is not writable or encoding failed.
    """
    out_path = Path(out_path)
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp.mp4",
                                        dir=out_path.parent)  # fmt: skip
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"cannot write into {out_path.parent}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        n = _encode(frames, tmp, fps_fraction(fps), crf)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a video is meant to be shared
        os.replace(tmp, out_path)
    except (OSError, av.FFmpegError) as exc:
        raise OutputError(f"cannot write {out_path}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return n


def _encode(frames: Iterable[np.ndarray], path: Path, rate: Fraction, crf: float) -> int:
    n = 0
    with av.open(str(path), mode="w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=rate)
        stream.pix_fmt = "yuv420p"
        # one thread and no scene-cut randomness keep the bitstream reproducible
        stream.options = {"crf": f"{crf:g}", "preset": "medium", "threads": "1"}
        stream.codec_context.time_base = 1 / rate
        for frame in frames:
            if n == 0:
                stream.height, stream.width = frame.shape[:2]
            video = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
            video.pts = n
            video.time_base = 1 / rate
            container.mux(stream.encode(video))
            n += 1
        container.mux(stream.encode(None))
    return n


def read_mp4(path: Path) -> list[tuple[float, np.ndarray]]:
    """Decode an MP4 to `(timestamp_ms, (h, w, 3) uint8 RGB)` pairs (for tests and checks)."""
    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if frame.pts is None or frame.time_base is None:
                raise OutputError(f"{path}: a frame has no timestamp")
            t_ms = float(frame.pts * frame.time_base * 1000)
            out.append((t_ms, frame.to_ndarray(format="rgb24")))
    return out
