"""Rendered drill clips (`posture synth --drill`): params, truth read off the geometry, the
figure lying on the floor, and one short clip through MediaPipe and `posture drill`'s
analysis (the real pipeline) counting its reps and flagging the sit-up it was built with."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from posture.cli.synth import synth
from posture.drills import load_drills
from posture.errors import UsageError
from posture.synth import truth_path_for
from posture.synth.drill import DrillParams, DrillPoser
from posture.synth.drill_clip import DrillRenderer, drill_truth, render_drill_clip, true_signals

BOOK = load_drills()
_APP = typer.Typer()
_APP.command()(synth)


def test_params_reject_bad_values() -> None:
    with pytest.raises(UsageError, match="drill must be one of"):
        DrillParams(exercise="plank")
    with pytest.raises(UsageError, match="peaks for mini_crunch"):
        DrillParams(peaks_deg=(150.0,))
    with pytest.raises(UsageError, match="facing"):
        DrillParams(facing="up")
    p = DrillParams(exercise="lying_leg_raise", peaks_deg=(80.0, 95.0), knee_deg=130.0)
    assert DrillParams.from_dict(json.loads(json.dumps(p.to_dict()))) == p


@pytest.mark.parametrize("exercise", ["mini_crunch", "lying_leg_raise", "prone_back_extension"])
def test_pose_lies_on_the_floor_and_reaches_the_scripted_peak(exercise: str) -> None:
    ex = BOOK.find(exercise)
    peak = {"mini_crunch": 45.0, "lying_leg_raise": 90.0, "prone_back_extension": 30.0}
    p = DrillParams(exercise=exercise, reps=1, peaks_deg=(peak[exercise],))
    poser = DrillPoser(p)
    rest, top = poser.at(0.0), poser.at(p.lead_s + p.rise_s + 0.1)
    for skel in (rest, top):
        ys = np.array([v[1] for v in skel.points.values()])
        assert ys.min() > -2.0  # nothing far below the floor
    assert true_signals(top, "right")[ex.angle] == pytest.approx(peak[exercise], abs=0.05)
    assert abs(true_signals(rest, "right")[ex.angle] - p.peak(0)) > 25.0
    # the head lies toward -x, on the floor at rest
    assert rest.points["nose"][0] < rest.points["pelvis"][0] - 50.0
    assert rest.points["nose"][1] < 30.0


def test_truth_reps_and_faults_come_from_the_checks() -> None:
    crunch = BOOK.find("crunch")
    truth = drill_truth(DrillParams(reps=2, peaks_deg=(45.0, 85.0), rise_s=0.5), crunch)
    assert truth["n_reps"] == 2
    assert [r["faults"] for r in truth["reps"]] == [[], ["full_sit_up"]]
    assert [r["peak_deg"] for r in truth["reps"]] == pytest.approx([45.0, 85.0], abs=0.05)
    back = BOOK.find("back_extension")
    p = DrillParams(exercise=back.id, reps=2, peaks_deg=(30.0,), plateau_s=(1.0, 0.0))
    reps = drill_truth(p, back)["reps"]
    assert [r["faults"] for r in reps] == [[], ["hold_at_top"]]
    assert reps[0]["hold_s"] > 1.0 > 0.8 > reps[1]["hold_s"]
    raise_ = BOOK.find("leg_raise")
    p = DrillParams(exercise=raise_.id, reps=1, peaks_deg=(90.0,), knee_deg=125.0)
    assert drill_truth(p, raise_)["reps"][0]["faults"] == ["knees_straight"]


def test_facings_are_mirror_views() -> None:
    kw = {"reps": 1, "resolution_wh": (160, 90), "noise_level": 0.0, "supersample": 1}
    left = DrillRenderer(DrillParams(facing="head_left", **kw)).render(0)
    right = DrillRenderer(DrillParams(facing="head_right", **kw)).render(0)
    # the figure (not the wall) sits where its mirror image does: compare dark-ish masks
    sil_l = left.astype(float).std(axis=2) > 40
    sil_r = right.astype(float).std(axis=2) > 40
    overlap = (sil_l & sil_r[:, ::-1]).sum() / max(sil_l.sum(), 1)
    assert overlap > 0.5
    assert (sil_l & sil_r).sum() < 0.9 * sil_l.sum()


def test_cli_writes_a_drill_clip_and_truth(tmp_path: Path) -> None:
    out = tmp_path / "c.mp4"
    args = [str(out), "--drill", "back-extension", "--reps", "2", "--hold", "1,0"]
    args += ["--width", "128", "--height", "72", "--fps", "10", "--supersample", "1"]
    result = CliRunner().invoke(_APP, args)
    assert result.exit_code == 0, result.output
    data = json.loads(truth_path_for(out).read_text())
    assert data["exercise"] == "prone_back_extension" and data["n_reps"] == 2
    assert data["faults"] == ["hold_at_top"]
    assert len(data["frames"]["landmarks_px"]) == DrillParams.from_dict(data["params"]).n_frames
    bad = CliRunner().invoke(_APP, [str(tmp_path / "d.mp4"), "--drill", "plank"])
    assert bad.exit_code == 2 and bad.output.strip().count("\n") == 0


@pytest.mark.parametrize(
    ("args", "named"),
    [(["--drill", "crunch", "--torso-lean", "3"], "--torso-lean"),
     (["--reps", "3"], "--reps")],
)  # fmt: skip
def test_an_option_of_the_other_kind_is_refused_not_ignored(
    tmp_path: Path, args: list[str], named: str
) -> None:
    out = tmp_path / "x.mp4"
    result = CliRunner().invoke(_APP, [str(out), *args])
    assert result.exit_code == 2 and named in result.output
    assert result.output.strip().count("\n") == 0 and not out.exists()


def test_short_clip_through_mediapipe_counts_and_flags_the_sit_up(
    tmp_path: Path, model_path: Path
) -> None:
    from posture.drills.analysis import analyse_drill
    from posture.pipeline import run_pose
    from posture.settings import Settings

    crunch = BOOK.find("mini_crunch")
    params = DrillParams(reps=3, peaks_deg=(45.0, 90.0, 45.0), plateau_s=(0.2,), rise_s=0.6,
                         rest_s=0.5, lead_s=0.5, facing="head_right", resolution_wh=(320, 180),
                         fps=15.0, supersample=1)  # fmt: skip
    video = tmp_path / "crunch.mp4"
    truth = render_drill_clip(params, crunch, video)
    track, _ = run_pose(video, Settings())
    result = analyse_drill(track, crunch, BOOK.settings)
    assert len(result.reps) == truth["n_reps"] == 3
    assert [r.faults for r in result.reps] == [(), ("full_sit_up",), ()]
    for rep, true in zip(result.reps, truth["reps"], strict=True):
        assert rep.cycle.peak_deg == pytest.approx(true["peak_deg"], abs=8.0)


def _row(name: str, counted: int, flagged: tuple) -> object:
    from posture.validate.drills import DrillRow

    true = ((), ("full_sit_up",))
    return DrillRow(name, "mini_crunch", 2, counted, (1.0, -2.0), (0.05, -0.1), true, flagged,
                    1.0, 0.2)  # fmt: skip


def test_drill_targets_and_doc_section(tmp_path: Path) -> None:
    from posture.validate.drills import (
        SECTION_BEGIN,
        DrillSuite,
        render_drills,
        targets_met,
        write_drill_section,
    )
    from posture.validate.table import DOC_MARKER

    good = DrillSuite((_row("a", 2, ((), ("full_sit_up",))),))
    missed = DrillSuite((_row("a", 2, ((), ())),))
    assert targets_met(good) and not targets_met(missed)
    assert "`full_sit_up` flagged on the reps built to show it: NOT MET (0 of 1)" in (
        render_drills(missed)
    )
    doc = tmp_path / "ACCURACY.md"
    doc.write_text(f"# Accuracy\n\nkept\n\n{DOC_MARKER}\n\nrunner tables\n", encoding="utf-8")
    write_drill_section(missed, doc)
    write_drill_section(good, doc)  # replaces the section, keeps the rest
    text = doc.read_text(encoding="utf-8")
    assert text.count(SECTION_BEGIN) == 1 and "NOT MET (0 of 1)" not in text
    assert text.index("kept") < text.index(SECTION_BEGIN) < text.index(DOC_MARKER)
    assert text.rstrip().endswith("runner tables")
