"""A local worker process: `python -m posture.batch.worker FD`.

The driver starts it with one end of a socket pair as file descriptor FD and speaks
`multiprocessing.connection` over it (pickled messages). Driver -> worker: the `Settings`
first, then a `ClipJob` at a time, or None to stop. Worker -> driver: `("frames", index,
done, expected)` now and then while a clip is analysed, then `("done", ClipResult)`.

A worker lives for many clips, so MediaPipe's native libraries load once per worker (about
1 s); the landmarker itself is made afresh for each clip (about 0.08 s) because it tracks the
runner from frame to frame, and a landmarker carried over would start a clip from the last
pose of the previous one.
"""

from __future__ import annotations

import signal
import sys
import time
from multiprocessing.connection import Connection
from types import FrameType

from posture.batch.inputs import ClipJob
from posture.batch.task import FrameProgress, analyse_clip

_PROGRESS_EVERY_S = 0.25


def serve(conn: Connection) -> None:
    """Serve clips until told to stop or the driver goes away."""
    # Ctrl-C reaches the whole process group; the driver decides how to stop the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # SIGTERM unwinds normally, so temp folders are removed.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        settings = conn.recv()
        while (job := conn.recv()) is not None:
            result = analyse_clip(job, settings, progress=_progress_sender(conn, job))
            conn.send(("done", result))
    except (EOFError, OSError):
        return  # the driver is gone (killed); nothing is left to report to


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _progress_sender(conn: Connection, job: ClipJob) -> FrameProgress:
    last_sent = [0.0]

    def on_frame(done: int, expected: int) -> None:
        now = time.monotonic()
        if now - last_sent[0] >= _PROGRESS_EVERY_S or done == expected:
            last_sent[0] = now
            conn.send(("frames", job.index, done, expected))

    return on_frame


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])))
