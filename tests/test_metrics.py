"""Metrics on synthetic runners with known posture, bounce and cadence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posture.metrics import METRICS, Analysis, analyse, default_config
from posture.pose.track import PoseTrack
from posture.settings import AnalysisSettings
from tests.skeletons import Runner, build_track, transformed, with_nan_rows

ANGLE_TOL_DEG = 0.5


def median(a: Analysis, metric: str) -> float:
    return a.summary[metric].median


@pytest.mark.parametrize(
    ("runner", "expected"),
    [
        (Runner(), {"torso_lean_deg": 5.0, "head_pitch_deg": 0.0, "neck_flexion_deg": 15.0}),
        (Runner(facing="left"), {"torso_lean_deg": 5.0, "neck_flexion_deg": 15.0}),
        (
            Runner(lean_deg=12.0, head_pitch_deg=20.0),
            {"torso_lean_deg": 12.0, "head_pitch_deg": 20.0},
        ),
        (Runner(lean_deg=-4.0, facing="left"), {"torso_lean_deg": -4.0}),
        (Runner(neck_flexion_deg=40.0, facing="left"), {"neck_flexion_deg": 40.0}),
        (Runner(head_pitch_deg=-10.0, facing="left"), {"head_pitch_deg": -10.0}),
        (Runner(lean_deg=17.0, fps=60.0), {"torso_lean_deg": 17.0}),
    ],
)
def test_side_angles_match_truth(runner: Runner, expected: dict[str, float]) -> None:
    a = analyse(build_track(runner))
    assert (a.view, a.facing) == ("side", runner.facing)
    for metric, truth in expected.items():
        assert median(a, metric) == pytest.approx(truth, abs=ANGLE_TOL_DEG), metric


@pytest.mark.parametrize(
    "runner",
    [
        Runner(bounce_cm=8.0, cadence_spm=170.0),
        Runner(bounce_cm=12.0, cadence_spm=160.0, facing="left"),
        Runner(bounce_cm=6.0, cadence_spm=185.0, fps=25.0),
        Runner(view="front", bounce_cm=9.0, cadence_spm=175.0),
        Runner(view="rear", bounce_cm=10.0, cadence_spm=150.0),
    ],
)
def test_bounce_and_cadence_match_truth(runner: Runner) -> None:
    a = analyse(build_track(runner), AnalysisSettings(height_cm=runner.height_cm))
    assert a.scale.height_source == "given"
    assert median(a, "vertical_bounce_cm") == pytest.approx(runner.bounce_cm, rel=0.03)
    pct = runner.bounce_cm / runner.leg_cm * 100.0
    assert median(a, "vertical_bounce_pct_leg") == pytest.approx(pct, rel=0.03)
    assert median(a, "cadence_spm") == pytest.approx(runner.cadence_spm, abs=1.0)
    assert median(a, "cadence_cv_pct") < 2.0
    assert a.strides.n >= 0.4 * runner.duration_s * runner.cadence_spm / 60.0


def test_height_is_estimated_from_world_landmarks() -> None:
    r = Runner(height_cm=182.0)
    track = build_track(r)
    # MediaPipe's world landmarks understate lengths by the factor the config corrects.
    scale = default_config().body.world_length_scale
    track = dataclasses.replace(track, world_landmarks_m=track.world_landmarks_m / scale)
    a = analyse(track)
    assert a.scale.height_source == "estimated"
    assert a.scale.height_cm == pytest.approx(182.0, rel=0.01)
    assert median(a, "vertical_bounce_cm") == pytest.approx(r.bounce_cm, rel=0.03)


@pytest.mark.parametrize("view", ["front", "rear"])
@pytest.mark.parametrize(("sway_cm", "yaw_pp_deg"), [(4.0, 10.0), (10.0, 30.0)])
def test_front_rear_sway_and_head_yaw(view: str, sway_cm: float, yaw_pp_deg: float) -> None:
    r = Runner(view=view, sway_cm=sway_cm, yaw_pp_deg=yaw_pp_deg)
    a = analyse(build_track(r))
    assert (a.view, a.facing) == (view, None)
    assert median(a, "lateral_sway_pct_leg") == pytest.approx(sway_cm / r.leg_cm * 100, rel=0.03)
    assert median(a, "head_yaw_sway_deg") == pytest.approx(yaw_pp_deg, abs=ANGLE_TOL_DEG)
    for side_only in ("torso_lean_deg", "head_pitch_deg", "neck_flexion_deg"):
        assert a.summary[side_only].n == 0


@pytest.mark.parametrize(("view", "ratio"), [("side", 0.30), ("side", 0.36), ("front", 0.40)])
def test_ear_shoulder_ratio_and_hunch(view: str, ratio: float) -> None:
    a = analyse(build_track(Runner(view=view, ear_shoulder_over_torso=ratio)))
    assert median(a, "ear_shoulder_over_torso") == pytest.approx(ratio, abs=0.002)
    from posture.metrics import default_config

    r0 = default_config().r_neutral(view)
    assert median(a, "shoulder_hunch_pct") == pytest.approx((r0 - ratio) / r0 * 100, abs=0.5)


@pytest.mark.parametrize("forced", ["side", "front"])
def test_forced_view_overrides_detection(forced: str) -> None:
    a = analyse(build_track(Runner(view="front")), AnalysisSettings(view=forced))
    assert a.view == forced and a.view_source == "given"


def test_nan_rows_stay_nan_and_values_hold() -> None:
    r = Runner(lean_deg=8.0)
    base = build_track(r)
    n = base.n_frames
    holes = np.zeros(n, bool)
    holes[50:53] = True  # short gap: bridged
    holes[150:200] = True  # long gap: splits the clip
    a = analyse(with_nan_rows(base, holes))
    for v in a.metrics.values():
        assert np.isnan(v[holes]).all()
    assert median(a, "torso_lean_deg") == pytest.approx(8.0, abs=ANGLE_TOL_DEG)
    assert median(a, "cadence_spm") == pytest.approx(r.cadence_spm, abs=1.0)
    assert all(
        not (s <= 5.5 <= e)
        for s, e in zip(a.strides.start_ms / 1000, a.strides.end_ms / 1000, strict=True)
    )


@pytest.mark.parametrize("n", [0, 1, 5, 40])
def test_tiny_or_empty_tracks(n: int) -> None:
    a = analyse(PoseTrack.empty(resolution_wh=(64, 48), fps=30.0, model="m", n=n))
    assert a.view is None and a.strides.n == 0
    assert set(a.metrics) == set(METRICS)
    assert all(v.shape == (n,) for v in a.metrics.values())
    a.to_dict()


def test_short_clip_with_a_person_still_measures_angles() -> None:
    a = analyse(build_track(Runner(duration_s=0.8, lean_deg=7.0)))
    assert median(a, "torso_lean_deg") == pytest.approx(7.0, abs=ANGLE_TOL_DEG)


def test_slow_motion_cadence_is_not_reported() -> None:
    # 170 spm filmed at 8x slow motion: 21 spm in clip time.
    r = Runner(cadence_spm=170.0 / 8, duration_s=30.0)
    a = analyse(build_track(r))
    assert a.summary["cadence_spm"].n == 0
    assert any("slow-motion" in note for note in a.notes)
    assert median(a, "vertical_bounce_pct_leg") == pytest.approx(
        r.bounce_cm / r.leg_cm * 100, rel=0.03
    )


def test_to_dict_sections_are_json_ready() -> None:
    import json

    d = analyse(build_track(Runner())).to_dict()
    assert {"view", "facing", "metrics", "strides", "settings"} <= set(d)
    assert d["metrics"]["torso_lean_deg"]["unit"] == "deg"
    assert d["settings"]["height_source"] == "estimated"
    assert d["strides"] and "torso_lean_deg" in d["strides"][0]
    json.dumps(d, allow_nan=False)


ANGLE_METRICS = (
    "torso_lean_deg",
    "head_pitch_deg",
    "neck_flexion_deg",
    "ear_shoulder_over_torso",
    "vertical_bounce_pct_leg",
)
BASE_SIDE = build_track(Runner(lean_deg=9.0, head_pitch_deg=6.0, duration_s=4.0))
BASE_SIDE_A = analyse(BASE_SIDE)


@settings(max_examples=15, deadline=None)
@given(scale=st.floats(0.3, 3.0), dx=st.floats(-500, 500), dy=st.floats(-300, 300))
def test_translate_and_scale_change_no_angle_or_pct_leg(scale: float, dx: float, dy: float) -> None:
    a = analyse(transformed(BASE_SIDE, scale, (dx, dy)))
    for metric in ANGLE_METRICS:
        assert median(a, metric) == pytest.approx(
            median(BASE_SIDE_A, metric), abs=0.05, rel=0.01
        ), metric


@settings(max_examples=10, deadline=None)
@given(lean=st.floats(-8, 20), pitch=st.floats(-15, 30), facing=st.sampled_from(["left", "right"]))
def test_mirroring_keeps_magnitudes_and_flips_facing(
    lean: float, pitch: float, facing: str
) -> None:
    track = build_track(Runner(lean_deg=lean, head_pitch_deg=pitch, facing=facing, duration_s=3.0))
    a, m = analyse(track), analyse(track.mirrored())
    assert {a.facing, m.facing} == {"left", "right"}
    for metric in ANGLE_METRICS:
        assert median(m, metric) == pytest.approx(median(a, metric), abs=1e-3)


@pytest.mark.parametrize(
    "runner",
    [
        Runner(lean_deg=11.0, facing="left", duration_s=8.0, bounce_cm=9.0),
        Runner(view="front", sway_cm=7.0, yaw_pp_deg=18.0, duration_s=8.0),
    ],
)
def test_live_measures_what_the_offline_analysis_measures(runner: Runner) -> None:
    """Live runs the registry's functions and the offline step and stride tables over a
    trailing window: after a few strides its values are the offline clip figures."""
    from posture.metrics.live import LiveAnalyser

    track = build_track(runner)
    offline = analyse(track, AnalysisSettings(height_cm=runner.height_cm))
    live = LiveAnalyser(AnalysisSettings(height_cm=runner.height_cm))
    outs = [
        live.update(t, row, w)
        for t, row, w in zip(track.timestamps_ms, track.landmarks, track.world_landmarks_m,
                             strict=True)
    ][90:]  # fmt: skip
    assert outs[-1].view == offline.view and outs[-1].facing == offline.facing
    for spec in METRICS.values():
        clip = offline.summary[spec.id].median
        if not np.isfinite(clip) or spec.level == "clip":
            continue
        got = np.nanmedian([o.values[spec.id] for o in outs])
        assert got == pytest.approx(clip, rel=0.1, abs=1.0), spec.id
    assert np.isnan(live.update(99999.0, np.full((33, 5), np.nan)).values["torso_lean_deg"])


def test_live_step_measurement_spread_over_frames_is_the_window_measured_at_once() -> None:
    """The live step window measures over `MEASURE_STAGES` frames instead of stalling one:
    from frame k + stages - 1 on it returns exactly the tables of the window as it stood at
    frame k, measured in one go, and until then the previous tables."""
    import copy

    from posture.metrics.live import _REFRESH_EVERY, GAIT_EVERY, MEASURE_STAGES, GaitWindow
    from posture.metrics.tables import GaitTables

    def same(a: GaitTables, b: GaitTables) -> bool:
        pairs = [(a.steps.values, b.steps.values), (a.strides.values, b.strides.values)]
        return (
            np.array_equal(a.steps.end_ms, b.steps.end_ms)
            and np.array_equal(a.strides.end_ms, b.strides.end_ms)
            and all(np.array_equal(x[k], y[k], equal_nan=True) for x, y in pairs for k in x)
        )

    track = build_track(Runner(lean_deg=9.0, duration_s=6.0))
    window = GaitWindow(default_config(), height_cm=None)
    expected: dict[int, GaitTables] = {}
    strides_seen = 0
    for k, (t, row, world) in enumerate(
        zip(track.timestamps_ms, track.landmarks, track.world_landmarks_m, strict=True)
    ):
        before = window._tables
        tables = window.update(float(t), row, world, "side", 1.0)
        if k == 0:
            continue
        if k % GAIT_EVERY == 0:
            job, window._job = window._job, None  # a generator cannot be copied
            at_once = copy.deepcopy(window)
            window._job = job
            for _ in at_once.measure_steps(k % _REFRESH_EVERY < GAIT_EVERY):
                pass
            assert at_once._tables is not None
            expected[k + MEASURE_STAGES - 1] = at_once._tables
        if k in expected:
            assert same(tables, expected.pop(k)), k
            strides_seen = max(strides_seen, tables.strides.n)
        else:
            assert tables is before, k
    assert strides_seen >= 3


def test_runner_dataclass_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Runner().lean_deg = 3.0  # type: ignore[misc]


def test_rolling_percentile_is_numpys_nanpercentile_over_each_window() -> None:
    """The vectorised rolling percentile (ground line, activity features) gives exactly what
    `np.nanpercentile` gives window by window, NaN where too few values are seen."""
    from posture.metrics.rolling import rolling_percentile

    rng = np.random.default_rng(3)
    for _ in range(40):
        n, m = int(rng.integers(0, 120)), int(rng.integers(1, 5))
        x = rng.normal(0.0, 10.0, (n, m))
        x[rng.random((n, m)) < rng.random()] = np.nan
        before, after = int(rng.integers(0, 25)), int(rng.integers(0, 25))
        q, need = float(rng.uniform(0, 100)), int(rng.integers(1, 12))
        got = rolling_percentile(x, before, after, q, need)
        want = np.full(n, np.nan)
        for t in range(n):
            seg = x[max(0, t - before) : t + after + 1].ravel()
            seg = seg[np.isfinite(seg)]
            if seg.size >= need:
                want[t] = np.percentile(seg, q)
        np.testing.assert_array_equal(got, want)
    assert rolling_percentile(np.empty((0, 4)), 2, 2, 50).shape == (0,)


def test_a_step_rhythm_under_a_stronger_stride_swing_is_still_the_step() -> None:
    """The shoulders can swing once per stride far more than the body drops once per step
    (grid clip side_left-18, head down and shoulders raised: read as 75 steps/min, slow
    motion, before): the step's autocorrelation peak is then below zero, but plain."""
    from scipy.signal import correlate, detrend

    from posture.metrics.gait import _HALF_PEAK_MIN, step_period_frames

    cfg = default_config().steps
    t = np.arange(300)  # 5 s at 60 frames/s; steps of 24 frames (150 steps/min)
    noise = np.random.default_rng(0).normal(0.0, 0.05, t.size)
    stride = np.cos(2 * np.pi * t / 48)
    y = stride + 0.9 * np.cos(2 * np.pi * t / 24) + noise
    yd = detrend(y)
    ac = correlate(yd, yd, mode="full", method="fft")[yd.size - 1 :] / np.dot(yd, yd)
    assert ac[24] < _HALF_PEAK_MIN  # the height test alone reads the stride
    assert step_period_frames(y, 60.0, cfg) == pytest.approx(24, abs=1)
    # a stride-only rhythm, or a step too faint to stand out, stays a stride
    assert step_period_frames(stride + noise, 60.0, cfg) == pytest.approx(48, abs=1)
    faint = stride + 0.6 * np.cos(2 * np.pi * t / 24) + noise
    assert step_period_frames(faint, 60.0, cfg) == pytest.approx(48, abs=1)


def test_zero_phase_smoothing_in_blocks_gives_the_values_of_one_pass(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Long clips are filtered a few columns at a time (memory); the values must not move."""
    from posture.metrics import smoothing

    rng = np.random.default_rng(3)
    t = np.arange(900) * 1000.0 / 30.0
    x = np.cumsum(rng.normal(0.0, 1.0, (900, 33, 3)), axis=0)
    x[300:305] = np.nan  # a short gap, bridged
    x[600:640, 25:] = np.nan  # the legs lost for a while: another column group
    one_pass = smoothing.ZeroPhaseButterworth(6.0).smooth(t, x)
    monkeypatch.setattr(smoothing, "_FILTER_BLOCK", 1000)  # one column of 900 frames a call
    blocks = smoothing.ZeroPhaseButterworth(6.0).smooth(t, x)
    assert np.array_equal(one_pass, blocks, equal_nan=True)
    assert np.isfinite(blocks[302]).all() and np.isnan(blocks[620, 30]).all()
