"""The worker pool (`posture.workers`) with tasks that hang, stop themselves or write temp
files: a task past its time limit is stopped and reported, the next task runs on a fresh
worker, and no worker's temp folder outlives it."""

from __future__ import annotations

import os
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from posture.workers import Done, TimedOut, WorkerPool, usable_cores


@dataclass(frozen=True)
class Sleep:
    seconds: float

    def run(self, progress: object) -> str:
        time.sleep(self.seconds)
        return "slept"


@dataclass(frozen=True)
class StopSelf:
    """A worker that stops (as `kill -STOP` on it would) while holding its task."""

    def run(self, progress: object) -> str:
        os.kill(os.getpid(), signal.SIGSTOP)
        return "resumed"


@dataclass(frozen=True)
class TempFile:
    """Writes a temp file and reports where; then sleeps past its limit."""

    report: str

    def run(self, progress: object) -> str:
        fd, path = tempfile.mkstemp(prefix="left-behind-")
        os.close(fd)
        Path(self.report).write_text(path)
        time.sleep(60)
        return path


def test_a_task_past_its_limit_is_stopped_and_the_next_one_runs() -> None:
    start = time.monotonic()
    with WorkerPool(1) as pool:
        tasks = [Sleep(60), Sleep(0)]
        outcomes = list(pool.run(tasks, time_limit_s=lambda i: 1.0))
    assert time.monotonic() - start < 30
    by_index = {o.index: o for o in outcomes}
    assert isinstance(by_index[0], TimedOut) and by_index[0].limit_s == 1.0
    assert isinstance(by_index[1], Done) and by_index[1].result == "slept"


def test_a_stopped_worker_does_not_hang_the_pool() -> None:
    start = time.monotonic()
    with WorkerPool(2) as pool:
        outcomes = list(pool.run([StopSelf(), Sleep(0)], time_limit_s=lambda i: 2.0))
    assert time.monotonic() - start < 30
    kinds = {o.index: type(o) for o in outcomes}
    assert kinds == {0: TimedOut, 1: Done}


def test_a_stopped_worker_leaves_no_temp_files(tmp_path: Path) -> None:
    report = tmp_path / "where.txt"
    with WorkerPool(1) as pool:
        outcomes = list(pool.run([TempFile(str(report))], time_limit_s=lambda i: 3.0))
    assert isinstance(outcomes[0], TimedOut)
    written = Path(report.read_text())
    assert not written.exists() and not written.parent.exists()  # its TMPDIR went with it


def test_no_limit_means_tasks_run_to_the_end() -> None:
    with WorkerPool(1) as pool:
        outcomes = list(pool.run([Sleep(1.5)]))
    assert [type(o) for o in outcomes] == [Done]


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no CPU affinity here")
def test_a_process_held_to_one_core_splits_nothing_and_runs_one_batch_worker() -> None:
    """Cores are those the process may run on (taskset, a cpuset), not the machine's."""
    from posture.batch import default_workers
    from posture.pose.parallel import auto_jobs
    from posture.source import VideoInfo

    info = VideoInfo(Path("run.mp4"), 30.0, 900, 30.0, 1280, 720, 0, "avc1")
    before = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(before)})
        assert usable_cores() == 1 and default_workers() == 1
        assert auto_jobs(info) == 1
        assert auto_jobs(info, cores=2) == 2  # the same clip, given two cores
    finally:
        os.sched_setaffinity(0, before)
