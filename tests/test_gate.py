"""The input gate's parts (issue 17), in-process: file kinds, output text, output folders,
lock files, batch input exclusion, the TTS command line and the model URL policy."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from posture.batch.inputs import expand_inputs
from posture.errors import BadInputError, ModelUnavailableError, OutputError, UsageError
from posture.gate import (
    HISTORY,
    REPORT,
    RULES,
    TRACK,
    TRUTH,
    VIDEO,
    FileKind,
    check_file,
    check_out_dir,
    csv_cell,
    decoder_path,
    open_lock_file,
    printable,
    read_text,
    rich_safe,
    unique_stems,
)
from posture.live.voice import CommandSpeaker
from posture.modelstore.registry import load_registry
from posture.modelstore.store import check_pinned
from posture.report.history import record_run_safely
from tests.hostile import fifo, unix_socket

KINDS = {"video": VIDEO, "track": TRACK, "rules": RULES, "report": REPORT, "truth": TRUTH}
SPECIALS = {
    "FIFO": (lambda d: fifo(d / "f"), "a named pipe (FIFO)"),
    "socket": (lambda d: unix_socket(d / "s"), "a socket"),
    "device": (lambda d: Path("/dev/null"), "a character device"),
    "folder": (lambda d: d, "is a folder"),
}


@pytest.mark.parametrize("kind", list(KINDS))
@pytest.mark.parametrize("special", list(SPECIALS))
def test_every_kind_refuses_special_files_without_reading(
    tmp_path: Path, kind: str, special: str
) -> None:
    make, words = SPECIALS[special]
    path = make(tmp_path)
    start = time.monotonic()
    with pytest.raises(KINDS[kind].error, match=words.replace("(", r"\(").replace(")", r"\)")):
        read_text(path, KINDS[kind])
    assert time.monotonic() - start < 2.0  # refused, not read


def test_the_kind_decides_the_error_class(tmp_path: Path) -> None:
    assert RULES.error is UsageError and TRACK.error is BadInputError
    with pytest.raises(UsageError, match="no such file; give a rules TOML"):
        read_text(tmp_path / "none.toml", RULES)


def test_an_empty_history_database_is_allowed_an_empty_report_is_not(tmp_path: Path) -> None:
    (tmp_path / "e").write_bytes(b"")
    check_file(tmp_path / "e", HISTORY)
    with pytest.raises(BadInputError, match="the file is empty"):
        check_file(tmp_path / "e", REPORT)


def test_a_file_larger_than_its_kind_is_refused_before_reading(tmp_path: Path) -> None:
    small = FileKind("thing", "give a small thing", 10)
    (tmp_path / "t").write_bytes(b"x" * 11)
    with pytest.raises(BadInputError, match="is 11 bytes, more than a thing can be"):
        read_text(tmp_path / "t", small)


def test_history_in_a_fifo_is_a_warning_not_a_hang(tmp_path: Path) -> None:
    db = fifo(tmp_path / "h.sqlite")
    warning = record_run_safely({"status": "ok", "input": {"path": "x"}}, None, db)
    assert warning is not None and "named pipe" in warning


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("run\x1b[31m.mp4", "run\\x1b[31m.mp4"),
        ("a\x07b", "a\\x07b"),
        ("a\nb", "a\\x0ab"),
        ("a\x9bb", "a\\x9bb"),  # C1 CSI
        ("a\u2028b", "a\\u2028b"),
        ("Läufer 走る\tok", "Läufer 走る\tok"),
    ],
)
def test_control_characters_are_shown_not_sent(text: str, shown: str) -> None:
    assert printable(text) == shown


@pytest.mark.parametrize("text", ["[/]", "[old] run.mp4", "[bold red]x[/]", "a\\[b]"])
def test_rich_safe_text_renders_as_written(text: str) -> None:
    from rich.console import Console

    console = Console(width=200, record=True)
    with console.capture() as capture:
        console.print(rich_safe(text))
    assert capture.get().rstrip("\n") == text


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=HYPERLINK(1)", "'=HYPERLINK(1)"),
        ("+1", "'+1"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("run.mp4", "run.mp4"),
        (-3.5, -3.5),
        (None, None),
    ],
)
def test_csv_cells_are_never_formulas(cell: object, written: object) -> None:
    assert csv_cell(cell) == written


def test_out_dir_checks(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    check_out_dir(tmp_path / "new" / "deeper")  # not there yet: fine
    check_out_dir(tmp_path)
    with pytest.raises(OutputError, match="is a file, not a folder"):
        check_out_dir(tmp_path / "file")
    with pytest.raises(OutputError, match="file is a file, not a folder"):
        check_out_dir(tmp_path / "file" / "a" / "b")
    with pytest.raises(OutputError, match="named pipe"):
        check_out_dir(fifo(tmp_path / "pipe"))


def test_lock_files_are_never_followed_or_fifos(tmp_path: Path) -> None:
    target = tmp_path / "precious"
    (tmp_path / "lock").symlink_to(target)
    with pytest.raises(OutputError, match="symbolic link"):
        open_lock_file(tmp_path / "lock")
    assert not target.exists()  # not created through the link
    with pytest.raises(OutputError, match="named pipe"):
        open_lock_file(fifo(tmp_path / "pipe"))
    os.close(open_lock_file(tmp_path / "fine.lock"))
    assert stat.S_ISREG(os.stat(tmp_path / "fine.lock").st_mode)


def test_clips_of_one_name_get_hashed_stems(tmp_path: Path) -> None:
    a, b = tmp_path / "a" / "run.mp4", tmp_path / "b" / "run.mp4"
    stems = unique_stems([a, b, tmp_path / "x.mp4", a], ["run", "run", "x", "run"])
    assert stems[0] != stems[1] and stems[0] == stems[3] and stems[2] == "x"
    assert all(s.startswith("run-") and len(s) == len("run-") + 8 for s in stems[:2])


def test_batch_inputs_exclude_the_output_folders_videos(tmp_path: Path) -> None:
    clips, out = tmp_path / "clips", tmp_path / "clips" / "results"
    out.mkdir(parents=True)
    for path in (clips / "a.mp4", out / "a-12345678.annotated.mp4", out / "mine.mp4"):
        path.write_bytes(b"x")
    names = {job.path.name for job in expand_inputs([str(clips)], exclude=out)}
    assert names == {"a.mp4", "mine.mp4"}
    same = {job.path.name for job in expand_inputs([str(out)], exclude=out)}
    assert same == {"mine.mp4"}
    globbed = {job.path.name for job in expand_inputs([f"{clips}/**/*.mp4"], exclude=out)}
    assert globbed == {"a.mp4", "mine.mp4"}


def test_ffmpeg_gets_an_absolute_path_never_a_protocol(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("concat:a.mkv|b.mp4", "http:x.mp4", "file:y.mp4", "subfile,,start,0:z"):
        assert decoder_path(name) == str(tmp_path / name)


def _recording_command(folder: Path, log: Path) -> str:
    script = folder / "fake-tts"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\n')
    script.chmod(0o755)
    return str(script)


def test_a_cue_starting_with_a_dash_is_text_not_an_option(tmp_path: Path) -> None:
    log = tmp_path / "argv"
    speaker = CommandSpeaker(_recording_command(tmp_path, log))
    speaker.say("-w /tmp/elsewhere.wav")
    assert speaker._proc is not None
    speaker._proc.wait(timeout=10)
    argv = log.read_text().splitlines()
    assert argv[-2:] == ["--", "-w /tmp/elsewhere.wav"]


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed")
def test_espeak_ng_speaks_a_dash_cue(tmp_path: Path) -> None:
    wav, pwned = tmp_path / "cue.wav", tmp_path / "pwned.wav"
    wrapper = tmp_path / "espeak-wrapper"
    wrapper.write_text(f'#!/bin/sh\nexec espeak-ng -w {wav} "$@"\n')
    wrapper.chmod(0o755)
    speaker = CommandSpeaker(str(wrapper))
    speaker.say(f"-w {pwned}")
    assert speaker._proc is not None and speaker._proc.wait(timeout=30) == 0
    assert wav.stat().st_size > 1000 and not pwned.exists()


def test_the_shipped_registry_pins_model_versions() -> None:
    for entry in load_registry().variants.values():
        if entry.url is not None:
            assert "/latest/" not in entry.url.url or entry.url.sha256
            check_pinned(entry.url.url, entry.url.sha256)


def test_an_unpinned_latest_url_is_refused() -> None:
    url = "https://storage.googleapis.com/x/float16/latest/pose_landmarker_full.task"
    with pytest.raises(ModelUnavailableError, match="refusing an unverifiable download"):
        check_pinned(url, "")
    check_pinned(url, "a" * 64)  # with a recorded digest it is verified after download


def test_the_url_source_never_downloads_latest_without_a_hash(tmp_path: Path, monkeypatch) -> None:
    from posture.modelstore import fetch, store
    from posture.modelstore.registry import UrlSource, VariantEntry

    entry = VariantEntry("full", 9.4, url=UrlSource("https://h/float16/latest/m.task"))
    monkeypatch.setattr(store, "_entry", lambda variant: entry)
    calls: list[str] = []
    monkeypatch.setattr(fetch, "download", lambda url, dest, progress=None: calls.append(url))
    with pytest.raises(ModelUnavailableError, match="latest"):
        store.ensure_model("full", tmp_path, sources=["url"])
    assert calls == []


def test_subprocess_sanity_of_fake_tts(tmp_path: Path) -> None:
    # The recording command itself works (so the dash test above tests posture, not sh).
    log = tmp_path / "argv"
    subprocess.run([_recording_command(tmp_path, log), "a", "-b"], check=True, timeout=10)
    assert log.read_text().splitlines() == ["a", "-b"]
