"""Pose stage on real footage with the real model (no mocks of MediaPipe)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posture.pose.estimator import PoseEstimator, estimate_track
from posture.pose.landmarks import LM
from posture.settings import PoseSettings
from posture.source import open_video
from tests.conftest import shared_clip

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def treadmill_track(model_path: Path):
    source = open_video(shared_clip("treadmill_side_lab.mp4"))
    with PoseEstimator(model_path, PoseSettings()) as estimator:
        return estimate_track(
            source, estimator, resolution_wh=source.info.resolution_wh, fps=source.info.fps
        )


def test_treadmill_runner_found_in_at_least_95_percent_of_frames(treadmill_track) -> None:
    assert treadmill_track.n_frames == 949
    assert treadmill_track.coverage >= 0.95


def test_treadmill_landmarks_are_plausible(treadmill_track) -> None:
    xy = treadmill_track.xy_px[treadmill_track.detected]
    nose_y = np.median(xy[:, LM.NOSE, 1])
    hip_y = np.median(xy[:, [LM.LEFT_HIP, LM.RIGHT_HIP], 1])
    ankle_y = np.median(xy[:, [LM.LEFT_ANKLE, LM.RIGHT_ANKLE], 1])
    assert nose_y < hip_y < ankle_y  # head above hips above feet, in image coordinates
    world = treadmill_track.world_landmarks_m[treadmill_track.detected]
    height_m = np.median(
        world[:, [LM.LEFT_ANKLE, LM.RIGHT_ANKLE], 1].mean(1) - world[:, LM.NOSE, 1]
    )
    assert 1.2 < height_m < 2.0  # nose-to-ankle height of an adult, in metres


def test_frames_without_a_person_are_nan_rows(model_path: Path) -> None:
    blank = [(i * 33.3, np.full((120, 160, 3), 90, np.uint8)) for i in range(5)]
    with PoseEstimator(model_path, PoseSettings()) as estimator:
        track = estimate_track(blank, estimator, resolution_wh=(160, 120), fps=30.0)
    assert track.n_frames == 5
    assert not track.detected.any()
    assert np.isnan(track.world_landmarks_m).all()
