"""`posture check` as a user runs it: exit codes, one-line errors, the report file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import posture
from posture.cli import app
from tests.conftest import shared_clip

runner = CliRunner()


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed console entry point as a real process."""
    code = "from posture.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.mp4", "no such file"),
        (lambda d: _text(d / "notes.mp4"), "not a video file"),
        (lambda d: d, "is a folder"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path: Path, make, message: str) -> None:
    result = run_cli("check", str(make(tmp_path)), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("posture: error:")
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--view", "diagonal", "view must be one of"),
        ("--context", "downhill", "context must be one of"),
        ("--height-cm", "-170", "height must be between"),
        ("--model", "huge", "model variant must be one of"),
    ],
)
def test_bad_option_values_exit_2_naming_the_option(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    clip = _text(tmp_path / "x.mp4")
    result = runner.invoke(app, ["check", str(clip), option, value])
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.model
def test_no_person_clip_exits_3_and_still_writes_a_report(tmp_path: Path) -> None:
    clip = shared_clip("neg_no_person_highway.mp4")
    result = run_cli("check", str(clip), "--out", "out", "--quiet", cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    report = json.loads((tmp_path / "out" / "neg_no_person_highway.report.json").read_text())
    assert report["status"] == "no_runner"
    assert report["pose"]["coverage"] < 0.3
    assert any("runner was found in" in w for w in report["capture"]["warnings"])


@pytest.mark.model
def test_check_writes_report_and_track_and_reanalyses_the_track(tmp_path: Path) -> None:
    clip = shared_clip("treadmill_side_lab.mp4")
    result = run_cli("check", str(clip), "--out", "out", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    printed = json.loads(result.stdout)
    on_disk = json.loads((tmp_path / "out" / "treadmill_side_lab.report.json").read_text())
    assert printed == on_disk
    assert on_disk["schema_version"] == 2
    assert on_disk["input"]["frame_count"] == 949
    assert (on_disk["input"]["width"], on_disk["input"]["height"]) == (480, 360)
    assert on_disk["pose"]["coverage"] >= 0.95
    # The saved track re-analyses without the model and gives the same report sections.
    again = posture.check(tmp_path / "out" / "treadmill_side_lab.pose.npz")
    assert again.pose == on_disk["pose"]
    assert again.input["frame_count"] == 949


def _text(path: Path) -> Path:
    path.write_text("this is not a video\n" * 20)
    return path


@pytest.mark.parametrize(
    "command",
    [[], ["models"], ["check"], ["live"], ["batch"], ["history"], ["compare"], ["synth"],
     ["validate"], ["models", "fetch"]],
)  # fmt: skip
def test_help_names_values_in_words(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    text = result.output
    assert "<bool>" not in text and "{" not in text and "<list[" not in text
    assert "issue " not in text.lower()  # no internal tracker jargon
    if command == ["check"]:
        assert "Usage: posture check [OPTIONS] VIDEO..." in text and "<path>" in text


@pytest.mark.model
def test_mediapipe_says_nothing_when_the_runner_comes_in_late(tmp_path: Path) -> None:
    """MediaPipe prints a projection warning the first time it finds a body: in a clip that
    starts empty that is seconds in (side_street_fixedcam_1: 0.6 s), and it reached the
    terminal under `--quiet`."""
    from itertools import islice

    import av
    import numpy as np

    from tests.media import write_clip

    with av.open(str(Path(posture.__file__).parents[1] / "samples/good_form_side.mp4")) as src:
        frames = [f.to_ndarray(format="rgb24") for f in islice(src.decode(video=0), 60)]
    empty = [np.zeros_like(frames[0])] * 20
    clip = write_clip(tmp_path / "late.mp4", empty + frames)
    result = run_cli(
        "check", str(clip), "--out", str(tmp_path / "out"), "--quiet", "--no-video",
        "--no-history", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert ".cc:" not in result.stderr and "W0000" not in result.stderr, result.stderr
