"""One clip, several processes: the clip is cut into time chunks, each estimated by its own
landmarker on the package's worker pool (`posture.workers`), and the tracks are joined.

MediaPipe's landmarker is stateful (it tracks the runner from frame to frame), so each chunk
but the first starts `WARMUP_S` early; those warm-up rows only let the tracker lock on and are
dropped, so every frame of the clip appears exactly once, timed by the container. On 2 cores
two landmarkers run at nearly twice the speed of one (each keeps ~1 core busy).

Measured as whole `posture check` processes (benchmarks/throughput.py), splitting pays from
about `2 * MIN_CHUNK_S` of video on 2 cores: the workers are started (and load MediaPipe)
while the driver is still probing the clip, so a split costs about one warm-up per chunk.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from posture.errors import PostureError, WorkerError
from posture.pose.estimator import FrameProgress, PoseEstimator, estimate_track
from posture.pose.track import PoseTrack
from posture.settings import PoseSettings
from posture.source import VideoInfo, open_video, sample_brightness
from posture.workers import Done, Lost, Raised, WorkerPool

#: Shorter chunks are not worth a landmarker of their own (its warm-up, the join). Measured:
#: each chunk boundary is a fresh landmarker that may lock onto another person or label the
#: feet the other way (chunks of 2-8 s flagged a head shake on a two-jogger clip at the
#: boundaries, and changed landing verdicts on the treadmill clip), so clips are split only
#: when long, into as few chunks as there are workers, until chunks are joined by identity.
MIN_CHUNK_S = 10.0
#: Longer clips could get more chunks than workers (a worker slowed by other load gets
#: fewer); off for the reason above.
MAX_CHUNK_S = math.inf
#: Each chunk but the first starts this early; its landmarker locks on in the warm-up.
WARMUP_S = 1.0
#: What a pose worker loads as soon as it starts.
WARM = (
    "posture.pose.parallel",
    "posture.pose.estimator:load_native",
    "posture.source.video:single_threaded",
)


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


def plan_chunks(duration_s: float, jobs: int, max_chunk_s: float = MAX_CHUNK_S) -> list[Chunk]:
    """Equal time chunks covering the clip, a multiple of `jobs` of them, each at most
    `max_chunk_s` long; the first is open at the start and the last at the end."""
    if jobs < 1:
        raise ValueError(f"jobs must be >= 1, got {jobs}")
    n = jobs * max(1, math.ceil(duration_s / (jobs * max_chunk_s)))
    edges = [duration_s * 1000.0 * k / n for k in range(n)] + [math.inf]
    edges[0] = -math.inf
    return [Chunk(i, edges[i], edges[i + 1]) for i in range(n)]


@dataclass(frozen=True)
class PoseChunk:
    """Worker task: one chunk's track (warm-up rows dropped) and its brightness samples."""

    path: Path
    model_path: Path
    settings: PoseSettings
    model_name: str
    chunk: Chunk

    def run(self, progress: FrameProgress) -> tuple[PoseTrack, list[float]]:
        source = open_video(self.path)
        frames = source.between(self.chunk.start_ms - WARMUP_S * 1000.0, self.chunk.end_ms)
        brightness: list[float] = []
        with PoseEstimator(self.model_path, self.settings, self.model_name) as estimator:
            track = estimate_track(
                sample_brightness(frames, brightness),
                estimator,
                resolution_wh=source.info.resolution_wh,
                fps=source.info.fps,
                progress=progress,
                frame_scale=source.info.analysis_scale,
            )
        return track.select(track.timestamps_ms >= self.chunk.start_ms), brightness


def pose_pool(jobs: int) -> WorkerPool:
    """A pool for `estimate_parallel`; start it early so the workers warm up meanwhile."""
    return WorkerPool(jobs, WARM)


def estimate_parallel(
    info: VideoInfo,
    model_path: Path,
    settings: PoseSettings,
    model_name: str,
    jobs: int,
    progress: FrameProgress | None = None,
    *,
    pool: WorkerPool | None = None,
) -> tuple[PoseTrack, list[float]]:
    """Estimate the clip in `jobs` processes; returns the joined track and brightness samples.

    Args:
        pool: a started `pose_pool(jobs)` to use (and leave open); a new one when None.

    Raises:
        WorkerError: a worker process died or failed; PostureError: as the chunk raised it.
    """
    chunks = plan_chunks(info.duration_s, jobs)
    tasks = [PoseChunk(info.path, model_path, settings, model_name, c) for c in chunks]
    done_by_chunk = [0] * len(chunks)
    results: dict[int, tuple[PoseTrack, list[float]]] = {}

    def on_progress(index: int, done: int, _expected: int) -> None:
        done_by_chunk[index] = done
        if progress is not None:
            progress(min(sum(done_by_chunk), info.frame_count), info.frame_count)

    own = pool is None
    pool = pool or pose_pool(jobs)
    try:
        for outcome in pool.run(tasks, on_progress):
            if isinstance(outcome, Done):
                results[outcome.index] = outcome.result
                continue
            chunk = chunks[outcome.index]
            where = f"{info.path}: the pose worker for {_span(chunk)}"
            if not isinstance(outcome, Raised):  # Lost (no time limit is set here)
                how = outcome.how if isinstance(outcome, Lost) else "timed out"
                raise WorkerError(f"{where} {how}; try again with --jobs 1")
            if isinstance(outcome.error, PostureError):
                raise outcome.error
            raise WorkerError(f"{where} failed ({type(outcome.error).__name__}: {outcome.error})")
    finally:
        if own:
            pool.close()
    ordered = [results[i] for i in range(len(chunks))]
    track = PoseTrack.concat([r[0] for r in ordered])
    return track, [b for r in ordered for b in r[1]]


def _span(chunk: Chunk) -> str:
    start = max(chunk.start_ms, 0.0) / 1000.0
    end = "the end" if math.isinf(chunk.end_ms) else f"{chunk.end_ms / 1000.0:.1f} s"
    return f"{start:.1f} s to {end}"
