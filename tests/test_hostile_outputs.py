"""Hostile inputs, round two (issue 17), part 2: hand-edited reports given to `compare`,
output folders and names, user text printed or written, and reads nobody asked for. Each
case runs the real CLI in a forked process (see `cli_zygote`) with a time limit.
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from pathlib import Path

import pytest

from tests.cli_zygote import Completed, Zygote
from tests.hostile import (
    SAMPLE,
    Case,
    Saved,
    assert_outcome,
    copy,
    edit_track,
    edited_report,
    edited_rules,
    rules_file,
    snapshot,
)
from tests.media import marker_frame, write_clip

pytestmark = pytest.mark.model  # the saved track is made with the model once per session


def _report(change) -> object:
    def make(d: Path, s: Saved) -> list[str]:
        return ["compare", str(s.report), str(edited_report(s.report, d / "b.json", change))]

    return make


def _raw_report(text: str) -> object:
    def make(d: Path, s: Saved) -> list[str]:
        (d / "b.json").write_text(text)
        return ["compare", str(s.report), str(d / "b.json")]

    return make


def _put(key: str, value: object):
    return lambda doc: doc.update({key: value})


def _nest(doc: dict) -> None:
    inner: dict = {}
    doc["metrics"] = {"torso_lean_deg": {"median": 1.0, "more": inner}}
    for _ in range(100):
        inner["x"] = {}
        inner = inner["x"]


REPORTS = {
    "metrics a list": Case(_report(_put("metrics", [1, 2])), 2, "metrics: is a list"),
    "metrics an int": Case(_report(_put("metrics", 7)), 2, "metrics: is int 7"),
    "rules an int": Case(_report(_put("rules", 3)), 2, "rules: is int 3"),
    "status an int": Case(_report(_put("status", 1)), 2, "status: is int 1"),
    "status a list": Case(_report(_put("status", ["ok"])), 2, "status: is a list"),
    "input a string": Case(_report(_put("input", "clip.mp4")), 2, "input: is the text"),
    "a rule that is a string": Case(
        _report(_put("rules", ["lean_forward"])), 2, "rules[0]: is the text"
    ),
    "a median that is text": Case(
        _report(_put("metrics", {"torso_lean_deg": {"median": "2.4"}})),
        2,
        "metrics.torso_lean_deg.median: is the text '2.4'",
    ),
    "a rule status 'great'": Case(
        _report(lambda d: d["rules"][0].update(status="great")), 2, "rules[0].status"
    ),
    "nested 100 deep": Case(_report(_nest), 2, "nested deeper than"),
    "nested 100000 deep": Case(_raw_report("[" * 100_000 + "]" * 100_000), 2, "nested deeper than"),
    "schema_version '1' (text)": Case(
        _report(_put("schema_version", "1")),
        2,
        "schema_version: is the text '1', expected a whole number",
        forbid=("newer",),
    ),
    "schema_version 99": Case(_report(_put("schema_version", 99)), 2, "newer than this posture"),
    "a NaN median": Case(
        _report(_put("metrics", {"torso_lean_deg": {"median": float("nan")}})),
        2,
        "nan is not a finite number",
    ),
    "not JSON": Case(_raw_report("{'a': 1"), 2, "not valid JSON"),
    "a JSON list": Case(_raw_report("[1, 2, 3]"), 2, "not a posture report"),
}


def _existing_file(d: Path, s: Saved) -> list[str]:
    (d / "out").write_text("my notes\n")
    return ["check", str(s.track), "--out", "out", "-q"]


def _under_a_file(d: Path, s: Saved) -> list[str]:
    (d / "notes.txt").write_text("my notes\n")
    return ["check", str(s.track), "--out", "notes.txt/reports", "-q"]


def _notes_intact(d: Path, result: Completed) -> None:
    for name in ("out", "notes.txt"):
        if (d / name).is_file():
            assert (d / name).read_text() == "my notes\n"


def _lock_symlink(d: Path, s: Saved) -> list[str]:
    (d / "out").mkdir()
    (d / "precious").write_text("keep\n")
    (d / "out" / ".posture-batch.lock").symlink_to(d / "precious")
    return ["batch", str(s.track), "--out", "out", "-q"]


def _precious_intact(d: Path, result: Completed) -> None:
    assert (d / "precious").read_text() == "keep\n"


OUTPUTS = {
    "--out an existing file": Case(
        _existing_file, 6, "is a file, not a folder", check=_notes_intact
    ),
    "--out under a file": Case(
        _under_a_file, 6, "notes.txt is a file, not a folder", check=_notes_intact
    ),
    "batch --out an existing file": Case(
        lambda d, s: ["batch", *_existing_file(d, s)[1:]], 6, "is a file", check=_notes_intact
    ),
    "live --out an existing file": Case(
        lambda d, s: ["live", "--camera", str(SAMPLE), "--no-window", *_existing_file(d, s)[2:4]],
        6,
        "is a file",
        check=_notes_intact,
    ),
    "batch lock file is a symlink": Case(
        _lock_symlink, 6, "the lock file is a symbolic link", check=_precious_intact
    ),
}


def _named(name: str) -> object:
    """The saved track under a hostile name; no recorded video, so the name is the title."""

    def make(d: Path, s: Saved) -> list[str]:
        path = edit_track(s.track, d / name, header=lambda h: h["meta"]["input"].pop("sha256"))
        return ["check", str(path.relative_to(d)), "--out", "out", "--no-history"]

    return make


def _says(*phrases: str):
    def check(d: Path, result: Completed) -> None:
        for phrase in phrases:
            assert phrase in result.stderr, result.stderr

    return check


def _concat(d: Path, s: Saved) -> list[str]:
    write_clip(d / "a.mkv", [marker_frame(64, 64)] * 10)
    write_clip(d / "b.mp4", [marker_frame(64, 64)] * 10)
    (d / "concat:a.mkv|b.mp4").write_text("not a video\n" * 50)
    return ["check", "concat:a.mkv|b.mp4", "--out", "out", "-q"]


TEXT_AND_READS = {
    "clip path with [/]": Case(
        _named("[/]run.pose.npz"), 0, check=_says("[/]run.pose.npz  480x640", "out/]run.report")
    ),
    "clip named [old] run": Case(
        _named("[old] run.pose.npz"), 0, check=_says("report: out/[old] run.report.html")
    ),
    "escape codes in a missing name": Case(
        lambda d, s: ["check", "\x1b[2Jred\x07.mp4", "--out", "out"], 2, "\\x1b[2Jred\\x07.mp4"
    ),
    "escape codes in a track name": Case(
        _named("\x1b]0;pwned\x07run.pose.npz"), 0, check=_says("\\x1b]0;pwned\\x07run")
    ),
    "FFmpeg concat: protocol in a name": Case(_concat, 2, "not a video file"),
}
CASES = {**REPORTS, **OUTPUTS, **TEXT_AND_READS}


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_output_case(name: str, tmp_path: Path, zygote: Zygote, saved: Saved) -> None:
    case = CASES[name]
    args = case.make(tmp_path, saved)  # type: ignore[operator]
    result = zygote.run(*args, cwd=tmp_path, timeout_s=case.timeout_s)
    assert_outcome(case, tmp_path, result)


def test_two_clips_of_one_name_keep_both_results(
    tmp_path: Path, zygote: Zygote, saved: Saved, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTURE_HISTORY_DB", str(tmp_path / "h.sqlite"))
    a, b = copy(saved.track, tmp_path / "a" / "run.pose.npz"), tmp_path / "b" / "run.pose.npz"
    edit_track(saved.track, b, header=lambda h: h["meta"].update(brightness_mean=3.0))
    result = zygote.run("check", "a/run.pose.npz", "b/run.pose.npz", "--out", "o", "-q",
                        "--no-video", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0 and result.stderr == "", result.stderr
    reports = sorted((tmp_path / "o").glob("*.report.json"))
    assert len(reports) == 2 and all(p.name.startswith("run-") for p in reports)
    dark = [any("very dark" in w for w in json.loads(p.read_text())["capture"]["warnings"])
            for p in reports]  # fmt: skip
    assert sorted(dark) == [False, True]  # b's report is b's, a's was not replaced
    with sqlite3.connect(tmp_path / "h.sqlite") as db:
        paths = {row[0] for row in db.execute("SELECT report_path FROM runs")}
    assert paths == {str(p.resolve()) for p in reports}
    assert a.is_file()


def test_rules_markup_and_escape_codes_are_shown_as_written(
    tmp_path: Path, zygote: Zygote, saved: Saved, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTURE_HISTORY_DB", str(tmp_path / "h.sqlite"))
    text = edited_rules("[rules.lean_forward]", '[rules."[/]lean"]')
    text = text.replace("warn = 10.0\nfail = 15.0", "warn = -100.0\nfail = -90.0", 1)
    text = text.replace("rather than leaning forward.", "[bold red]rather[/] \\u001b[31mnot[/]", 1)
    # the terminal table shows the title and the short cue: markup there is shown as written
    text = text.replace('title = "Leaning forward"', 'title = "[/]lean"', 1)
    text = text.replace('cue = "Stay upright"', 'cue = "[bold red]rather[/] \\u001b[31mnot[/]"', 1)
    rules = rules_file(tmp_path, text)
    result = zygote.run("check", str(saved.track), "--out", "out", "--rules", str(rules),
                        "--no-video", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "\x1b" not in result.stderr
    assert "[/]lean" in result.stderr and "[bold red]rather[/]" in result.stderr
    assert "\\x1b[31mnot" in result.stderr
    with sqlite3.connect(tmp_path / "h.sqlite") as db:
        assert db.execute("SELECT count(*) FROM runs").fetchone()[0] == 1  # history recorded


def test_compare_shows_markup_in_ids_literally(tmp_path: Path, zygote: Zygote, saved: Saved):
    def change(doc: dict) -> None:
        doc["rules"][0]["id"] = "[/]odd"
        doc["metrics"]["[red]m"] = {"median": 1.0, "unit": "[/]"}

    b = edited_report(saved.report, tmp_path / "b.json", change)
    result = zygote.run("compare", str(saved.report), str(b), cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert "[/]odd" in result.stdout and "[red]m" in result.stdout


@pytest.mark.parametrize(
    ("stored", "expect_video"),
    [("/etc/passwd", False), ("other", False), ("same", True)],
    ids=["input.path -> /etc/passwd", "input.path -> another video", "the recorded video"],
)
def test_a_tracks_stored_path_is_used_only_when_verified(
    tmp_path: Path, zygote: Zygote, saved: Saved, stored: str, expect_video: bool
) -> None:
    other = copy(SAMPLE.with_name("bouncy_side.mp4"), tmp_path / "other.mp4")
    paths = {"/etc/passwd": "/etc/passwd", "other": str(other), "same": str(SAMPLE)}
    track = edit_track(
        saved.track,
        tmp_path / "t.pose.npz",
        header=lambda h: h["meta"]["input"].update(path=paths[stored]),
    )
    result = zygote.run("check", str(track), "--out", "out", "-q", "--no-html", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    report = json.loads((tmp_path / "out" / "t.report.json").read_text())
    assert (tmp_path / "out" / "t.annotated.mp4").exists() is expect_video
    if expect_video:
        assert report["input"]["path"] == str(SAMPLE)
    else:
        assert report["input"]["path"] == str(track)
        assert any("is gone or changed" in w for w in report["capture"]["warnings"])


def test_summary_csv_cells_are_not_formulas(tmp_path: Path, zygote: Zygote, saved: Saved):
    copy(saved.track, tmp_path / "=HYPERLINK(1).pose.npz")
    result = zygote.run("batch", "=HYPERLINK(1).pose.npz", "--out", "out", "-q", "--workers",
                        "1", cwd=tmp_path, timeout_s=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    with (tmp_path / "out" / "summary.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["name"].startswith("'=HYPERLINK(1)-")
    for row in rows:
        assert not any(str(v).startswith(("=", "+", "@")) for v in row.values())


def test_a_batch_rerun_does_not_analyse_its_own_outputs(tmp_path: Path, zygote: Zygote) -> None:
    clips = tmp_path / "clips"
    copy(SAMPLE, clips / "good.mp4")
    args = ("batch", "clips", "--out", "clips/results", "-q", "--workers", "1")
    first = zygote.run(*args, cwd=tmp_path, timeout_s=300)
    assert first.returncode == 0, first.stderr
    assert list((clips / "results").glob("*.annotated.mp4"))
    before = snapshot(clips / "results")
    second = zygote.run(*args, cwd=tmp_path, timeout_s=300)
    assert second.returncode == 0, second.stderr
    summary = json.loads((clips / "results" / "summary.json").read_text())
    assert [Path(r["path"]).name for r in summary["rows"]] == ["good.mp4"]
    assert summary["rows"][0]["resumed"] is True
    after = snapshot(clips / "results")
    clip_files = [k for k in before if k.startswith("good-")]
    assert len(clip_files) >= 4 and all(after[k] == before[k] for k in clip_files)


def test_no_hang_on_a_fifo_sidecar(tmp_path: Path) -> None:
    from posture.batch.resume import read_sidecar

    os.mkfifo(tmp_path / "x-1234abcd.batch.json")
    assert read_sidecar(tmp_path, "x-1234abcd") is None  # would block forever if read
