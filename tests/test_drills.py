"""posture.drills on synthetic angle arrays and skeletons: rep counting, holds, sets, form
faults, the exercise file's validation and the angle functions."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from posture.drills import load_drills
from posture.drills.angles import (
    BodyGate,
    head_side,
    knee_deg,
    legs_from_floor_deg,
    trunk_from_floor_deg,
)
from posture.drills.counter import DrillTracker, RepCounter, hold_s
from posture.drills.model import DrillSettings
from posture.errors import UsageError
from posture.pose.landmarks import LM, N_LANDMARKS

FPS = 30.0


def reps_signal(peaks_deg, *, up_s=1.0, rest_s=1.0, hold_top_s=0.0, base_deg=2.0, fps=FPS):
    """(t_s, angle_deg): rest, then a raised-cosine rep to each peak (with a flat top of
    `hold_top_s`), then rest."""
    parts = [np.full(int(rest_s * fps), base_deg)]
    for peak in peaks_deg:
        half = int(up_s / 2 * fps)
        rise = base_deg + (peak - base_deg) * (1 - np.cos(np.linspace(0, np.pi, half))) / 2
        parts += [rise, np.full(int(hold_top_s * fps), peak), rise[::-1]]
        parts.append(np.full(int(rest_s * fps), base_deg))
    angle = np.concatenate(parts)
    return np.arange(angle.size) / fps, angle


def run_counter(counter, t, a):
    return [c for c in (counter.update(float(x), float(y)) for x, y in zip(t, a, strict=True)) if c]


@pytest.mark.parametrize("peaks", [[45.0] * 5, [30.0, 50.0, 44.0], [90.0]])
def test_counter_counts_full_cycles_and_peaks(peaks):
    t, a = reps_signal(peaks)
    cycles = run_counter(RepCounter(15.0, 25.0), t, a)
    assert len(cycles) == len(peaks)
    assert [c.peak_deg for c in cycles] == pytest.approx(peaks, abs=0.5)
    # a rep spans its time off the floor (from the last frame down to the first one back)
    above_s = (a >= 15.0).sum() / FPS
    assert sum(c.duration_s for c in cycles) == pytest.approx(above_s, abs=len(peaks) * 2 / FPS)


def test_bounce_at_the_top_is_one_rep_and_a_dip_to_the_floor_is_two():
    t, a = reps_signal([45.0])
    top = np.argmax(a)
    bounced = a.copy()
    bounced[top - 3 : top + 3] = 20.0  # dips, but stays above down_deg
    assert len(run_counter(RepCounter(15.0, 25.0), t, bounced)) == 1
    bounced[top - 3 : top + 3] = 5.0  # back on the floor between: two reps
    assert len(run_counter(RepCounter(15.0, 25.0), t, bounced)) == 2


def test_half_rep_at_the_start_and_a_too_small_rise_are_not_counted():
    t, a = reps_signal([45.0, 20.0, 45.0])
    start = np.argmax(a)  # the clip starts at the first peak: no down position seen
    assert len(run_counter(RepCounter(15.0, 25.0), t[start:], a[start:])) == 1


def test_gap_drops_the_rep_in_progress():
    t, a = reps_signal([45.0, 45.0])
    a = a.copy()
    top = np.argmax(a)
    a[top - 10 : top + 10] = np.nan  # 0.67 s without a body at the first peak
    assert len(run_counter(RepCounter(15.0, 25.0, max_gap_s=0.5), t, a)) == 1


@pytest.mark.parametrize("hold", [0.0, 0.5, 1.0, 2.0])
def test_hold_time_at_the_peak(hold):
    t, a = reps_signal([30.0], hold_top_s=hold)
    (cycle,) = run_counter(RepCounter(8.0, 15.0, hold_within_deg=4.0), t, a)
    # a raised cosine spends a little time within 4 deg of its peak even without a pause
    free = run_counter(RepCounter(8.0, 15.0, hold_within_deg=4.0), *reps_signal([30.0]))[0]
    assert cycle.hold_s - free.hold_s == pytest.approx(hold, abs=0.1)


def test_hold_s_interpolates_crossings():
    t = np.array([0.0, 1.0, 2.0, 3.0, 4.0])
    a = np.array([0.0, 10.0, 10.0, 10.0, 0.0])
    assert hold_s(t, a, 5.0) == (1.0, 10.0, pytest.approx(3.0))


@pytest.mark.parametrize(
    ("args", "word"),
    [((20.0, 10.0), "down_deg"), ((10.0, 20.0, 0.0), "hold_within_deg")],
)
def test_counter_rejects_bad_arguments(args, word):
    down, up, *rest = args
    with pytest.raises(ValueError, match=word):
        RepCounter(down, up, hold_within_deg=rest[0] if rest else 5.0)


def _track_reps(exercise, t, values):
    tracker = DrillTracker(exercise, DrillSettings(set_gap_s=3.0))
    names = list(values)
    for i, ti in enumerate(t):
        tracker.update(float(ti), {k: float(values[k][i]) for k in names})
    return tracker.reps


def test_crunch_sit_up_flagged_only_on_that_rep():
    ex = load_drills().find("mini_crunch")
    t, a = reps_signal([45.0, 95.0, 42.0])
    knees = np.full_like(a, 80.0)
    feet = np.zeros_like(a)
    reps = _track_reps(ex, t, {"trunk_from_floor_deg": a, "knee_more_bent_deg": knees,
                               "legs_from_floor_deg": feet})  # fmt: skip
    assert [r.faults for r in reps] == [(), ("full_sit_up",), ()]


def test_leg_raise_bent_knees_and_back_extension_missing_pause():
    book = load_drills()
    t, a = reps_signal([90.0, 88.0])
    knees = np.full_like(a, 178.0)
    knees[t > t[-1] / 2] = 120.0  # the second rep with bent knees
    reps = _track_reps(book.find("lying_leg_raise"), t,
                       {"legs_from_floor_deg": a, "knee_straighter_deg": knees,
                        "legs_split_deg": np.zeros_like(a)})  # fmt: skip
    assert [r.faults for r in reps] == [(), ("knees_straight",)]
    ext = book.find("prone_back_extension")
    t1, a1 = reps_signal([30.0], hold_top_s=1.0)
    t2, a2 = reps_signal([30.0], hold_top_s=0.0)
    t = np.concatenate([t1, t2 + t1[-1] + 1 / FPS])
    reps = _track_reps(ext, t, {"trunk_lift_prone_deg": np.concatenate([a1, a2])})
    assert [r.faults for r in reps] == [(), ("hold_at_top",)]


def test_a_leg_check_needs_both_legs_to_show_the_fault():
    """One misplaced ankle (even on the near leg) bends one knee on screen, not both."""
    from posture.drills.angles import knee_more_bent_deg, knee_straighter_deg

    lm = np.zeros((1, N_LANDMARKS, 5))
    lm[..., 3] = 1.0
    hip, knee = np.array([0.0, 0.0]), np.array([100.0, 0.0])
    lm[0, LM.LEFT_HIP, :2], lm[0, LM.LEFT_KNEE, :2] = hip, knee
    lm[0, LM.LEFT_ANKLE, :2] = [200.0, 0.0]  # straight
    lm[0, LM.RIGHT_HIP, :2], lm[0, LM.RIGHT_KNEE, :2] = hip, knee
    lm[0, LM.RIGHT_ANKLE, :2] = [100.0, 100.0]  # bent 90 deg
    assert knee_straighter_deg(lm)[0] == pytest.approx(180.0)
    assert knee_more_bent_deg(lm)[0] == pytest.approx(90.0)
    lm[0, LM.LEFT_ANKLE, 3] = 0.0  # the straight leg not seen: only the bent one counts
    assert knee_straighter_deg(lm)[0] == pytest.approx(90.0)


def test_not_measured_is_not_a_fault():
    ex = load_drills().find("lying_leg_raise")
    t, a = reps_signal([90.0])
    nan = np.full_like(a, np.nan)
    (rep,) = _track_reps(ex, t, {"legs_from_floor_deg": a, "knee_straighter_deg": nan,
                                 "legs_split_deg": nan})  # fmt: skip
    assert rep.checks == {"knees_straight": "not_measured"} and rep.faults == ()


def test_sets_split_by_the_pause():
    ex = load_drills().find("mini_crunch")
    t1, a1 = reps_signal([45.0] * 3)
    t = np.concatenate([t1, t1 + t1[-1] + 5.0])  # 5 s pause > set_gap_s = 3
    a = np.concatenate([a1, a1])
    tracker = DrillTracker(ex, DrillSettings(set_gap_s=3.0))
    states = []
    for ti, ai in zip(t, a, strict=True):
        tracker.update(float(ti), {"trunk_from_floor_deg": float(ai)})
        states.append(tracker.state({}, float(ti)))
    assert [(r.set_number, r.number_in_set) for r in tracker.reps] == [
        (1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3),
    ]  # fmt: skip
    assert states[-1].set_number == 2 and states[-1].reps_in_set == 3


# -- the exercise file ------------------------------------------------------------------------
SHIPPED = Path(__file__).resolve().parents[1] / "posture" / "drills" / "drills.toml"


def _edited(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text()
    assert old in text
    path = tmp_path / "drills.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("up_deg = 25.0", "up_deg = 25.0\nup_degs = 3", "exercise[0].up_degs"),
        ("max = 60.0", "max = nan", "exercise[0].check[0].max"),
        ("max = 60.0", "max = inf", "exercise[0].check[0].max"),
        ("max = 60.0", 'max = "sixty"', "exercise[0].check[0].max"),
        ('angle = "trunk_from_floor_deg"', 'angle = "elbow_deg"', "exercise[0].angle"),
        ("up_deg = 25.0", "up_deg = 10.0", "exercise[0].up_deg"),
        ("set_gap_s = 10.0", "set_gap_s = -1", "drill.set_gap_s"),
        ("dose = { sets = [3, 5]", "dose = { sets = [5, 3]", "exercise[0].dose.sets"),
    ],
)
def test_bad_drills_file_names_the_key(tmp_path, old, new, key):
    with pytest.raises(UsageError) as err:
        load_drills(_edited(tmp_path, old, new))
    assert key in str(err.value)


def test_a_coach_adds_an_exercise_without_code(tmp_path):
    extra = """
[[exercise]]
id = "vertical_leg_hip_lift"
name = "Hip lift with the legs vertical"
position = "supine"
how = "Legs vertical; lift the hips off the floor."
angle = "legs_from_floor_deg"
down_deg = 100.0
up_deg = 108.0
target_deg = 115.0
tolerance_deg = 10.0
hold_within_deg = 4.0
dose = { sets = [3, 3], reps = [10, 12] }
cue_up = "Lift the hips"
"""
    path = tmp_path / "drills.toml"
    path.write_text(SHIPPED.read_text() + extra)
    ex = load_drills(path).find("vertical-leg-hip-lift")
    assert ex is not None
    t, a = reps_signal([118.0] * 4, base_deg=90.0)
    assert len(_track_reps(ex, t, {"legs_from_floor_deg": a})) == 4


# -- angles on skeletons ----------------------------------------------------------------------
def lying_body(trunk_deg=0.0, legs_deg=0.0, knee_bend_deg=0.0, head_right=False, n=1):
    """Landmarks `(n, 33, 5)` of a body lying on the floor (y = 500), hips at x = 300, seen
    from the side: the trunk raised `trunk_deg`, the legs `legs_deg` from the floor."""
    lm = np.full((n, 33, 5), np.nan, np.float32)
    head = 1.0 if head_right else -1.0
    hip = np.array([300.0, 500.0])

    def at(origin, deg, length, away):
        r = np.radians(deg)
        return origin + np.array([np.cos(r) * away * length, -np.sin(r) * length])

    sh = at(hip, trunk_deg, 150.0, head)
    knee = at(hip, legs_deg, 120.0, -head)
    ankle = at(knee, legs_deg - knee_bend_deg, 120.0, -head)
    nose = at(sh, trunk_deg, 40.0, head) + np.array([0.0, -15.0])
    for (left, right), p in [((LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER), sh),
                             ((LM.LEFT_HIP, LM.RIGHT_HIP), hip),
                             ((LM.LEFT_KNEE, LM.RIGHT_KNEE), knee),
                             ((LM.LEFT_ANKLE, LM.RIGHT_ANKLE), ankle),
                             ((LM.LEFT_EAR, LM.RIGHT_EAR), sh + (nose - sh) * 0.7 + [0, 15]),
                             ((LM.NOSE, LM.NOSE), nose)]:  # fmt: skip
        off = np.array([0.0, 3.0])  # the far side a little higher
        lm[:, left, :2], lm[:, right, :2] = p + off, p - off
        lm[:, [left, right], 3] = 0.95
    return lm


@pytest.mark.parametrize("head_right", [False, True])
@pytest.mark.parametrize("trunk", [0.0, 30.0, 45.0, 100.0])
def test_trunk_angle_both_facings(trunk, head_right):
    lm = lying_body(trunk_deg=trunk, head_right=head_right)
    head = 1.0 if head_right else -1.0
    assert trunk_from_floor_deg(lm, head)[0] == pytest.approx(trunk, abs=0.5)


@pytest.mark.parametrize("head_right", [False, True])
@pytest.mark.parametrize("legs", [0.0, 45.0, 90.0, 115.0])
def test_legs_angle_both_facings_and_straight_knees(legs, head_right):
    lm = lying_body(legs_deg=legs, head_right=head_right)
    head = 1.0 if head_right else -1.0
    assert legs_from_floor_deg(lm, head)[0] == pytest.approx(legs, abs=0.5)
    assert knee_deg(lm)[0] == pytest.approx(180.0, abs=0.5)
    bent = lying_body(legs_deg=legs, knee_bend_deg=40.0, head_right=head_right)
    assert knee_deg(bent)[0] == pytest.approx(140.0, abs=0.5)


def test_head_side_from_flat_frames_and_gate_rejects_a_close_up():
    flat = np.concatenate([lying_body(head_right=True, n=20), lying_body(100.0, head_right=True)])
    assert head_side(flat) == 1.0
    assert head_side(lying_body(n=5)) == -1.0
    gate = BodyGate(window=50)
    for lm in lying_body(n=30):
        assert gate.update(lm)[0]
    close = lying_body()[0].copy()
    close[:, :2] = (close[:, :2] - [300, 500]) * 1.8 + [300, 500]  # a cut to a close-up
    assert gate.update(close) == (False, -1.0)


# -- the live coach ---------------------------------------------------------------------------
def _coach_frames(coach, trunk_deg):
    out = []
    for i, a in enumerate(trunk_deg):
        lm = lying_body(trunk_deg=float(a), legs_deg=30.0, knee_bend_deg=100.0)[0]
        out.append(coach.update(i / FPS, lm))
    return out


def test_coach_cues_the_sit_up_while_it_happens_and_counts():
    from posture.drills.coach import DrillCoach

    book = load_drills()
    coach = DrillCoach(book.find("mini_crunch"), book.settings, hold_s=2.0)
    _, trunk = reps_signal([45.0, 45.0, 95.0])
    shown = _coach_frames(coach, trunk)
    assert shown[-1].count == "set 1 of 3: 3 / 15"
    sit_up = [c for c in shown if c.angle_deg > 60.0]
    assert sit_up and all(c.cue == "Stop at 45 degrees" and c.level == "fail" for c in sit_up)
    assert not any(c.cue == "Stop at 45 degrees" for c in shown[: len(shown) // 2])
    texts = [c.cue for c in shown]
    changes = sum(1 for a, b in itertools.pairwise(texts) if a != b)
    assert changes <= 6  # one cue at a time, held: no flicker frame to frame


def test_running_advice_names_a_drill_command_that_exists():
    from posture.rules import load_rules
    from posture.rules.model import Exercise as Advice

    book = load_drills()
    advice = load_rules().exercises
    assert advice  # the text's three exercises
    for x in advice.values():
        assert isinstance(x, Advice) and book.find(x.id) is not None
        assert x.command.startswith(f"posture drill {x.id}")
        assert x.dose == book.find(x.id).dose.text  # one dose, in both files


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["situps", "x.pose.npz"], "unknown exercise 'situps': choose one of mini_crunch"),
        (["crunch"], "give a recording (FILE) or --camera"),
        (["crunch", "a.mp4", "--camera", "0"], "give a recording (FILE) or --camera"),
        (["crunch", "a.mp4", "--set-gap-s", "0"], "--set-gap-s must be 0.5-3600"),
        (["crunch", "missing.pose.npz"], "missing.pose.npz"),
    ],
)
def test_drill_cli_usage_errors_are_one_line(args, words, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from posture.cli import app

    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["drill", *args, "-o", str(tmp_path / "out")])
    assert res.exit_code == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and words in lines[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_drill_cli_on_a_scripted_track(tmp_path):
    from typer.testing import CliRunner

    from posture.cli import app
    from posture.drills.synth import DrillScript, drill_track

    ex = load_drills().find("prone_back_extension")
    track, _ = drill_track(DrillScript(ex, peaks_deg=(30.0, 30.0), plateau_s=(1.0, 0.0)))
    path = track.save(tmp_path / "ext.pose.npz")
    res = CliRunner().invoke(
        app, ["drill", "back-extension", str(path), "-o", str(tmp_path), "--no-history"]
    )
    assert res.exit_code == 0, res.stderr
    report = json.loads((tmp_path / "ext-prone_back_extension.drill.json").read_text())
    assert report["reps"] == 2 and report["faults"] == {"hold_at_top": 1}
    assert [r["faults"] for r in report["per_rep"]] == [[], ["hold_at_top"]]


@pytest.mark.parametrize(
    ("exercise", "kw", "cue"),
    [
        ("lying_leg_raise", {"peaks_deg": (90.0,), "knee_deg": 130.0}, "Keep your legs straight"),
        ("prone_back_extension", {"peaks_deg": (30.0,), "plateau_s": 0.0}, "Hold at the top"),
    ],
)
def test_coach_cues_on_scripted_sessions(exercise, kw, cue):
    from posture.drills.coach import DrillCoach
    from posture.drills.synth import DrillScript, drill_track

    book = load_drills()
    ex = book.find(exercise)
    track, _ = drill_track(DrillScript(ex, **kw))
    coach = DrillCoach(ex, book.settings)
    shown = [coach.update(t / 1000.0, lm) for t, lm in zip(track.timestamps_ms, track.landmarks,
                                                           strict=True)]  # fmt: skip
    assert cue in {c.cue for c in shown if c.changed}
    assert shown[-1].count == "set 1 of 3: 1 / 15"
