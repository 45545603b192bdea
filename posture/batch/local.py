"""Local engine: the clips of a batch on the package's worker pool (`posture.workers`), one
clip at a time per worker.

Workers live for many clips, so MediaPipe's native libraries load once per worker (about 1 s,
while the driver is still preparing); the landmarker itself is made afresh for each clip
(about 0.08 s) because it tracks the runner from frame to frame, and a landmarker carried
over would start a clip from the last pose of the previous one. A worker that dies costs only
the clip it held: that clip is recorded as an error (with the signal, e.g. SIGSEGV) and a
fresh worker takes the next clip. Clip results stream back in the order they finish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from posture.batch.inputs import ClipJob
from posture.batch.task import ClipResult, failed, timed_out
from posture.progress import FrameProgress
from posture.settings import Settings
from posture.workers import Done, Lost, TimedOut, WorkerPool

#: Called with (job, frames done, frames expected or 0).
FrameEvent = Callable[[ClipJob, int, int], None]
#: What a batch worker loads before its first clip.
WARM = (
    "posture.batch.task",
    "posture.pose.estimator:load_native",
    "posture.source.video:single_threaded",
    "scipy.signal",
    "scipy.ndimage",
)


@dataclass(frozen=True)
class ClipTask:
    """One clip of the batch, as a worker task."""

    job: ClipJob
    settings: Settings

    def run(self, progress: FrameProgress) -> ClipResult:
        from posture.batch.task import analyse_clip

        return analyse_clip(self.job, self.settings, progress=progress)


class LocalEngine:
    """Runs clips in `workers` local processes.

    Args:
        workers: number of worker processes, >= 1.
        time_limit_s: the longest one clip may take, per job (None: no limit); past it the
            worker is stopped, the clip recorded as timed out and a fresh worker goes on.
    """

    def __init__(
        self, workers: int, time_limit_s: Callable[[ClipJob], float] | None = None
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self.time_limit_s = time_limit_s

    def run(
        self, jobs: Sequence[ClipJob], settings: Settings, on_frames: FrameEvent | None = None
    ) -> Iterator[ClipResult]:
        """Analyse `jobs`; yields each result as its clip finishes."""
        jobs = list(jobs)
        if not jobs:
            return

        def progress(index: int, done: int, expected: int) -> None:
            if on_frames is not None:
                on_frames(jobs[index], done, expected)

        with WorkerPool(min(self.workers, len(jobs)), WARM) as pool:
            tasks = [ClipTask(job, settings) for job in jobs]
            limit = self.time_limit_s
            # read when the clip starts (probing every clip up front would delay the first)
            time_limit = (lambda i: limit(jobs[i])) if limit else None
            for outcome in pool.run(tasks, progress, time_limit):
                job = jobs[outcome.index]
                if isinstance(outcome, Done):
                    yield outcome.result
                elif isinstance(outcome, TimedOut):
                    yield timed_out(job, outcome.limit_s)
                elif isinstance(outcome, Lost):
                    yield failed(job, f"the worker process {outcome.how} while analysing this clip")
                else:  # `analyse_clip` turns every clip problem into a result; this is a bug
                    error = outcome.error
                    yield failed(job, f"internal error ({type(error).__name__}: {error})")
