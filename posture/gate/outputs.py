"""Where outputs go, checked before any analysis: a folder that can be one, names that do not
collide, and no lock file that leads somewhere else.

Found only after a whole analysis, `--out report.txt` (an existing file) used to be a
traceback and exit 1; two clips named `run.mp4` from two folders wrote one set of files, the
second silently replacing the first.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from posture.errors import OutputError
from posture.gate.files import kind_of


def check_out_dir(out_dir: Path, option: str = "--out") -> None:
    """Refuse an output folder that names, or lies under, something that is not a folder.

    Raises:
        OutputError: `out_dir` or one of its parents exists and is not a folder.
    """
    for candidate in (out_dir, *out_dir.parents):
        try:
            st = os.stat(candidate)
        except (FileNotFoundError, NotADirectoryError):
            continue  # not there yet (or under a file: that file is found further up)
        except OSError as exc:
            raise OutputError(
                f"{out_dir}: cannot write output there ({exc.strerror}); choose another {option}"
            ) from exc
        if stat.S_ISDIR(st.st_mode):
            return
        what = "is a file" if stat.S_ISREG(st.st_mode) else f"is {kind_of(st.st_mode)}"
        where = f"{candidate} {what}" if candidate != out_dir else what
        raise OutputError(
            f"{out_dir}: cannot write output there ({where}, not a folder); "
            f"choose another {option} folder"
        )


def hashed_stem(path: Path, stem: str) -> str:
    """`<stem>-<first 8 hex of sha256(absolute path)>`: unique per file, stable per path."""
    digest = hashlib.sha256(str(path.absolute()).encode("utf-8")).hexdigest()[:8]
    return f"{stem}-{digest}"


def unique_stems(clips: Sequence[Path], stems: Sequence[str]) -> list[str]:
    """Output stems for clips analysed into one folder: a stem shared by different files
    becomes `hashed_stem` for each of them (as `posture batch` names every clip), so no
    clip's results replace another's. The same file given twice keeps its plain stem."""
    files_per_stem: dict[str, set[Path]] = {}
    for clip, stem in zip(clips, stems, strict=True):
        files_per_stem.setdefault(stem, set()).add(clip.resolve())
    shared = {stem: len(files) for stem, files in files_per_stem.items()}
    return [
        hashed_stem(clip, stem) if shared[stem] > 1 else stem
        for clip, stem in zip(clips, stems, strict=True)
    ]


def open_lock_file(path: Path) -> int:
    """Open (creating) a lock file for `flock`, never through a symlink or into a FIFO.

    Raises:
        OutputError: the lock path is a symlink or not a regular file, or cannot be opened.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if os.path.islink(path):
            raise OutputError(
                f"{path}: the lock file is a symbolic link; remove it (posture makes its own)"
            ) from exc
        raise OutputError(f"{path}: cannot create the lock file ({exc.strerror})") from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise OutputError(f"{path}: the lock file is {kind_of(mode)}; remove it")
    return fd
