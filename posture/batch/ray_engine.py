"""Ray engine: the same per-clip task as Ray tasks, on a local instance or a cluster.

Needs the optional extra: `pip install "posture[ray]"`. `ray` is imported only here and only
when this engine is chosen.

Each clip is one task (`num_cpus=1`, no retries: a clip that crashes its worker would crash
the next one too). Tasks return the clip's files as bytes, so only the inputs must be
readable on every node (shared storage, same path); the driver writes every output. A task
whose worker process dies (a native crash) surfaces as a Ray error for that clip alone.
Results are taken as they finish (`ray.wait`). Per-frame progress is not streamed back from
Ray tasks; the progress bar counts clips.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from types import ModuleType
from typing import Any

from posture.batch.inputs import ClipJob
from posture.batch.local import FrameEvent
from posture.batch.task import ClipResult, analyse_clip, failed
from posture.errors import UsageError
from posture.settings import Settings

_WAIT_S = 0.5


def import_ray() -> ModuleType:
    """The `ray` module, or a UsageError saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise UsageError(
            '--engine ray needs Ray: pip install "posture[ray]" (or "ray[default]>=2.9")'
        ) from exc
    return ray


def _ray_task(job: ClipJob, settings: Settings) -> ClipResult:
    return analyse_clip(job, settings)


class RayEngine:
    """Runs clips as Ray tasks.

    Args:
        workers: CPUs of the local instance started when `address` is None.
        address: a running cluster to join (`ray://host:10001`, `host:6379` or `auto`).
    """

    def __init__(self, workers: int, address: str | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self.address = address

    def run(
        self, jobs: Sequence[ClipJob], settings: Settings, on_frames: FrameEvent | None = None
    ) -> Iterator[ClipResult]:
        """Analyse `jobs` as Ray tasks; yields each result as its clip finishes."""
        ray = import_ray()
        self._connect(ray)
        pending: dict[Any, ClipJob] = {}
        try:
            task = ray.remote(num_cpus=1, max_retries=0)(_ray_task)
            pending = {task.remote(job, settings): job for job in jobs}
            while pending:
                done, _ = ray.wait(list(pending), num_returns=len(pending), timeout=_WAIT_S)
                for ref in done:
                    yield _fetch(ray, ref, pending.pop(ref))
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
            ray.shutdown()

    def _connect(self, ray: ModuleType) -> None:
        quiet = {"log_to_driver": False, "logging_level": logging.WARNING}
        if self.address:
            ray.init(address=self.address, **quiet)
            return
        # Ray's token authentication stays as configured (on by default in Ray 2.5x+; it
        # prints a notice, which RAY_AUTH_MODE=disabled silences, at the user's choice).
        ray.init(num_cpus=self.workers, include_dashboard=False, **quiet)


def _fetch(ray: ModuleType, ref: Any, job: ClipJob) -> ClipResult:
    try:
        result = ray.get(ref)
    except ray.exceptions.RayError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return failed(job, f"the Ray task failed ({type(exc).__name__}: {first_line})")
    if not isinstance(result, ClipResult):
        return failed(job, f"the Ray task returned {type(result).__name__}, not a ClipResult")
    return result
