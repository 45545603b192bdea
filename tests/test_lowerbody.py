"""Torso rocking, arm crossing (issue 13): pure formulas on arrays and the generator's knob."""

from __future__ import annotations

import numpy as np
import pytest

from posture.metrics import geometry as g
from posture.metrics.catalog import peak_all
from posture.metrics.inputs import StrideInputs
from posture.pose.landmarks import LM
from posture.synth import SynthParams
from posture.synth.clip import ClipModel
from posture.synth.truth import compute_truth


def _upright(n: int = 1) -> np.ndarray:
    """Front-view landmarks: shoulders at y=100 (x 80/120), hips at y=200 (x 90/110)."""
    lm = np.full((n, 33, 2), np.nan)
    lm[:, LM.LEFT_SHOULDER] = (120.0, 100.0)  # facing the camera: left shoulder on image right
    lm[:, LM.RIGHT_SHOULDER] = (80.0, 100.0)
    lm[:, LM.LEFT_HIP] = (110.0, 200.0)
    lm[:, LM.RIGHT_HIP] = (90.0, 200.0)
    lm[:, LM.LEFT_WRIST] = (125.0, 180.0)
    lm[:, LM.RIGHT_WRIST] = (75.0, 180.0)
    return lm


def test_shoulders_drawn_together_carry_no_tilt() -> None:
    lm = _upright(2)
    lm[:, LM.LEFT_SHOULDER, 0], lm[:, LM.RIGHT_SHOULDER, 0] = 140.0, 60.0
    lm[1, LM.LEFT_SHOULDER] = (103.0, 90.0)  # MediaPipe puts both shoulders nearly together
    lm[1, LM.RIGHT_SHOULDER] = (97.0, 100.0)
    tilt = g.shoulder_tilt_deg(lm)
    assert tilt[0] == pytest.approx(0.0) and np.isnan(tilt[1])


def test_trunk_roll_reads_the_tilt_of_the_hip_to_shoulder_line() -> None:
    lm = _upright()
    assert g.trunk_roll_deg(lm)[0] == pytest.approx(0.0)
    lm[:, [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER], 0] += 100.0 * np.tan(np.radians(8.0))
    assert g.trunk_roll_deg(lm)[0] == pytest.approx(8.0)


def test_shoulder_tilt_does_not_depend_on_the_left_right_labels() -> None:
    lm = _upright()
    lm[:, LM.LEFT_SHOULDER, 0], lm[:, LM.RIGHT_SHOULDER, 0] = 140.0, 60.0  # 0.8 torso apart
    lm[:, LM.LEFT_SHOULDER, 1] -= 80.0 * np.tan(np.radians(5.0))  # image-right shoulder higher
    tilt = g.shoulder_tilt_deg(lm)[0]
    swapped = lm[:, [*range(33)]].copy()
    swapped[:, [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER]] = lm[:, [LM.RIGHT_SHOULDER, LM.LEFT_SHOULDER]]
    assert tilt == pytest.approx(5.0)
    assert g.shoulder_tilt_deg(swapped)[0] == pytest.approx(tilt)


def test_arm_crossing_is_positive_only_past_the_midline() -> None:
    lm = _upright()
    assert g.arm_crossing_pct_shoulder(lm)[0] < 0  # both wrists outside the shoulders
    lm[:, LM.RIGHT_WRIST, 0] = 110.0  # right wrist 10 px past the midline (x = 100)
    assert g.arm_crossing_pct_shoulder(lm)[0] == pytest.approx(25.0)  # of a 40 px width


def test_peak_all_takes_each_strides_largest_value_and_refuses_gaps() -> None:
    x = np.array([0.0, 1.0, 5.0, 2.0, 0.0, 3.0, np.nan, 1.0])
    s = StrideInputs(
        a=np.array([0.0, 4.0]), b=np.array([4.0, 7.0]), view=np.array(["front"] * 2),
        signal_px=np.zeros((8, 2)), frames={}, scale=None,  # type: ignore[arg-type]
        duration_ms=np.array([400.0, 300.0]),
    )  # fmt: skip
    out = peak_all(x, s)
    assert out[0] == 5.0 and np.isnan(out[1])


def test_synth_trunk_roll_knob_gives_that_range_per_stride() -> None:
    clip = ClipModel.build(SynthParams(view="front", duration_s=1.5, trunk_roll_deg=10.0))
    truth = compute_truth(clip)
    roll = g.trunk_roll_deg(truth.landmarks_px)
    # peak-to-peak over the clip (more than one stride) close to the knob
    assert float(np.ptp(roll)) == pytest.approx(10.0, abs=1.5)


def test_contacts_on_the_true_skeleton_come_just_before_each_strike() -> None:
    from posture.metrics import contacts

    clip = ClipModel.build(SynthParams(view="side_right", duration_s=2.0, fps=60.0))
    truth = compute_truth(clip)
    lm, t_ms = truth.landmarks_px, truth.timestamps_ms
    ic, _ = contacts.reach_events(lm, np.ones(t_ms.size))
    found = t_ms[ic.any(axis=1)]
    strikes = np.array([s["strike_ms"] for s in truth.steps])
    inside = strikes[(strikes > found.min() - 50) & (strikes < found.max() + 50)]
    assert inside.size >= 3
    lag = np.array([found[np.argmin(np.abs(found - s))] - s for s in inside])
    # Zeni's heel reach leads the strike by about 2 frames at 60 frames/s, never more than 4
    assert (lag <= 0).all() and (lag > -4 * 1000 / 60).all()


def test_landing_values_at_contact_are_plausible_on_the_true_skeleton() -> None:
    from posture.metrics import contacts

    clip = ClipModel.build(SynthParams(view="side_right", duration_s=2.0, fps=60.0))
    lm = compute_truth(clip).landmarks_px
    ev = contacts.at_events(lm, np.ones(lm.shape[0]), "contact")
    over, knee = ev["overstride"], ev["knee"]
    assert np.isfinite(over).sum() >= 3
    assert 10.0 < np.nanmedian(over) < 35.0  # the generator lands ~20 % leg ahead
    assert 10.0 < np.nanmedian(knee) < 35.0  # and with the knee bent ~17-24 deg


def test_knee_flexion_is_zero_for_a_straight_leg_and_90_for_a_right_angle() -> None:
    from posture.metrics.contacts import knee_flexion_deg

    hip, knee = np.array([0.0, 0.0]), np.array([0.0, 10.0])
    assert knee_flexion_deg(hip, knee, np.array([0.0, 20.0])) == pytest.approx(0.0, abs=1e-6)
    assert knee_flexion_deg(hip, knee, np.array([10.0, 10.0])) == pytest.approx(90.0)


def test_step_length_and_vertical_ratio_from_the_given_speed() -> None:
    from posture.metrics.inputs import StepInputs
    from posture.metrics.registry import METRICS

    s = StepInputs(
        a=np.array([0.0]), b=np.array([10.0]), dt_ms=np.array([350.0]),
        body_y_px=np.zeros(11), scale=None, speed_mps=3.0,  # type: ignore[arg-type]
        values={"vertical_bounce_cm": np.array([8.4])},
    )  # fmt: skip
    assert METRICS["step_length_cm"].compute(s)[0] == pytest.approx(105.0)
    assert METRICS["vertical_ratio_pct"].compute(s)[0] == pytest.approx(8.0)
    unknown = StepInputs(s.a, s.b, s.dt_ms, s.body_y_px, s.scale, dict(s.values))
    assert np.isnan(METRICS["step_length_cm"].compute(unknown)[0])


def test_speed_outside_running_speeds_is_refused() -> None:
    from posture.errors import UsageError
    from posture.settings import AnalysisSettings

    assert AnalysisSettings(speed_kmh=11.5).speed_kmh == 11.5
    with pytest.raises(UsageError, match="speed"):
        AnalysisSettings(speed_kmh=100.0)


def test_contact_time_is_contact_to_next_toe_off_whatever_the_labels() -> None:
    from posture.metrics.contacts import contact_times

    n, fps = 200, 60.0
    t = np.arange(n) * 1000.0 / fps
    ic, to = np.zeros((n, 2), bool), np.zeros((n, 2), bool)
    # a contact every 21 frames (350 ms steps), alternating labels, toe-off 12 frames later
    for k, f in enumerate(range(10, 180, 21)):
        ic[f, k % 2] = True
        to[f + 12, (k + 1) % 2] = True  # a label swap between the two events changes nothing
    contact = contact_times(ic, to, t)
    got = contact[np.isfinite(contact)]
    assert got.size == 9 and got == pytest.approx(12 * 1000.0 / fps)
    # a missed toe-off: that contact has no end before the next one, the others stay
    to[52 + 12] = False
    contact = contact_times(ic, to, t)
    assert np.isnan(contact[52]) and np.isfinite(contact[[31, 73]]).all()


def test_contact_time_needs_50_frames_per_second() -> None:
    from posture.metrics.contacts import contact_not_measured, contact_times

    n = 100
    ic, to = np.zeros((n, 2), bool), np.zeros((n, 2), bool)
    ic[10, 0], to[16, 0], ic[20, 1], to[26, 1], ic[30, 0] = True, True, True, True, True
    contact = contact_times(ic, to, np.arange(n) * 1000.0 / 30.0)
    assert np.isnan(contact).all()
    assert contact_not_measured(30.0) == (
        "contact time and duty factor need >= 50 frames/s; this clip has 30"
    )
    assert contact_not_measured(59.94) is None


def test_synth_truth_gives_each_steps_toe_off_and_contact_time() -> None:
    clip = ClipModel.build(SynthParams(view="side_right", duration_s=2.0, fps=60.0))
    steps = compute_truth(clip).steps
    assert len(steps) >= 4
    for s in steps:
        assert s["toe_off_ms"] - s["strike_ms"] == pytest.approx(s["contact_ms"], abs=0.01)
        # a running gait: the foot is down less than half its stride (the generator's 30 %)
        assert 25.0 < s["duty_factor_pct"] < 35.0


def test_contact_time_on_the_true_skeleton_is_close_to_the_generators() -> None:
    from posture.metrics import contacts
    from posture.validate.truth import true_values

    clip = ClipModel.build(SynthParams(view="side_right", duration_s=3.0, fps=60.0))
    truth = compute_truth(clip)
    lm, t = truth.landmarks_px, truth.timestamps_ms
    ev = contacts.at_events(lm, np.ones(t.size), "contact", t)
    true = true_values(truth.to_dict()).values
    assert np.isfinite(ev["contact_ms"]).sum() >= 4
    # contacts ~1 frame early and toe-offs within a frame on the true skeleton: contact
    # time ~1 frame long (21.5 ms; 2-3 frames before toe-offs were moved to the lift-off)
    assert -1000.0 / 60 < np.nanmedian(ev["contact_ms"]) - true["contact_time_ms"] < 2000.0 / 60
    slow = SynthParams.from_dict(truth.params.to_dict() | {"fps": 30.0})
    assert np.isnan(true_values(compute_truth(ClipModel.build(slow)).to_dict()).values[
        "contact_time_ms"])  # fmt: skip


@pytest.mark.parametrize(
    ("knob", "value", "metric", "moves"),
    [
        ("overstride_cm", 10.0, "overstride_pct_leg", 100.0 * 10.0 / 85.9),  # 10 cm of the leg
        ("strike_knee_deg", 30.0, "knee_flexion_at_contact_deg", 15.0),
    ],
)
def test_synth_landing_knobs_move_their_true_value(
    knob: str, value: float, metric: str, moves: float
) -> None:
    from posture.validate.truth import true_values

    def true(**kw: float) -> dict[str, float]:
        params = SynthParams(view="side_right", fps=60.0, duration_s=2.0, **kw)  # type: ignore[arg-type]
        return true_values(compute_truth(ClipModel.build(params)).to_dict()).values

    base, moved = true(), true(**{knob: value})
    assert moved[metric] - base[metric] == pytest.approx(moves, abs=2.0)
    if knob == "overstride_cm":  # the same stance travel: less push-off behind the hips
        assert moved["hip_extension_deg"] < base["hip_extension_deg"] - 10.0


def test_toe_offs_on_the_true_skeleton_come_within_a_frame_of_the_lift_off() -> None:
    from posture.metrics import contacts

    clip = ClipModel.build(SynthParams(view="side_right", duration_s=3.0, fps=60.0))
    truth = compute_truth(clip)
    t = truth.timestamps_ms
    _, to = contacts.reach_events(truth.landmarks_px, np.ones(t.size), t)
    found = t[to.any(axis=1)]
    true = np.array([s["toe_off_ms"] for s in truth.steps])
    true = true[(true > found.min() - 50) & (true < found.max() + 50)]
    lag = np.array([found[np.argmin(np.abs(found - x))] - x for x in true])
    assert lag.size >= 4
    # the last frame the toe reads as down alone: median +12.8 ms, up to 24.9
    assert abs(np.median(lag)) <= 0.5 * 1000.0 / 60
    assert np.abs(lag).max() <= 1000.0 / 60


@pytest.mark.parametrize("lift", [10.0, 10.2, 10.8, 11.3])
def test_lift_off_follows_a_rise_from_rest_back_to_its_start(lift: float) -> None:
    from posture.metrics.contacts import lift_off

    frames = np.arange(30, dtype=float)
    height = 1.5 * np.clip(frames - lift, 0.0, None) ** 2  # % leg, rising from rest
    height += 0.3  # the toe's resting point sits a little above the ground line
    last_down = int(np.flatnonzero(height <= 3.0)[-1])  # the toe still reads as down
    assert last_down >= round(lift)  # the frame alone is late or right
    assert lift_off(height, last_down, max_back=2) == round(lift)
    assert lift_off(height, last_down, max_back=0) == last_down
    flat = np.full(30, 0.5)  # no rise after it: the frame stays
    assert lift_off(flat, last_down, max_back=2) == last_down


def test_hip_extension_reads_the_leaving_leg_whichever_knee_label_it_has() -> None:
    from posture.metrics import contacts

    clip = ClipModel.build(SynthParams(view="side_right", duration_s=3.0, fps=60.0))
    lm = compute_truth(clip).landmarks_px
    fwd = np.ones(lm.shape[0])
    base = contacts.at_events(lm, fwd, "toeoff")["hip_ext"]
    swapped = lm.copy()  # MediaPipe gives the knees each other's labels
    swapped[:, [LM.LEFT_KNEE, LM.RIGHT_KNEE]] = lm[:, [LM.RIGHT_KNEE, LM.LEFT_KNEE]]
    again = contacts.at_events(swapped, fwd, "toeoff")["hip_ext"]
    assert np.isfinite(base).sum() >= 4
    assert np.nanmedian(base) > 5.0  # the leaving thigh is behind vertical
    # the same thigh, only drawn from the other hip point (1-2 deg apart in a side view); the
    # swinging thigh would read 20-40 deg the other way
    both = np.isfinite(base) & np.isfinite(again)  # (the leg length, so the events, moves a bit)
    assert both.sum() >= 0.75 * np.isfinite(base).sum()
    assert again[both] == pytest.approx(base[both], abs=2.0)


@pytest.mark.parametrize("fps", [30.0, 60.0])
def test_a_side_clip_below_50_fps_says_why_contact_time_is_not_measured(fps: float) -> None:
    from posture.metrics import analyse
    from tests.skeletons import Runner, build_track

    a = analyse(build_track(Runner(view="side", fps=fps, duration_s=4.0)))
    note = "contact time and duty factor need >= 50 frames/s; this clip has 30"
    assert (note in a.notes) == (fps < 50)
    if fps < 50:
        assert np.isnan(a.metrics["contact_duration_ms"]).all()
        assert a.summary["contact_time_ms"].n == 0


def test_duty_factor_is_the_strides_contact_time_over_its_duration_missed_contact_or_not() -> None:
    from posture.metrics.registry import METRICS

    contact = np.full(40, np.nan)
    contact[[2, 12, 22, 32]] = 240.0, 260.0, 250.0, 250.0  # two contacts a stride
    missed = contact.copy()
    missed[22] = np.nan  # MediaPipe lost one landing: the stride keeps its other contact
    duty = METRICS["duty_factor_pct"].compute
    for frames, want in ((contact, [31.25, 31.25]), (missed, [31.25, 31.25])):
        s = StrideInputs(
            a=np.array([0.0, 20.0]), b=np.array([19.0, 39.0]), view=np.array(["side"] * 2),
            signal_px=np.zeros((40, 2)), frames={"contact_duration_ms": frames},
            scale=None, duration_ms=np.array([800.0, 800.0]),  # type: ignore[arg-type]
        )  # fmt: skip
        assert duty(s) == pytest.approx(want)
