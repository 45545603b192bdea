"""A recording's drill: pose track -> usable frames -> angles -> reps, sets, form, placement.

The per-frame part runs the same stages as the live coach (`BodyGate`, `DrillTracker`); on
top, the whole clip decides which way the body lies and checks the camera placement first,
so a view that cannot show the angle is one clear message, never a count of zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posture.drills.angles import BodyGate, face_up, head_side, head_votes, segment_lengths_px
from posture.drills.angles import signals as angle_signals
from posture.drills.counter import DrillTracker
from posture.drills.model import DrillSettings, Exercise, Rep
from posture.errors import PostureError
from posture.pose.landmarks import LM
from posture.pose.track import PoseTrack

#: A side view sees the shoulders nearly behind each other: the trunk is this many times
#: longer than the shoulders are apart in the image, at least (head-on it is about 1).
MIN_SIDE_RATIO = 2.0
#: At least this share of the usable frames must show the trunk near the floor (lying).
MIN_LYING_SHARE = 0.2
#: The rep angle must be measured in at least this share of the usable frames.
MIN_ANGLE_SHARE = 0.5
_JITTER_LANDMARKS = (LM.NOSE, LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, LM.LEFT_HIP, LM.RIGHT_HIP,
                     LM.LEFT_KNEE, LM.RIGHT_KNEE, LM.LEFT_ANKLE, LM.RIGHT_ANKLE)  # fmt: skip


class PlacementError(PostureError):
    """The camera cannot show this exercise's angle, or the pose model misses the body."""

    exit_code = 3


@dataclass(frozen=True)
class Detection:
    """How well the pose model found the lying body.

    Attributes:
        frames: frames in the clip. with_pose: frames with a body. usable: frames with the
        same body at its usual size (not a cut or close-up). jitter_px: median frame-to-frame
        movement of 9 landmarks while the body rests (down position), pixels, and
        jitter_pct: the same in % of the trunk length. side_ratio: trunk length / shoulder
        distance in the image (side view: large).
    """

    frames: int
    with_pose: int
    usable: int
    jitter_px: float
    jitter_pct: float
    side_ratio: float

    def to_dict(self) -> dict[str, float | int | None]:
        def r(v: float) -> float | None:
            return round(v, 3) if np.isfinite(v) else None

        return {
            "frames": self.frames,
            "frames_with_pose": self.with_pose,
            "frames_usable": self.usable,
            "pose_share": r(self.with_pose / self.frames) if self.frames else 0.0,
            "usable_share": r(self.usable / self.frames) if self.frames else 0.0,
            "jitter_px": r(self.jitter_px),
            "jitter_pct_of_trunk": r(self.jitter_pct),
            "side_ratio": r(self.side_ratio),
        }


@dataclass(frozen=True)
class DrillResult:
    """One analysed recording.

    Attributes:
        t_s: `(n,)` frame times, s. angle_deg: `(n,)` the rep angle (NaN where unusable).
        signals: `(n,)` every angle the exercise uses. reps: the counted reps.
        mismatches: messages of the match checks the movement failed (not this exercise).
        notes: other things the report should say (e.g. why no rep was complete).
    """

    exercise: Exercise
    t_s: np.ndarray
    angle_deg: np.ndarray
    signals: dict[str, np.ndarray]
    reps: tuple[Rep, ...]
    detection: Detection
    head: float
    mismatches: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    match_values: dict[str, float] = field(default_factory=dict)

    @property
    def sets(self) -> list[list[Rep]]:
        out: list[list[Rep]] = []
        for rep in self.reps:
            if rep.set_number > len(out):
                out.append([])
            out[-1].append(rep)
        return out


def usable_frames(track: PoseTrack) -> np.ndarray:
    """`(n,)` bool: frames `BodyGate` accepts (a body at its usual size)."""
    gate = BodyGate()
    out = np.zeros(track.n_frames, bool)
    for i in np.flatnonzero(track.detected):
        out[i] = gate.update(track.landmarks[i])[0]
    return out


def _jitter(track: PoseTrack, usable: np.ndarray) -> tuple[float, float]:
    """Median distance of 9 landmarks from their own centred 5-frame mean, over runs of
    usable frames: the pose model's frame-to-frame noise, with the movement taken out."""
    xy = track.xy_px[:, list(_JITTER_LANDMARKS)].astype(np.float64)
    ok = np.convolve(usable.astype(int), np.ones(5, int), mode="same") == 5
    if not ok.any():
        return float("nan"), float("nan")
    smooth = np.mean(np.stack([np.roll(xy, k, axis=0) for k in range(-2, 3)]), axis=0)
    residual = np.linalg.norm(xy - smooth, axis=2)[ok]
    trunk = float(np.nanmedian(segment_lengths_px(track.landmarks)[:, 0]))
    px = float(np.nanmedian(residual))
    return px, 100.0 * px / trunk if trunk > 0 else float("nan")


def _side_ratio(track: PoseTrack, usable: np.ndarray) -> float:
    lm = track.landmarks[usable]
    if not len(lm):
        return float("nan")
    width = np.linalg.norm(lm[:, LM.LEFT_SHOULDER, :2] - lm[:, LM.RIGHT_SHOULDER, :2], axis=1)
    trunk = segment_lengths_px(lm)[:, 0]
    return float(np.nanmedian(trunk / np.maximum(width, 1.0)))


def check_placement(
    exercise: Exercise, track: PoseTrack, usable: np.ndarray, angle: np.ndarray,
    settings: DrillSettings, side_ratio: float,
) -> None:  # fmt: skip
    """Raise `PlacementError` (one line saying what to change) when this recording cannot
    show the exercise."""
    n = track.n_frames
    share = float(track.detected.mean()) if n else 0.0
    if share < settings.min_coverage or not usable.any():
        raise PlacementError(
            f"the pose model found a body in {share:.0%} of the frames "
            f"(at least {settings.min_coverage:.0%} needed): light the body, keep all of it in "
            "the frame, camera at floor level looking across the body"
        )
    lying = float((head_votes(track.landmarks[usable]) != 0).mean())
    if lying < MIN_LYING_SHARE:
        raise PlacementError(
            f"the body is not lying down (the trunk is near the floor in {lying:.0%} of the "
            f"frames): {exercise.name} is done lying on the floor, filmed from the side"
        )
    if side_ratio < MIN_SIDE_RATIO:
        raise PlacementError(
            f"the camera does not see the body from the side (trunk {side_ratio:.1f} times "
            "the shoulder distance in the image): put it at floor level, level with the "
            "hips, looking across the body"
        )
    measured = float(np.isfinite(angle[usable]).mean())
    if measured < MIN_ANGLE_SHARE:
        raise PlacementError(
            f"the {exercise.angle.removesuffix('_deg').replace('_', ' ')} angle is measured in "
            f"only {measured:.0%} of the frames (limbs out of frame or hidden): keep the whole "
            "body in the frame, side on"
        )


def _position_note(exercise: Exercise, track: PoseTrack, usable: np.ndarray) -> list[str]:
    lm = track.landmarks[usable]
    flat = head_votes(lm) != 0
    up = face_up(lm[flat])
    up = up[np.isfinite(up)]
    if up.size < 10:
        return []
    share_up = float((up > 0).mean())
    if exercise.position == "supine" and share_up < 0.2:
        return [f"the face points down in most flat frames: {exercise.name} is done on the back"]
    if exercise.position == "prone" and share_up > 0.8:
        return [f"the face points up in most flat frames: {exercise.name} is done face down"]
    return []


def analyse_drill(
    track: PoseTrack, exercise: Exercise, settings: DrillSettings | None = None
) -> DrillResult:
    """Count and check `exercise` in a pose track.

    Raises:
        PlacementError: too few frames with a body, not lying, not a side view, or the
            rep angle cannot be measured.
    """
    settings = settings or DrillSettings()
    usable = usable_frames(track)
    head = head_side(track.landmarks[usable])
    sig = angle_signals(track.landmarks, exercise.signals, head)
    for v in sig.values():
        v[~usable] = np.nan
    angle = sig[exercise.angle]
    side_ratio = _side_ratio(track, usable)
    check_placement(exercise, track, usable, angle, settings, side_ratio)
    t_s = (track.timestamps_ms - track.timestamps_ms[0]) / 1000.0
    tracker = DrillTracker(exercise, settings)
    names = list(sig)
    for i in range(track.n_frames):
        tracker.update(float(t_s[i]), {k: float(sig[k][i]) for k in names})
    px, pct = _jitter(track, usable)
    detection = Detection(track.n_frames, int(track.detected.sum()), int(usable.sum()), px,
                          pct, side_ratio)  # fmt: skip
    mismatches, values = [], {}
    for m in exercise.matches:
        s = sig[m.signal][usable]
        s = s[np.isfinite(s)]
        value = _stat(s, m.stat)
        values[m.id] = value
        if m.bound.status(value) == "fault":
            mismatches.append(m.message)
    notes = _position_note(exercise, track, usable)
    if not tracker.reps:
        notes.append(_no_rep_note(exercise, angle))
    return DrillResult(exercise, t_s, angle, sig, tuple(tracker.reps), detection, head,
                       tuple(mismatches), tuple(notes), values)  # fmt: skip


def _stat(values: np.ndarray, stat: str) -> float:
    if not values.size:
        return float("nan")
    if stat == "max":
        return float(np.max(values))
    return float(np.min(values)) if stat == "min" else float(np.median(values))


def _no_rep_note(exercise: Exercise, angle: np.ndarray) -> str:
    finite = angle[np.isfinite(angle)]
    lo, hi = float(np.percentile(finite, 5)), float(np.percentile(finite, 95))
    what = exercise.angle.removesuffix("_deg").replace("_", " ")
    if lo >= exercise.down_deg:
        return (
            f"no complete rep: the {what} angle never came back down under "
            f"{exercise.down_deg:g} deg (it stayed at {lo:.0f}-{hi:.0f} deg)"
        )
    return (
        f"no complete rep: the {what} angle never rose past {exercise.up_deg:g} deg "
        f"(it stayed at {lo:.0f}-{hi:.0f} deg)"
    )
