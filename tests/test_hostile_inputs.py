"""Hostile inputs, round two (issue 17), part 1: special files, sizes, rules files and tampered
pose tracks, each run through the real CLI (a forked process, see `cli_zygote`).

Every case: no hang (each run has a time limit), the documented exit code, no traceback,
exactly one stderr line naming the problem, no partial file. Most start from the saved track
of samples/good_form_side.mp4, so pose estimation runs once per session.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.cli_zygote import Completed, Zygote
from tests.hostile import (
    Case,
    Saved,
    assert_outcome,
    edit_track,
    edited_rules,
    fifo,
    rules_file,
    snapshot,
    sparse,
    unix_socket,
)

pytestmark = pytest.mark.model  # the saved track is made with the model once per session


def check_track(track: Path, *extra: str) -> list[str]:
    return ["check", str(track), "--out", "out", "--quiet", "--no-video", *extra]


def with_rules(text: str) -> object:
    def make(d: Path, s: Saved) -> list[str]:
        return check_track(s.track, "--rules", str(rules_file(d, text)))

    return make


def special(kind: str, name: str, *command: str) -> object:
    """A command whose file named `name` is a FIFO, a socket, a folder or a device."""

    def make(d: Path, s: Saved) -> list[str]:
        path = {
            "fifo": lambda: str(fifo(d / name)),
            "socket": lambda: str(unix_socket(d / name)),
            "folder": lambda: (d / name).mkdir() or str(d / name),
            "zero": lambda: "/dev/zero",
        }[kind]()
        return [a.replace("{T}", str(s.track)).replace("{R}", str(s.report)) for a in command] + [
            path
        ]

    return make


SPECIAL = {
    "video is a FIFO": Case(special("fifo", "clip.mp4", "check", "-q", "--out", "out"), 2, "FIFO"),
    "video is /dev/zero": Case(special("zero", "", "check", "-q", "--out", "out"), 2, "device"),
    "video is a socket": Case(
        special("socket", "clip.mp4", "check", "-q", "--out", "out"), 2, "socket"
    ),
    "track is a FIFO": Case(
        special("fifo", "x.pose.npz", "check", "-q", "--out", "out"), 2, "FIFO"
    ),
    "--rules is a FIFO": Case(
        special("fifo", "r.toml", "check", "{T}", "-q", "--out", "out", "--rules"), 2, "FIFO"
    ),
    "--rules is /dev/zero": Case(
        special("zero", "", "check", "{T}", "-q", "--out", "out", "--rules"), 2, "device"
    ),
    "--rules is a folder": Case(
        special("folder", "r.toml", "check", "{T}", "-q", "--out", "out", "--rules"),
        2,
        "is a folder",
    ),
    "--rules is a socket": Case(
        special("socket", "r.toml", "check", "{T}", "-q", "--out", "out", "--rules"), 2, "socket"
    ),
    "compare with a FIFO": Case(special("fifo", "b.json", "compare", "{R}"), 2, "FIFO"),
    "compare with /dev/zero": Case(special("zero", "", "compare", "{R}"), 2, "device"),
    "compare with a folder": Case(special("folder", "b.json", "compare", "{R}"), 2, "is a folder"),
    "history --db is a FIFO": Case(special("fifo", "h.sqlite", "history", "--db"), 2, "FIFO"),
    "history --db is /dev/zero": Case(special("zero", "", "history", "--db"), 2, "device"),
    "batch --rules is /dev/zero": Case(
        special("zero", "", "batch", "{T}", "-q", "--out", "out", "--rules"), 2, "device"
    ),
    "--rules of 2 MB": Case(
        lambda d, s: check_track(s.track, "--rules", str(sparse(d / "big.toml", 2 << 20))),
        2,
        "more than a rules file can be",
    ),
    "report of 65 MB": Case(
        lambda d, s: ["compare", str(s.report), str(sparse(d / "b.json", 65 << 20))],
        2,
        "more than a report can be",
    ),
    "track of 600 MB": Case(
        lambda d, s: check_track(sparse(d / "huge.pose.npz", 600 << 20)),
        2,
        "more than a pose track can be",
    ),
    "--rules not UTF-8": Case(
        lambda d, s: check_track(s.track, "--rules", str(_bytes(d / "r.toml", b"\xff\xfe\x00x"))),
        2,
        "not UTF-8",
    ),
}


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


_NESTED_ARRAYS = "version = 1\nx = " + "[" * 5000 + "]" * 5000 + "\n"
_NESTED_TABLES = "version = 1\nx = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n"
_LIMITS = "warn = 10.0\nfail = 15.0"
RULES_CASES = {
    "warn = inf, fail = inf": Case(
        with_rules(edited_rules(_LIMITS, "warn = inf\nfail = inf")),
        2,
        "rules.lean_forward.warn: inf is not a finite number",
    ),
    "relax = { flat = nan }": Case(
        with_rules(edited_rules("relax = { uneven = 10.0 }", "relax = { flat = nan }")),
        2,
        "rules.head_down.relax.flat: nan is not a finite number",
    ),
    "warn = nan names warn": Case(
        with_rules(edited_rules(_LIMITS, "warn = nan\nfail = 15.0")),
        2,
        "rules.lean_forward.warn: nan is not a finite number",
        forbid=("at least as strict",),
    ),
    "min_s = nan": Case(
        with_rules(edited_rules("min_samples = 3\nexempt", "min_samples = 3\nmin_s = nan\nexempt")),
        2,
        "lean_forward.min_s: nan",
    ),
    "exercises = 5": Case(
        with_rules("version = 1\nexercises = 5\n[rules.x]\nmetric = 1\n"),
        2,
        "exercises: expected a table, got int 5",
    ),
    "rules = 5": Case(with_rules("version = 1\nrules = 5\n"), 2, "rules: expected a table"),
    "5000 nested arrays": Case(with_rules(_NESTED_ARRAYS), 2, "nested deeper than"),
    "3000 nested inline tables": Case(with_rules(_NESTED_TABLES), 2, "nested deeper than"),
    "an integer of 5000 digits": Case(
        with_rules(edited_rules(_LIMITS, "warn = " + "9" * 5000 + "\nfail = 15.0")),
        2,
        "not a usable TOML file",
    ),
    "a limit of 10**300": Case(
        with_rules(edited_rules(_LIMITS, "warn = 1e300\nfail = 1e301")),
        2,
        "lean_forward.warn: expected a number between",
    ),
    "also = 5": Case(
        with_rules(
            edited_rules(
                'also = [{ metric = "neck_flexion_deg", warn = 35.0, fail = 45.0 }]', "also = 5"
            )
        ),
        2,
        "rules.head_down.also: expected a list of tables",
    ),
    "views a string": Case(
        with_rules(edited_rules('views = ["side"]', 'views = "side"')),
        2,
        "lean_forward.views: expected a list",
    ),
    "message a number": Case(
        with_rules(
            edited_rules(
                'message = "Keep upright from the neck to the abdomen, '
                'rather than leaning forward."',
                "message = 5",
            )
        ),
        2,
        "rules.lean_forward.message: expected a non-empty string",
    ),
    "version = true": Case(
        with_rules(edited_rules("version = 1", "version = true")), 2, "version: expected 1"
    ),
    "a rule that is a list": Case(
        with_rules("version = 1\nrules = { lean = [1, 2] }\n"),
        2,
        "rules.lean: expected a table, got a list",
    ),
}


def _tampered(**change: object) -> object:
    def make(d: Path, s: Saved) -> list[str]:
        return check_track(edit_track(s.track, d / "t.pose.npz", **change))  # type: ignore[arg-type]

    return make


def _set(key: str, value: object):
    return lambda h: h.update({key: value})


def _set_input(key: str, value: object):
    return lambda h: h["meta"]["input"].update({key: value})


def _bomb(d: Path, s: Saved) -> list[str]:
    """A small archive declaring arrays of gigabytes (consistent shapes, zeros compress)."""
    path = d / "bomb.pose.npz"
    n = 3_000_000
    header = json.dumps({"format_version": 1, "resolution_wh": [480, 640], "fps": 30.0,
                         "model": "m", "meta": {}})  # fmt: skip
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, shape in (("timestamps_ms", (n,)), ("landmarks", (n, 33, 5)),
                            ("world_landmarks_m", (n, 33, 3))):  # fmt: skip
            with z.open(f"{name}.npy", "w", force_zip64=True) as fh:
                np.lib.format.write_array_header_1_0(
                    fh, {"descr": "<f4", "fortran_order": False, "shape": shape}
                )
                fh.write(b"\0" * (1 << 16))  # far fewer bytes than declared: never read
        with z.open("header.npy", "w") as fh:
            np.lib.format.write_array(fh, np.array(header))
    return check_track(path)


def _pickled(d: Path, s: Saved) -> list[str]:
    with np.load(s.track) as data:
        members = {k: data[k] for k in data.files}
    members["landmarks"] = np.array([{"x": 1}], dtype=object)
    path = d / "pickled.pose.npz"
    np.savez(path, **members)
    return check_track(path)


def _truncated(d: Path, s: Saved) -> list[str]:
    data = s.track.read_bytes()
    (d / "cut.pose.npz").write_bytes(data[: len(data) // 2])
    return check_track(d / "cut.pose.npz")


def _with_inf(s: Saved) -> np.ndarray:
    with np.load(s.track) as data:
        landmarks = data["landmarks"].copy()
    landmarks[10, 5, 0] = np.inf
    return landmarks


TRACK_CASES = {
    "fps 0": Case(_tampered(header=_set("fps", 0)), 2, "fps is 0"),
    "fps NaN": Case(_tampered(header=_set("fps", float("nan"))), 2, "fps: nan is not"),
    "fps negative": Case(_tampered(header=_set("fps", -2.5)), 2, "fps is -2.5"),
    "header a list": Case(_tampered(raw_header="[1, 2]"), 2, "header is a list"),
    "header not JSON": Case(_tampered(raw_header="{oops"), 2, "header is not valid JSON"),
    "header nested 5000 deep": Case(
        _tampered(raw_header="[" * 5000 + "]" * 5000), 2, "header is not valid JSON"
    ),
    "meta an int": Case(_tampered(header=_set("meta", 5)), 2, "meta is int 5"),
    "frame_count 'abc'": Case(
        _tampered(header=_set_input("frame_count", "abc")), 2, "frame_count is the text 'abc'"
    ),
    "resolution [0, 0]": Case(_tampered(header=_set("resolution_wh", [0, 0])), 2, "resolution_wh"),
    "format_version 3": Case(_tampered(header=_set("format_version", 3)), 2, "format 3"),
    "reversed timestamps": Case(
        lambda d, s: check_track(
            edit_track(s.track, d / "t.pose.npz", timestamps_ms=np.arange(150.0)[::-1] * 33)
        ),
        2,
        "timestamps_ms do not increase",
    ),
    "landmark inf": Case(
        lambda d, s: check_track(edit_track(s.track, d / "t.pose.npz", landmarks=_with_inf(s))),
        2,
        "landmarks mix numbers and NaN",
    ),
    "8 MB-style npz declaring GBs": Case(_bomb, 2, "more than a pose track can", timeout_s=30),
    "garbage bytes": Case(
        lambda d, s: check_track(_bytes(d / "g.pose.npz", np.random.default_rng(0).bytes(9000))),
        2,
        "not a zip archive",
        forbid=("allow_pickle",),
    ),
    "an object array (pickle)": Case(_pickled, 2, "dtype object", forbid=("allow_pickle",)),
    "cut in half": Case(_truncated, 2, "not a posture pose track", forbid=("allow_pickle",)),
}
CASES = {**SPECIAL, **RULES_CASES, **TRACK_CASES}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input(name: str, tmp_path: Path, zygote: Zygote, saved: Saved) -> None:
    case = CASES[name]
    args = case.make(tmp_path, saved)  # type: ignore[operator]
    result = zygote.run(*args, cwd=tmp_path, timeout_s=case.timeout_s)
    assert_outcome(case, tmp_path, result)


def test_a_bad_rules_file_leaves_earlier_outputs_intact(
    tmp_path: Path, zygote: Zygote, saved: Saved
) -> None:
    first = zygote.run(*check_track(saved.track), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    before = snapshot(tmp_path / "out")
    bad = rules_file(tmp_path, edited_rules(_LIMITS, "warn = inf\nfail = inf"))
    again: Completed = zygote.run(*check_track(saved.track, "--rules", str(bad)), cwd=tmp_path)
    assert again.returncode == 2 and len(again.stderr_lines) == 1
    assert snapshot(tmp_path / "out") == before
