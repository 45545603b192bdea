"""The file half of the input gate: what kind of file a path is, and reading it with a bound.

Every file posture reads passes through here before any work: a path must name a regular
file (a FIFO would block the read forever, `/dev/zero` never ends, a socket cannot be read),
be no larger than its kind allows, and be read with that bound even if it grows meanwhile.
The file is opened non-blocking and checked again on the open descriptor, so a path swapped
for a FIFO between the check and the open still cannot hang the tool.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from posture.errors import BadInputError, PostureError, UsageError

_MB = 1 << 20
_CHUNK_BYTES = _MB


@dataclass(frozen=True)
class FileKind:
    """One kind of input file and its limits.

    Attributes:
        name: what the user calls it, used in messages (`rules file`, `pose track`).
        hint: what to give instead, appended to every refusal.
        max_bytes: the largest plausible file of this kind; None means no limit (videos).
        error: the domain error raised (its exit code is the CLI's).
        allow_empty: False when an empty file is refused outright.
    """

    name: str
    hint: str
    max_bytes: int | None
    error: type[PostureError] = BadInputError
    allow_empty: bool = False


VIDEO = FileKind("video", "give a video file", None)
# ~1 kB per frame compressed at worst: 512 MB holds days of 60 frames/s footage.
TRACK = FileKind("pose track", "give a <name>.pose.npz written by `posture check`", 512 * _MB)
RULES = FileKind(
    "rules file",
    "give a rules TOML like the shipped posture/rules/rules.toml",
    1 * _MB,
    UsageError,
)
REPORT = FileKind("report", "give a <name>.report.json written by `posture check`", 64 * _MB)
HISTORY = FileKind(
    "history database",
    "set --db or $POSTURE_HISTORY_DB to a regular file (or a path that does not exist yet)",
    None,
    allow_empty=True,
)
TRUTH = FileKind("truth file", "re-create it with `posture synth`", 512 * _MB)
#: Files posture wrote itself and reads back (batch sidecars, earlier reports in a batch).
OWN_JSON = FileKind(
    "posture output", "delete it; posture writes it again", 64 * _MB, allow_empty=True
)


def kind_of(mode: int) -> str:
    """Plain words for a non-regular file type, from `os.stat().st_mode`."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    return "not a regular file"


def _refuse(path: Path, kind: FileKind, problem: str) -> PostureError:
    return kind.error(f"{path}: {problem}; {kind.hint}")


def _mb(size_bytes: int) -> str:
    return f"{size_bytes / _MB:.1f} MB" if size_bytes >= _MB else f"{size_bytes} bytes"


def _check_stat(path: Path, kind: FileKind, st: os.stat_result) -> None:
    if stat.S_ISDIR(st.st_mode):
        raise _refuse(path, kind, f"is a folder, expected a {kind.name} file")
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(path, kind, f"is {kind_of(st.st_mode)}, not a regular file")
    if st.st_size == 0 and not kind.allow_empty:
        raise _refuse(path, kind, "the file is empty")
    if kind.max_bytes is not None and st.st_size > kind.max_bytes:
        raise _refuse(
            path,
            kind,
            f"is {_mb(st.st_size)}, more than a {kind.name} can be (at most {_mb(kind.max_bytes)})",
        )


def check_file(path: str | os.PathLike[str], kind: FileKind) -> os.stat_result:
    """Refuse anything but an existing regular file of plausible size for `kind`.

    Returns:
        The file's `os.stat` (symlinks followed).

    Raises:
        kind.error: missing, a folder, a FIFO/device/socket, empty, or too large.
    """
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise _refuse(path, kind, "no such file") from exc
    except PermissionError as exc:
        raise _refuse(path, kind, "no permission to read it") from exc
    except OSError as exc:  # a name too long, a loop of symlinks
        raise _refuse(path, kind, f"cannot be read ({exc.strerror})") from exc
    _check_stat(path, kind, st)
    return st


def _open_regular(path: Path, kind: FileKind) -> int:
    """A read-only descriptor on `path`, refused unless it is a regular file (never blocks)."""
    check_file(path, kind)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except PermissionError as exc:
        raise _refuse(path, kind, "no permission to read it") from exc
    except OSError as exc:
        raise _refuse(path, kind, f"cannot be read ({exc.strerror})") from exc
    try:
        _check_stat(path, kind, os.fstat(fd))  # the path may have been swapped meanwhile
    except PostureError:
        os.close(fd)
        raise
    return fd


def read_bounded(path: str | os.PathLike[str], kind: FileKind) -> bytes:
    """The whole file, refused before reading when it is not a plausible `kind`.

    Reads at most `kind.max_bytes` (a file that grows past it while read is refused), so no
    input can make posture read without end.

    Raises:
        kind.error: see `check_file`; also a read error.
    """
    path = Path(path)
    fd = _open_regular(path, kind)
    limit = kind.max_bytes if kind.max_bytes is not None else 1 << 62
    chunks: list[bytes] = []
    total = 0
    try:
        while total <= limit:
            chunk = os.read(fd, min(_CHUNK_BYTES, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise _refuse(path, kind, f"cannot be read ({exc.strerror})") from exc
    finally:
        os.close(fd)
    if total > limit:
        raise _refuse(path, kind, f"grew past {_mb(limit)} while being read")
    return b"".join(chunks)


def read_text(path: str | os.PathLike[str], kind: FileKind) -> str:
    """`read_bounded` decoded as UTF-8 (a BOM is tolerated).

    Raises:
        kind.error: see `read_bounded`; also bytes that are not UTF-8 text.
    """
    data = read_bounded(path, kind)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(
            Path(path), kind, f"is not UTF-8 text (byte {exc.start} cannot be decoded)"
        ) from exc


def read_head(path: str | os.PathLike[str], kind: FileKind, n_bytes: int) -> bytes:
    """The first `n_bytes` of a file that passed `check_file` (to sniff its format)."""
    path = Path(path)
    fd = _open_regular(path, kind)
    try:
        return os.read(fd, n_bytes)
    except OSError as exc:
        raise _refuse(path, kind, f"cannot be read ({exc.strerror})") from exc
    finally:
        os.close(fd)


def sha256_of(path: str | os.PathLike[str], kind: FileKind = VIDEO) -> str:
    """Hex SHA-256 of a regular file's bytes (refused like `check_file` otherwise)."""
    path = Path(path)
    fd = _open_regular(path, kind)
    digest = hashlib.sha256()
    try:
        while chunk := os.read(fd, _CHUNK_BYTES):
            digest.update(chunk)
    except OSError as exc:
        raise _refuse(path, kind, f"cannot be read ({exc.strerror})") from exc
    finally:
        os.close(fd)
    return digest.hexdigest()


def decoder_path(path: str | os.PathLike[str]) -> str:
    """The name to hand FFmpeg (OpenCV, PyAV) for a local file: always an absolute path.

    FFmpeg reads a leading `proto:` as a protocol (`concat:a.mkv|b.mp4` reads two other
    files, `http:` the network); an absolute path starts with `/`, which no protocol does,
    so the file named is the file read.
    """
    return os.path.abspath(os.fspath(path))
