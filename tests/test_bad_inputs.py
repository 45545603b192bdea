"""Catalogue of bad and hostile inputs, each made here, run through `posture check` as a user
would (a real process). For each: the documented exit code, one line on stderr naming the
problem, no traceback, and no half-written output. Cases that can still be analysed must
produce a report that says what was wrong with the capture.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from click.testing import Result
from typer.testing import CliRunner

from posture.cli import app
from tests.conftest import SHARED_SAMPLES, shared_clip
from tests.media import first_frames, marker_frame, set_mp4_rotation, write_clip


@dataclass(frozen=True)
class Case:
    """One bad input: how to make it, what the user must get."""

    make: Callable[[Path], Path]
    exit_code: int
    stderr: str = ""  # a phrase the one-line error must contain (exit 2 cases)
    warning: str = ""  # a phrase the report's capture warnings must contain
    needs_model: bool = False


def _write(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(d: Path) -> Path:
        (d / name).write_bytes(data)
        return d / name

    return make


def _clip(name: str, frames: int = 10, size_wh: tuple[int, int] = (64, 48), **kw) -> Callable:
    def make(d: Path) -> Path:
        w, h = size_wh
        return write_clip(d / name, [marker_frame(w, h)] * frames, **kw)

    return make


def _truncated(fraction: float) -> Callable[[Path], Path]:
    """The start of a real clip whose index comes first (so a prefix is still decodable)."""

    def make(d: Path) -> Path:
        data = _short_real(d).read_bytes()
        path = d / f"cut_{int(fraction * 100)}.mp4"
        path.write_bytes(data[: int(len(data) * fraction)])
        return path

    return make


def _without_moov(d: Path) -> Path:
    """A recording cut off before its index (moov, written last) was saved: a phone that died."""
    data = write_clip(d / "src.mp4", [marker_frame()] * 10).read_bytes()
    assert data.find(b"moov") > data.find(b"mdat")  # index at the end, as recorders write it
    (d / "no_moov.mp4").write_bytes(data[: data.find(b"moov") - 4])
    return d / "no_moov.mp4"


def _zero_frames(d: Path) -> Path:
    with av.open(str(d / "zero.mp4"), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()  # header and an empty video track, no frame
    assert (d / "zero.mp4").stat().st_size > 0
    return d / "zero.mp4"


def _audio_only(d: Path) -> Path:
    with av.open(str(d / "voice.m4a"), "w") as container:
        stream = container.add_stream("aac", rate=44100)
        for i in range(20):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 44100, i * 1024
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return d / "voice.m4a"


def _png(d: Path) -> Path:
    ok, png = cv2.imencode(".png", np.full((200, 300, 3), 128, np.uint8))
    assert ok
    (d / "photo.mp4").write_bytes(png.tobytes())
    return d / "photo.mp4"


def _timescale_zero(d: Path) -> Path:
    """An MP4 whose media header says the time scale is 0 (frame rate comes out ~0)."""
    data = bytearray(write_clip(d / "src.mp4", [marker_frame()] * 12).read_bytes())
    at = data.find(b"mdhd")
    offset = at + 4 + 4 + (16 if data[at + 4] == 1 else 8)
    data[offset : offset + 4] = struct.pack(">I", 0)
    (d / "fps0.mp4").write_bytes(bytes(data))
    return d / "fps0.mp4"


def _dark(d: Path) -> Path:
    cap = cv2.VideoCapture(str(shared_clip("treadmill_side_lab.mp4")))
    frames = []
    while len(frames) < 90:
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append((cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) * 0.06).astype(np.uint8))
    cap.release()
    return write_clip(d / "night run.mp4", frames, fps=30)


def _short_real(d: Path) -> Path:
    """The first 200 frames (6.7 s) of the real treadmill clip, index first."""
    return first_frames(shared_clip("treadmill_side_lab.mp4"), d / "short_real.mp4", 200)


def _upside_down(d: Path) -> Path:
    return set_mp4_rotation(_short_real(d), d / "upside_down.mp4", 180)


def _odd_name(d: Path) -> Path:
    data = shared_clip("treadmill_side_lab.mp4").read_bytes()
    path = d / "my 'first' \"run\" – Läufer 走る.mp4"
    path.write_bytes(data[: len(data) // 6])
    return path


CASES: dict[str, Case] = {
    "missing path": Case(lambda d: d / "nope.mp4", 2, "no such file"),
    "a folder": Case(lambda d: d, 2, "is a folder"),
    "empty file": Case(_write("empty.mp4", b""), 2, "is empty"),
    "text named .mp4": Case(_write("notes.mp4", b"hello\n" * 100), 2, "not a video"),
    "random bytes": Case(
        _write("noise.mp4", np.random.default_rng(1).bytes(50_000)), 2, "not a video"
    ),
    "moov atom missing": Case(_without_moov, 2, "not a video"),
    "zero frames": Case(_zero_frames, 2, "not a video"),
    "audio only": Case(_audio_only, 2, "no decodable video stream"),
    "PNG given as video": Case(_png, 2, "still image (PNG)"),
    "1x1 video": Case(_clip("dot.mp4", size_wh=(2, 2)), 2, "too small"),
    "one frame": Case(_clip("one.mp4", frames=1), 3, warning="only 0.0 s long", needs_model=True),
    "fps metadata 1000": Case(
        _clip("fast.mp4", frames=20, fps=1000, pts_ms=list(range(20))),
        3,
        warning="claims 1000 frames/s",
        needs_model=True,
    ),
    # OpenCV decodes at most the first frame of such a file: refused as undecodable.
    "fps metadata ~0": Case(_timescale_zero, 2, "no frames that can be decoded"),
    "8K frames": Case(
        _clip("huge.mp4", frames=2, size_wh=(7680, 4320)), 3, warning="runner", needs_model=True
    ),
    "truncated at 25%": Case(_truncated(0.25), 0, warning="ends early", needs_model=True),
    "truncated at 50%": Case(_truncated(0.5), 0, warning="ends early", needs_model=True),
    "truncated at 90%": Case(_truncated(0.9), 0, warning="ends early", needs_model=True),
    "very dark": Case(_dark, 3, warning="very dark", needs_model=True),
    "spaces, quotes, unicode in name": Case(_odd_name, 0, warning="", needs_model=True),
}


def run_check(clip: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    code = "from posture.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, "check", str(clip), "--out", str(out), *extra],
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_no_temp_files(out: Path) -> None:
    leftovers = [p.name for p in out.rglob("*") if p.name.endswith(".tmp")] if out.exists() else []
    assert leftovers == []


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    clip = case.make(tmp_path)
    out = tmp_path / "out"
    result = run_check(clip, out, "--quiet")
    assert result.returncode == case.exit_code, result.stderr
    assert "Traceback" not in result.stderr
    assert_no_temp_files(out)
    if case.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert case.stderr in lines[0]
        assert not out.exists() or not any(out.iterdir())
        return
    reports = list(out.glob("*.report.json"))
    assert len(reports) == 1
    report = json.loads(reports[0].read_text())
    warnings = " ".join(report["capture"]["warnings"])
    assert case.warning in warnings
    if case.exit_code == 3:
        assert report["status"] == "no_runner"


def test_upside_down_clip_is_turned_upright(tmp_path: Path) -> None:
    clip = _upside_down(tmp_path)
    result = run_check(clip, tmp_path / "out", "--json", "--quiet", "--no-video")
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    assert_no_temp_files(tmp_path / "out")
    report = json.loads(result.stdout)
    assert report["input"]["rotation_deg"] == 180
    assert report["pose"]["coverage"] >= 0.95  # the runner is found because frames are upright


NOBODY = 65534


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A folder an unprivileged user can enter (pytest's own are root-only)."""
    path = Path(tempfile.mkdtemp(prefix="posture-perm-", dir="/tmp"))
    path.chmod(0o777)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def invoke_as_nobody(args: list[str]) -> Result:
    """Run the CLI in-process with the effective user `nobody` (root ignores permissions).

    The interpreter's own files are root's, so the CLI is run once as root first to load
    every module it imports lazily.
    """
    if os.getuid() != 0:
        pytest.skip("switching to another user needs root")
    import encodings.cp437  # noqa: F401  (zip member names, read when a .npz is opened)

    import posture.pipeline  # and through it the source, track and report

    runner = CliRunner()
    runner.invoke(app, ["check", "--help"])
    # An interpreter under a private home (/root is 0700 on some machines), or a checkout
    # under a private temporary folder (mktemp -d), cannot load the modules a command imports
    # later: let others pass through those folders meanwhile.
    roots = (Path(sys.prefix).resolve(), Path(posture.__file__).resolve().parent)
    closed = sorted({d for root in roots for d in root.parents if not d.stat().st_mode & 0o001})
    modes = {d: d.stat().st_mode for d in closed}
    for d in closed:
        d.chmod(modes[d] | 0o001)
    os.setegid(NOBODY)
    os.seteuid(NOBODY)
    try:
        return runner.invoke(app, args)
    finally:
        os.seteuid(0)
        os.setegid(0)
        for d, mode in modes.items():
            d.chmod(mode)


def test_unreadable_file(open_dir: Path) -> None:
    clip = write_clip(open_dir / "private.mp4", [marker_frame()] * 5)
    clip.chmod(0o600)  # root's, unreadable to others
    result = invoke_as_nobody(["check", str(clip), "--out", str(open_dir / "out")])
    assert result.exit_code == 2, result.output
    assert "no permission to read" in result.output


def test_read_only_output_folder(open_dir: Path) -> None:
    track = _saved_track(open_dir)
    out = open_dir / "locked"
    out.mkdir()
    out.chmod(0o555)
    result = invoke_as_nobody(["check", str(track), "--out", str(out)])
    assert result.exit_code == 6, result.output
    assert "cannot write output" in result.output
    assert list(out.iterdir()) == []


def test_full_disk_leaves_no_partial_file(tmp_path: Path) -> None:
    """A file-size limit makes every write past 4 kB fail, as a full disk does."""
    import resource

    track = _saved_track(tmp_path)
    out = tmp_path / "out"

    def limit_file_size() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing us
        resource.setrlimit(resource.RLIMIT_FSIZE, (4_000, 4_000))

    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from posture.cli import main; main()",
            "check",
            str(track),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        preexec_fn=limit_file_size,
        timeout=120,
    )
    assert result.returncode == 6, result.stderr
    assert "cannot write output" in result.stderr and "Traceback" not in result.stderr
    assert_no_temp_files(out)
    assert not list(out.glob("*.report.json"))


def _saved_track(d: Path) -> Path:
    """A small pose track file (no model needed to re-analyse it)."""
    from tests.test_track import random_track

    path = d / "shared_track.pose.npz"
    random_track(60, missing=()).save(path)
    os.chmod(path, 0o644)
    return path


@pytest.mark.skipif(not SHARED_SAMPLES.is_dir(), reason="needs ../shared/samples footage")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_mid_analysis_leaves_nothing(tmp_path: Path, sig: signal.Signals) -> None:
    clip = shared_clip("treadmill_side_lab.mp4")
    out = tmp_path / "out"
    code = "from posture.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "check", str(clip), "--out", str(out)],
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(6)  # model loaded, frames being analysed
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert not out.exists() or list(out.iterdir()) == []
