"""The one worker pool: the time chunks of one clip (`pose.parallel`) and the clips of a batch
(`batch.local`) both run here.

Each worker is a fresh interpreter, `python -P -m posture.workers FD [WARM...]`, not a
`multiprocessing` child: the spawn start method re-runs the caller's main script, which a
library must not impose on its users, and a fresh interpreter inherits no MediaPipe or
thread state. It imports the `WARM` modules (`module` or `module:function` to call) as soon
as it starts, so MediaPipe's native libraries load while the driver is still probing the
clip, then serves tasks over `multiprocessing.connection` on a socket pair until told to stop.
Run from a source tree, the worker gets the driver's `posture` on its `PYTHONPATH` (and `-P`
keeps the working folder off its path, so another checkout's `posture` folder there cannot
stand in for the driver's: seen when a benchmark ran from the main checkout); its stdout
is the driver's stderr, so `--json` output stays clean.

A task is any picklable object with `run(progress) -> result` (`progress(done, expected)`
is sent back at most every `PROGRESS_EVERY_S`). The driver hands each idle worker the next
task and yields outcomes as they finish: `Done`, `Raised` (the task raised; the exception is
sent back), or `Lost` (the worker died: its end of the socket closes, so the driver knows at
once which task it held; a fresh worker takes the next task). What a lost task means is the
caller's to say: a batch records the clip as an error row, a split clip stops with a
`WorkerError`.

Protocol. Driver -> worker: `(index, task)`, or None to stop. Worker -> driver:
`("progress", index, done, expected)`, then `("done", index, result)` or
`("raised", index, exception)`.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import signal
import site
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Protocol

import posture
from posture.progress import FrameProgress

PROGRESS_EVERY_S = 0.1
_STOP_WAIT_S = 5.0

#: Called with (task index, done, expected or 0) as workers report progress.
TaskProgress = Callable[[int, int, int], None]


def usable_cores() -> int:
    """CPUs this process may run on (its affinity: `taskset`, a container's cpuset, a test
    worker pinned to one core), which `os.cpu_count()` overstates."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


class Task(Protocol):
    def run(self, progress: FrameProgress) -> Any: ...


@dataclass(frozen=True)
class Done:
    index: int
    result: Any


@dataclass(frozen=True)
class Raised:
    index: int
    error: BaseException


@dataclass(frozen=True)
class Lost:
    """The worker died holding task `index`; `how` says how ("crashed (SIGSEGV)")."""

    index: int
    how: str


@dataclass(frozen=True)
class TimedOut:
    """Task `index` ran past its time limit `limit_s`; its worker was stopped."""

    index: int
    limit_s: float


Outcome = Done | Raised | Lost | TimedOut


@dataclass
class _Slot:
    process: subprocess.Popen[bytes]
    conn: Connection
    tmp: str  # the worker's TMPDIR: removed with the worker, however it ends
    task: int | None = None
    started: float = 0.0
    deadline: float = float("inf")


class WorkerPool:
    """`workers` worker processes, started on `start()` (or entering the `with` block).

    Args:
        workers: number of processes, >= 1.
        warm: modules (`module` or `module:function`) each worker loads before its first task.
    """

    def __init__(self, workers: int, warm: Sequence[str] = ()) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self.warm = tuple(warm)
        self._slots: list[_Slot] = []

    def start(self, count: int | None = None) -> WorkerPool:
        """Start the processes now (they warm up while the caller does other work)."""
        while len(self._slots) < min(self.workers, count or self.workers):
            self._slots.append(_spawn(self.warm))
        return self

    def run(
        self,
        tasks: Sequence[Task],
        progress: TaskProgress | None = None,
        time_limit_s: Callable[[int], float] | None = None,
    ) -> Iterator[Outcome]:
        """Run `tasks`; yields each one's outcome as it finishes (any order).

        `time_limit_s(index)` is how long task `index` may run; past it, its worker is
        stopped (SIGTERM, then SIGKILL) and the outcome is `TimedOut`.
        """
        queue = deque(enumerate(tasks))
        self.start(len(queue))
        slots = self._slots
        for slot in slots:
            _feed(slot, queue, time_limit_s)
        while any(slot.task is not None for slot in slots):
            busy = [slot for slot in slots if slot.task is not None]
            first_deadline = min(slot.deadline for slot in busy)
            timeout = None
            if first_deadline != float("inf"):
                timeout = max(0.0, first_deadline - time.monotonic())
            ready = set(wait([slot.conn for slot in busy], timeout=timeout))
            for i, slot in enumerate(slots):
                if slot.task is None:
                    continue
                outcome: Outcome | None = None
                if slot.conn in ready:
                    outcome = _receive(slot, progress)
                if outcome is None and time.monotonic() > slot.deadline:
                    outcome = TimedOut(slot.task, slot.deadline - slot.started)
                    _stop(slot)
                if outcome is None:
                    continue
                yield outcome
                if isinstance(outcome, Lost | TimedOut):
                    if not queue:
                        continue
                    slots[i] = _spawn(self.warm)  # a fresh worker takes the next task
                _feed(slots[i], queue, time_limit_s)

    def close(self) -> None:
        """Stop every worker: idle ones are asked, busy ones (an interrupted run) terminated."""
        slots, self._slots = self._slots, []
        for slot in slots:
            if slot.process.poll() is not None:
                continue
            if slot.task is None and not slot.conn.closed:
                try:
                    slot.conn.send(None)
                except OSError:
                    slot.process.terminate()
            else:
                slot.process.terminate()
                _resume(slot.process)
        for slot in slots:
            try:
                slot.process.wait(_STOP_WAIT_S)
            except subprocess.TimeoutExpired:
                slot.process.kill()
                slot.process.wait()
            slot.conn.close()
            shutil.rmtree(slot.tmp, ignore_errors=True)

    def __enter__(self) -> WorkerPool:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def worker_env() -> dict[str, str]:
    """The driver's environment; from a source tree, with that tree on `PYTHONPATH`."""
    env = dict(os.environ)
    package_root = str(Path(posture.__file__).resolve().parents[1])
    if package_root not in {*site.getsitepackages(), site.getusersitepackages()}:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    return env


def _spawn(warm: Sequence[str]) -> _Slot:
    ours, theirs = socket.socketpair()
    # The worker's temp files go into a folder of ours, removed when it ends, so even a
    # worker killed mid-clip leaves nothing behind.
    tmp = tempfile.mkdtemp(prefix="posture-worker-")
    with theirs:
        process = subprocess.Popen(
            [sys.executable, "-P", "-m", "posture.workers", str(theirs.fileno()), *warm],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=_stderr_fd(),  # stdout stays the driver's
            env={**worker_env(), "TMPDIR": tmp},
        )
    # Closing our copy of their end (above) lets us see EOF when the worker dies.
    return _Slot(process, Connection(ours.detach()), tmp)


def _stderr_fd() -> int:
    """The driver's stderr for the worker's output; the process's own when `sys.stderr` is
    not a file (captured, as by a test runner or a notebook)."""
    for stream in (sys.stderr, sys.__stderr__):
        try:
            return stream.fileno()  # type: ignore[union-attr]
        except (AttributeError, OSError, ValueError):
            continue
    return subprocess.DEVNULL


def _feed(
    slot: _Slot, queue: deque[tuple[int, Task]], time_limit_s: Callable[[int], float] | None
) -> None:
    if not queue:
        slot.task, slot.deadline = None, float("inf")
        return
    index, task = queue.popleft()
    with contextlib.suppress(OSError):  # died idle: `_receive` sees the EOF, the task lost
        slot.conn.send((index, task))
    slot.task, slot.started = index, time.monotonic()
    slot.deadline = slot.started + (time_limit_s(index) if time_limit_s else float("inf"))


def _resume(process: subprocess.Popen[bytes]) -> None:
    """SIGCONT: a stopped worker (`kill -STOP`) must run to act on the signal just sent."""
    with contextlib.suppress(OSError):
        process.send_signal(signal.SIGCONT)


def _stop(slot: _Slot) -> None:
    """Stop a worker past its time limit: SIGTERM (it unwinds, removing its temp files),
    SIGKILL if it has not ended within `_STOP_WAIT_S`; then remove its temp folder."""
    slot.process.terminate()
    _resume(slot.process)
    try:
        slot.process.wait(_STOP_WAIT_S)
    except subprocess.TimeoutExpired:
        slot.process.kill()
        slot.process.wait()
    slot.task, slot.deadline = None, float("inf")
    slot.conn.close()
    shutil.rmtree(slot.tmp, ignore_errors=True)


def _receive(slot: _Slot, progress: TaskProgress | None) -> Outcome | None:
    """Drain the slot's messages: the task's outcome, or None while it is still running."""
    index = slot.task
    assert index is not None
    try:
        while slot.conn.poll():
            message: tuple[Any, ...] = slot.conn.recv()
            if message[0] == "progress":
                if progress is not None:
                    progress(index, message[2], message[3])
                continue
            slot.task = None
            if message[0] == "done":
                return Done(index, message[2])
            return Raised(index, message[2])
        return None
    except (EOFError, OSError):
        pass  # the worker died; its exit code says how
    slot.task = None
    slot.conn.close()
    lost = Lost(index, death(slot.process.wait()))
    shutil.rmtree(slot.tmp, ignore_errors=True)
    return lost


def death(exitcode: int) -> str:
    """How a process ended, in words: "crashed (SIGSEGV)", "exited (code 1)"."""
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"crashed ({name})"
    return f"exited (code {exitcode})"


# -- worker side ---------------------------------------------------------------------------


def serve(conn: Connection, warm: Sequence[str] = ()) -> None:
    """Worker process: load `warm`, then run tasks until told to stop or the driver is gone."""
    # Ctrl-C reaches the whole process group; the driver decides how to stop the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM unwinds normally, so temp folders are removed.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    for name in warm:
        module, _, function = name.partition(":")
        loaded = importlib.import_module(module)
        if function:
            getattr(loaded, function)()
    try:
        while (message := conn.recv()) is not None:
            index, task = message
            try:
                result = task.run(_progress_sender(conn, index))
            except Exception as exc:  # handed to the driver
                conn.send(("raised", index, _picklable(exc)))
            else:
                conn.send(("done", index, result))
    except (EOFError, OSError):
        return  # the driver is gone (killed); nothing is left to report to
    _quick_exit()


def _quick_exit() -> None:
    """End a worker told to stop at once: every task has cleaned up after itself (temp
    folders, landmarkers), so the interpreter's own teardown of MediaPipe, scipy and OpenCV
    (0.4-1.4 s measured on the shared 2-core machine, which the driver waits for) is skipped."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def _picklable(exc: Exception) -> Exception:
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _progress_sender(conn: Connection, index: int) -> FrameProgress:
    last_sent = [0.0]

    def on_progress(done: int, expected: int) -> None:
        now = time.monotonic()
        if now - last_sent[0] >= PROGRESS_EVERY_S or done == expected:
            last_sent[0] = now
            conn.send(("progress", index, done, expected))

    return on_progress


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])), sys.argv[2:])
