"""Local engine: a pool of worker processes, one clip at a time each.

Each worker is a fresh interpreter (`python -m posture.batch.worker`, no inherited MediaPipe
or thread state, no re-import of the caller's main script) connected by a socket pair. The
driver hands each idle worker the next clip and waits on all workers' connections; a worker
that dies closes its end, so the driver knows at once which clip it held: that clip is
recorded as an error (with the signal, e.g. SIGSEGV) and a fresh worker takes the next clip.
Clip results stream back in the order they finish.
"""

from __future__ import annotations

import os
import signal
import site
import socket
import subprocess
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import posture
from posture.batch.inputs import ClipJob
from posture.batch.task import ClipResult, failed
from posture.settings import Settings

#: Called with (job, frames done, frames expected or 0).
FrameEvent = Callable[[ClipJob, int, int], None]
_STOP_WAIT_S = 5.0


@dataclass
class _Slot:
    """One worker process and the clip it holds (None when idle)."""

    process: subprocess.Popen[bytes]
    conn: Connection
    job: ClipJob | None = None


class LocalEngine:
    """Runs clips in `workers` local processes.

    Args:
        workers: number of worker processes, >= 1.
    """

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers

    def run(
        self, jobs: Sequence[ClipJob], settings: Settings, on_frames: FrameEvent | None = None
    ) -> Iterator[ClipResult]:
        """Analyse `jobs`; yields each result as its clip finishes."""
        queue = deque(jobs)
        slots: list[_Slot] = []
        try:
            for _ in range(min(self.workers, len(queue))):
                slots.append(_start(settings))
                _feed(slots[-1], queue)
            while any(slot.job is not None for slot in slots):
                yield from _collect(slots, queue, settings, on_frames)
        finally:
            _stop(slots)


def _start(settings: Settings) -> _Slot:
    ours, theirs = socket.socketpair()
    env = dict(os.environ)
    package_root = str(Path(posture.__file__).resolve().parents[1])
    if package_root not in {*site.getsitepackages(), site.getusersitepackages()}:
        # Run from a source tree: the worker must import the same posture as the driver.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    with theirs:
        process = subprocess.Popen(
            [sys.executable, "-m", "posture.batch.worker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=sys.stderr.fileno(),  # stdout stays the driver's
            env=env,
        )
    # Closing our copy of their end (above) lets us see EOF when the worker dies.
    slot = _Slot(process, Connection(ours.detach()))
    slot.conn.send(settings)
    return slot


def _feed(slot: _Slot, queue: deque[ClipJob]) -> None:
    slot.job = queue.popleft() if queue else None
    slot.conn.send(slot.job)


def _collect(
    slots: list[_Slot],
    queue: deque[ClipJob],
    settings: Settings,
    on_frames: FrameEvent | None,
) -> Iterator[ClipResult]:
    ready = set(wait([slot.conn for slot in slots if slot.job is not None]))
    for i, slot in enumerate(slots):
        if slot.job is None or slot.conn not in ready:
            continue
        result = _receive(slot, on_frames)
        if result is None:
            continue
        yield result
        if slot.process.poll() is None:
            _feed(slot, queue)
        elif queue:  # crashed: a fresh worker takes the next clip
            slots[i] = _start(settings)
            _feed(slots[i], queue)


def _receive(slot: _Slot, on_frames: FrameEvent | None) -> ClipResult | None:
    """Drain the slot's messages: its result, an error result if it died, else None."""
    job = slot.job
    assert job is not None
    try:
        while slot.conn.poll():
            message: tuple[Any, ...] = slot.conn.recv()
            if message[0] == "done":
                return message[1]
            if on_frames is not None:
                on_frames(job, message[2], message[3])
        return None
    except (EOFError, OSError):
        pass  # the worker died; its exit code says how
    slot.job = None
    slot.conn.close()
    code = slot.process.wait()
    return failed(job, f"the worker process {_death(code)} analysing this clip")


def _death(exitcode: int) -> str:
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"crashed ({name}) while"
    return f"exited (code {exitcode}) while"


def _stop(slots: list[_Slot]) -> None:
    """Stop every worker: idle ones are asked, busy ones (interrupted run) terminated."""
    for slot in slots:
        if slot.process.poll() is not None:
            continue
        if slot.job is None and not slot.conn.closed:
            try:
                slot.conn.send(None)
            except OSError:
                slot.process.terminate()
        else:
            slot.process.terminate()
    for slot in slots:
        try:
            slot.process.wait(_STOP_WAIT_S)
        except subprocess.TimeoutExpired:
            slot.process.kill()
            slot.process.wait()
        slot.conn.close()
