"""Run history: each analysed clip's summary in a small SQLite database in the user's data dir.

The database lives at `$POSTURE_HISTORY_DB` when set, else at
`$XDG_DATA_HOME/posture/history.sqlite` (`~/.local/share/posture/history.sqlite`). It holds a
summary of each report, not the report itself: one `runs` row (when, which clip, view, status),
one `run_metrics` row per metric (median, p10, p90, n) and one `run_rules` row per rule verdict.
`PRAGMA user_version` is the schema version; `_MIGRATIONS[i]` takes a database from version `i`
to `i + 1`, so a newer posture upgrades an older file in place.

Every failure (unwritable folder, corrupt file, a database from a newer posture) raises
`OutputError` whose message says what to do. History is a by-product: `posture check` calls
`record_run_safely`, which turns that error into a warning so the analysis itself is never lost.

Example:
    >>> run_id = record_run(report.to_dict(), Path("out/clip.report.json"))  # doctest: +SKIP
    >>> [r.clip_path for r in list_runs(limit=5)]  # doctest: +SKIP
"""

from __future__ import annotations

import getpass
import math
import numbers
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from posture.errors import OutputError, PostureError
from posture.gate.files import HISTORY, check_file
from posture.rules.model import LEVELS

ENV_DB = "POSTURE_HISTORY_DB"
DB_NAME = "history.sqlite"
BUSY_TIMEOUT_S = 10.0  # a batch and a `posture check` may write at the same time

# `_MIGRATIONS[i]` takes the schema from version i to i + 1; append, never edit a past step.
_MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            analysed_at TEXT NOT NULL,
            clip_path TEXT NOT NULL,
            clip_size_bytes INTEGER,
            clip_mtime_ns INTEGER,
            duration_s REAL,
            view TEXT,
            facing TEXT,
            status TEXT NOT NULL,
            report_path TEXT,
            tool_version TEXT,
            report_schema_version INTEGER
        )""",
        "CREATE INDEX runs_by_time ON runs (analysed_at)",
        """CREATE TABLE run_metrics (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            metric_id TEXT NOT NULL,
            unit TEXT,
            median REAL,
            p10 REAL,
            p90 REAL,
            n INTEGER,
            PRIMARY KEY (run_id, metric_id)
        )""",
        "CREATE INDEX run_metrics_by_metric ON run_metrics (metric_id)",
        """CREATE TABLE run_rules (
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            rule_id TEXT NOT NULL,
            status TEXT NOT NULL,
            value REAL,
            unit TEXT,
            PRIMARY KEY (run_id, rule_id)
        )""",
    ),
    (
        # 2: whose run it was and what kind of session (`check`, `live`, `batch`)
        "ALTER TABLE runs ADD COLUMN runner TEXT",
        "ALTER TABLE runs ADD COLUMN kind TEXT",
        "CREATE INDEX runs_by_runner ON runs (runner, view, analysed_at)",
    ),
)
SCHEMA_VERSION = len(_MIGRATIONS)
KINDS = ("check", "live", "batch", "drill")


@dataclass(frozen=True)
class RunSummary:
    """One recorded run, as `list_runs` returns it.

    Attributes:
        id: run id in the database.
        analysed_at: ISO 8601 UTC time the run was recorded.
        clip_path: the analysed clip (absolute when it existed at recording time).
        duration_s: clip duration, None when unknown.
        view: camera view (`side`, `front`, `rear`), None when not determined.
        status: the report's status (`ok` or `no_runner`).
        report_path: where the report JSON was written, None when it was not.
        tool_version: posture version that analysed the clip.
        flagged: `(rule_id, status)` of the rules at warn or fail, fails first.
        runner: whose run it was (None: recorded before runners were).
        kind: `check`, `live`, `batch` or `drill` (None: recorded before kinds were).
        judged: how many rules got a verdict (ok, warn or fail; not `not_measured`).
    """

    id: int
    analysed_at: str
    clip_path: str
    duration_s: float | None
    view: str | None
    status: str
    report_path: str | None
    tool_version: str | None
    flagged: tuple[tuple[str, str], ...]
    runner: str | None = None
    kind: str | None = None
    judged: int = 0

    @property
    def clip_name(self) -> str:
        return Path(self.clip_path).name

    @property
    def verdict(self) -> str:
        """`fail`, `warn` (the worst flagged rule), `good form`, `nothing judged` (no rule
        could be judged: never "good form" without evidence), or the status (`no_runner`)."""
        if self.status != "analysed":
            return self.status
        if self.flagged:
            return self.flagged[0][1]
        return "good form" if self.judged else "nothing judged"


@dataclass(frozen=True)
class TrendPoint:
    """One metric's median in one run, as `metric_trend` returns it."""

    run_id: int
    analysed_at: str
    clip_path: str
    median: float
    unit: str | None


def default_runner() -> str:
    """Whose runs are recorded when no `--runner` is given: the system user's name."""
    try:
        return getpass.getuser() or "me"
    except (KeyError, OSError):  # no user name in the environment or the password database
        return "me"


def history_path() -> Path:
    """The database path: `$POSTURE_HISTORY_DB`, else the XDG data dir's `posture/` file."""
    explicit = os.environ.get(ENV_DB, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    # The XDG spec says a relative $XDG_DATA_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "posture" / DB_NAME


def record_run(
    report: dict[str, Any],
    report_path: Path | None,
    db: Path | None = None,
    *,
    analysed_at: datetime | None = None,
    runner: str | None = None,
    kind: str = "check",
) -> int:
    """Store one report's summary; returns the new run id.

    Args:
        report: `Report.to_dict()` of the analysed clip.
        report_path: where its JSON was written (None when it was not written).
        db: database file; `history_path()` when None. Created with its folder if missing.
        analysed_at: when the clip was analysed; now (UTC) when None.
        runner: whose run it was; `default_runner()` when None.
        kind: the session that made it: `check`, `live`, `batch` or `drill`.

    Raises:
        OutputError: the database cannot be created, written or read.
        ValueError: `kind` is not one of `KINDS`.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    when = (analysed_at or datetime.now(UTC)).astimezone(UTC)
    row = _run_row(report, report_path, when)
    row |= {"runner": runner or default_runner(), "kind": kind}
    with _open(db or history_path(), create=True) as conn, _transaction(conn):
        cur = conn.execute(
            f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        run_id = int(cur.lastrowid or 0)
        conn.executemany(
            "INSERT INTO run_metrics VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(run_id, *m) for m in _metric_rows(report)],
        )
        conn.executemany(
            "INSERT INTO run_rules VALUES (?, ?, ?, ?, ?)",
            [(run_id, *r) for r in _rule_rows(report)],
        )
    return run_id


def record_run_safely(
    report: dict[str, Any],
    report_path: Path | None,
    db: Path | None = None,
    *,
    runner: str | None = None,
    kind: str = "check",
) -> str | None:
    """`record_run`, but a failure comes back as a one-line warning instead of an error.

    Returns:
        None when the run was recorded, else a warning to show (the analysis is unaffected).
    """
    try:
        record_run(report, report_path, db, runner=runner, kind=kind)
    except PostureError as exc:
        return f"history not updated: {' '.join(str(exc).split())}"
    return None


def list_runs(
    db: Path | None = None, limit: int = 50, *, runner: str | None = None
) -> list[RunSummary]:
    """The most recent `limit` runs (of `runner`, all when None), newest first; empty when
    no database exists yet.

    Raises:
        OutputError: the database exists but cannot be read.
    """
    path = db or history_path()
    if not path.exists():
        return []
    where, args = ("WHERE runner = ? ", (runner,)) if runner is not None else ("", ())
    with _open(path, create=False) as conn:
        runs = conn.execute(
            "SELECT id, analysed_at, clip_path, duration_s, view, status, report_path, "
            f"tool_version, runner, kind FROM runs {where}"
            "ORDER BY analysed_at DESC, id DESC LIMIT ?",
            (*args, max(limit, 0)),
        ).fetchall()
        ids = [r["id"] for r in runs]
        flags, judged = _flagged(conn, ids), _judged(conn, ids)
    return [
        RunSummary(**dict(r), flagged=flags.get(r["id"], ()), judged=judged.get(r["id"], 0))
        for r in runs
    ]


def metric_trend(
    metric_id: str,
    db: Path | None = None,
    limit: int = 50,
    *,
    runner: str | None = None,
    view: str | None = None,
) -> list[TrendPoint]:
    """The metric's median in the most recent `limit` runs that measured it, oldest first;
    only `runner`'s runs and only `view`'s when given (a trend is one runner in one view:
    a side and a front clip measure the same metric differently).

    Raises:
        OutputError: the database exists but cannot be read.
    """
    path = db or history_path()
    if not path.exists():
        return []
    where, args = "", []
    for column, value in (("runner", runner), ("view", view)):
        if value is not None:
            where += f"AND r.{column} = ? "
            args.append(value)
    with _open(path, create=False) as conn:
        rows = conn.execute(
            "SELECT r.id AS run_id, r.analysed_at, r.clip_path, m.median, m.unit "
            "FROM run_metrics m JOIN runs r ON r.id = m.run_id "
            f"WHERE m.metric_id = ? AND m.median IS NOT NULL AND r.status = 'analysed' {where}"
            "ORDER BY r.analysed_at DESC, r.id DESC LIMIT ?",
            (metric_id, *args, max(limit, 0)),
        ).fetchall()
    return [TrendPoint(**dict(r)) for r in reversed(rows)]


def _run_row(report: dict[str, Any], report_path: Path | None, when: datetime) -> dict[str, Any]:
    inp = report.get("input") or {}
    clip = Path(str(inp.get("path", "")))
    size, mtime_ns, shown = None, None, str(clip)
    try:
        stat = clip.stat()
        size, mtime_ns, shown = stat.st_size, stat.st_mtime_ns, str(clip.resolve())
    except OSError:
        pass  # the clip moved or was a saved track elsewhere: keep the path as reported
    return {
        "analysed_at": when.isoformat(timespec="microseconds"),
        "clip_path": shown,
        "clip_size_bytes": size,
        "clip_mtime_ns": mtime_ns,
        "duration_s": _real(inp.get("duration_s")),
        "view": _text(report.get("view")),
        "facing": _text(report.get("facing")),
        "status": str(report.get("status", "analysed")),
        "report_path": None if report_path is None else str(Path(report_path).resolve()),
        "tool_version": _text((report.get("tool") or {}).get("version")),
        "report_schema_version": _int(report.get("schema_version")),
    }


def _metric_rows(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    metrics = report.get("metrics") or {}
    return [
        (
            str(metric_id),
            _text(m.get("unit")),
            _real(m.get("median")),
            _real(m.get("p10")),
            _real(m.get("p90")),
            _int(m.get("n")),
        )
        for metric_id, m in metrics.items()
        if isinstance(m, dict)
    ]


def _rule_rows(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            str(r["id"]),
            str(r.get("status", "not_measured")),
            _real(r.get("typical")),
            _text(r.get("unit")),
        )
        for r in report.get("rules") or []
        if isinstance(r, dict) and "id" in r
    ]


def _real(value: Any) -> float | None:
    """A finite number as float (numpy scalars too), else None: sqlite binds only builtins."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return None
    return int(value)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _flagged(
    conn: sqlite3.Connection, run_ids: list[int]
) -> dict[int, tuple[tuple[str, str], ...]]:
    if not run_ids:
        return {}
    rows = conn.execute(
        f"SELECT run_id, rule_id, status FROM run_rules "
        f"WHERE status IN ('fail', 'warn') AND run_id IN ({', '.join('?' * len(run_ids))}) "
        "ORDER BY run_id, CASE status WHEN 'fail' THEN 0 ELSE 1 END, rowid",
        run_ids,
    ).fetchall()
    out: dict[int, list[tuple[str, str]]] = {}
    for run_id, rule_id, status in rows:
        out.setdefault(run_id, []).append((rule_id, status))
    return {k: tuple(v) for k, v in out.items()}


def _judged(conn: sqlite3.Connection, run_ids: list[int]) -> dict[int, int]:
    """Run id -> how many of its rules got a verdict (ok, warn or fail)."""
    if not run_ids:
        return {}
    rows = conn.execute(
        f"SELECT run_id, COUNT(*) FROM run_rules WHERE status IN ({', '.join('?' * len(LEVELS))}) "
        f"AND run_id IN ({', '.join('?' * len(run_ids))}) GROUP BY run_id",
        [*LEVELS, *run_ids],
    ).fetchall()
    return {int(run_id): int(n) for run_id, n in rows}


@contextmanager
def _open(db: Path, *, create: bool) -> Iterator[sqlite3.Connection]:
    """A connection to `db` with the current schema, closed afterwards. Every sqlite or
    file-system failure inside the block becomes an `OutputError` that says what to do."""
    conn: sqlite3.Connection | None = None
    if os.path.lexists(db):
        check_file(db, HISTORY)  # a FIFO or device here would block sqlite's first read
    try:
        if create:
            db.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are explicit (`_transaction`), nothing implicit.
        conn = sqlite3.connect(db, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        _migrate(conn, db)
        yield conn
    except OSError as exc:
        raise OutputError(_cannot_write(db, exc.strerror or str(exc))) from exc
    except sqlite3.Error as exc:
        raise OutputError(_explain(db, exc)) from exc
    finally:
        if conn is not None:
            conn.close()


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE (take the write lock now, waiting up to the busy timeout) ... COMMIT,
    or ROLLBACK when the block raises."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def _migrate(conn: sqlite3.Connection, db: Path) -> None:
    version = _schema_version(conn)
    if version > SCHEMA_VERSION:
        raise OutputError(
            f"{db}: the history database has schema {version}, newer than this posture "
            f"understands ({SCHEMA_VERSION}); upgrade posture or set {ENV_DB} to another file"
        )
    if version == SCHEMA_VERSION:
        return
    _use_wal(conn)
    with _transaction(conn):
        current = _schema_version(conn)  # another process may have migrated meanwhile
        for step in range(current, SCHEMA_VERSION):
            for statement in _MIGRATIONS[step]:
                conn.execute(statement)
        if current < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _use_wal(conn: sqlite3.Connection) -> None:
    """WAL lets `posture history` read while a batch writes; it is a property of the file.
    Switching needs a moment with no other connection, and sqlite does not wait for that
    (the busy timeout does not apply), so retry for up to the busy timeout. If another writer
    holds on, the file stays in rollback mode: slower for readers, never wrong."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc):
                raise
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)


def _explain(db: Path, exc: sqlite3.Error) -> str:
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return (
            f"{db}: the history database is damaged ({exc}); move it aside (posture starts a "
            f"new one) or set {ENV_DB} to another file"
        )
    return _cannot_write(db, str(exc))


def _cannot_write(db: Path, why: str) -> str:
    return (
        f"{db}: cannot use the history database ({why}); make its folder writable, set "
        f"{ENV_DB} to a writable file, or pass --no-history"
    )
