"""Tests of the synthetic-runner generator (posture.synth): params, truth, frames, files."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from posture.cli.synth import synth
from posture.errors import UsageError
from posture.synth import SynthParams, iter_frames, read_mp4, render_clip, truth_path_for
from posture.synth.clip import ClipModel, FrameRenderer
from posture.synth.legs import segment_deg
from posture.synth.truth import LANDMARK_POINTS, compute_truth

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
TINY = {"resolution_wh": (128, 160), "fps": 10.0, "duration_s": 0.6}


# ---------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("view", "top", "view must be one of"),
        ("torso_lean_deg", 41.0, "torso_lean_deg must be in [-15, 40], got 41"),
        ("bounce_cm", 0.5, "bounce_cm must be in [2, 18], got 0.5"),
        ("cadence_spm", float("nan"), "cadence_spm must be in"),
        ("fps", 0.0, "fps must be in [10, 120], got 0"),
        ("resolution_wh", (641, 480), "width must be an even integer"),
        ("resolution_wh", (640, 20), "height must be an even integer"),
        ("seed", -1, "seed must be in"),
        ("seed", 1.5, "seed must be an integer"),
        ("supersample", 9, "supersample must be in [1, 4], got 9"),
    ],
)
def test_bad_params_name_argument_range_and_value(field: str, value: object, needle: str) -> None:
    with pytest.raises(UsageError, match=None) as info:
        SynthParams(**{field: value})  # type: ignore[arg-type]
    assert needle in str(info.value)


def test_params_round_trip_and_unknown_keys() -> None:
    p = SynthParams(view="front", torso_lean_deg=12.0, seed=3)
    assert SynthParams.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    with pytest.raises(UsageError, match="unknown synth parameter"):
        SynthParams.from_dict({"lean": 3})


# ---------------------------------------------------------------- truth


@pytest.fixture(scope="module")
def default_truth() -> tuple[ClipModel, object]:
    clip = ClipModel.build(SynthParams(duration_s=4.0, seed=5))
    return clip, compute_truth(clip)


@pytest.mark.parametrize(
    ("kwargs", "series", "expected", "tol"),
    [
        ({"torso_lean_deg": 4.0}, "torso_lean_deg", 4.0, 0.1),
        ({"torso_lean_deg": 18.0, "torso_lean_osc_deg": 0.0}, "torso_lean_deg", 18.0, 1e-6),
        ({"head_pitch_deg": 35.0}, "head_pitch_deg", 35.0, 1e-6),
        ({"neck_flexion_deg": 20.0}, "neck_flexion_deg", 20.0, 1e-6),
        ({"neck_flexion_deg": 0.0}, "neck_flexion_deg", 0.0, 1e-6),
    ],
)
def test_frame_truth_matches_params(
    kwargs: dict[str, float], series: str, expected: float, tol: float
) -> None:
    truth = compute_truth(ClipModel.build(SynthParams(duration_s=2.0, **kwargs)))  # type: ignore[arg-type]
    assert abs(float(np.mean(truth.series[series])) - expected) < tol


def test_rounded_shoulders_add_lean_and_ear_ratio_drops_with_shrug() -> None:
    base = compute_truth(ClipModel.build(SynthParams(duration_s=1.0)))
    hunched = compute_truth(
        ClipModel.build(
            SynthParams(duration_s=1.0, shoulder_elevation_cm=5.0, shoulder_rounding_cm=4.0)
        )
    )
    extra = np.mean(hunched.series["torso_lean_deg"] - base.series["torso_lean_deg"])
    assert 3.0 < extra < 6.0  # 4 cm forward over a ~55 cm trunk
    ratio = hunched.series["ear_shoulder_over_torso"]
    assert np.all(ratio < base.series["ear_shoulder_over_torso"] - 0.05)


@pytest.mark.parametrize("bounce_cm", [4.0, 7.0, 13.0])
def test_bounce_per_step_matches_param(bounce_cm: float) -> None:
    truth = compute_truth(ClipModel.build(SynthParams(duration_s=3.0, bounce_cm=bounce_cm)))
    leg = truth.body["leg_length_cm"]
    for step in truth.steps:
        assert step["bounce_cm"] == pytest.approx(bounce_cm, abs=0.01)
        assert step["bounce_pct_leg"] == pytest.approx(100 * bounce_cm / leg, abs=0.02)


def test_cadence_from_strike_times() -> None:
    exact = compute_truth(ClipModel.build(SynthParams(duration_s=6.0, cadence_cv_pct=0.0)))
    strikes_ms = np.array([s["strike_ms"] for s in exact.steps])
    assert 60000.0 / np.diff(strikes_ms).mean() == pytest.approx(170.0, abs=0.01)
    assert exact.clip["cadence_cv_pct"] == pytest.approx(0.0, abs=1e-6)
    feet = [s["foot"] for s in exact.steps]
    assert all(a != b for a, b in itertools.pairwise(feet))
    uneven = compute_truth(
        ClipModel.build(SynthParams(duration_s=20.0, cadence_cv_pct=12.0, seed=17))
    )
    intervals = np.diff([s["strike_ms"] for s in uneven.steps])
    cv = 100 * intervals.std(ddof=1) / intervals.mean()
    assert uneven.clip["cadence_cv_pct"] == pytest.approx(cv, abs=1e-3)
    assert 8.0 < cv < 16.0


def test_sway_and_head_yaw_match_params() -> None:
    p = SynthParams(view="front", duration_s=3.0, lateral_sway_cm=12.9, head_yaw_amp_deg=25.0)
    truth = compute_truth(ClipModel.build(p))
    for stride in truth.strides:
        assert stride["sway_cm"] == pytest.approx(12.9, abs=0.01)
    assert np.max(np.abs(truth.series["head_yaw_deg"])) == pytest.approx(25.0, abs=0.5)


def test_running_kinematics_are_plausible(default_truth: tuple[ClipModel, object]) -> None:
    clip, _ = default_truth
    knees, flight, ankle_floor = [], 0, []
    for t in np.arange(0.0, 2.0, 0.005):
        skel = clip.skeleton.at(float(t))
        pts = skel.points
        for side, leg in zip(("left", "right"), skel.legs, strict=True):
            hip, knee, ankle = (pts[f"{j}_{side}"][:2] for j in ("hip", "knee", "ankle"))
            knees.append(segment_deg(hip, knee) - segment_deg(knee, ankle))
            if leg.stance and leg.foot_deg == 0.0:
                ankle_floor.append(float(ankle[1]))
        flight += not (skel.legs[0].stance or skel.legs[1].stance)
    assert 95.0 < max(knees) < 115.0  # swing-phase knee flexion
    assert min(knees) > 5.0  # never hyper-extended
    assert flight > 0  # a running gait has a flight phase
    assert np.allclose(ankle_floor, clip.dims.ankle_height_cm, atol=1e-6)


def test_landmarks_in_frame_and_face_forward() -> None:
    for view, sign in (("side_left", -1.0), ("side_right", 1.0)):
        truth = compute_truth(ClipModel.build(SynthParams(view=view, duration_s=1.0)))
        xy = truth.landmarks_px
        assert xy.shape == (truth.timestamps_ms.size, 33, 2)
        w, h = truth.params.resolution_wh
        assert np.all((xy.min(axis=2) >= 0) & (xy[..., 0] < w) & (xy[..., 1] < h))
        nose, ear = LANDMARK_POINTS.index("nose"), LANDMARK_POINTS.index("ear_left")
        assert np.all(sign * (xy[:, nose, 0] - xy[:, ear, 0]) > 0)  # the nose leads


# ---------------------------------------------------------------- frames and files


def test_same_seed_same_frames_other_seed_differs() -> None:
    a = [f for _, f in iter_frames(SynthParams(seed=4, **TINY))]  # type: ignore[arg-type]
    b = [f for _, f in iter_frames(SynthParams(seed=4, **TINY))]  # type: ignore[arg-type]
    c = [f for _, f in iter_frames(SynthParams(seed=5, **TINY))]  # type: ignore[arg-type]
    assert len(a) == 6 and a[0].shape == (160, 128, 3) and a[0].dtype == np.uint8
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[0], c[0])


def test_render_clip_writes_mp4_with_exact_timestamps(tmp_path: Path) -> None:
    p = SynthParams(**TINY)  # type: ignore[arg-type]
    truth = render_clip(p, tmp_path / "clip.mp4")
    frames = read_mp4(tmp_path / "clip.mp4")
    assert [t for t, _ in frames] == pytest.approx([i * 100.0 for i in range(6)])
    data = json.loads(truth_path_for(tmp_path / "clip.mp4").read_text())
    assert data["schema_version"] == 1 and data["params"] == p.to_dict()
    assert data["frames"]["timestamps_ms"] == truth.timestamps_ms.tolist()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["clip.mp4", "clip.truth.json"]


def test_render_clip_gives_the_same_bytes_each_time(tmp_path: Path) -> None:
    # The accuracy suite caches clips and compares its errors with a baseline, so one clip
    # must always encode the same. At this size, libx264's macroblock tree made 3 encodes of
    # one second give 3 different files (pixels off by up to 159).
    p = SynthParams(duration_s=1.0, fps=60.0, resolution_wh=(480, 640), seed=7, supersample=1)
    files = [tmp_path / f"clip{i}.mp4" for i in range(3)]
    for f in files:
        render_clip(p, f)
    assert len({f.read_bytes() for f in files}) == 1


def test_render_clip_rejects_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"\.mp4"):
        render_clip(SynthParams(**TINY), tmp_path / "clip.avi")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="does not exist"):
        render_clip(SynthParams(**TINY), tmp_path / "no" / "clip.mp4")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["good_form_side", "sway_shake_front"])
def test_committed_sample_regenerates(name: str) -> None:
    video = SAMPLES / f"{name}.mp4"
    if not video.exists():
        pytest.skip(f"{video} not generated")
    data = json.loads(truth_path_for(video).read_text())
    params = SynthParams.from_dict(data["params"])
    decoded = read_mp4(video)
    assert len(decoded) == params.n_frames
    renderer = FrameRenderer(ClipModel.build(params))
    for i in (0, 37, params.n_frames - 1):
        diff = np.abs(renderer.render(i).astype(float) - decoded[i][1].astype(float))
        assert diff.mean() < 3.0, f"frame {i}: mean abs diff {diff.mean():.2f}"
    truth = compute_truth(ClipModel.build(params))
    assert np.allclose(truth.landmarks_px, data["frames"]["landmarks_px"], atol=0.01)


# ---------------------------------------------------------------- CLI

_APP = typer.Typer()
_APP.command()(synth)


def test_cli_bad_option_is_one_line_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(_APP, [str(tmp_path / "a.mp4"), "--torso-lean", "50"])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "torso_lean_deg must be in [-15, 40], got 50" in result.output


def test_cli_writes_clip(tmp_path: Path) -> None:
    out = tmp_path / "a.mp4"
    args = [str(out), "--view", "rear", "--width", "96", "--height", "128", "--fps", "10"]
    result = CliRunner().invoke(_APP, [*args, "--duration", "0.5", "--seed", "3"])
    assert result.exit_code == 0, result.output
    data = json.loads(truth_path_for(out).read_text())
    assert data["params"]["view"] == "rear" and data["params"]["seed"] == 3
    assert math.isclose(data["body"]["height_cm"], 175.0)
