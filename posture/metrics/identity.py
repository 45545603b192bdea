"""One runner per analysis: find where the pose tracker jumped to another person.

MediaPipe's landmarker follows one person; when two run side by side it can switch between
them from one frame to the next. A body cannot move half a leg length in one frame, so such
a jump of the hips marks a switch. Within each shot the longest stretch between switches is
the runner analysed; the frames of the other stretches are left out (as if nobody were
seen), and a note says so. Cuts between shots are not switches: each shot keeps its longest
stretch.
"""

from __future__ import annotations

import numpy as np

from posture.metrics.geometry import hip_mid, torso_length_px


def person_switches(lm: np.ndarray, leg_px: float, max_jump_legs: float) -> np.ndarray:
    """`(n,)` bool: frames where the tracked body jumped (the first frame after the jump).

    Args:
        lm: `(n, 33, C)` image landmarks (not smoothed across frames), pixels.
        leg_px: the runner's leg length in pixels.
        max_jump_legs: largest frame-to-frame hip shift (leg lengths) a body can make;
            a torso length changing by more than that share also counts.
    """
    n = lm.shape[0]
    out = np.zeros(n, bool)
    if n < 2 or not (leg_px > 0):
        return out
    hip = hip_mid(lm)
    torso = torso_length_px(lm)
    ok = np.flatnonzero(np.isfinite(hip).all(axis=1) & np.isfinite(torso))
    if ok.size < 2:
        return out
    gap = np.diff(ok)
    shift = np.linalg.norm(np.diff(hip[ok], axis=0), axis=1) / leg_px
    with np.errstate(invalid="ignore", divide="ignore"):
        size = np.abs(np.log(torso[ok[1:]] / torso[ok[:-1]]))
    # Over a gap of g frames the body may move g times as far (it was not seen meanwhile).
    jumped = (shift > max_jump_legs * np.minimum(gap, 3)) | (size > np.log1p(max_jump_legs))
    out[ok[1:][jumped]] = True
    return out


def runner_frames(switch: np.ndarray, shot: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """`(n,)` bool: the frames of the longest stretch between switches in each shot."""
    keep = np.zeros(switch.size, bool)
    segment = np.cumsum(switch)
    for s in np.unique(shot):
        in_shot = shot == s
        ids, counts = np.unique(segment[in_shot & seen], return_counts=True)
        if ids.size == 0:
            continue
        keep |= in_shot & (segment == ids[np.argmax(counts)])
    return keep
