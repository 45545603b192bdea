"""The built-in metrics: one registry entry each, with the function that computes it.

Adding a metric: write its formula (a function of `FrameInputs`, `StepInputs`,
`StrideInputs` or `ClipInputs`, usually in `geometry.py` or `gait.py`), add its `MetricSpec`
here, give a rule in `posture/rules/rules.toml` if it is judged, and document it in
docs/METRICS.md. Everything else (report, schema, CSV, plots, panels, history, compare,
validate) derives from the entry.
"""

from __future__ import annotations

import numpy as np

from posture.metrics import geometry as g
from posture.metrics.gait import detrended_range, plain_range
from posture.metrics.inputs import ClipInputs, ClipValue, FrameInputs, StepInputs, StrideInputs
from posture.metrics.registry import (
    ALL_VIEWS,
    FRONT_REAR,
    SIDE,
    Accuracy,
    MetricSpec,
    register,
)
from posture.pose.landmarks import LM

_SHOULDERS = (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)
_HIPS = (LM.LEFT_HIP, LM.RIGHT_HIP)
_EARS = (LM.LEFT_EAR, LM.RIGHT_EAR)
_TRUNK = (*_SHOULDERS, *_HIPS)
_HEAD = (LM.NOSE, *_EARS)
_FACE = (*_HEAD, LM.LEFT_EYE, LM.RIGHT_EYE, LM.MOUTH_LEFT, LM.MOUTH_RIGHT)
_LEGS = (*_HIPS, LM.LEFT_KNEE, LM.RIGHT_KNEE, LM.LEFT_ANKLE, LM.RIGHT_ANKLE)
#: 1 cm of a 175 cm runner's 85.9 cm leg, in % leg (the bounce target in % leg).
_CM_AS_PCT_LEG = 100.0 / 85.925


def _hunch(f: FrameInputs) -> np.ndarray:
    r = f.values["ear_shoulder_over_torso"]
    side = g.shoulder_hunch_pct(r, f.config.r_neutral("side"))
    front = g.shoulder_hunch_pct(r, f.config.r_neutral("front"))
    return np.where(f.view == "side", side, front)


def cv_pct(intervals: np.ndarray) -> float:
    """Coefficient of variation in % (sample std / mean); NaN with fewer than 4 intervals."""
    if intervals.size < 4:
        return float("nan")
    return float(np.std(intervals, ddof=1) / np.mean(intervals) * 100.0)


def _cadence_cv(c: ClipInputs) -> ClipValue:
    rolling = np.array([cv_pct(c.intervals_ms[lo:hi]) for lo, hi in c.stride_windows])
    return ClipValue(rolling.reshape(-1), cv_pct(c.intervals_ms), int(c.intervals_ms.size))


def _bounce_pct_leg(s: StepInputs) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return s.rise_px / s.scale.leg_length_px * 100.0


for _spec in (
    MetricSpec(
        "torso_lean_deg", "deg", SIDE, "frame", "Torso lean", "lean",
        "hip-mid -> shoulder-mid from vertical, + forward",
        lambda f: g.torso_lean_deg(f.lm, f.forward),
        landmarks=_TRUNK, panel=True, trend=True, plot_min_range=10.0,
        accuracy=Accuracy(2.0),
    ),
    MetricSpec(
        "head_pitch_deg", "deg", SIDE, "frame", "Head pitch", "head",
        "median nod of four face lines (ear-nose, ear-eye, ear-mouth, eye-mouth) from their "
        "level-gaze angles, + looking down",
        lambda f: g.head_pitch_deg(
            f.lm, f.forward, f.config.head.pitch_neutrals_deg, f.config.head.pitch_offset_deg
        ),
        landmarks=_FACE, panel=True, trend=True, plot_min_range=10.0,
        accuracy=Accuracy(4.0),
    ),
    MetricSpec(
        "neck_flexion_deg", "deg", SIDE, "frame", "Neck flexion", "neck",
        "shoulder-mid -> ear-mid against the torso line, + head forward",
        lambda f: g.neck_flexion_deg(f.lm, f.forward),
        landmarks=(*_EARS, *_TRUNK), panel=True, plot_min_range=10.0,
        accuracy=Accuracy(4.0),
    ),
    MetricSpec(
        "ear_shoulder_over_torso", "ratio", ("side", "front"), "frame", "Ear-shoulder distance",
        "ear-shoulder", "|ear-mid -> shoulder-mid| / |shoulder-mid -> hip-mid|",
        lambda f: g.ear_shoulder_over_torso(f.lm),
        landmarks=(*_EARS, *_TRUNK), digits=2, plot_min_range=0.1,
    ),
    MetricSpec(
        "shoulder_hunch_pct", "%", ("side", "front"), "frame", "Shoulder hunch", "hunch",
        "ear-shoulder distance shortened vs neutral, + shrugged",
        _hunch, landmarks=(*_EARS, *_TRUNK), panel=True, trend=True, plot_min_range=20.0,
    ),
    MetricSpec(
        "shoulder_rounding_pct_torso", "% torso", SIDE, "frame", "Shoulder rounding",
        "rounding", "shoulder-mid ahead of the hip -> ear line, + rounded",
        lambda f: g.shoulder_rounding_pct_torso(f.lm, f.forward),
        landmarks=(*_EARS, *_TRUNK), plot_min_range=10.0,
    ),
    MetricSpec(
        "head_yaw_deg", "deg", FRONT_REAR, "frame", "Head yaw", "head yaw",
        "head turned left/right from the nose offset between the ears",
        lambda f: g.head_yaw_deg(f.lm, f.config.head.depth_over_half_ear_width),
        landmarks=_HEAD, plot_min_range=20.0,
    ),
    MetricSpec(
        "head_yaw_sway_deg", "deg", FRONT_REAR, "stride", "Head shaking", "head sway",
        "peak-to-peak head yaw per stride",
        lambda s: plain_range_all(s.frames["head_yaw_deg"], s),
        landmarks=_HEAD, panel=True, plot_min_range=20.0, accuracy=Accuracy(4.0),
    ),
    MetricSpec(
        "vertical_bounce_pct_leg", "% leg", ALL_VIEWS, "step", "Vertical bounce (% leg)",
        "bounce", "body rise per step (read at the shoulders), % leg length",
        _bounce_pct_leg, landmarks=(*_SHOULDERS, *_LEGS), plot_min_range=5.0,
        accuracy=Accuracy(_CM_AS_PCT_LEG, 0.10), camera_sensitive=True, step_timing=True,
    ),
    MetricSpec(
        "vertical_bounce_cm", "cm", ALL_VIEWS, "step", "Vertical bounce", "bounce",
        "body rise per step (read at the shoulders), cm",
        lambda s: s.rise_px * s.scale.cm_per_px,
        landmarks=(*_SHOULDERS, *_LEGS), panel=True, trend=True, plot_min_range=4.0,
        accuracy=Accuracy(1.0, 0.10), camera_sensitive=True, step_timing=True,
    ),
    MetricSpec(
        "lateral_sway_pct_leg", "% leg", FRONT_REAR, "stride", "Side-to-side sway", "sway",
        "pelvis side-to-side peak-to-peak per stride, % leg length",
        lambda s: detrended_range_all(s.signal_px[:, 0], s) / s.scale.leg_length_px * 100.0,
        landmarks=(*_HIPS, *_LEGS), panel=True, trend=True, plot_min_range=5.0,
        camera_sensitive=True,
    ),
    MetricSpec(
        "cadence_spm", "steps/min", ALL_VIEWS, "step", "Cadence", "cadence",
        "steps per minute", lambda s: 60000.0 / s.dt_ms,
        landmarks=_SHOULDERS, panel=True, trend=True, digits=0, plot_min_range=20.0,
        accuracy=Accuracy(2.0), aggregate="rate", camera_sensitive=True, step_timing=True,
    ),
    MetricSpec(
        "cadence_cv_pct", "%", ALL_VIEWS, "clip", "Pace evenness (step-time variation)",
        "pace CV", "coefficient of variation of step intervals", _cadence_cv,
        landmarks=_SHOULDERS, plot_min_range=10.0, camera_sensitive=True, step_timing=True,
    ),
):  # fmt: skip
    register(_spec)


def plain_range_all(x: np.ndarray, s: StrideInputs) -> np.ndarray:
    """`(m,)` peak-to-peak of the frame series `x` over each stride."""
    return np.array([plain_range(x, a, b) for a, b in zip(s.a, s.b, strict=True)], np.float64)


def detrended_range_all(x: np.ndarray, s: StrideInputs) -> np.ndarray:
    """`(m,)` peak-to-peak of `x` over each stride after removing the line joining its ends."""
    pairs = zip(s.a, s.b, strict=True)
    return np.array([detrended_range(x, a, b) for a, b in pairs], np.float64)


def peak_all(x: np.ndarray, s: StrideInputs) -> np.ndarray:
    """`(m,)` largest value of the frame series `x` over each stride (NaN if any is missing)."""
    out = []
    for a, b in zip(s.a, s.b, strict=True):
        seg = x[round(a) : round(b) + 1]
        out.append(float(seg.max()) if seg.size >= 3 and np.isfinite(seg).all() else np.nan)
    return np.array(out, np.float64)


_ARMS = (*_SHOULDERS, *_HIPS, LM.LEFT_WRIST, LM.RIGHT_WRIST)

# Torso rocking (issue 13, item 4): the trunk's roll and the shoulder line's tilt, front/rear.
for _spec in (
    MetricSpec(
        "trunk_roll_deg", "deg", FRONT_REAR, "frame", "Trunk roll", "roll",
        "hip-mid -> shoulder-mid from vertical in the image, + toward image right",
        lambda f: g.trunk_roll_deg(f.lm), landmarks=_TRUNK, plot_min_range=10.0,
    ),
    MetricSpec(
        "shoulder_tilt_deg", "deg", FRONT_REAR, "frame", "Shoulder-line tilt", "tilt",
        "shoulder line from horizontal, + image-right shoulder higher",
        lambda f: g.shoulder_tilt_deg(f.lm), landmarks=_SHOULDERS, plot_min_range=10.0,
    ),
    MetricSpec(
        "arm_crossing_pct_shoulder", "% shoulder", FRONT_REAR, "frame", "Arm crossing",
        "arm cross", "furthest wrist past the body's midline, % shoulder width (+ crossing)",
        lambda f: g.arm_crossing_pct_shoulder(f.lm), landmarks=_ARMS, plot_min_range=20.0,
    ),
    MetricSpec(
        "trunk_roll_range_deg", "deg", FRONT_REAR, "stride", "Torso rocking", "rocking",
        "peak-to-peak trunk roll per stride",
        lambda s: plain_range_all(s.frames["trunk_roll_deg"], s),
        landmarks=_TRUNK, panel=True, plot_min_range=6.0, accuracy=Accuracy(2.0),
    ),
    MetricSpec(
        "shoulder_tilt_range_deg", "deg", FRONT_REAR, "stride", "Shoulder rocking",
        "shoulder rock", "peak-to-peak shoulder-line tilt per stride",
        lambda s: plain_range_all(s.frames["shoulder_tilt_deg"], s),
        landmarks=_SHOULDERS, plot_min_range=6.0, accuracy=Accuracy(2.0),
    ),
    MetricSpec(
        "arm_crossing_peak_pct_shoulder", "% shoulder", ("front",), "stride",
        "Arms crossing the midline", "arm cross",
        "furthest a wrist passes the body's midline per stride, % shoulder width (informative)",
        lambda s: peak_all(s.frames["arm_crossing_pct_shoulder"], s),
        landmarks=_ARMS, plot_min_range=20.0,
    ),
):  # fmt: skip
    register(_spec)


_LAST_EVENTS: list[tuple[np.ndarray, dict[str, dict[str, np.ndarray]]]] = []


def _events(f: FrameInputs, which: str, key: str) -> np.ndarray:
    """One of `contacts.at_events` for this clip's landmarks; the foot events are found once
    for both kinds (contact, toe-off) and kept for the clip's other event metrics."""
    from posture.metrics.contacts import at_events, reach_events

    src = f.lm if f.raw is None else f.raw
    if not _LAST_EVENTS or _LAST_EVENTS[0][0] is not src:
        forward = np.where(f.view == "side", f.forward, np.nan)
        events = reach_events(src, forward, f.t_ms)
        both = {w: at_events(src, forward, w, f.t_ms, found=events) for w in ("contact", "toeoff")}
        _LAST_EVENTS[:] = [(src, both)]
    return _LAST_EVENTS[0][1][which][key]


def nanmedian_all(x: np.ndarray, s: StrideInputs) -> np.ndarray:
    """`(m,)` median of the finite values of the sparse frame series `x` in each stride."""
    out = []
    for a, b in zip(s.a, s.b, strict=True):
        seg = x[round(a) : round(b) + 1]
        seg = seg[np.isfinite(seg)]
        out.append(float(np.median(seg)) if seg.size else np.nan)
    return np.array(out, np.float64)


#: frame metrics that are NaN except on foot-event frames (live shows the latest event).
EVENT_FRAME_METRICS = (
    "contact_overstride_pct_leg",
    "contact_knee_flexion_deg",
    "contact_shin_deg",
    "contact_foot_angle_deg",
    "toeoff_hip_extension_deg",
    "contact_duration_ms",
)
_LEG = (*_HIPS, LM.LEFT_KNEE, LM.RIGHT_KNEE, LM.LEFT_ANKLE, LM.RIGHT_ANKLE)
_FEET = (LM.LEFT_HEEL, LM.RIGHT_HEEL, LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX)

# Landing and hips forward (issue 13, items 1-3), side view: values at each foot's initial
# contact / toe-off (frame series, NaN between events) and their median per stride.
for _spec in (
    MetricSpec(
        "contact_overstride_pct_leg", "% leg", SIDE, "frame", "Overstride at contact",
        "overstride", "heel ahead of the hip-mid at each initial contact, % leg (event frames)",
        lambda f: _events(f, "contact", "overstride"), landmarks=(*_LEG, *_FEET),
        plot_min_range=20.0,
    ),
    MetricSpec(
        "contact_knee_flexion_deg", "deg", SIDE, "frame", "Knee at contact", "knee",
        "landing leg's knee flexion at each initial contact (event frames)",
        lambda f: _events(f, "contact", "knee"), landmarks=(*_LEG, *_FEET),
        plot_min_range=20.0,
    ),
    MetricSpec(
        "contact_shin_deg", "deg", SIDE, "frame", "Shin at contact", "shin",
        "landing shin from vertical at each initial contact, + ankle ahead of the knee",
        lambda f: _events(f, "contact", "shin"), landmarks=(*_LEG, *_FEET),
        plot_min_range=20.0,
    ),
    MetricSpec(
        "contact_foot_angle_deg", "deg", SIDE, "frame", "Foot angle at contact", "foot",
        "heel -> toe above horizontal at each initial contact, + toe up (heel first)",
        lambda f: _events(f, "contact", "foot"), landmarks=(*_LEG, *_FEET),
        plot_min_range=20.0,
    ),
    MetricSpec(
        "toeoff_hip_extension_deg", "deg", SIDE, "frame", "Hip extension at toe-off",
        "hip ext", "thigh (hip -> knee) behind vertical at each toe-off, + knee behind the hip",
        lambda f: _events(f, "toeoff", "hip_ext"), landmarks=(*_LEG, *_FEET),
        plot_min_range=20.0,
    ),
    MetricSpec(
        "contact_duration_ms", "ms", SIDE, "frame", "Contact time (each contact)", "contact",
        "initial contact to the next toe-off at each contact, ms (event frames; >= 50 frames/s)",
        lambda f: _events(f, "contact", "contact_ms"), landmarks=(*_LEG, *_FEET), digits=0,
        plot_min_range=100.0,
    ),
    MetricSpec(
        "overstride_pct_leg", "% leg", SIDE, "stride", "Overstride", "overstride",
        "heel ahead of the hips at initial contact, % leg (median of the stride's contacts)",
        lambda s: nanmedian_all(s.frames["contact_overstride_pct_leg"], s),
        landmarks=(*_LEG, *_FEET), panel=True, plot_min_range=20.0, accuracy=Accuracy(2.0),
    ),
    MetricSpec(
        "overstride_cm", "cm", SIDE, "stride", "Overstride (cm)", "overstride",
        "heel ahead of the hips at initial contact, cm",
        lambda s: nanmedian_all(s.frames["contact_overstride_pct_leg"], s)
        * s.scale.leg_length_cm / 100.0,
        landmarks=(*_LEG, *_FEET), plot_min_range=15.0,
    ),
    MetricSpec(
        "knee_flexion_at_contact_deg", "deg", SIDE, "stride", "Knee bend at landing",
        "knee", "knee flexion at initial contact (median of the stride's contacts)",
        lambda s: nanmedian_all(s.frames["contact_knee_flexion_deg"], s),
        landmarks=(*_LEG, *_FEET),  plot_min_range=20.0, accuracy=Accuracy(5.0),
    ),
    MetricSpec(
        "shin_angle_at_contact_deg", "deg", SIDE, "stride", "Shin angle at landing", "shin",
        "shin from vertical at initial contact, + ankle ahead of the knee",
        lambda s: nanmedian_all(s.frames["contact_shin_deg"], s),
        landmarks=(*_LEG, *_FEET), plot_min_range=20.0,
    ),
    MetricSpec(
        "foot_strike_angle_deg", "deg", SIDE, "stride", "Foot strike angle", "strike",
        "foot angle at initial contact, + toe up: > 8 rearfoot, -1.6..8 midfoot, < -1.6 forefoot",
        lambda s: nanmedian_all(s.frames["contact_foot_angle_deg"], s),
        landmarks=(*_LEG, *_FEET), plot_min_range=20.0,
    ),
    MetricSpec(
        "contact_time_ms", "ms", SIDE, "stride", "Ground contact time", "contact",
        "initial contact to toe-off, ms (median of the stride's contacts, both feet; needs "
        ">= 50 frames/s)",
        lambda s: nanmedian_all(s.frames["contact_duration_ms"], s),
        landmarks=(*_LEG, *_FEET), digits=0, plot_min_range=100.0, accuracy=Accuracy(1000 / 60),
    ),
    MetricSpec(
        "duty_factor_pct", "%", SIDE, "stride", "Duty factor", "duty",
        "contact time / stride time, % (median contact time of the stride over its duration; "
        "needs >= 50 frames/s)",
        lambda s: nanmedian_all(s.frames["contact_duration_ms"], s) / s.duration_ms * 100.0,
        landmarks=(*_LEG, *_FEET), plot_min_range=20.0, accuracy=Accuracy(2.5),
    ),
    MetricSpec(
        "hip_extension_deg", "deg", SIDE, "stride", "Hip extension at toe-off", "hip ext",
        "thigh behind vertical at toe-off (median of the stride's toe-offs)",
        lambda s: nanmedian_all(s.frames["toeoff_hip_extension_deg"], s),
        landmarks=(*_LEG, *_FEET),  plot_min_range=20.0,
    ),
):  # fmt: skip
    register(_spec)


def _step_length_cm(s: StepInputs) -> np.ndarray:
    return s.speed_mps * s.dt_ms / 1000.0 * 100.0


# Step length and vertical ratio (issue 13, item 8): with `--speed-kmh` (a treadmill's speed).
for _spec in (
    MetricSpec(
        "step_length_cm", "cm", ALL_VIEWS, "step", "Step length", "step",
        "speed (--speed-kmh) x step time: ground covered from one foot's contact to the other's",
        _step_length_cm, landmarks=_SHOULDERS, plot_min_range=20.0, step_timing=True,
        camera_sensitive=True,
    ),
    MetricSpec(
        "vertical_ratio_pct", "%", ALL_VIEWS, "step", "Vertical ratio", "vert ratio",
        "vertical bounce / step length, % (Garmin's vertical ratio; needs --speed-kmh)",
        lambda s: s.values["vertical_bounce_cm"] / _step_length_cm(s) * 100.0,
        landmarks=(*_SHOULDERS, *_LEGS), plot_min_range=4.0, step_timing=True,
        camera_sensitive=True,
    ),
):  # fmt: skip
    register(_spec)
