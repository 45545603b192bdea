"""Helpers of the second hostile-input catalogue (issue 17): the saved track every case starts
from, makers of special and tampered files, and the checks every case shares."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tests.cli_zygote import Completed

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "good_form_side.mp4"
RULES = (ROOT / "posture" / "rules" / "rules.toml").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Saved:
    """One analysis of samples/good_form_side.mp4, made once per session."""

    folder: Path
    track: Path  # good_form_side.pose.npz (records the sample's path, size and hash)
    report: Path  # good_form_side.report.json


def make_saved(folder: Path) -> Saved:
    """Run the model once on the sample clip (the only case that needs it)."""
    code = "from posture.cli import main; main()"
    args = ["check", str(SAMPLE), "--out", str(folder), "--no-video", "--no-html", "--no-csv"]
    result = subprocess.run(
        [sys.executable, "-c", code, *args, "--no-history", "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    return Saved(folder, folder / "good_form_side.pose.npz", folder / "good_form_side.report.json")


@dataclass(frozen=True)
class Case:
    """One hostile input: how to make the command line, what the user must get.

    `make(d, saved)` builds the inputs in the empty folder `d` and returns the arguments
    after `posture`; outputs go to `d/out` by convention. `check(d, result)` adds
    case-specific assertions.
    """

    make: Callable[[Path, Saved], list[str]]
    exit_code: int
    stderr: str = ""  # a phrase the one-line error must contain
    forbid: tuple[str, ...] = ()  # phrases stderr must not contain
    check: Callable[[Path, Completed], None] | None = None
    timeout_s: float = 60.0
    extra: dict[str, Any] = field(default_factory=dict)


def assert_outcome(case: Case, d: Path, result: Completed) -> None:
    """Every case: no hang, its exit code, no traceback; errors are one line, no partial file."""
    assert not result.hung, f"hung; stderr so far: {result.stderr!r}"
    assert result.returncode == case.exit_code, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "\x1b" not in result.stderr, result.stderr  # no raw escape code reaches the terminal
    for phrase in case.forbid:
        assert phrase not in result.stderr
    leftovers = [p.name for p in d.rglob("*.tmp")]
    assert leftovers == [], leftovers
    if case.exit_code in (2, 6):
        lines = result.stderr_lines
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("posture: error: ") and case.stderr in lines[0], lines[0]
        out = d / "out"
        assert not out.is_dir() or not list(out.glob("*.report.json")), "a partial report"
    if case.check is not None:
        case.check(d, result)


# -- makers --------------------------------------------------------------------------------
def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def unix_socket(path: Path) -> Path:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))  # the file stays after the socket is closed
    sock.close()
    return path


def sparse(path: Path, size_bytes: int) -> Path:
    """A file that claims `size_bytes` without using the disk."""
    with path.open("wb") as fh:
        fh.truncate(size_bytes)
    return path


def rules_file(d: Path, text: str, name: str = "rules.toml") -> Path:
    (d / name).write_text(text, encoding="utf-8")
    return d / name


def edited_rules(old: str, new: str) -> str:
    assert old in RULES, old
    return RULES.replace(old, new, 1)


def edit_track(
    src: Path,
    dst: Path,
    header: Callable[[dict[str, Any]], object] | None = None,
    raw_header: str | None = None,
    **arrays: np.ndarray,
) -> Path:
    """A copy of the track at `src` with its header or arrays changed (as a hand edit would)."""
    with np.load(src) as data:
        members = {k: data[k] for k in data.files}
    head = json.loads(str(members["header"]))
    if header is not None:
        header(head)
    members["header"] = np.array(raw_header if raw_header is not None else json.dumps(head))
    members.update(arrays)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with dst.open("wb") as fh:
        np.savez_compressed(fh, **members)
    return dst


def copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


def edited_report(src: Path, dst: Path, change: Callable[[dict[str, Any]], object]) -> Path:
    doc = json.loads(src.read_text(encoding="utf-8"))
    change(doc)
    dst.write_text(json.dumps(doc), encoding="utf-8")
    return dst


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file's bytes under `folder` (to prove earlier outputs are intact)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
