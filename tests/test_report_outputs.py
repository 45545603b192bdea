"""The files `posture check` writes, checked the way a runner's tools would read them: the
annotated video in PyAV, the CSV with the csv module, the JSON against the published schema,
the HTML in a real headless Chromium."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
from pathlib import Path

import av
import jsonschema
import numpy as np
import pytest
from typer.testing import CliRunner

from posture.cli import app
from posture.errors import OutputError
from posture.io import VideoWriter
from posture.pipeline import check
from posture.pose.track import PoseTrack
from posture.settings import OutputSettings, Settings
from tests.browser import page_width_px
from tests.media import write_clip

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "posture" / "report" / "report.schema.json").read_text())
CLIP = ROOT / "samples" / "forward_lean_side.mp4"  # fails lean_forward (truth: 18 deg)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    check(CLIP, Settings(), out_dir=out)
    return out


def test_every_output_is_written_and_nothing_else(outputs: Path) -> None:
    names = sorted(p.name for p in outputs.iterdir())
    assert names == [
        f"forward_lean_side.{kind}"
        for kind in ("annotated.mp4", "frames.csv", "pose.npz", "report.html", "report.json")
    ]


def test_annotated_video_is_h264_with_every_frame_at_source_timing(outputs: Path) -> None:
    track = PoseTrack.load(outputs / "forward_lean_side.pose.npz")
    with av.open(str(outputs / "forward_lean_side.annotated.mp4")) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert (stream.codec_context.width, stream.codec_context.height) == (480, 640)
        times = [float(f.pts * f.time_base * 1000) for f in container.decode(video=0)]
    assert len(times) == track.n_frames == 150
    np.testing.assert_allclose(times, track.timestamps_ms, atol=1.0)


def test_csv_has_one_row_per_frame_and_every_metric(outputs: Path) -> None:
    report = json.loads((outputs / "forward_lean_side.report.json").read_text())
    with (outputs / "forward_lean_side.frames.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == report["input"]["frame_count"]
    assert set(report["metrics"]) <= set(rows[0])
    lean = [float(r["torso_lean_deg"]) for r in rows if r["torso_lean_deg"]]
    assert len(lean) > 0.9 * len(rows)
    assert np.median(lean) == pytest.approx(report["metrics"]["torso_lean_deg"]["median"], abs=0.1)


def test_report_json_validates_against_the_published_schema(outputs: Path) -> None:
    report = json.loads((outputs / "forward_lean_side.report.json").read_text())
    jsonschema.validate(report, SCHEMA)
    broken = {**report, "status": "maybe"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, SCHEMA)


def test_no_runner_report_validates_too(tmp_path: Path) -> None:
    grey = [np.full((120, 160, 3), 120, np.uint8)] * 20
    clip = write_clip(tmp_path / "empty_room.mp4", grey)
    report = check(clip, Settings(), out_dir=tmp_path / "out")
    assert report.status == "no_runner"
    jsonschema.validate(report.to_dict(), SCHEMA)
    assert (tmp_path / "out" / "empty_room.report.html").exists()


def test_html_is_self_contained_with_verdicts_plots_and_key_frames(outputs: Path) -> None:
    page = (outputs / "forward_lean_side.report.html").read_text()
    assert "Leaning forward" in page and "Keep upright from the neck to the abdomen" in page
    assert "Mini crunches" in page and "3-5 sets of 15-20" in page  # core exercises
    assert page.count("<svg") >= 5
    assert 'src="data:image/jpeg;base64,' in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page and "<script" not in page


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_html_renders_in_headless_chromium(outputs: Path, tmp_path: Path) -> None:
    shot = tmp_path / "page.png"
    result = subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
            "--window-size=1000,1400", f"--screenshot={shot}",
            (outputs / "forward_lean_side.report.html").as_uri(),
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    assert shot.exists()
    import cv2

    pixels = cv2.imread(str(shot))
    assert pixels is not None and pixels.std() > 20  # text, cards and plots, not a blank page


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
@pytest.mark.parametrize("width_px", [390, 1280])
def test_html_never_scrolls_sideways(outputs: Path, tmp_path: Path, width_px: int) -> None:
    scroll_px, window_px = page_width_px(
        outputs / "forward_lean_side.report.html", width_px, tmp_path
    )
    assert window_px == width_px and scroll_px <= window_px


def test_html_links_each_moment_to_the_annotated_video(outputs: Path) -> None:
    page = (outputs / "forward_lean_side.report.html").read_text()
    assert '<video controls preload="metadata" src="forward_lean_side.annotated.mp4">' in page
    report = json.loads((outputs / "forward_lean_side.report.json").read_text())
    lean = next(r for r in report["rules"] if r["id"] == "lean_forward")
    for episode in lean["episodes"]:
        assert f'href="forward_lean_side.annotated.mp4#t={episode["start_s"]:.1f}"' in page
    assert page.count("forward_lean_side.annotated.mp4#t=") >= len(lean["episodes"]) + 1


def test_output_flags_skip_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["check", str(CLIP), "--out", str(tmp_path), "--no-video", "--no-html", "--no-csv", "-q"],
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "forward_lean_side.pose.npz",
        "forward_lean_side.report.json",
    ]


def test_an_interrupted_video_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "clip.annotated.mp4"
    frame = np.zeros((64, 64, 3), np.uint8)
    with pytest.raises(KeyboardInterrupt), VideoWriter(target, 30.0) as writer:
        for i in range(10):
            writer.write(frame)
            if i == 5:
                raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_a_video_with_no_frames_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="no frames"), VideoWriter(tmp_path / "x.mp4", 30.0):
        pass
    assert list(tmp_path.iterdir()) == []


def test_re_analysing_a_track_skips_only_what_needs_the_video(
    outputs: Path, tmp_path: Path
) -> None:
    track = PoseTrack.load(outputs / "forward_lean_side.pose.npz")
    track.meta["input"]["path"] = str(tmp_path / "gone.mp4")  # source no longer there
    moved = track.save(tmp_path / "forward_lean_side.pose.npz")
    report = check(moved, Settings(outputs=OutputSettings()), out_dir=tmp_path / "again")
    names = sorted(p.name for p in (tmp_path / "again").iterdir())
    assert "forward_lean_side.annotated.mp4" not in names
    assert "forward_lean_side.report.html" in names and "forward_lean_side.frames.csv" in names
    assert next(r["status"] for r in report.to_dict()["rules"]) == "fail"


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_the_report_prints_to_a_pdf(outputs: Path, tmp_path: Path) -> None:
    from posture.report.pdf import print_pdf

    pdf = print_pdf(outputs / "forward_lean_side.report.html", tmp_path / "r.report.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-") and data.count(b"/Type /Page") >= 3  # cards, plots, ...
    assert [p.name for p in tmp_path.iterdir()] == ["r.report.pdf"]  # no temp file left


def test_pdf_without_html_is_one_line_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", str(CLIP), "--pdf", "--no-html", "-o", "out"])
    assert result.exit_code == 2 and "--pdf prints the HTML report" in result.output


@pytest.mark.parametrize(
    ("runner", "advice"),
    [
        # 3 s of running: filming longer is the remedy.
        (dict(duration_s=3.0), "film 10-20 s of running"),
        # 14 s of slow motion (a step every 3.7 s): filming longer would not help.
        (dict(duration_s=14.0, cadence_spm=16.0), "no regular step rhythm was found"),
    ],
)
def test_too_few_strides_warning_gives_the_remedy_that_fits(runner: dict, advice: str) -> None:
    from posture.metrics import analyse
    from posture.report.capture import body_warnings
    from tests.skeletons import Runner, build_track

    track = build_track(Runner(**runner))
    (warning,) = [w for w in body_warnings(track, analyse(track)) if "full strides" in w]
    assert advice in warning
