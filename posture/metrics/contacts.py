"""Foot contacts and what the leg does at them (side view; issue 13 items 1-3).

Initial contact and toe-off follow Zeni et al. (2008): a heel furthest ahead of the pelvis
marks a contact, a toe furthest behind it a toe-off. They are read on the leading (trailing)
foot of each frame, so MediaPipe's left/right label swaps in side views do not matter. On the
generator's true skeleton the contact is read 28-42 ms (about 2 frames at 60 frames/s) before
the true foot strike. Values at the events are frame series that are NaN except on the event
frames; the stride metrics take the events inside each stride.
"""

from __future__ import annotations

import numpy as np

from posture.metrics import geometry as g
from posture.pose.landmarks import LM


def leg_px(lm: np.ndarray) -> float:
    """Median hip -> knee -> ankle length over both legs and all frames, pixels."""
    segs = []
    for hip, knee, ankle in (
        (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE),
        (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE),
    ):
        thigh = np.linalg.norm(lm[:, knee, :2] - lm[:, hip, :2], axis=1)
        shin = np.linalg.norm(lm[:, ankle, :2] - lm[:, knee, :2], axis=1)
        segs.append(thigh + shin)
    both = np.concatenate(segs)
    both = both[np.isfinite(both)]
    return float(np.median(both)) if both.size else float("nan")


def _side(lm: np.ndarray, s: int) -> dict[str, np.ndarray]:
    hip, knee, ankle, heel, toe = (
        (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE, LM.LEFT_HEEL, LM.LEFT_FOOT_INDEX),
        (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE, LM.RIGHT_HEEL, LM.RIGHT_FOOT_INDEX),
    )[s]
    names = ("hip", "knee", "ankle", "heel", "toe")
    return {k: lm[:, i, :2] for k, i in zip(names, (hip, knee, ankle, heel, toe), strict=True)}


def knee_flexion_deg(hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """Angle between the thigh (hip -> knee) and the shin (knee -> ankle); 0 = straight."""
    a, b = knee - hip, ankle - knee
    cos = (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


#: a contact's heel (a toe-off's toe) is at most this far above the ground line, % leg.
ON_GROUND_PCT_LEG = 8.0
#: frames either side of a frame that its ground line (lowest foot points) is read over.
GROUND_HALF_WINDOW = 20


def ground_y(lm: np.ndarray) -> np.ndarray:
    """`(n,)` the ground line: 90th percentile image y of all foot points within the window."""
    feet = lm[:, [LM.LEFT_HEEL, LM.RIGHT_HEEL, LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX], 1]
    n = feet.shape[0]
    out = np.full(n, np.nan)
    for t in range(n):
        seg = feet[max(0, t - GROUND_HALF_WINDOW) : t + GROUND_HALF_WINDOW + 1].ravel()
        seg = seg[np.isfinite(seg)]
        if seg.size >= 8:
            out[t] = np.percentile(seg, 90)
    return out


#: frames either side a reach peak must top to be a foot event (Zeni et al. 2008).
PEAK_HALF_WINDOW = 5


def local_peaks(x: np.ndarray, half_window: int = PEAK_HALF_WINDOW) -> np.ndarray:
    """`(n,)` bool: the largest finite value within +/- `half_window` frames, above the median."""
    n = x.size
    out = np.zeros(n, dtype=bool)
    finite = np.isfinite(x)
    if finite.sum() < 2 * half_window + 1:
        return out
    mid = float(np.median(x[finite]))
    for t in np.flatnonzero(finite):
        seg = x[max(0, t - half_window) : t + half_window + 1]
        if x[t] > mid and np.isfinite(seg).all() and x[t] >= seg.max():
            out[t] = True
    return out


def reach_events(lm: np.ndarray, forward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`(n, 2)` bool initial contacts and toe-offs, by the foot's label in that frame.

    Zeni et al. (2008): initial contact when a heel is furthest ahead of the pelvis, toe-off
    when a toe is furthest behind it, each only with that foot on the ground. Read on the
    leading (trailing) foot of each frame, so the events need no left/right identity across
    frames: MediaPipe swaps the legs' labels in side views (30 % of the frames of a
    synthetic side clip), but a frame's heel, ankle and knee of one label are one leg.
    """
    hip_x = g.hip_mid(lm)[:, 0]
    heel = forward[:, None] * (lm[:, [LM.LEFT_HEEL, LM.RIGHT_HEEL], 0] - hip_x[:, None])
    toe = -forward[:, None] * (lm[:, [LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX], 0] - hip_x[:, None])
    ic = np.zeros((lm.shape[0], 2), dtype=bool)
    to = np.zeros_like(ic)
    tol = ON_GROUND_PCT_LEG / 100.0 * leg_px(lm)
    ground = ground_y(lm)[:, None]
    with np.errstate(invalid="ignore"):
        heel_down = lm[:, [LM.LEFT_HEEL, LM.RIGHT_HEEL], 1] >= ground - tol
        toe_down = lm[:, [LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX], 1] >= ground - tol
    for reach, out, down in ((heel, ic, heel_down), (toe, to, toe_down)):
        lead = np.fmax(reach[:, 0], reach[:, 1])
        peaks = local_peaks(lead)
        which = np.where(np.nan_to_num(reach[:, 0], nan=-np.inf) >= np.nan_to_num(
            reach[:, 1], nan=-np.inf), 0, 1)  # fmt: skip
        if out is ic:
            # a reach peak in the air (a swinging foot) is not a contact
            out[peaks, 0] = (which[peaks] == 0) & down[peaks, 0]
            out[peaks, 1] = (which[peaks] == 1) & down[peaks, 1]
            continue
        # The toe keeps moving back for a frame or two after it leaves the ground (the foot
        # rolls up): the toe-off is the last frame before the peak with that toe down.
        for t in np.flatnonzero(peaks).tolist():
            s, start = int(which[t]), max(0, t - PEAK_HALF_WINDOW)
            back = np.flatnonzero(down[start : t + 1, s])
            if back.size:
                out[start + int(back[-1]), s] = True
    return ic, to


def at_events(lm: np.ndarray, forward: np.ndarray, which: str) -> dict[str, np.ndarray]:
    """Values at each foot's events, `(n,)` NaN except where an event is (side view).

    `which` = "contact": overstride (% leg), knee flexion, shin angle and foot angle of the
    landing leg at its initial contacts; "toeoff": hip extension of the leg leaving the ground.
    """
    legs = lm
    ic, to = reach_events(legs, forward)
    events = ic if which == "contact" else to
    length = leg_px(legs)
    hip_mid = g.hip_mid(legs)[:, :2]
    n = lm.shape[0]
    out = {k: np.full(n, np.nan) for k in ("overstride", "knee", "shin", "foot", "hip_ext")}
    for s in range(2):
        p = _side(legs, s)
        rows = events[:, s]
        fwd = forward[rows]
        if which == "contact":
            out["overstride"][rows] = fwd * (p["heel"][rows, 0] - hip_mid[rows, 0]) / length * 100
            out["knee"][rows] = knee_flexion_deg(p["hip"][rows], p["knee"][rows], p["ankle"][rows])
            # + the ankle ahead of the knee (the shin reaching forward)
            out["shin"][rows] = -g.from_vertical_deg(p["knee"][rows] - p["ankle"][rows], fwd)
            # heel -> toe above horizontal toward travel, + toe up (landing on the heel)
            v = p["toe"][rows] - p["heel"][rows]
            out["foot"][rows] = np.degrees(np.arctan2(-v[:, 1], fwd * v[:, 0]))
        else:
            # + the knee behind the hip (thigh behind vertical)
            out["hip_ext"][rows] = g.from_vertical_deg(p["hip"][rows] - p["knee"][rows], fwd)
    return out
