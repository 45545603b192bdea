"""`posture check --export trc,mot`: the OpenSim files, read back with a parser written here
from the formats' documentation (not posture's code): the TRC header (PathFileType line, a
line of header names and one of their values, marker names each over three columns, X1 Y1
Z1 labels) and rows `Frame# Time X Y Z ...`; the MOT header (`key=value` lines up to
`endheader`) and a tab-separated table with a `time` column."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from posture.errors import UsageError
from posture.pipeline import check
from posture.report.opensim import parse_exports
from posture.settings import OutputSettings, Settings


def read_trc(path: Path) -> tuple[dict[str, str], list[str], np.ndarray]:
    """(header, marker names, `(frames, 2 + 3 x markers)` array) of a TRC file."""
    lines = path.read_text().split("\n")
    assert lines[0].split("\t")[:3] == ["PathFileType", "4", "(X/Y/Z)"]
    header = dict(zip(lines[1].split("\t"), lines[2].split("\t"), strict=True))
    names_row = lines[3].split("\t")
    assert names_row[:2] == ["Frame#", "Time"]
    markers = [c for c in names_row[2:] if c]
    # each marker name heads three columns: the name and two empty cells
    assert names_row[2:] == [c for m in markers for c in (m, "", "")]
    labels = lines[4].split("\t")
    assert labels[:2] == ["", ""]
    assert labels[2:] == [f"{a}{i}" for i in range(1, len(markers) + 1) for a in "XYZ"]
    rows = [line.split("\t") for line in lines[5:] if line.strip()]
    data = np.array([[float(c) if c else math.nan for c in r] for r in rows])
    return header, markers, data


def read_mot(path: Path) -> tuple[dict[str, str], list[str], np.ndarray]:
    """(header keys, column names, `(rows, columns)` array) of a MOT file."""
    lines = path.read_text().split("\n")
    end = lines.index("endheader")
    header = {"name": lines[0]}
    header |= dict(line.split("=", 1) for line in lines[1:end] if "=" in line)
    columns = lines[end + 1].split("\t")
    rows = [line.split("\t") for line in lines[end + 2 :] if line.strip()]
    return header, columns, np.array([[float(c) for c in r] for r in rows])


@pytest.fixture(scope="module")
def exported(saved, tmp_path_factory: pytest.TempPathFactory) -> Path:  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("opensim")
    outputs = OutputSettings(video=False, html=False, csv=False, exports=("trc", "mot"))
    check(saved.track, Settings(outputs=outputs), out_dir=out)
    return out


def test_trc_has_every_frame_and_marker_in_metres(exported: Path) -> None:
    report = json.loads((exported / "good_form_side.report.json").read_text())
    header, markers, data = read_trc(exported / "good_form_side.trc")
    n = report["input"]["frame_count"]
    assert header["Units"] == "m" and int(header["NumFrames"]) == n == data.shape[0]
    assert int(header["NumMarkers"]) == len(markers) == 33 and data.shape[1] == 2 + 3 * 33
    assert float(header["DataRate"]) == pytest.approx(report["input"]["fps"], abs=0.01)
    assert data[:, 0].tolist() == list(range(1, n + 1))  # Frame# 1..n
    assert data[0, 1] == 0.0 and (np.diff(data[:, 1]) > 0).all()
    assert data[-1, 1] == pytest.approx(report["input"]["duration_s"], abs=0.1)
    xyz = data[:, 2:].reshape(n, 33, 3)
    assert np.nanmax(np.abs(xyz[:, :, 2])) == 0.0  # one camera: no depth
    nose, ankles = markers.index("nose"), [markers.index(f"{s}_ankle") for s in ("left", "right")]
    rise_m = xyz[:, nose, 1] - np.nanmean(xyz[:, ankles, 1], axis=1)  # +Y is up
    height_m = report["settings"]["analysis"]["height_cm"] / 100.0
    assert 0.75 * height_m < np.nanmedian(rise_m) < 1.0 * height_m


def test_mot_has_the_angles_in_degrees_for_every_frame(exported: Path) -> None:
    report = json.loads((exported / "good_form_side.report.json").read_text())
    header, columns, data = read_mot(exported / "good_form_side.mot")
    n = report["input"]["frame_count"]
    assert header["inDegrees"] == "yes" and header["version"] == "1"
    assert int(header["nRows"]) == n == data.shape[0]
    assert int(header["nColumns"]) == len(columns) == data.shape[1]
    assert columns[0] == "time" and "torso_lean_deg" in columns and "head_pitch_deg" in columns
    lean = data[:, columns.index("torso_lean_deg")]
    assert np.nanmedian(lean) == pytest.approx(
        report["metrics"]["torso_lean_deg"]["median"], abs=0.1
    )


def test_export_names_are_checked() -> None:
    assert parse_exports("trc, MOT,trc") == ("trc", "mot")
    assert parse_exports(None) == ()
    with pytest.raises(UsageError, match="pdf"):
        parse_exports("trc,pdf")
