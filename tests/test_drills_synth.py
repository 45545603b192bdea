"""The drill core against scripted sessions with known truth (`posture.drills.synth`): rep
counts exact, peaks within 5 deg, holds within 0.2 s, each fault flagged on the session built
to show it and none on the clean ones, both facings."""

from __future__ import annotations

from pathlib import Path

import pytest

from posture.drills import load_drills
from posture.drills.analysis import analyse_drill
from posture.drills.synth import DrillScript, drill_track

BOOK = load_drills()

# (exercise, script keywords, the fault every rep must have (None: no fault on any rep))
CASES = [
    ("mini_crunch", {"peaks_deg": (45.0, 42.0, 48.0, 40.0, 45.0)}, None),
    ("mini_crunch", {"peaks_deg": (95.0, 90.0)}, "full_sit_up"),
    ("mini_crunch", {"peaks_deg": (45.0,) * 4, "knee_deg": 175.0}, "knees_bent"),
    ("lying_leg_raise", {"peaks_deg": (90.0, 88.0, 92.0)}, None),
    ("lying_leg_raise", {"peaks_deg": (90.0, 85.0), "knee_deg": 130.0}, "knees_straight"),
    ("prone_back_extension", {"peaks_deg": (30.0, 25.0, 35.0), "plateau_s": 1.0}, None),
    ("prone_back_extension", {"peaks_deg": (30.0, 28.0), "plateau_s": 0.0}, "hold_at_top"),
]


@pytest.mark.parametrize("head_right", [False, True])
@pytest.mark.parametrize(("exercise", "kw", "fault"), CASES)
def test_scripted_sessions(exercise, kw, fault, head_right):
    ex = BOOK.find(exercise)
    track, truth = drill_track(DrillScript(ex, head_right=head_right, seed=len(kw), **kw))
    result = analyse_drill(track, ex, BOOK.settings)
    assert len(result.reps) == len(truth)
    for rep, true in zip(result.reps, truth, strict=True):
        assert rep.cycle.peak_deg == pytest.approx(true["peak_deg"], abs=5.0)
        assert rep.cycle.hold_s == pytest.approx(true["hold_s"], abs=0.2)
        assert rep.faults == ((fault,) if fault else ())
    assert result.mismatches == ()
    assert not any("face" in n for n in result.notes)  # lying as the exercise says


def test_sets_from_a_scripted_pause():
    ex = BOOK.find("mini_crunch")
    script = DrillScript(ex, peaks_deg=(45.0,) * 6, set_break=4, set_pause_s=15.0)
    result = analyse_drill(drill_track(script)[0], ex, BOOK.settings)
    assert [len(s) for s in result.sets] == [4, 2]


def _placement_error(track, exercise: str) -> str:
    from posture.drills.analysis import PlacementError

    with pytest.raises(PlacementError) as err:
        analyse_drill(track, BOOK.find(exercise), BOOK.settings)
    assert err.value.exit_code == 3
    return str(err.value)


def test_placement_errors_say_what_to_change():
    import dataclasses

    import numpy as np

    from posture.pose.landmarks import LM

    ex = BOOK.find("lying_leg_raise")
    track, _ = drill_track(DrillScript(ex, peaks_deg=(90.0, 90.0)))
    lm = track.landmarks.copy()
    lm[:, LM.LEFT_SHOULDER, 1] -= 120.0  # shoulders far apart: the camera looks along the body
    lm[:, LM.RIGHT_SHOULDER, 1] += 120.0
    assert "from the side" in _placement_error(dataclasses.replace(track, landmarks=lm), ex.id)
    lm = track.landmarks.copy()
    lm[:, [LM.LEFT_ANKLE, LM.RIGHT_ANKLE], 3] = 0.05  # feet out of frame
    assert "out of frame" in _placement_error(dataclasses.replace(track, landmarks=lm), ex.id)
    lm = track.landmarks.copy()
    lm[: int(0.6 * len(lm))] = np.nan  # nobody in most frames
    message = _placement_error(dataclasses.replace(track, landmarks=lm), ex.id)
    assert f"found a body in {1 - int(0.6 * len(lm)) / len(lm):.0%}" in message


def test_drill_clip_cache_key_follows_the_generator_and_its_encoder(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from posture.synth.drill import DrillParams
    from posture.validate import drills, grid

    base = drills.clip_key(DrillParams())
    assert drills.clip_key(DrillParams(facing="head_right")) != base
    read = Path.read_bytes

    def edited_encoder(self: Path) -> bytes:
        return read(self) + (b"# other x264 settings" if self.name == "video_writer.py" else b"")

    monkeypatch.setattr(Path, "read_bytes", edited_encoder)
    grid.generator_digest.cache_clear()
    try:
        assert drills.clip_key(DrillParams()) != base
    finally:
        monkeypatch.undo()
        grid.generator_digest.cache_clear()
    assert drills.clip_key(DrillParams()) == base
