"""Awkward scenes a phone records: two people in the frame, a runner who enters and leaves.

Made from the synthetic runner (`posture.synth`), so the truth is known: which person is where,
and in which frames the runner is in view.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posture.pipeline import analyse_clip
from posture.pose.landmarks import LM
from posture.synth import SynthParams, iter_frames
from tests.media import write_clip

pytestmark = pytest.mark.model


def _frames(params: SynthParams) -> list[np.ndarray]:
    return [rgb for _, rgb in iter_frames(params)]


@pytest.fixture(scope="module")
def two_runners(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A large runner on the left half, a smaller one on the right half of each frame."""
    common = {"duration_s": 3.0, "resolution_wh": (480, 640), "supersample": 1}
    big = _frames(SynthParams(view="side_right", seed=21, subject_frac=0.75, **common))
    small = _frames(SynthParams(view="side_left", seed=22, subject_frac=0.5, **common))
    frames = [np.hstack([a, b]) for a, b in zip(big, small, strict=True)]
    return write_clip(tmp_path_factory.mktemp("scenes") / "two_runners.mp4", frames, fps=30)


def test_two_people_in_view_never_get_mixed(two_runners: Path) -> None:
    result = analyse_clip(two_runners)
    track = result.track
    assert track.coverage >= 0.9
    hips_x = np.nanmean(track.xy_px[track.detected][:, [LM.LEFT_HIP, LM.RIGHT_HIP], 0], axis=1)
    on_left = hips_x < 480
    # one person throughout: every analysed frame is of the same runner
    assert on_left.all() or (~on_left).all(), f"{on_left.mean():.0%} of frames on the left"
    report = result.report.to_dict()
    assert report["view"] == "side"
    assert report["facing"] == ("right" if on_left.all() else "left")


def test_a_runner_entering_and_leaving_is_analysed_while_in_view(tmp_path: Path) -> None:
    runner = _frames(
        SynthParams(view="side_left", seed=23, duration_s=4.0, supersample=1, torso_lean_deg=4.0)
    )
    empty = np.full_like(runner[0], 200)  # the empty scene before and after
    frames = [empty] * 30 + runner + [empty] * 30
    clip = write_clip(tmp_path / "pass_by.mp4", frames, fps=30)
    result = analyse_clip(clip)
    detected = result.track.detected
    assert result.report.status == "analysed"
    assert not detected[:25].any() and not detected[-25:].any()
    assert detected[35:145].mean() > 0.95
    lean = result.analysis.metrics["torso_lean_deg"] if result.analysis else None
    assert lean is not None and np.isnan(lean[:25]).all()
    assert np.nanmedian(lean) == pytest.approx(4.0, abs=3.0)
    warnings = " ".join(result.report.capture["warnings"])
    assert "in view in only" in warnings
