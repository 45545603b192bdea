"""The per-clip task every engine runs: analyse one clip, hand back its files as bytes.

`analyse_clip` runs the same `posture.pipeline.check` as `posture check`, writing into a
private temp folder, and returns the files it made. The batch driver alone writes into the
output folder, so a worker that crashes or is killed never leaves anything there, and the
same task serves local worker processes and Ray tasks on other machines (whose outputs need
not be on shared storage).

Test-only hook: when `POSTURE_TEST_CRASH_ON` is set and occurs in a clip's file name, the
worker sends itself SIGSEGV before analysing that clip, standing in for a native crash inside
MediaPipe. Nothing else reads it.
"""

from __future__ import annotations

import os
import signal
import tempfile
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from posture.batch.inputs import ClipJob
from posture.batch.resume import file_sha256
from posture.errors import PostureError
from posture.pipeline import check, clip_stem
from posture.progress import FrameProgress
from posture.settings import Settings

ClipStatus = Literal["analysed", "no_runner", "error"]
CRASH_HOOK_ENV = "POSTURE_TEST_CRASH_ON"


@dataclass(frozen=True)
class ClipResult:
    """What analysing one clip gave.

    Attributes:
        index: the job's index.
        status: `analysed`, `no_runner` or `error`.
        error: one-line message when `status == "error"`.
        detail: traceback of an unexpected (non-domain) error, for bug reports.
        elapsed_s: wall time of the analysis.
        input_sha256: SHA-256 of the clip as analysed ("" on error).
        files: output suffix (`.report.json`, `.pose.npz`, ...) -> file bytes.
        node: where it ran, when the engine knows (a Ray node id); "" otherwise.
    """

    index: int
    status: ClipStatus
    error: str = ""
    detail: str = ""
    elapsed_s: float = 0.0
    input_sha256: str = ""
    files: Mapping[str, bytes] = field(default_factory=dict)
    node: str = ""


#: The default per-clip time limit: a fixed start-up allowance plus this many times the
#: clip's length (the pose stage runs near real time on one core; the annotated video and
#: the report take about as long again), or `UNKNOWN_LENGTH_LIMIT_S` when it cannot be read.
LIMIT_BASE_S, LIMIT_PER_CLIP_S, UNKNOWN_LENGTH_LIMIT_S = 120.0, 10.0, 1800.0


def clip_time_limit_s(job: ClipJob, fixed_s: float | None = None) -> float:
    """How long `job` may take: `fixed_s` when given, else from the clip's length."""
    if fixed_s is not None:
        return fixed_s
    from posture.source.video import probe

    try:
        duration_s = probe(job.path).duration_s
    except (PostureError, OSError):
        return UNKNOWN_LENGTH_LIMIT_S
    if not (duration_s and duration_s > 0 and duration_s < 1e6):
        return UNKNOWN_LENGTH_LIMIT_S
    return LIMIT_BASE_S + LIMIT_PER_CLIP_S * duration_s


def timed_out(job: ClipJob, limit_s: float) -> ClipResult:
    """The error result of a clip stopped at its time limit (its worker was killed)."""
    return failed(
        job,
        f"timed out after {limit_s:.0f} s (the per-clip limit; --clip-timeout sets it); "
        "its worker was stopped",
        elapsed_s=limit_s,
    )


def failed(job: ClipJob, message: str, *, elapsed_s: float = 0.0, detail: str = "") -> ClipResult:
    """An error result for `job`, message folded onto one line."""
    return ClipResult(
        job.index, "error", " ".join(message.split()), detail=detail, elapsed_s=elapsed_s
    )


def analyse_clip(
    job: ClipJob, settings: Settings, progress: FrameProgress | None = None
) -> ClipResult:
    """Analyse one clip; never raises for a problem with the clip itself.

    Args:
        job: the clip.
        settings: analysis settings.
        progress: per-frame callback of the pose stage.

    Returns:
        The result, with the clip's output files as bytes keyed by suffix.
    """
    start = time.perf_counter()
    _test_crash_hook(job.path)
    if job.problem:
        return failed(job, job.problem)
    try:
        with tempfile.TemporaryDirectory(prefix="posture-batch-") as tmp:
            # The batch runs clips side by side; splitting each clip too would oversubscribe.
            one_process = settings.with_pose(jobs=1)
            report = check(job.path, one_process, out_dir=tmp, progress=progress)
            files = collect_outputs(Path(tmp), clip_stem(job.path))
        digest = file_sha256(job.path)
    except PostureError as exc:
        return failed(job, str(exc), elapsed_s=time.perf_counter() - start)
    except Exception as exc:
        # Isolation: a bug hit by one clip must not stop the batch. It is recorded in the
        # summary with its traceback, not hidden.
        return failed(
            job,
            f"internal error ({type(exc).__name__}: {exc}); please report it",
            elapsed_s=time.perf_counter() - start,
            detail=traceback.format_exc(),
        )
    elapsed_s = time.perf_counter() - start
    return ClipResult(
        job.index, report.status, elapsed_s=elapsed_s, input_sha256=digest, files=files
    )


def collect_outputs(folder: Path, stem: str) -> dict[str, bytes]:
    """Files `check` wrote for `stem` in `folder`, keyed by what follows the stem."""
    return {
        entry.name[len(stem) :]: entry.read_bytes()
        for entry in sorted(folder.iterdir())
        if entry.is_file() and entry.name.startswith(f"{stem}.")
    }


def _test_crash_hook(path: Path) -> None:
    marker = os.environ.get(CRASH_HOOK_ENV, "")
    if marker and marker in path.name:
        os.kill(os.getpid(), signal.SIGSEGV)
