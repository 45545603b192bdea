"""One clip, several processes: the clip is cut into time chunks, each estimated by its own
landmarker in its own process, and the tracks are joined.

MediaPipe's landmarker is stateful (it tracks the runner from frame to frame), so each chunk
but the first starts `WARMUP_S` early; those warm-up rows only let the tracker lock on and are
dropped, so every frame of the clip appears exactly once, timed by the container. On 2 cores
two chunks run at nearly twice the speed of one landmarker (each keeps ~1 core busy).

Workers are `python -m posture.pose.parallel FD` processes speaking
`multiprocessing.connection` over a socket pair, not `multiprocessing` children: the spawn
start method re-runs the caller's main script, which a library must not impose on its users.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from posture.pose.estimator import FrameProgress, PoseEstimator, estimate_track
from posture.pose.track import PoseTrack
from posture.settings import PoseSettings
from posture.source import VideoInfo, open_video, sample_brightness

#: Chunks shorter than this are not worth a process (model load ~1 s, warm-up 1 s).
MIN_CHUNK_S = 10.0
WARMUP_S = 1.0
_PROGRESS_EVERY = 10


@dataclass(frozen=True)
class Chunk:
    """A time range of the clip: frames with `start_ms <= t < end_ms` are kept."""

    index: int
    start_ms: float
    end_ms: float


def auto_jobs(info: VideoInfo, cores: int | None = None) -> int:
    """How many processes to give one clip: one per `MIN_CHUNK_S` of video, up to the cores.

    Clips whose container timing is unreliable are never split (seeking needs it).
    """
    cores = cores or os.cpu_count() or 1
    if not info.trust_timestamps:
        return 1
    return max(1, min(cores, math.floor(info.duration_s / MIN_CHUNK_S)))


def plan_chunks(duration_s: float, jobs: int) -> list[Chunk]:
    """`jobs` equal time chunks covering the clip; the last one is open-ended."""
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    edges = [duration_s * 1000.0 * k / jobs for k in range(jobs)] + [math.inf]
    edges[0] = -math.inf
    return [Chunk(i, edges[i], edges[i + 1]) for i in range(jobs)]


def _estimate_chunk(
    conn: Connection,
    path: Path,
    model_path: Path,
    settings: PoseSettings,
    model_name: str,
    chunk: Chunk,
) -> tuple[PoseTrack, list[float]]:
    """Worker side: the chunk's track (warm-up rows dropped) and its brightness samples."""
    source = open_video(path)
    frames = source.between(chunk.start_ms - WARMUP_S * 1000.0, chunk.end_ms)
    brightness: list[float] = []

    def report(done: int, _expected: int) -> None:
        if done % _PROGRESS_EVERY == 0:
            conn.send(("frames", chunk.index, done))

    with PoseEstimator(model_path, settings, model_name) as estimator:
        track = estimate_track(
            sample_brightness(frames, brightness),
            estimator,
            resolution_wh=source.info.resolution_wh,
            fps=source.info.fps,
            progress=report,
            frame_scale=source.info.analysis_scale,
        )
    return track.select(track.timestamps_ms >= chunk.start_ms), brightness


@dataclass
class _Worker:
    chunk: Chunk
    process: subprocess.Popen[bytes]
    conn: Connection
    frames_done: int = 0
    result: tuple[PoseTrack, list[float]] | None = None


def _start(task: tuple[Path, Path, PoseSettings, str], chunk: Chunk) -> _Worker:
    ours, theirs = socket.socketpair()
    process = subprocess.Popen(
        [sys.executable, "-m", "posture.pose.parallel", str(theirs.fileno())],
        pass_fds=(theirs.fileno(),),
    )
    theirs.close()
    conn = Connection(ours.detach())
    conn.send((*task, chunk))
    return _Worker(chunk, process, conn)


def estimate_parallel(
    info: VideoInfo,
    model_path: Path,
    settings: PoseSettings,
    model_name: str,
    jobs: int,
    progress: FrameProgress | None = None,
) -> tuple[PoseTrack, list[float]]:
    """Estimate the clip in `jobs` processes; returns the joined track and brightness samples.

    Raises:
        RuntimeError: a worker process died (its exit code is in the message).
    """
    workers = [
        _start((info.path, model_path, settings, model_name), chunk)
        for chunk in plan_chunks(info.duration_s, jobs)
    ]
    try:
        _collect(workers, info.frame_count, progress)
    finally:
        for w in workers:
            w.conn.close()
            if w.process.poll() is None:
                w.process.terminate()
            w.process.wait()
    results = [w.result for w in workers if w.result is not None]
    track = PoseTrack.concat([r[0] for r in results])
    return track, [b for r in results for b in r[1]]


def _collect(workers: list[_Worker], expected: int, progress: FrameProgress | None) -> None:
    by_conn = {id(w.conn): w for w in workers}
    pending: list[Any] = [w.conn for w in workers]
    while pending:
        for conn in wait(pending):
            worker = by_conn[id(conn)]
            try:
                message: tuple[Any, ...] = worker.conn.recv()
            except EOFError:
                code = worker.process.wait()
                raise RuntimeError(
                    f"the pose worker for chunk {worker.chunk.index} stopped (exit code {code})"
                ) from None
            if message[0] == "frames":
                worker.frames_done = message[2]
                if progress is not None:
                    progress(sum(w.frames_done for w in workers), expected)
            elif message[0] == "error":
                raise message[1]
            else:
                worker.result = message[1]
                pending.remove(conn)


def _serve(conn: Connection) -> None:
    """Worker process: estimate the one chunk it is sent, send the result back."""
    path, model_path, settings, model_name, chunk = conn.recv()
    try:
        result = _estimate_chunk(conn, path, model_path, settings, model_name, chunk)
    except Exception as exc:  # handed to the parent, which re-raises it
        conn.send(("error", exc))
        return
    conn.send(("done", result))


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
