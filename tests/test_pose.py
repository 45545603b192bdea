"""Pose stage on real footage with the real model (no mocks of MediaPipe)."""

from __future__ import annotations

import itertools
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
def treadmill_track(pose_track):  # type: ignore[no-untyped-def]
    """The treadmill clip through one landmarker (`check --jobs 1`: PoseEstimator and
    estimate_track over every frame), shared with the other tests of the session."""
    from posture.pose.track import PoseTrack

    return PoseTrack.load(pose_track(shared_clip("treadmill_side_lab.mp4"), jobs=1))


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


def test_camera_motion_measured_beside_the_landmarker_is_the_in_line_measure(
    treadmill_track,
) -> None:
    """The scene columns (measured in a thread while the landmarker runs the next frame)
    are, frame by frame, those of `SceneMotion` run in line on the same frames."""
    from posture.pose.scene import SceneMotion

    scene = SceneMotion()
    source = open_video(shared_clip("treadmill_side_lab.mp4"))
    in_line = [
        scene.update(rgb, landmarks)
        for (_, rgb), landmarks in zip(source, treadmill_track.landmarks, strict=True)
    ]
    np.testing.assert_array_equal(treadmill_track.scene, np.asarray(in_line, np.float32))


def test_frames_without_a_person_are_nan_rows(model_path: Path) -> None:
    blank = [(i * 33.3, np.full((120, 160, 3), 90, np.uint8)) for i in range(5)]
    with PoseEstimator(model_path, PoseSettings()) as estimator:
        track = estimate_track(blank, estimator, resolution_wh=(160, 120), fps=30.0)
    assert track.n_frames == 5
    assert not track.detected.any()
    assert np.isnan(track.world_landmarks_m).all()


def test_a_clip_split_over_two_processes_gives_the_same_track(pose_track) -> None:  # type: ignore[no-untyped-def]
    """A short clip (7.6 s), split in two on 2 cores as `check` does, agrees with one process."""
    from posture.pipeline import analyse_track
    from posture.pose.parallel import auto_jobs
    from posture.pose.track import PoseTrack
    from posture.settings import Settings

    clip = shared_clip("side_sprint_start_forward_lean_1.mp4")
    info = open_video(clip).info
    assert auto_jobs(info, cores=2) == 2
    single = PoseTrack.load(pose_track(clip, jobs=1))
    split = PoseTrack.load(pose_track(clip, jobs=2))
    # every frame exactly once, timed by the container
    np.testing.assert_array_equal(split.timestamps_ms, single.timestamps_ms)
    assert split.n_frames == info.frame_count
    # after the warm-up the second landmarker tracks the runner as the first one did
    trunk = [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, LM.LEFT_HIP, LM.RIGHT_HIP]
    both = single.detected & split.detected
    assert np.mean(single.detected == split.detected) >= 0.97 and both.sum() >= 60
    diff = np.abs(split.xy_px[both][:, trunk] - single.xy_px[both][:, trunk]).max(axis=(1, 2))
    assert np.mean(diff <= 2.0) >= 0.97
    verdicts = [
        {r.id: r.status for r in analyse_track(t, info, Settings()).rules} for t in (single, split)
    ]
    assert verdicts[0] == verdicts[1] and verdicts[0]


def test_a_long_real_clip_split_gives_the_verdicts_of_one_process(pose_track) -> None:  # type: ignore[no-untyped-def]
    """The 31.7 s treadmill clip, split in two as `check` does on 2 cores, gets every verdict
    of one process (with chunks of 2-8 s the landing verdicts differed: feet labelled the
    other way after each boundary in a third of the frames)."""
    from posture.pipeline import analyse_track
    from posture.pose.track import PoseTrack
    from posture.settings import Settings

    clip = shared_clip("treadmill_side_lab.mp4")
    split = PoseTrack.load(pose_track(clip))  # estimated as `check` does: split on 2 cores
    single = PoseTrack.load(pose_track(clip, jobs=1))
    info = open_video(clip).info
    verdicts = [
        {r.id: r.status for r in analyse_track(t, info, Settings()).rules} for t in (single, split)
    ]
    assert verdicts[0] == verdicts[1]


def test_a_split_clip_of_two_joggers_follows_one_of_them_as_one_process_does(
    pose_track,  # type: ignore[no-untyped-def]
) -> None:
    """`front_park_two_joggers_1` (20 s), split in two as `check` does on 2 cores: the second
    chunk's landmarker first locked onto the other jogger (1.3 torso lengths away at the
    join); estimated again it follows the runner one process follows."""
    from posture.pose.track import PoseTrack

    clip = shared_clip("front_park_two_joggers_1.mp4")
    split = PoseTrack.load(pose_track(clip))
    single = PoseTrack.load(pose_track(clip, jobs=1))
    trunk = [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, LM.LEFT_HIP, LM.RIGHT_HIP]
    both = single.detected & split.detected
    centre = [t.xy_px[both][:, trunk].mean(axis=1) for t in (single, split)]
    sh = single.xy_px[both][:, [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER]].mean(axis=1)
    hp = single.xy_px[both][:, [LM.LEFT_HIP, LM.RIGHT_HIP]].mean(axis=1)
    away = np.linalg.norm(centre[0] - centre[1], axis=1) / np.linalg.norm(sh - hp, axis=1)
    second_half = split.timestamps_ms[both] >= 10000.0
    assert np.mean(single.detected == split.detected) >= 0.95 and second_half.sum() >= 200
    # the same jogger in (nearly) every frame of the second chunk, not the other one
    assert np.mean(away[second_half] <= 0.25) >= 0.95, np.percentile(away[second_half], 90)


def test_chunks_cover_the_clip_once() -> None:
    from posture.pose.parallel import plan_chunks

    chunks = plan_chunks(30.0, 2, max_chunk_s=8.0)
    assert len(chunks) == 4  # a multiple of the workers, none longer than 8 s
    assert [c.start_ms for c in chunks][1:] == [7500.0, 15000.0, 22500.0]
    assert chunks[0].start_ms == -np.inf and chunks[-1].end_ms == np.inf
    assert all(a.end_ms == b.start_ms for a, b in itertools.pairwise(chunks))
    assert len(plan_chunks(5.0, 2)) == 2
