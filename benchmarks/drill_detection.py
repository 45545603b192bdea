"""How well the pose model finds a lying body, and what `posture drill` counts, on the real
core-training clips: share of frames with a pose, share usable (same body at its usual size:
not a cut or close-up), landmark jitter, reps and faults.

    python benchmarks/drill_detection.py [TRACKS_DIR]

TRACKS_DIR holds `<stem>.pose.npz` tracks of the clips (default /tmp/tracks); a missing track
is estimated from ../shared/samples with the full model (slow).
"""

from __future__ import annotations

import sys
from pathlib import Path

from posture.drills import load_drills
from posture.drills.analysis import analyse_drill
from posture.pipeline import run_pose
from posture.pose.track import PoseTrack
from posture.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "samples"
CLIPS = (
    ("crunch_side_portrait_1", "mini_crunch"),
    ("leg_raise_side_portrait_1", "lying_leg_raise"),
    ("leg_raise_side_portrait_1", "vertical_leg_raise"),
    ("leg_lower_side_studio_1", "lying_leg_raise"),
)


def _track(stem: str, tracks: Path) -> PoseTrack:
    saved = tracks / f"{stem}.pose.npz"
    if saved.is_file():
        return PoseTrack.load(saved)
    return run_pose(SAMPLES / f"{stem}.mp4", Settings())[0]


def main() -> None:
    tracks = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/tracks")
    book = load_drills()
    print("clip | exercise | frames | pose | usable | jitter px (% trunk) | reps | faults")
    for stem, exercise in CLIPS:
        result = analyse_drill(_track(stem, tracks), book.find(exercise), book.settings)
        d = result.detection.to_dict()
        faults = sum(bool(r.faults) for r in result.reps)
        print(
            f"{stem} | {exercise} | {d['frames']} | {d['pose_share']:.1%} | "
            f"{d['usable_share']:.1%} | {d['jitter_px']} ({d['jitter_pct_of_trunk']} %) | "
            f"{len(result.reps)} | {faults}" + (" | mismatch" if result.mismatches else "")
        )


if __name__ == "__main__":
    main()
