"""PoseTrack: shape validation, NaN rows, mirroring, npz round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posture.errors import BadInputError
from posture.pose.landmarks import LM
from posture.pose.track import PoseTrack


def random_track(n: int = 20, *, seed: int = 0, missing: tuple[int, ...] = (3, 4)) -> PoseTrack:
    rng = np.random.default_rng(seed)
    landmarks = rng.uniform(0, 400, (n, 33, 5)).astype(np.float32)
    landmarks[..., 3:] = rng.uniform(0, 1, (n, 33, 2))
    world = rng.normal(0, 0.5, (n, 33, 3)).astype(np.float32)
    landmarks[list(missing)] = np.nan
    world[list(missing)] = np.nan
    return PoseTrack(
        timestamps_ms=np.arange(n) * 33.4,
        landmarks=landmarks,
        world_landmarks_m=world,
        resolution_wh=(640, 480),
        fps=29.97,
        model="pose_landmarker_full",
        meta={"input": {"path": "clip.mp4"}},
    )


def test_npz_round_trip_keeps_every_value(tmp_path: Path) -> None:
    track = random_track()
    loaded = PoseTrack.load(track.save(tmp_path / "t.pose.npz"))
    np.testing.assert_array_equal(loaded.timestamps_ms, track.timestamps_ms)
    np.testing.assert_array_equal(loaded.landmarks, track.landmarks)  # NaN rows compare equal
    np.testing.assert_array_equal(loaded.world_landmarks_m, track.world_landmarks_m)
    assert (loaded.resolution_wh, loaded.fps, loaded.model) == ((640, 480), 29.97, track.model)
    assert loaded.meta == track.meta
    assert list(tmp_path.iterdir()) == [tmp_path / "t.pose.npz"]  # no temp file left


def test_missing_frames_are_nan_rows_not_dropped() -> None:
    track = random_track(10, missing=(2, 7))
    assert track.n_frames == 10
    assert track.detected.tolist() == [i not in (2, 7) for i in range(10)]
    assert track.coverage == pytest.approx(0.8)


def test_mirroring_flips_x_and_swaps_sides() -> None:
    track = random_track()
    mirrored = track.mirrored()
    i = 0
    left, right = LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER
    assert mirrored.landmarks[i, right, 0] == pytest.approx(640 - track.landmarks[i, left, 0])
    assert mirrored.landmarks[i, left, 1] == track.landmarks[i, right, 1]
    np.testing.assert_allclose(mirrored.mirrored().landmarks, track.landmarks, atol=1e-3)


@pytest.mark.parametrize(
    ("field", "shape", "message"),
    [
        ("landmarks", (5, 33, 4), r"landmarks must have shape \(5, 33, 5\), got \(5, 33, 4\)"),
        ("landmarks", (5, 17, 5), r"landmarks must have shape \(5, 33, 5\)"),
        ("world_landmarks_m", (4, 33, 3), r"world_landmarks_m must have shape \(5, 33, 3\)"),
    ],
)
def test_wrong_shapes_are_rejected_naming_both_shapes(field: str, shape, message: str) -> None:
    arrays = {
        "landmarks": np.zeros((5, 33, 5), np.float32),
        "world_landmarks_m": np.zeros((5, 33, 3), np.float32),
    }
    arrays[field] = np.zeros(shape, np.float32)
    with pytest.raises(ValueError, match=message):
        PoseTrack(np.arange(5.0), resolution_wh=(10, 10), fps=30.0, model="m", **arrays)


def test_loading_something_else_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "x.pose.npz"
    bogus.write_text("not a track")
    with pytest.raises(BadInputError, match="not a posture pose track"):
        PoseTrack.load(bogus)


def test_concat_joins_time_ranges() -> None:
    a, b = random_track(6, seed=1), random_track(4, seed=2, missing=())
    joined = PoseTrack.concat([a, b])
    assert joined.n_frames == 10
    np.testing.assert_array_equal(joined.landmarks[6:], b.landmarks)


def _chunk_pair(offset_px: float) -> tuple[PoseTrack, PoseTrack, float]:
    """A clip's first chunk (0-5 s) and a second one (from 5 s, with its 1 s warm-up) whose
    runner is `offset_px` to the right of the first's (torso about 104 px)."""
    from tests.skeletons import Runner, build_track, transformed

    whole = build_track(Runner(duration_s=8.0))
    start = 5000.0
    first = whole.select(whole.timestamps_ms < start)
    second = transformed(whole, 1.0, (offset_px, 0.0))
    second = second.select(second.timestamps_ms >= start - 1000.0)
    return first, second, start


@pytest.mark.parametrize(("offset_px", "same"), [(0.0, True), (15.0, True), (150.0, False)])
def test_a_join_tells_the_same_runner_from_another(offset_px: float, same: bool) -> None:
    from posture.pose.parallel import SAME_RUNNER_MAX_TORSO, join_offset_torso

    first, second, start = _chunk_pair(offset_px)
    offset = join_offset_torso(first, second, start)
    assert (offset <= SAME_RUNNER_MAX_TORSO) == same, offset


def test_a_join_with_nobody_in_the_warm_up_has_nothing_to_compare() -> None:
    from posture.pose.parallel import join_offset_torso
    from tests.skeletons import with_nan_rows

    first, second, start = _chunk_pair(150.0)
    second = with_nan_rows(second, second.timestamps_ms < start)
    assert np.isnan(join_offset_torso(first, second, start))


def test_a_redone_warm_up_shows_only_the_runner_followed() -> None:
    from posture.pose.parallel import BlankOutside, runner_boxes

    first, _, start = _chunk_pair(0.0)
    boxes = runner_boxes(first, start - 1000.0, start)
    xy = first.xy_px[first.timestamps_ms >= start - 1000.0]
    assert np.all(xy >= boxes[:, None, 1:3]) and np.all(xy <= boxes[:, None, 3:5])
    rng = np.random.default_rng(3)
    frames = [(t, rng.integers(0, 255, (960, 1280, 3), dtype=np.uint8)) for t in (4500.0, 5000.0)]
    lock_on = BlankOutside(boxes, start, 1.0)
    out = [(t, lock_on(t, f.copy())) for t, f in frames]
    x0, y0, x1, y1 = boxes[np.argmin(np.abs(boxes[:, 0] - 4500.0)), 1:].astype(int)
    warm, after = out[0][1], out[1][1]
    inside = slice(y0 + 1, y1), slice(x0 + 1, x1)
    np.testing.assert_array_equal(warm[inside], frames[0][1][inside])
    assert (warm[:, : x0 - 1] == 128).all() and (warm[: y0 - 1] == 128).all()
    np.testing.assert_array_equal(after, frames[1][1])  # the chunk's own frames are whole
