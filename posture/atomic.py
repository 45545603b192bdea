"""Atomic output: a file appears whole or not at all.

Every output file (reports, tracks, videos, model bundles) is written to a temp file in the
destination folder and renamed into place, so a reader never sees a half-written file and an
interrupted run (Ctrl-C, a kill, a full disk) leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from posture.errors import OutputError


@functools.cache
def _file_mode() -> int:
    # mkstemp makes 0600 files; outputs should get the usual mode (0644 under umask 022).
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temp path beside `path`; on success rename it to `path`, else delete it.

    Raises:
        OutputError: the folder cannot be created or written (read-only, full disk).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        os.fchmod(fd, _file_mode())
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"{path.parent}: cannot write output there ({exc.strerror})") from exc
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write output ({exc.strerror})") from exc
    finally:
        tmp.unlink(missing_ok=True)


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Write `data` (str as UTF-8) to `path` atomically; returns `path`."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(payload)
    return path
