"""Render grid clips and run the pose model on them, cached by params hash.

The cache holds, per clip key, `<key>.mp4`, `<key>.truth.json` and
`<key>.<model>.pose.npz`; a re-run with the same generator, params and model only loads the
pose track and re-analyses it, so changing the metric code never re-renders or re-tracks.
Workers are fresh interpreters (`spawn`), so no MediaPipe state is shared.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from posture.pipeline import TRACK_SUFFIX, run_pose
from posture.settings import Settings
from posture.synth import SynthParams, render_clip, truth_path_for


@dataclass(frozen=True)
class ClipJob:
    """One clip to prepare.

    Attributes:
        name: readable id for progress lines and tables.
        video: the clip's video; rendered from `params` when missing (None: a given file).
        params: synthesis params, None for an existing clip (e.g. a committed sample).
        track: where its pose track is cached.
    """

    name: str
    video: Path
    params: SynthParams | None
    track: Path

    @property
    def truth(self) -> Path:
        return truth_path_for(self.video)


@dataclass(frozen=True)
class Prepared:
    """A clip whose pose track exists; `seconds` spent making it (0 when cached)."""

    job: ClipJob
    seconds: float
    cached: bool


def default_cache_dir() -> Path:
    """`$POSTURE_CACHE_DIR/validate`, else `$XDG_CACHE_HOME/posture/validate`, else
    `~/.cache/posture/validate`."""
    if env := os.environ.get("POSTURE_CACHE_DIR"):
        return Path(env) / "validate"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "posture" / "validate"


def track_name(key: str, settings: Settings) -> str:
    """Cache file name of a pose track: key, model variant and detector thresholds."""
    p = settings.pose
    tag = f"{p.model_variant}-{p.min_detection_confidence:g}-{p.min_tracking_confidence:g}"
    return f"{key}.{tag}{TRACK_SUFFIX}"


def prepare(job: ClipJob, settings: Settings) -> Prepared:
    """Render the clip (if missing) and run the pose model (if its track is missing)."""
    start = time.perf_counter()
    cached = job.track.is_file()
    if not cached:
        if job.params is not None and not (job.video.is_file() and job.truth.is_file()):
            job.video.parent.mkdir(parents=True, exist_ok=True)
            render_clip(job.params, job.video)
        # One landmarker through each clip, whatever the machine's cores: a cached track must
        # not depend on how many chunks `check` would have split the clip into here.
        track, _ = run_pose(job.video, settings.with_pose(jobs=1))
        job.track.parent.mkdir(parents=True, exist_ok=True)
        track.save(job.track)
    return Prepared(job, time.perf_counter() - start, cached)


def _prepare_in_worker(job: ClipJob, settings: Settings) -> Prepared:
    from posture.validate.run import prepare  # fresh interpreter: import here

    return prepare(job, settings)


def prepare_all(
    jobs: Sequence[ClipJob],
    settings: Settings,
    jobs_n: int = 1,
    on_done: Callable[[Prepared, int, int], None] | None = None,
) -> list[Prepared]:
    """Prepare every job, `jobs_n` at a time; results in the order of `jobs`.

    Args:
        jobs: clips to prepare.
        settings: pose settings used for tracking.
        jobs_n: worker processes (1: in this process).
        on_done: called with (result, done count, total) as each clip finishes.
    """
    todo = [j for j in jobs if not j.track.is_file()]
    done: dict[str, Prepared] = {j.name: Prepared(j, 0.0, True) for j in jobs if j.track.is_file()}
    count = len(done)
    for result in _run(todo, settings, jobs_n):
        done[result.job.name] = result
        count += 1
        if on_done:
            on_done(result, count, len(jobs))
    return [done[j.name] for j in jobs]


def _run(todo: Sequence[ClipJob], settings: Settings, jobs_n: int) -> Iterator[Prepared]:
    if jobs_n <= 1 or len(todo) <= 1:
        for job in todo:
            yield prepare(job, settings)
        return
    with ProcessPoolExecutor(jobs_n, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_prepare_in_worker, job, settings) for job in todo]
        for fut in as_completed(futures):
            yield fut.result()
