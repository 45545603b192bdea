"""One clip, several processes: the clip is cut into time chunks, each estimated by its own
landmarker on the package's worker pool (`posture.workers`), and the tracks are joined.

MediaPipe's landmarker is stateful (it tracks the runner from frame to frame), so each chunk
but the first starts `WARMUP_S` early; those warm-up rows only let the tracker lock on and are
dropped, so every frame of the clip appears exactly once, timed by the container. On 2 cores
two landmarkers run at nearly twice the speed of one (each keeps ~1 core busy).

Each chunk's landmarker locks onto whoever it finds first, which on a clip with two runners
can be the other one (`front_park_two_joggers_1`: the second chunk followed the other jogger).
The join checks it: on the warm-up frames both landmarkers saw, the trunk of the runner each
follows must agree (`SAME_RUNNER_MAX_TORSO`); where it does not, that chunk is estimated
again with everything outside the first runner's box blanked during its warm-up, so its
landmarker locks onto that runner and then follows them in the full frames.

Measured as whole `posture check` processes (benchmarks/throughput.py), splitting pays from
about `2 * MIN_CHUNK_S` of video on 2 cores: the workers are started (and load MediaPipe)
while the driver is still probing the clip, so a split costs about one warm-up per chunk.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from posture.errors import PostureError, WorkerError
from posture.pose.estimator import FrameProgress, PoseEstimator, estimate_track
from posture.pose.landmarks import LM
from posture.pose.track import PoseTrack
from posture.settings import PoseSettings
from posture.source import VideoInfo, open_video, sample_brightness
from posture.workers import Done, Lost, Raised, WorkerPool, usable_cores

#: Shorter chunks are not worth a landmarker of their own (its start, warm-up and the join).
#: Measured as whole `posture check --no-video --no-html` processes on 2 cores, one against
#: two (3 pairs, 1280x720 cuts of side_road_elite_tracking_goodform_1): 3 s 3.8-4.1 vs
#: 3.9-4.0 s (even), 5 s 5.4-5.6 vs 4.6-4.7 s, 12 s 9.9-10.9 vs 7.7-8.0 s. So clips of
#: 2 x 2 s and longer are split, into as many chunks as there are workers (each boundary is
#: a fresh landmarker: it may label the feet the other way, and is checked for identity).
MIN_CHUNK_S = 2.0
#: Longer clips could get more chunks than workers (a worker slowed by other load gets
#: fewer); off: every boundary is a fresh landmarker (with chunks of 2-8 s on the 31.7 s
#: treadmill clip the landing verdicts changed, the feet labelled the other way after each).
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
    cores = cores or usable_cores()
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

    #: `(m, 5)` rows of (t_ms, x0, y0, x1, y1), the runner's box in source pixels on the
    #: warm-up frames: everything outside it is blanked there, so the landmarker locks onto
    #: that runner (None: the whole frame, as one process sees it).
    lock_boxes: np.ndarray | None = None

    def run(self, progress: FrameProgress) -> tuple[PoseTrack, list[float]]:
        """The chunk's track, warm-up rows included (the join compares them), and the
        brightness samples of its own frames."""
        source = open_video(self.path)
        brightness: list[float] = []
        frames = sample_brightness(
            source.between(self.chunk.start_ms - WARMUP_S * 1000.0, self.chunk.end_ms),
            brightness,
        )
        lock_on = None
        if self.lock_boxes is not None:
            lock_on = BlankOutside(self.lock_boxes, self.chunk.start_ms,
                                   source.info.analysis_scale)  # fmt: skip
        with PoseEstimator(self.model_path, self.settings, self.model_name) as estimator:
            track = estimate_track(
                frames,
                estimator,
                resolution_wh=source.info.resolution_wh,
                fps=source.info.fps,
                progress=progress,
                frame_scale=source.info.analysis_scale,
                landmarker_frame=lock_on,
            )
        return track, brightness


@dataclass(frozen=True)
class BlankOutside:
    """What a redone chunk's landmarker sees: before `until_ms`, the frame with every pixel
    outside the box of the nearest time in `boxes` (`PoseChunk.lock_boxes`, source pixels;
    frames are `scale` times the source) set to grey, after it the frame itself. The
    geometry is unchanged, so the landmarks need no mapping."""

    boxes: np.ndarray
    until_ms: float
    scale: float

    def __call__(self, t_ms: float, rgb: np.ndarray) -> np.ndarray:
        if t_ms >= self.until_ms or not self.boxes.shape[0]:
            return rgb
        row = self.boxes[int(np.argmin(np.abs(self.boxes[:, 0] - t_ms))), 1:] * self.scale
        h, w = rgb.shape[:2]
        c0, r0 = max(0, int(row[0])), max(0, int(row[1]))
        c1, r1 = min(w, int(np.ceil(row[2]))), min(h, int(np.ceil(row[3])))
        out = np.full_like(rgb, 128)
        if c1 > c0 and r1 > r0:
            out[r0:r1, c0:c1] = rgb[r0:r1, c0:c1]
        return out


#: The trunk points the join compares (shoulders and hips).
_TRUNK = (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, LM.LEFT_HIP, LM.RIGHT_HIP)
#: Two landmarkers on the same warm-up frames follow one runner when their trunk centres are
#: within this many of the earlier chunk's torso lengths (median over the settled half of the
#: warm-up). Measured at the middle of four real clips split in two: the same runner
#: 0.002-0.005 (treadmill_side_lab, rear_park_two_joggers_1, a 12 s cut of
#: side_road_elite_tracking_goodform_1), the other jogger 1.33 (front_park_two_joggers_1;
#: 0.007 once estimated again with the warm-up blanked round the first runner).
SAME_RUNNER_MAX_TORSO = 0.5
#: A box around a runner's landmarks, grown by this share of its size on each side.
BOX_MARGIN = 0.35


def _trunk_centre_and_torso(track: PoseTrack) -> tuple[np.ndarray, np.ndarray]:
    xy = track.xy_px[:, list(_TRUNK)]
    centre = xy.mean(axis=1)
    torso = np.linalg.norm(xy[:, :2].mean(axis=1) - xy[:, 2:].mean(axis=1), axis=1)
    return centre, torso


def join_offset_torso(prev: PoseTrack, nxt: PoseTrack, start_ms: float) -> float:
    """How far the runner `nxt` (a chunk with its warm-up rows) follows at the end of its
    warm-up is from the runner `prev` follows there: the median trunk-centre distance over
    the later half of the warm-up frames both saw someone on, in `prev`'s torso lengths. NaN
    when fewer than 3 such frames (nothing to compare: either saw nobody)."""
    warm = np.flatnonzero(nxt.timestamps_ms < start_ms)
    warm = warm[warm.size // 2 :]
    where = {float(t): i for i, t in enumerate(prev.timestamps_ms)}
    pairs = [(where[float(nxt.timestamps_ms[j])], j) for j in warm
             if float(nxt.timestamps_ms[j]) in where]  # fmt: skip
    if not pairs:
        return math.nan
    i, j = (np.array(x, np.int64) for x in zip(*pairs, strict=True))
    c_prev, torso = _trunk_centre_and_torso(prev)
    c_next, _ = _trunk_centre_and_torso(nxt)
    d = np.linalg.norm(c_prev[i] - c_next[j], axis=1) / torso[i]
    d = d[np.isfinite(d)]
    return float(np.median(d)) if d.size >= 3 else math.nan


def runner_boxes(track: PoseTrack, t_from_ms: float, t_to_ms: float) -> np.ndarray:
    """`(m, 5)` (t_ms, x0, y0, x1, y1): the box round the landmarks of `track` on each of its
    frames in `[t_from_ms, t_to_ms)` that saw someone, grown by `BOX_MARGIN`."""
    t = track.timestamps_ms
    rows = np.flatnonzero((t >= t_from_ms) & (t < t_to_ms) & track.detected)
    xy = track.xy_px[rows]
    lo, hi = np.nanmin(xy, axis=1), np.nanmax(xy, axis=1)
    grow = BOX_MARGIN * (hi - lo)
    return np.column_stack([t[rows], lo - grow, hi + grow]).reshape(-1, 5)


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

    def on_progress(index: int, done: int, _expected: int) -> None:
        done_by_chunk[index] = done
        if progress is not None:
            progress(min(sum(done_by_chunk), info.frame_count), info.frame_count)

    own = pool is None
    pool = pool or pose_pool(jobs)
    try:
        results = _run_chunks(pool, tasks, info, on_progress)
        tracks = [results[0][0]]
        brightness = list(results[0][1])
        for k in range(1, len(chunks)):
            track, samples = results[k]
            start = chunks[k].start_ms
            if join_offset_torso(tracks[-1], track, start) > SAME_RUNNER_MAX_TORSO:
                # This chunk's landmarker locked onto someone else (another runner in the
                # frame): again, with the warm-up showing only the runner followed so far.
                boxes = runner_boxes(tracks[-1], start - WARMUP_S * 1000.0, start)
                redo = replace(tasks[k], lock_boxes=boxes)
                track, samples = _run_chunks(pool, [redo], info, lambda *_: None)[0]
            tracks.append(track.select(track.timestamps_ms >= start))
            brightness += samples
    finally:
        if own:
            pool.close()
    return PoseTrack.concat(tracks), brightness


def _run_chunks(
    pool: WorkerPool, tasks: list[PoseChunk], info: VideoInfo,
    on_progress: Callable[[int, int, int], None],
) -> dict[int, tuple[PoseTrack, list[float]]]:  # fmt: skip
    """Each task's result by its index in `tasks`; raises as `estimate_parallel` says."""
    results: dict[int, tuple[PoseTrack, list[float]]] = {}
    for outcome in pool.run(tasks, on_progress):
        if isinstance(outcome, Done):
            results[outcome.index] = outcome.result
            continue
        chunk = tasks[outcome.index].chunk
        where = f"{info.path}: the pose worker for {_span(chunk)}"
        if not isinstance(outcome, Raised):  # Lost (no time limit is set here)
            how = outcome.how if isinstance(outcome, Lost) else "timed out"
            raise WorkerError(f"{where} {how}; try again with --jobs 1")
        if isinstance(outcome.error, PostureError):
            raise outcome.error
        raise WorkerError(f"{where} failed ({type(outcome.error).__name__}: {outcome.error})")
    return results


def _span(chunk: Chunk) -> str:
    start = max(chunk.start_ms, 0.0) / 1000.0
    end = "the end" if math.isinf(chunk.end_ms) else f"{chunk.end_ms / 1000.0:.1f} s"
    return f"{start:.1f} s to {end}"
