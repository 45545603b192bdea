"""Metrics and rules on real footage (../shared/samples; skipped when absent)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from posture.metrics import Analysis, analyse
from posture.pose.estimator import PoseEstimator, estimate_track
from posture.pose.track import PoseTrack
from posture.rules import evaluate, load_rules
from posture.settings import PoseSettings
from posture.source import open_video
from tests.conftest import shared_clip

pytestmark = [pytest.mark.footage, pytest.mark.model]


def track_of(path: Path, model_path: Path) -> PoseTrack:
    src = open_video(path)
    with PoseEstimator(model_path, PoseSettings()) as est:
        return estimate_track(
            iter(src), est, resolution_wh=src.info.resolution_wh, fps=src.info.fps
        )


def rotated_clip(src: Path, dst: Path, angle_deg: float, max_frames: int = 660) -> Path:
    """Write `src` rotated by `angle_deg` (OpenCV: + = counter-clockwise on screen). The
    treadmill clip is slow motion (about 0.1x, a stride every 6.7 s of clip): 660 frames hold
    the three strides a lean verdict needs."""
    cap = cv2.VideoCapture(str(src))
    fps = cap.get(cv2.CAP_PROP_FPS)
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    out = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    for _ in range(max_frames):
        ok, frame = cap.read()
        if not ok:
            break
        out.write(cv2.warpAffine(frame, m, (w, h), borderMode=cv2.BORDER_REPLICATE))
    cap.release()
    out.release()
    return dst


@pytest.fixture(scope="module")
def treadmill(pose_track) -> Analysis:  # type: ignore[no-untyped-def]
    return analyse(PoseTrack.load(pose_track(shared_clip("treadmill_side_lab.mp4"))))


@pytest.fixture(scope="module")
def rotated(tmp_path_factory: pytest.TempPathFactory, model_path: Path):  # type: ignore[no-untyped-def]
    """A function: angle -> the analysis of the treadmill clip's first 660 frames rotated by
    it, each angle estimated once per module."""
    folder = tmp_path_factory.mktemp("rotated")
    cache: dict[float, Analysis] = {}

    def get(angle_deg: float) -> Analysis:
        if angle_deg not in cache:
            clip = rotated_clip(
                shared_clip("treadmill_side_lab.mp4"), folder / f"r{angle_deg:+g}.mp4", angle_deg
            )
            cache[angle_deg] = analyse(track_of(clip, model_path))
        return cache[angle_deg]

    return get


def test_treadmill_side_view_upright_neutral_head(treadmill: Analysis) -> None:
    assert (treadmill.view, treadmill.facing) == ("side", "right")
    results = {r.id: r for r in evaluate(treadmill, load_rules())}
    for rule_id in ("lean_forward", "lean_backward", "head_down"):
        assert results[rule_id].status == "ok", results[rule_id]
    assert abs(treadmill.summary["torso_lean_deg"].median) < 4.0
    assert abs(treadmill.summary["head_pitch_deg"].median) < 5.0


def test_jog_in_place_is_a_front_view(pose_track) -> None:  # type: ignore[no-untyped-def]
    a = analyse(PoseTrack.load(pose_track(shared_clip("indoor_front_jog_in_place.mp4"))))
    assert a.view == "front" and a.facing is None
    assert 160 <= a.summary["cadence_spm"].median <= 200


def test_park_runner_faces_left(pose_track) -> None:  # type: ignore[no-untyped-def]
    a = analyse(PoseTrack.load(pose_track(shared_clip("park_side_facing_left.mp4"))))
    assert (a.view, a.facing) == ("side", "left")


@pytest.mark.parametrize(("angle_deg", "shift_deg"), [(-10.0, 10.0), (10.0, -10.0)])
def test_rotating_the_treadmill_clip_shifts_lean(
    rotated,
    angle_deg: float,
    shift_deg: float,  # type: ignore[no-untyped-def]
) -> None:
    base, turned = rotated(0.0), rotated(angle_deg)
    delta = turned.summary["torso_lean_deg"].median - base.summary["torso_lean_deg"].median
    assert delta == pytest.approx(shift_deg, abs=1.5)


def test_lean_forward_fails_at_plus_15_deg(rotated) -> None:  # type: ignore[no-untyped-def]
    a = rotated(-15.0)
    result = {r.id: r for r in evaluate(a, load_rules())}["lean_forward"]
    assert result.status == "fail", result
    assert result.episodes and np.isfinite(result.typical or np.nan)
