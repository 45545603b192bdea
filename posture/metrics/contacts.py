"""Foot contacts and what the leg does at them (side view; issue 13 items 1-3).

Initial contact and toe-off start from Zeni et al. (2008): a heel furthest ahead of the
pelvis marks a contact, a toe furthest behind it a toe-off. They are read on the leading
(trailing) foot of each frame, so MediaPipe's left/right label swaps in side views do not
matter. The heel's furthest reach comes before the foot is down (the swinging leg pulls back
before it lands: 28-42 ms, about 2 frames at 60 frames/s, before the generator's true strike),
so the contact is the first frame from that reach on with the leading heel within
`CONTACT_PCT_LEG` of the ground line. The toe's furthest reach behind comes after it has
left the ground, so the toe-off is the last frame before it with the toe down, moved back to
where the toe's rise from rest began (`lift_off`). Values at the events are frame series
that are NaN except on the event frames; the stride metrics take the events inside each
stride.
"""

from __future__ import annotations

import numpy as np

from posture.metrics import geometry as g
from posture.metrics.rolling import rolling_percentile
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
#: a contact is the first frame from the heel's reach peak on with the heel this close to the
#: ground line, % leg (on 60 frames/s synthetic clips through MediaPipe: contacts 23-31 ms
#: early with the reach peak alone, -1 to +15 ms with this (median); docs/METRICS.md,
#: "Foot contacts").
CONTACT_PCT_LEG = 3.0
#: a toe-off starts from the last frame before the toe's reach peak with the toe this close
#: to the ground line, % leg, else within `ON_GROUND_PCT_LEG` (same clips: 34-39 ms late
#: instead of 40-47 ms), and is then moved back to the lift-off (`lift_off`).
TOEOFF_PCT_LEG = 3.0
#: frames either side of a frame that its ground line (lowest foot points) is read over.
GROUND_HALF_WINDOW = 20


def ground_y(lm: np.ndarray) -> np.ndarray:
    """`(n,)` the ground line: 90th percentile image y of all foot points within the window
    (NaN where fewer than 8 are seen)."""
    feet = lm[:, [LM.LEFT_HEEL, LM.RIGHT_HEEL, LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX], 1]
    return rolling_percentile(feet, GROUND_HALF_WINDOW, GROUND_HALF_WINDOW, 90, min_count=8)


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


def _contacts_after_peaks(
    ic: np.ndarray, peaks: np.ndarray, which: np.ndarray, down: np.ndarray, heel_pct: np.ndarray
) -> None:
    """Mark in `ic` `(n, 2)` the contact after each heel reach peak (`peaks` `(n,)`): the first
    frame up to `PEAK_HALF_WINDOW` later (and before the next peak) whose leading heel
    (`which` `(n,)` its label) is within `CONTACT_PCT_LEG` of the ground (`heel_pct` `(n, 2)`
    % leg above it), else the peak itself; a peak with the heel in the air (`down` `(n, 2)`
    False: a swinging foot) is not a contact."""
    n = peaks.size
    lead = np.take_along_axis(heel_pct, which[:, None], axis=1)[:, 0]
    for t in np.flatnonzero(peaks).tolist():
        if not down[t, which[t]]:
            continue
        f = t
        for u in range(t, min(n, t + PEAK_HALF_WINDOW + 1)):
            if u > t and peaks[u]:
                break
            if lead[u] <= CONTACT_PCT_LEG:
                f = u
                break
        ic[f, which[f]] = True


#: a toe-off is moved back at most this long by `lift_off`, ms.
LIFT_BACK_MAX_MS = 35.0


def lift_off(height: np.ndarray, f: int, max_back: int) -> int:
    """The frame nearest the toe's lift-off, given `f`, the last frame the trailing toe is
    down (`height` `(n,)` its % leg above the ground line).

    A toe leaves the ground from rest, so it rises about as the square of the time since
    (constant upward acceleration): the square root of its height grows linearly from 0 at
    lift-off. That line, through the first two frames after `f`, is followed back to 0; the
    toe is already a little up when it first reads as down, so lift-off is often before `f`
    (at most `max_back` frames). `f` itself when the two frames do not show a rise.

    On the validation grid's four 60 frames/s side clips through MediaPipe: 75 % of the
    toe-offs within 1 frame of the true one, median +3.0 ms (the last down frame alone: 21 %,
    +24.8 ms); on the true skeleton median -1.8 ms (+12.8).
    """
    u = f + 1
    if u + 1 >= height.size or not np.isfinite(height[u : u + 2]).all():
        return f
    r0, r1 = np.sqrt(max(float(height[u]), 0.0)), np.sqrt(max(float(height[u + 1]), 0.0))
    if r1 <= r0 or r0 <= 0.0:
        return f
    lift = u - r0 / (r1 - r0)
    return int(np.clip(round(lift), f - max_back, f))


def reach_events(
    lm: np.ndarray, forward: np.ndarray, t_ms: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """`(n, 2)` bool initial contacts and toe-offs, by the foot's label in that frame.

    After Zeni et al. (2008): initial contact when a heel is furthest ahead of the pelvis,
    toe-off when a toe is furthest behind it, each only with that foot on the ground, then
    the contact moved to the first frame the heel is down (`CONTACT_PCT_LEG`) and the toe-off
    to the last frame the toe is down (`TOEOFF_PCT_LEG`), then back to its lift-off
    (`lift_off`, at most `LIFT_BACK_MAX_MS` at the frame rate of `t_ms` `(n,)`; 50 frames/s
    without it). Read on the leading (trailing) foot of each frame, so the events need no
    left/right identity across frames: MediaPipe swaps the legs' labels in side views (30 %
    of the frames of a synthetic side clip), but a frame's heel, ankle and knee of one label
    are one leg.
    """
    hip_x = g.hip_mid(lm)[:, 0]
    heel = forward[:, None] * (lm[:, [LM.LEFT_HEEL, LM.RIGHT_HEEL], 0] - hip_x[:, None])
    toe = -forward[:, None] * (lm[:, [LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX], 0] - hip_x[:, None])
    ic = np.zeros((lm.shape[0], 2), dtype=bool)
    to = np.zeros_like(ic)
    leg = leg_px(lm)
    tol = ON_GROUND_PCT_LEG / 100.0 * leg
    ground = ground_y(lm)[:, None]
    with np.errstate(invalid="ignore"):
        heel_down = lm[:, [LM.LEFT_HEEL, LM.RIGHT_HEEL], 1] >= ground - tol
        toe_down = lm[:, [LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX], 1] >= ground - tol
        heel_pct = (ground - lm[:, [LM.LEFT_HEEL, LM.RIGHT_HEEL], 1]) / leg * 100.0
        toe_pct = (ground - lm[:, [LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX], 1]) / leg * 100.0
    for reach, out, down in ((heel, ic, heel_down), (toe, to, toe_down)):
        lead = np.fmax(reach[:, 0], reach[:, 1])
        peaks = local_peaks(lead)
        which = np.where(np.nan_to_num(reach[:, 0], nan=-np.inf) >= np.nan_to_num(
            reach[:, 1], nan=-np.inf), 0, 1)  # fmt: skip
        if out is ic:
            _contacts_after_peaks(ic, peaks, which, down, heel_pct)
            continue
        # The toe keeps moving back for a frame or two after it leaves the ground (the foot
        # rolls up): the toe-off is the last frame before the peak with that toe within
        # `TOEOFF_PCT_LEG` of the ground (else within `ON_GROUND_PCT_LEG`), moved back to
        # where the trailing toe's rise began (`lift_off`).
        trail = np.take_along_axis(toe_pct, which[:, None], axis=1)[:, 0]
        fps = frame_rate(t_ms) if t_ms is not None else CONTACT_TIME_MIN_FPS
        max_back = int(LIFT_BACK_MAX_MS * fps / 1000.0) if np.isfinite(fps) else 0
        for t in np.flatnonzero(peaks).tolist():
            s, start = int(which[t]), max(0, t - PEAK_HALF_WINDOW)
            for near in (toe_pct[start : t + 1, s] <= TOEOFF_PCT_LEG, down[start : t + 1, s]):
                back = np.flatnonzero(near)
                if back.size:
                    f = lift_off(trail, start + int(back[-1]), max_back)
                    out[f, which[f]] = True
                    break
    return ic, to


#: contact time and duty factor need at least this frame rate (a 200 ms contact is 6 frames at
#: 30 frames/s: one frame either end is a third of it).
CONTACT_TIME_MIN_FPS = 50.0
#: a contact time outside this range (ms) is a missed or a spurious event, not a contact.
CONTACT_MS_RANGE = (60.0, 600.0)


def frame_rate(t_ms: np.ndarray) -> float:
    """Frames per second of the frame times `t_ms` `(n,)` (median interval; NaN under 2)."""
    dt = np.diff(np.asarray(t_ms, np.float64))
    dt = dt[np.isfinite(dt) & (dt > 0)]
    return 1000.0 / float(np.median(dt)) if dt.size else float("nan")


def contact_not_measured(fps: float) -> str | None:
    """Why contact time and duty factor are not measured at `fps`, None when they are."""
    if fps >= CONTACT_TIME_MIN_FPS:
        return None
    return (
        f"contact time and duty factor need >= {CONTACT_TIME_MIN_FPS:.0f} frames/s; this clip "
        f"has {fps:.0f}"
    )


def contact_times(ic: np.ndarray, to: np.ndarray, t_ms: np.ndarray) -> np.ndarray:
    """`(n,)` contact time (ms) at each initial contact frame, NaN elsewhere.

    A contact lasts from its initial contact to the next toe-off, if that comes before the
    next contact (running has no double support), whichever foot's labels MediaPipe gave each
    event. NaN throughout below `CONTACT_TIME_MIN_FPS`. The duty factor divides it by the
    stride's duration from the step detector (`duty_factor_pct`), not by the time to the
    second contact after it: one missed contact there doubled the stride (on the grid's
    60 frames/s side clips, re-encoded at 5 qualities: duty factor errors up to 16.5 %,
    or none at all, with contact times within 40 ms).
    """
    n = ic.shape[0]
    contact = np.full(n, np.nan)
    if not frame_rate(t_ms) >= CONTACT_TIME_MIN_FPS:
        return contact
    ics = np.flatnonzero(ic.any(axis=1))
    tos = np.flatnonzero(to.any(axis=1))
    lo, hi = CONTACT_MS_RANGE
    for k, i in enumerate(ics.tolist()):
        nxt = ics[k + 1] if k + 1 < ics.size else n
        after = tos[(tos > i) & (tos < nxt)]
        if not after.size:
            continue
        ms = float(t_ms[after[0]] - t_ms[i])
        if lo <= ms <= hi:
            contact[i] = ms
    return contact


def at_events(
    lm: np.ndarray,
    forward: np.ndarray,
    which: str,
    t_ms: np.ndarray | None = None,
    *,
    found: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Values at each foot's events, `(n,)` NaN except where an event is (side view).

    `which` = "contact": overstride (% leg), knee flexion, shin angle and foot angle of the
    landing leg at its initial contacts, and with the frame times `t_ms` `(n,)` the contact
    time (`contact_times`); "toeoff": hip extension of the leg leaving the
    ground (the thigh furthest behind vertical). `found`: `reach_events(lm, forward)`, when
    the caller has it already (both kinds are read from one pass).
    """
    legs = lm
    ic, to = found if found is not None else reach_events(legs, forward, t_ms)
    events = ic if which == "contact" else to
    length = leg_px(legs)
    hip_mid = g.hip_mid(legs)[:, :2]
    n = lm.shape[0]
    keys = ("overstride", "knee", "shin", "foot", "hip_ext", "contact_ms")
    out = {k: np.full(n, np.nan) for k in keys}
    if which == "contact" and t_ms is not None:
        out["contact_ms"] = contact_times(ic, to, t_ms)
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
            # + the knee behind the hip (thigh behind vertical). The leaving leg is the one
            # whose thigh is furthest behind vertical (the other swings through ahead): read
            # on both labels, so a frame where MediaPipe gives the toe of one leg and the knee
            # of the other still reads the leaving leg. On three 60 frames/s synthetic clips:
            # 17.5, 23.8, 5.8 deg (true 12.9, 18.7, 6.0); by the toe's own label -1.6, 23.0,
            # -9.7 (10.0, 17.9, -9.2 with the 8 % leg toe-off alone).
            both = [_side(legs, k) for k in range(2)]
            ext = [g.from_vertical_deg(q["hip"][rows] - q["knee"][rows], fwd) for q in both]
            out["hip_ext"][rows] = np.fmax(ext[0], ext[1])
    return out
