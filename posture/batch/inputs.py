"""Batch inputs: files, folders and globs -> one `ClipJob` per clip, each with a unique name.

Folders are searched recursively for video files by extension (`VIDEO_EXTENSIONS`); a file
named explicitly is taken whatever its extension, so a wrong file becomes an error row rather
than vanishing. An input that matches nothing becomes an error row too: the summary has a row
for everything the user asked for.

Output names: `<stem>-<hash8>`, where hash8 is the first 8 hex digits of the SHA-256 of the
clip's absolute path. Two folders holding `run.mp4` give `run-1f3a9c02` and `run-77d0e5b1`;
the same path always gives the same name, so a re-run finds its earlier reports (resume).
Moving the folder changes the names, and the clips are analysed again.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from posture.gate.outputs import hashed_stem
from posture.pipeline import clip_stem

VIDEO_EXTENSIONS: tuple[str, ...] = ("mp4", "mov", "m4v", "avi", "mkv", "webm")
_GLOB_CHARS = frozenset("*?[")
ANNOTATED_SUFFIX = ".annotated.mp4"  # the only video a batch writes


@dataclass(frozen=True)
class ClipJob:
    """One clip of a batch.

    Attributes:
        index: position in the batch (the summary keeps this order).
        path: absolute path of the clip (or the input as given, when it matched nothing).
        name: unique output stem: DIR/<name>.report.json and friends.
        problem: why the input cannot be analysed at all (matched nothing); "" when fine.
    """

    index: int
    path: Path
    name: str
    problem: str = ""


def output_name(path: Path) -> str:
    """Unique, stable output stem of a clip: `<stem>-<first 8 hex of sha256(abs path)>`."""
    return hashed_stem(path, clip_stem(path))


def is_video_name(path: Path) -> bool:
    """True when the file name ends in one of `VIDEO_EXTENSIONS` (any case)."""
    return path.suffix.lower().lstrip(".") in VIDEO_EXTENSIONS


def expand_inputs(inputs: Sequence[str], exclude: Path | None = None) -> list[ClipJob]:
    """Files, folders and globs -> clip jobs, in input order, duplicates dropped.

    Args:
        inputs: as typed on the command line.
        exclude: the batch's output folder: the annotated videos in it are never found by
            a folder or a glob, so a re-run does not analyse its own outputs (a file named
            explicitly is still taken).

    Returns:
        One job per clip; inputs that match nothing give a job with `problem` set.
    """
    jobs: list[ClipJob] = []
    seen: set[Path] = set()
    skip = exclude.resolve() if exclude is not None else None
    for spec in inputs:
        paths, problem = _paths_of(spec, skip)
        if problem:
            jobs.append(ClipJob(len(jobs), Path(spec), output_name(Path(spec)), problem))
            continue
        for path in paths:
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                jobs.append(ClipJob(len(jobs), path, output_name(path)))
    return jobs


def _paths_of(spec: str, skip: Path | None) -> tuple[list[Path], str]:
    """The clip paths one input stands for, or ([], why it stands for none)."""
    path = Path(spec).expanduser()
    if path.is_dir():
        found = sorted(_videos_under(path, skip))
        if not found:
            kinds = ", ".join(VIDEO_EXTENSIONS)
            return [], f"{spec}: the folder holds no video files ({kinds})"
        return found, ""
    if path.exists() or not _GLOB_CHARS.intersection(spec):
        # A missing file is analysed like any other and fails with the reader's message.
        return [path.absolute()], ""
    matches = sorted(glob.glob(os.path.expanduser(spec), recursive=True))
    files = [p for m in matches for p in _expand_match(Path(m), skip)]
    if not files:
        return [], f"{spec}: no video files match this pattern"
    return files, ""


def _expand_match(path: Path, skip: Path | None) -> Iterable[Path]:
    if path.is_dir():
        yield from sorted(_videos_under(path, skip))
    elif path.is_file() and is_video_name(path) and not _is_output(path, skip):
        yield path.absolute()  # a glob is a search, like a folder


def _is_output(path: Path, out_dir: Path | None) -> bool:
    """An annotated video written into the output folder (the only videos posture writes)."""
    return (
        out_dir is not None
        and path.name.endswith(ANNOTATED_SUFFIX)
        and path.resolve().parent == out_dir
    )


def _videos_under(folder: Path, skip: Path | None = None) -> Iterable[Path]:
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            candidate = Path(root, name)
            wanted = is_video_name(candidate) and not name.startswith(".")
            if wanted and not _is_output(candidate, skip):
                yield candidate.absolute()
