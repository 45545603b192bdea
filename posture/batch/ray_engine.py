"""Ray engine: the same per-clip task as Ray tasks, on a local instance or a cluster.

Needs the optional extra: `pip install "posture[ray]"`. `ray` is imported only here and only
when this engine is chosen.

Each clip is one task (`num_cpus=1`). Tasks return the clip's files as bytes, so only the
inputs must be readable on every node (shared storage, same path); the driver writes every
output. No more tasks are in flight than the cluster has CPUs, so a task starts when it is
submitted and its time limit counts from then: past it the task is cancelled (its worker
killed) and the clip recorded as timed out. A task whose worker or node dies is retried once
elsewhere (`max_retries=1`: a node lost mid-batch costs no clip; a clip that crashes its
worker twice is recorded as an error for that clip alone). Results are taken as they finish
(`ray.wait`), each with the node that ran it. Per-frame progress is not streamed back from
Ray tasks; the progress bar counts clips.

Tested as a two-node cluster on one machine (`tests/test_ray_cluster.py`, Ray's
`cluster_utils`): clips spread over both nodes, a node removed mid-batch, the driver killed
and re-run.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from types import ModuleType
from typing import Any

from posture.batch.inputs import ClipJob
from posture.batch.local import FrameEvent
from posture.batch.task import ClipResult, analyse_clip, failed, timed_out
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
    import ray

    result = analyse_clip(job, settings)
    return replace(result, node=ray.get_runtime_context().get_node_id())


class RayEngine:
    """Runs clips as Ray tasks.

    Args:
        workers: CPUs of the local instance started when `address` is None.
        address: a running cluster to join (`ray://host:10001`, `host:6379` or `auto`).
        time_limit_s: the longest one clip may take, per job (None: no limit).
    """

    def __init__(
        self,
        workers: int,
        address: str | None = None,
        time_limit_s: Callable[[ClipJob], float] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self.address = address
        self.time_limit_s = time_limit_s

    def run(
        self, jobs: Sequence[ClipJob], settings: Settings, on_frames: FrameEvent | None = None
    ) -> Iterator[ClipResult]:
        """Analyse `jobs` as Ray tasks; yields each result as its clip finishes."""
        ray = import_ray()
        self._connect(ray)
        queue = deque(jobs)
        pending: dict[Any, tuple[ClipJob, float, float]] = {}  # ref -> (job, limit, deadline)
        try:
            task = ray.remote(num_cpus=1, max_retries=1)(_ray_task)
            while queue or pending:
                slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
                while queue and len(pending) < slots:
                    job = queue.popleft()
                    limit = self.time_limit_s(job) if self.time_limit_s else float("inf")
                    pending[task.remote(job, settings)] = (job, limit, time.monotonic() + limit)
                done, _ = ray.wait(list(pending), num_returns=1, timeout=_WAIT_S)
                for ref in done:
                    yield _fetch(ray, ref, pending.pop(ref)[0])
                now = time.monotonic()
                for ref, (job, limit, deadline) in list(pending.items()):
                    if now > deadline:
                        ray.cancel(ref, force=True)
                        del pending[ref]
                        yield timed_out(job, limit)
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
