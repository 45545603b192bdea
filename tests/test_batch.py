"""`posture batch` for real: worker processes, MediaPipe, short clips cut from shared footage.

Clips are ~2 s cuts of ../shared/samples/treadmill_side_lab.mp4 (skipped when absent), so a
whole batch takes seconds. The batch runs as a real subprocess wherever a process is killed
or crashes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest
from typer.testing import CliRunner

from posture.cli import app
from posture.cli.batch import batch
from tests.conftest import shared_clip
from tests.media import write_clip

pytestmark = [pytest.mark.model, pytest.mark.footage]

if not any(c.callback is batch for c in app.registered_commands):
    app.command()(batch)  # until the CLI registers it

CLI = (
    "from posture.cli import app, main\n"
    "from posture.cli.batch import batch\n"
    "if not any(c.callback is batch for c in app.registered_commands):\n"
    "    app.command()(batch)\n"
    "main()\n"
)


def cut(dst: Path, start_s: float, duration_s: float) -> Path:
    """Write `duration_s` of the treadmill clip from `start_s` as an H.264 MP4 at `dst`."""
    cap = cv2.VideoCapture(str(shared_clip("treadmill_side_lab.mp4")))
    cap.set(cv2.CAP_PROP_POS_MSEC, start_s * 1000.0)
    fps = cap.get(cv2.CAP_PROP_FPS)
    frames = []
    while len(frames) < round(duration_s * fps):
        ok, bgr = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    cap.release()
    dst.parent.mkdir(parents=True, exist_ok=True)
    return write_clip(dst, frames, fps=fps)


@pytest.fixture(scope="module")
def footage(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> list[Path]:
    """Four ~2 s clips (different stretches of the run), made once per module."""
    folder = tmp_path_factory.mktemp("footage")
    return [cut(folder / f"clip{i}.mp4", 2.0 + 6.0 * i, 2.0) for i in range(4)]


def place(clip: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(clip.read_bytes())
    return dst


def batch_args(*args: str | Path) -> list[str]:
    return [sys.executable, "-c", CLI, "batch", *map(str, args)]


def run_batch(*args: str | Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        batch_args(*args),
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def rows_by_file(out: Path, src: Path) -> dict[str, dict]:
    """Summary rows keyed by the clip's path relative to `src`."""
    return {Path(r["path"]).relative_to(src).as_posix(): r for r in summary(out)["rows"]}


def temp_files(out: Path) -> list[Path]:
    return [p for p in out.iterdir() if p.name.endswith(".tmp")]


@pytest.fixture
def mixed(tmp_path: Path, footage: list[Path]) -> Path:
    """in/a/run.mp4, in/b/run.mp4 (same name), a truncated MP4, a text file named .mp4,
    and a .txt file that a folder search must ignore."""
    src = tmp_path / "in"
    place(footage[0], src / "a" / "run.mp4")
    place(footage[1], src / "b" / "run.mp4")
    data = footage[2].read_bytes()
    (src / "b" / "corrupt.mp4").write_bytes(data[: len(data) // 3])
    (src / "b" / "text.mp4").write_text("not a video\n")
    (src / "a" / "notes.txt").write_text("ignored\n")
    return src


def test_mixed_folder_records_errors_and_goes_on(tmp_path: Path, mixed: Path) -> None:
    out = tmp_path / "out"
    result = run_batch(mixed, "--out", out, "--workers", "2")
    assert result.returncode == 1, result.stderr
    rows = rows_by_file(out, mixed)
    assert set(rows) == {"a/run.mp4", "b/run.mp4", "b/corrupt.mp4", "b/text.mp4"}
    assert rows["a/run.mp4"]["status"] == rows["b/run.mp4"]["status"] == "analysed"
    assert rows["a/run.mp4"]["name"] != rows["b/run.mp4"]["name"]
    for bad in ("b/corrupt.mp4", "b/text.mp4"):
        assert rows[bad]["status"] == "error" and "not a video file" in rows[bad]["error"]
    for good in ("a/run.mp4", "b/run.mp4"):
        report = json.loads((out / f"{rows[good]['name']}.report.json").read_text())
        assert report["input"]["path"].endswith(good)
        assert rows[good]["duration_s"] == pytest.approx(2.0, abs=0.1)
        assert rows[good]["report"] in (out / "index.html").read_text()
    counts = summary(out)["counts"]
    assert (counts["analysed"], counts["error"], counts["pending"]) == (2, 2, 0)
    assert (out / "summary.csv").read_text().count("\n") == 5
    assert "Traceback" not in result.stderr and not temp_files(out)


def test_a_worker_crash_costs_only_its_clip(tmp_path: Path, footage: list[Path]) -> None:
    src = tmp_path / "in"
    place(footage[0], src / "a_crashme.mp4")
    place(footage[1], src / "b_fine.mp4")
    place(footage[2], src / "c_fine.mp4")
    out = tmp_path / "out"
    # One worker: the crashed process must be replaced for the clips after it.
    result = run_batch(
        src, "--out", out, "--workers", "1", env={"POSTURE_TEST_CRASH_ON": "crashme"}
    )
    assert result.returncode == 1, result.stderr
    rows = rows_by_file(out, src)
    assert rows["a_crashme.mp4"]["status"] == "error"
    assert "crashed (SIGSEGV)" in rows["a_crashme.mp4"]["error"]
    assert rows["b_fine.mp4"]["status"] == rows["c_fine.mp4"]["status"] == "analysed"


def _wait_for_marks(out: Path, count: int, proc: subprocess.Popen, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while len(list(out.glob("*.batch.json"))) < count:
        assert proc.poll() is None, "the batch ended before it could be interrupted"
        assert time.monotonic() < deadline, "no clip finished in time"
        time.sleep(0.05)


def test_resume_after_kill_redoes_only_unfinished_clips(
    tmp_path: Path, footage: list[Path]
) -> None:
    src = tmp_path / "in"
    for i, clip in enumerate(footage):
        place(clip, src / f"clip{i}.mp4")
    out = tmp_path / "out"
    args = batch_args(src, "--out", out, "--workers", "1", "--quiet")

    killed = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for_marks(out, 1, killed)
    killed.kill()  # SIGKILL: no chance to clean up
    killed.wait()
    first = {p.name: p.stat().st_mtime_ns for p in out.glob("*.report.json")}
    marked = {p.name.replace(".batch.json", ".report.json") for p in out.glob("*.batch.json")}
    assert marked and marked <= set(first) and len(marked) < len(footage)

    interrupted = subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    _wait_for_marks(out, len(marked) + 1, interrupted)
    interrupted.send_signal(signal.SIGINT)  # Ctrl-C
    assert interrupted.wait(60) == 130, interrupted.stderr.read() if interrupted.stderr else ""
    assert not temp_files(out)
    assert "pending" in {r["status"] for r in summary(out)["rows"]}
    marked_two = {p.name.replace(".batch.json", ".report.json") for p in out.glob("*.batch.json")}

    result = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    final = {p.name: p.stat().st_mtime_ns for p in out.glob("*.report.json")}
    assert len(final) == len(footage) and not temp_files(out)
    for name in marked:  # finished before the kill: never redone
        assert final[name] == first[name]
    counts = summary(out)["counts"]
    assert counts["analysed"] == len(footage) and counts["resumed"] == len(marked_two)


def test_fail_on_exits_4_when_a_rule_is_at_that_level(tmp_path: Path, footage: list[Path]) -> None:
    src = place(footage[0], tmp_path / "in" / "run.mp4")
    out = tmp_path / "out"
    assert run_batch(src, "--out", out, "--workers", "1").returncode == 0
    # Give the finished report verdicts (as the rules stage writes them); resume reads them.
    (report_path,) = out.glob("*.report.json")
    report = json.loads(report_path.read_text())
    report["rules"] = [
        {"id": "trunk_lean", "status": "ok", "typical": 7.5, "unit": "deg"},
        {"id": "head_pitch", "status": "warn", "typical": 18.0, "unit": "deg"},
    ]
    report_path.write_text(json.dumps(report))
    for fail_on, code in (("never", 0), ("fail", 0), ("warn", 4)):
        # In-process: the clip is resumed, so no worker starts.
        result = CliRunner().invoke(
            app, ["batch", str(src), "--out", str(out), "--fail-on", fail_on]
        )
        assert result.exit_code == code, (fail_on, result.output)
    header, row = (out / "summary.csv").read_text().splitlines()
    assert header.endswith(
        "trunk_lean.status,trunk_lean.typical_deg,head_pitch.status,head_pitch.typical_deg"
    )
    assert row.endswith("ok,7.5,warn,18.0")


def test_ray_engine_gives_the_same_summary_as_local(tmp_path: Path, mixed: Path) -> None:
    pytest.importorskip("ray", reason="the Ray engine needs posture[ray]")
    local, ray = tmp_path / "local", tmp_path / "ray"
    assert run_batch(mixed, "--out", local, "--workers", "2").returncode == 1
    result = run_batch(mixed, "--out", ray, "--workers", "2", "--engine", "ray")
    assert result.returncode == 1, result.stderr

    def comparable(out: Path) -> list[dict]:
        return [{k: v for k, v in r.items() if k != "elapsed_s"} for r in summary(out)["rows"]]

    assert comparable(ray) == comparable(local)
    for row in summary(ray)["rows"]:
        if row["status"] == "analysed":
            a = json.loads((local / f"{row['name']}.report.json").read_text())
            b = json.loads((ray / f"{row['name']}.report.json").read_text())
            assert a == b


def test_a_clip_past_its_time_limit_is_recorded_and_the_batch_goes_on(
    tmp_path: Path, footage: list[Path]
) -> None:
    src = tmp_path / "in"
    place(footage[0], src / "slow.mp4")
    out = tmp_path / "out"
    result = run_batch(src, "--out", out, "--workers", "1", "--clip-timeout", "0.5", "--quiet")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    (row,) = summary(out)["rows"]
    assert row["status"] == "error" and "timed out after" in row["error"], row
    assert not temp_files(out) and not list(out.glob("*.report.json"))
    bad = run_batch(src, "--out", out, "--clip-timeout", "-3")
    assert bad.returncode == 2 and "--clip-timeout" in bad.stderr.strip().splitlines()[-1]
