"""Body angles of a lying person from a side view, on pose-track arrays.

Every function takes landmarks `(n, 33, 5)` (`PoseTrack.landmarks`: x, y in image pixels with
y down, z, visibility, presence) and returns `(n,)` degrees, NaN where the body is missing or
a landmark the angle needs is not visible (out of frame, hidden). The camera is assumed to be
at floor level, looking across the body, and level: the floor is the image's horizontal.
Which way the body lies (head left or right) is found in every frame, so both facings give
the same angles; a live frame is just `n == 1`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np

from posture.pose.landmarks import LM

#: Landmarks below this MediaPipe visibility (on both sides of the body) are not trusted.
MIN_VISIBILITY = 0.3

_SHOULDERS = (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)
_HIPS = (LM.LEFT_HIP, LM.RIGHT_HIP)
_KNEES = (LM.LEFT_KNEE, LM.RIGHT_KNEE)
_ANKLES = (LM.LEFT_ANKLE, LM.RIGHT_ANKLE)


def _mid(lm: np.ndarray, pair: tuple[int, int]) -> np.ndarray:
    """`(n, 2)` midpoint of a left/right pair, NaN where neither side is visible enough."""
    xy = lm[:, list(pair), :2].astype(np.float64).mean(axis=1)
    vis = np.nanmax(np.nan_to_num(lm[:, list(pair), 3], nan=0.0), axis=1)
    xy[vis < MIN_VISIBILITY] = np.nan
    return xy


def _lift_deg(origin: np.ndarray, point: np.ndarray, away: np.ndarray) -> np.ndarray:
    """Angle of `origin -> point` above the floor, measured from the horizontal direction
    `away` (`(n,)` +1 right / -1 left): 0 along the floor that way, 90 straight up, 180 flat
    the other way."""
    dx = (point[:, 0] - origin[:, 0]) * away
    up = origin[:, 1] - point[:, 1]  # image y points down
    return np.degrees(np.arctan2(up, dx))


def head_votes(lm: np.ndarray) -> np.ndarray:
    """`(n,)` which way the head lies, from frames whose trunk is within 30 deg of the floor:
    +1 right of the hips, -1 left, 0 where the frame cannot tell (trunk raised, no body)."""
    hip, sh = _mid(lm, _HIPS), _mid(lm, _SHOULDERS)
    dx, dy = sh[:, 0] - hip[:, 0], sh[:, 1] - hip[:, 1]
    flat = np.abs(dy) < np.tan(np.radians(30.0)) * np.abs(dx)
    return np.where(flat, np.sign(dx), 0.0)


def head_side(lm: np.ndarray) -> float:
    """+1 when the head lies right of the hips in most flat frames, -1 left (+1 if unknown).

    Judged once (over a clip, or so far in a live session) rather than per frame: in a sit-up
    past vertical or legs past vertical, one frame alone would flip it."""
    return -1.0 if head_votes(lm).sum() < 0 else 1.0


def trunk_from_floor_deg(lm: np.ndarray, head: float) -> np.ndarray:
    """Hip -> shoulder line above the floor on the head's side (`head`: see `head_side`):
    0 lying flat on the back, 45 the text's mini crunch, 90 sitting upright, > 90 leaning
    over the thighs."""
    return _lift_deg(_mid(lm, _HIPS), _mid(lm, _SHOULDERS), np.full(len(lm), head))


def trunk_lift_prone_deg(lm: np.ndarray, head: float) -> np.ndarray:
    """For a body lying face down: the same hip -> shoulder line above the floor, on the
    head's side (0 flat, + the upper body lifted). Prone or supine is told apart by
    `face_up`, a placement check, not by this angle."""
    return trunk_from_floor_deg(lm, head)


def legs_from_floor_deg(lm: np.ndarray, head: float) -> np.ndarray:
    """Hip -> ankle line (both legs' midpoint) above the floor on the feet's side: 0 legs on
    the floor, 90 vertical, > 90 past vertical toward the head."""
    return _lift_deg(_mid(lm, _HIPS), _mid(lm, _ANKLES), np.full(len(lm), -head))


def _one_leg_deg(lm: np.ndarray, hip_i: int, ankle_i: int, head: float) -> np.ndarray:
    ankle = lm[:, ankle_i, :2].astype(np.float64)
    ok = np.nan_to_num(lm[:, [hip_i, ankle_i], 3], nan=0.0).min(axis=1) >= MIN_VISIBILITY
    ankle[~ok] = np.nan
    return _lift_deg(lm[:, hip_i, :2].astype(np.float64), ankle, np.full(len(lm), -head))


def legs_split_deg(lm: np.ndarray, head: float) -> np.ndarray:
    """Angle between the two legs' hip -> ankle lines (0: together, as in a leg raise)."""
    left = _one_leg_deg(lm, LM.LEFT_HIP, LM.LEFT_ANKLE, head)
    right = _one_leg_deg(lm, LM.RIGHT_HIP, LM.RIGHT_ANKLE, head)
    return np.abs(left - right)


def _joint_deg(lm: np.ndarray, a: int, b: int, c: int) -> np.ndarray:
    v1 = lm[:, a, :2].astype(np.float64) - lm[:, b, :2]
    v2 = lm[:, c, :2].astype(np.float64) - lm[:, b, :2]
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = (v1 * v2).sum(axis=1) / (np.linalg.norm(v1, axis=1) * np.linalg.norm(v2, axis=1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


_LEGS = ((LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE), (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE))


def _leg_knees(lm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`(n, 2)` each leg's hip-knee-ankle angle and `(n, 2)` the lowest visibility of its
    three landmarks (left, right)."""
    vis = np.nan_to_num(lm[:, :, 3], nan=0.0)
    angles = np.stack([_joint_deg(lm, *leg) for leg in _LEGS], axis=1)
    seen = np.stack([vis[:, list(leg)].min(axis=1) for leg in _LEGS], axis=1)
    return angles, seen


def knee_deg(lm: np.ndarray, head: float = 1.0) -> np.ndarray:
    """Hip-knee-ankle angle of the leg nearer the camera (the more visible one): 180 straight.

    The far leg is hidden behind the near one in a side view, and its landmarks are guessed.
    (`head` is unused: every angle takes it.)"""
    angles, seen = _leg_knees(lm)
    out = np.where(seen[:, 0] >= seen[:, 1], angles[:, 0], angles[:, 1])
    out[seen.max(axis=1) < MIN_VISIBILITY] = np.nan
    return out


def _visible_knees(lm: np.ndarray) -> np.ndarray:
    """`(n, 2)` each leg's knee angle, NaN where that leg is not visible enough."""
    angles, seen = _leg_knees(lm)
    return np.where(seen >= MIN_VISIBILITY, angles, np.nan)


def knee_straighter_deg(lm: np.ndarray, head: float = 1.0) -> np.ndarray:
    """The straighter leg's knee angle: for "keep the legs straight", a fault only when both
    legs read bent (MediaPipe misplaces one ankle at times, even the near one)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames stay NaN
        return np.nanmax(_visible_knees(lm), axis=1)


def knee_more_bent_deg(lm: np.ndarray, head: float = 1.0) -> np.ndarray:
    """The more bent leg's knee angle: for "keep the knees bent", a fault only when both legs
    read straight."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmin(_visible_knees(lm), axis=1)


def face_up(lm: np.ndarray) -> np.ndarray:
    """`(n,)` +1 where the face points up (nose above the ears: lying on the back), -1 where
    it points down (face down), NaN where unknown. Judge it on frames lying flat."""
    ear_y = np.nanmean(lm[:, [LM.LEFT_EAR, LM.RIGHT_EAR], 1].astype(np.float64), axis=1)
    dy = ear_y - lm[:, LM.NOSE, 1]
    return np.where(np.isfinite(dy), np.sign(dy), np.nan)


#: The angles an exercise may name in `drills.toml`, by name.
SIGNALS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    "trunk_from_floor_deg": trunk_from_floor_deg,
    "trunk_lift_prone_deg": trunk_lift_prone_deg,
    "legs_from_floor_deg": legs_from_floor_deg,
    "knee_deg": knee_deg,
    "knee_straighter_deg": knee_straighter_deg,
    "knee_more_bent_deg": knee_more_bent_deg,
    "legs_split_deg": legs_split_deg,
}


def signals(lm: np.ndarray, names: tuple[str, ...], head: float) -> dict[str, np.ndarray]:
    """The named angles `(n,)` of landmarks `(n, 33, 5)` (or one frame `(33, 5)`)."""
    arr = lm[None] if lm.ndim == 2 else lm
    with np.errstate(invalid="ignore"):
        return {name: SIGNALS[name](arr, head) for name in names}


def segment_lengths_px(lm: np.ndarray) -> np.ndarray:
    """`(n, 2)` trunk (shoulders-hips) and thigh (hips-knees) lengths in pixels. From a side
    view they stay the same through every exercise: a jump means a cut or a close-up."""
    hip, sh = _mid(lm, _HIPS), _mid(lm, _SHOULDERS)
    xy = lm[..., :2].astype(np.float64)
    # each thigh's own length (the midpoint of two knees moves when one leg lifts)
    left = np.linalg.norm(xy[:, LM.LEFT_KNEE] - xy[:, LM.LEFT_HIP], axis=1)
    right = np.linalg.norm(xy[:, LM.RIGHT_KNEE] - xy[:, LM.RIGHT_HIP], axis=1)
    return np.stack([np.linalg.norm(sh - hip, axis=1), (left + right) / 2.0], axis=1)


class BodyGate:
    """`update(landmarks) -> (usable, head)` for one frame `(33, 5)`: whether the frame shows
    the same body at the same size as the recent frames (not a cut to a close-up, where the
    pose model still "finds" a whole body), and which way the head lies so far.

    Args:
        window: frames the usual segment lengths are the median of (accepted or not, so a
            camera that was moved for good is adopted after half the window).
        max_ratio: a frame whose trunk or thigh is this many times longer or shorter than
            usual is not used.
    """

    def __init__(self, window: int = 300, max_ratio: float = 1.25) -> None:
        if window < 1 or not max_ratio > 1.0:
            raise ValueError(f"window must be >= 1 and max_ratio > 1, got {window}, {max_ratio}")
        self.window, self.max_ratio = window, max_ratio
        self._lengths: list[np.ndarray] = []
        self._votes = 0.0

    @property
    def head(self) -> float:
        return -1.0 if self._votes < 0 else 1.0

    def update(self, lm: np.ndarray) -> tuple[bool, float]:
        one = lm[None]
        lengths = segment_lengths_px(one)[0]
        if not np.all(np.isfinite(lengths)) or np.any(lengths <= 0):
            return False, self.head
        self._lengths = [*self._lengths[-(self.window - 1) :], lengths]
        usual = np.median(np.stack(self._lengths), axis=0)
        ratio = lengths / usual
        usable = bool(np.all(ratio < self.max_ratio) and np.all(ratio > 1.0 / self.max_ratio))
        if usable:
            self._votes += float(head_votes(one)[0])
        return usable, self.head
