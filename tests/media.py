"""Test helpers that make small video files with known content."""

from __future__ import annotations

import fractions
import struct
from collections.abc import Sequence
from pathlib import Path

import av
import numpy as np


def marker_frame(width: int = 64, height: int = 48) -> np.ndarray:
    """`(height, width, 3)` RGB frame, black with a white block in the top-left corner."""
    img = np.zeros((height, width, 3), np.uint8)
    img[: height // 2, : width // 4] = 255
    return img


def write_clip(
    path: Path,
    frames: Sequence[np.ndarray],
    *,
    fps: float = 30.0,
    pts_ms: Sequence[int] | None = None,
    index_first: bool = False,
) -> Path:
    """Write RGB `frames` as H.264 MP4; `pts_ms` gives each frame's time (variable rate);
    `index_first` puts the index (moov) before the data, as streaming-ready files have it."""
    height, width = frames[0].shape[:2]
    options = {"movflags": "faststart"} if index_first else {}
    with av.open(str(path), "w", options=options) as container:
        stream = container.add_stream("libx264", rate=round(fps))
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = fractions.Fraction(1, 1000)
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = int(pts_ms[i]) if pts_ms is not None else round(i * 1000 / fps)
            frame.time_base = fractions.Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


_ONE = 0x10000  # 1.0 in the 16.16 fixed point of an MP4 track matrix
_W = 0x40000000  # 1.0 in 2.30 fixed point
ROTATION_MATRICES = {
    0: (_ONE, 0, 0, 0, _ONE, 0, 0, 0, _W),
    90: (0, _ONE, 0, -_ONE, 0, 0, 0, 0, _W),
    180: (-_ONE, 0, 0, 0, -_ONE, 0, 0, 0, _W),
    270: (0, -_ONE, 0, _ONE, 0, 0, 0, 0, _W),
}


def set_mp4_rotation(src: Path, dst: Path, rotation_deg: int) -> Path:
    """Copy an MP4, setting its video track's display matrix as a phone does when rotated."""
    data = bytearray(src.read_bytes())
    at = data.find(b"tkhd")
    version = data[at + 4]
    # size/type precede `at`; then version+flags, times, track id, duration, reserved, layer...
    times = 8 + 8 + 4 + 4 + 8 if version == 1 else 4 + 4 + 4 + 4 + 4
    offset = at + 4 + 4 + times + 8 + 8
    data[offset : offset + 36] = struct.pack(">9i", *ROTATION_MATRICES[rotation_deg])
    dst.write_bytes(bytes(data))
    return dst


def first_frames(src: Path, dst: Path, n_frames: int) -> Path:
    """The first `n_frames` of a clip, re-encoded at its frame rate with the index first (so a
    prefix of the file still decodes): a short stand-in for a long real clip."""
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 30)
        frames = []
        for frame in container.decode(stream):
            frames.append(frame.to_ndarray(format="rgb24"))
            if len(frames) >= n_frames:
                break
    return write_clip(dst, frames, fps=fps, index_first=True)
