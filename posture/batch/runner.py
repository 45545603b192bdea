"""The batch driver: inputs -> jobs -> (skip finished) -> engine -> outputs and summary.

The driver is the only writer of the batch folder. For each clip that finishes it writes the
clip's files (each atomically), then its sidecar (the "finished" mark, see `resume`), then,
at most every `SUMMARY_EVERY_S` and at the end, the summary files (each atomically). A lock
file keeps a second batch out of the same folder; holding it, the driver deletes temp files a
killed run left behind.
"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Literal, Protocol

from posture.atomic import write_atomic
from posture.batch.index_html import to_html
from posture.batch.inputs import ClipJob, expand_inputs
from posture.batch.local import FrameEvent, LocalEngine
from posture.batch.resume import (
    Sidecar,
    finished,
    forget,
    remove_stale_temp_files,
    settings_digest,
    write_sidecar,
)
from posture.batch.summary import (
    RULE_LEVELS,
    Row,
    error_row,
    pending_row,
    report_row,
    to_csv,
    to_json,
)
from posture.batch.task import ClipResult, clip_time_limit_s
from posture.errors import OutputError, PostureError, UsageError
from posture.gate.outputs import check_out_dir, open_lock_file
from posture.gate.report import read_report
from posture.rules import load_rules
from posture.settings import Settings
from posture.workers import usable_cores

EngineName = Literal["local", "ray"]
FailOn = Literal["never", "warn", "fail"]
ENGINES: tuple[str, ...] = ("local", "ray")
FAIL_ON: tuple[str, ...] = ("never", "warn", "fail")
EXIT_CLIP_ERROR = 1
EXIT_RULES = 4
SUMMARY_EVERY_S = 2.0
LOCK_NAME = ".posture-batch.lock"


@dataclass(frozen=True)
class BatchOptions:
    """How a batch runs (the analysis settings are separate: `Settings`).

    Attributes:
        out_dir: the batch folder.
        workers: worker processes (local) or CPUs of a local Ray instance, >= 1.
        engine: `local` or `ray`.
        ray_address: a Ray cluster to join; None starts a local instance.
        resume: skip clips finished by an earlier run with the same input and settings.
        fail_on: exit 4 when a clip has a rule at this level or worse; `never` disables.
        clip_timeout_s: the longest one clip may take before its worker is stopped and the
            clip recorded as timed out; None: `task.clip_time_limit_s` from its length.
    """

    out_dir: Path
    workers: int = 1
    engine: str = "local"
    ray_address: str | None = None
    resume: bool = True
    fail_on: str = "never"
    clip_timeout_s: float | None = None

    def __post_init__(self) -> None:
        if self.clip_timeout_s is not None and not (0 < self.clip_timeout_s < 1e7):
            raise UsageError(
                f"--clip-timeout must be a number of seconds above 0, got {self.clip_timeout_s}"
            )
        if self.workers < 1:
            raise UsageError(f"--workers must be at least 1, got {self.workers}")
        if self.engine not in ENGINES:
            raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, got {self.engine!r}")
        if self.fail_on not in FAIL_ON:
            raise UsageError(f"--fail-on must be one of {', '.join(FAIL_ON)}, got {self.fail_on!r}")
        if self.ray_address and self.engine != "ray":
            raise UsageError("--ray-address needs --engine ray")


class BatchProgress(Protocol):
    """What the driver reports while it runs (the CLI draws it)."""

    def started(self, total: int, to_run: int) -> None: ...
    def frames(self, job: ClipJob, done: int, expected: int) -> None: ...
    def clip_done(self, job: ClipJob, row: Row) -> None: ...


@dataclass(frozen=True)
class BatchOutcome:
    """A finished batch: its rows (input order) and the exit code they call for."""

    rows: tuple[Row, ...]
    exit_code: int


class Engine(Protocol):
    def run(
        self, jobs: Sequence[ClipJob], settings: Settings, on_frames: FrameEvent | None = None
    ) -> Iterator[ClipResult]: ...


def run_batch(
    inputs: Sequence[str],
    settings: Settings,
    options: BatchOptions,
    progress: BatchProgress | None = None,
    *,
    prepare_model: Callable[[], object] | None = None,
) -> BatchOutcome:
    """Analyse every clip `inputs` stand for; write outputs and the summary into the folder.

    Args:
        inputs: files, folders, globs.
        settings: analysis settings, the same for every clip.
        options: engine, workers, resume, fail-on.
        progress: optional observer.
        prepare_model: called once before any clip is analysed (fetch the model here, so
            workers do not race to fetch it).

    Raises:
        UsageError: no inputs, or another batch holds the folder. OutputError: the folder
        cannot be written. ModelUnavailableError: from `prepare_model`. KeyboardInterrupt:
        Ctrl-C or SIGTERM; the summary is written first (unfinished clips `pending`).
    """
    settings = _absolute_paths(settings)
    load_rules(settings.analysis.rules_path)  # a bad rules file fails here, not in every clip
    out_dir = options.out_dir
    check_out_dir(out_dir)
    # The batch's own outputs (annotated videos) are never inputs of a later run.
    jobs = expand_inputs(inputs, exclude=out_dir)
    if not jobs:
        raise UsageError("no inputs: give video files, folders or glob patterns")
    with _batch_lock(out_dir):
        remove_stale_temp_files(out_dir)
        digest = settings_digest(settings)
        rows = [_first_row(job, out_dir, digest, options.resume) for job in jobs]
        to_run = [job for job, row in zip(jobs, rows, strict=True) if row is None]
        if progress is not None:
            progress.started(len(jobs), len(to_run))
        table = _Table([row or pending_row(job) for job, row in zip(jobs, rows, strict=True)])
        try:
            if to_run:
                if prepare_model is not None:
                    prepare_model()
                _run_jobs(to_run, settings, options, out_dir, digest, table, progress)
        finally:
            write_summary(out_dir, table.rows)
    return BatchOutcome(tuple(table.rows), exit_code(table.rows, options.fail_on))


def _absolute_paths(settings: Settings) -> Settings:
    """Settings whose paths mean the same in a worker with another working folder (Ray)."""
    rules, model_dir = settings.analysis.rules_path, settings.pose.model_dir
    if rules is not None:
        settings = settings.with_analysis(rules_path=rules.absolute())
    if model_dir is not None:
        settings = settings.with_pose(model_dir=model_dir.absolute())
    return settings


def _run_jobs(
    jobs: Sequence[ClipJob],
    settings: Settings,
    options: BatchOptions,
    out_dir: Path,
    digest: str,
    table: _Table,
    progress: BatchProgress | None,
) -> None:
    by_index = {job.index: job for job in jobs}
    on_frames = progress.frames if progress is not None else None
    with _sigterm_as_interrupt():
        for result in _engine(options).run(jobs, settings, on_frames):
            job = by_index[result.index]
            row = commit(result, job, out_dir, digest)
            table.set(job.index, row)
            if progress is not None:
                progress.clip_done(job, row)
            if table.due():
                write_summary(out_dir, table.rows)


def _engine(options: BatchOptions) -> Engine:
    if options.engine == "ray":
        from posture.batch.ray_engine import RayEngine

        return RayEngine(
            options.workers,
            options.ray_address,
            lambda job: clip_time_limit_s(job, options.clip_timeout_s),
        )
    return LocalEngine(options.workers, lambda job: clip_time_limit_s(job, options.clip_timeout_s))


def commit(result: ClipResult, job: ClipJob, out_dir: Path, digest: str) -> Row:
    """Write a clip's files, then its finished mark; returns its summary row."""
    if result.status == "error":
        forget(out_dir, job.name)
        return error_row(job, result.error, elapsed_s=result.elapsed_s, detail=result.detail)
    forget(out_dir, job.name)  # the old mark must not vouch for half-replaced files
    if ".report.json" not in result.files:
        return error_row(job, "the analysis wrote no report", elapsed_s=result.elapsed_s)
    for suffix, data in result.files.items():
        write_atomic(out_dir / f"{job.name}{suffix}", data)
    sidecar = Sidecar(
        input_path=str(job.path),
        input_sha256=result.input_sha256,
        settings_sha256=digest,
        status=result.status,
        elapsed_s=round(result.elapsed_s, 3),
        files=tuple(result.files),
    )
    write_sidecar(out_dir, job.name, sidecar)
    report = json.loads(result.files[".report.json"])
    return report_row(job, report, elapsed_s=result.elapsed_s, link=_link(out_dir, job.name))


def _first_row(job: ClipJob, out_dir: Path, digest: str, resume: bool) -> Row | None:
    """The row known before any analysis (an input that matched nothing, a finished clip
    when resuming), else None: the clip must be analysed."""
    if job.problem:
        return error_row(job, job.problem)
    return _resumed_row(job, out_dir, digest) if resume else None


def _resumed_row(job: ClipJob, out_dir: Path, digest: str) -> Row | None:
    sidecar = finished(out_dir, job.name, job.path, digest)
    if sidecar is None:
        return None
    try:
        report = read_report(out_dir / f"{job.name}.report.json")
    except PostureError:
        return None  # unreadable or edited report: analyse the clip again
    link = _link(out_dir, job.name)
    return report_row(job, report, elapsed_s=sidecar.elapsed_s, link=link, resumed=True)


def _link(out_dir: Path, name: str) -> str:
    html_name = f"{name}.report.html"
    return html_name if (out_dir / html_name).is_file() else f"{name}.report.json"


def exit_code(rows: Sequence[Row], fail_on: str) -> int:
    """1 when any clip errored; else 4 when a rule is at `fail_on` or worse; else 0.

    `no_runner` clips count as analysed: they have no rule verdicts, so they never trip
    `--fail-on` (the summary lists them).
    """
    if any(row.status == "error" for row in rows):
        return EXIT_CLIP_ERROR
    if fail_on != "never":
        threshold = RULE_LEVELS.index(fail_on)
        for row in rows:
            if row.worst_rule and RULE_LEVELS.index(row.worst_rule) >= threshold:
                return EXIT_RULES
    return 0


def write_summary(out_dir: Path, rows: Sequence[Row]) -> None:
    """Write summary.csv, summary.json and index.html into `out_dir`, each atomically."""
    write_atomic(out_dir / "summary.csv", to_csv(rows))
    write_atomic(out_dir / "summary.json", to_json(rows))
    write_atomic(out_dir / "index.html", to_html(rows))


class _Table:
    """The rows so far, and when the summary files are due to be rewritten."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows
        self._written_at = 0.0

    def set(self, index: int, row: Row) -> None:
        self.rows[index] = row

    def due(self) -> bool:
        now = time.monotonic()
        if now - self._written_at < SUMMARY_EVERY_S:
            return False
        self._written_at = now
        return True


@contextmanager
def _batch_lock(out_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock on the batch folder (released even if the process is killed)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot write the batch there ({exc.strerror})") from exc
    # Never through a symlink someone placed there, never blocking on a FIFO.
    with os.fdopen(open_lock_file(out_dir / LOCK_NAME), "r+") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise UsageError(
                f"{out_dir}: another posture batch is writing there; wait for it or use "
                "another --out folder"
            ) from exc
        yield


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM like Ctrl-C while clips run, so workers are stopped and nothing leaks."""

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def default_workers() -> int:
    """One worker per CPU this process may use."""
    return usable_cores()
