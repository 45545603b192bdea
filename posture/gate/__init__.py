"""The input gate: every file posture reads comes through here first.

What a path must be before any work starts, by kind (`VIDEO`, `TRACK`, `RULES`, `REPORT`,
`HISTORY`, `TRUTH`, `OWN_JSON`): a regular file (a FIFO, a device, a socket or a folder is
one line naming what it is, never a hang), no larger than the kind allows, read with that
bound, and parsed into checked values (no `inf`/`nan`, no absurd nesting, the types the
readers rely on) before the analysis, so nothing fails after it. On the way out, user text is
made inert (`printable`, `rich_safe`, `csv_cell`) and output folders are checked before any
work (`check_out_dir`).

Modules: `files` (kinds, bounded reads, the FFmpeg name of a local file), `documents`
(TOML/JSON parsing, the non-finite and nesting check), `npz` (archive headers before
arrays), `track` (a saved pose track), `report` (a report JSON), `text` (output text),
`outputs` (output folders, unique names, lock files).
"""

from posture.gate.documents import check_document, find_problem, parse_json, parse_toml
from posture.gate.files import (
    HISTORY,
    OWN_JSON,
    REPORT,
    RULES,
    TRACK,
    TRUTH,
    VIDEO,
    FileKind,
    check_file,
    decoder_path,
    read_bounded,
    read_head,
    read_text,
    sha256_of,
)
from posture.gate.outputs import check_out_dir, hashed_stem, open_lock_file, unique_stems
from posture.gate.text import csv_cell, printable, rich_safe

__all__ = [
    "HISTORY",
    "OWN_JSON",
    "REPORT",
    "RULES",
    "TRACK",
    "TRUTH",
    "VIDEO",
    "FileKind",
    "check_document",
    "check_file",
    "check_out_dir",
    "csv_cell",
    "decoder_path",
    "find_problem",
    "hashed_stem",
    "open_lock_file",
    "parse_json",
    "parse_toml",
    "printable",
    "read_bounded",
    "read_head",
    "read_text",
    "rich_safe",
    "sha256_of",
    "unique_stems",
]
