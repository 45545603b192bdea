"""What the person is doing, frame by frame: running, walking, standing, lying, crouched.

The running rules describe running, so they are judged on running frames only: a crunch
video, a walk to recover or the set position in the starting blocks is not a posture fault.
The labels come from the body, not the camera, so they hold for tracking shots too:

- **lying**: the trunk is far from vertical and the hips are as low as the feet;
- **crouched**: the trunk is bent far forward (set position, tying a shoe) without running legs;
- **running** vs **walking**: running swings the knee far (a flexed swing leg, typically
  90-130 deg, against 60-70 in walking) and lifts the rear foot high behind the body (the
  ankles' vertical separation); both are read over a window of about a stride, in leg lengths
  and degrees, so the runner's size and the frame rate do not matter. In front and rear views
  the knee angle is foreshortened and only the ankle separation is used. Where the legs are not
  in the frame, a cadence that only running produces (130-230 steps/min) labels running;
  otherwise the activity is `unknown`. A person whose legs are shorter than `min_leg_px`
  in the image (a distant pedestrian) is `unknown` too: the features are noise at that size;
- **standing**: upright with the feet still.

Accelerating is marked where the camera is fixed and the runner's speed across the frame
rises (leg lengths per second, per second), and for the first strides after a crouched start;
the text allows a forward lean there ("unless accelerating or going uphill").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posture.metrics.config import ActivityConfig
from posture.metrics.geometry import hip_mid, shoulder_mid
from posture.metrics.rolling import rolling_percentile
from posture.pose.landmarks import LM

#: Activity labels, in the order reports list them.
ACTIVITIES = ("running", "walking", "standing", "crouched", "lying", "unknown", "none")


@dataclass(frozen=True)
class Stretch:
    """A stretch of one activity: `[start_s, end_s)`."""

    start_s: float
    end_s: float
    activity: str

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, float | str]:
        return {
            "start_s": round(self.start_s, 2),
            "end_s": round(self.end_s, 2),
            "activity": self.activity,
        }


@dataclass(frozen=True)
class Activity:
    """Per-frame activity and accelerating flags, and the stretches they form.

    Attributes:
        label: `(n,)` str, one of `ACTIVITIES`.
        accelerating: `(n,)` bool, True where the runner speeds up (see the module docstring).
        stretches: consecutive frames of one label, in time order.
    """

    label: np.ndarray
    accelerating: np.ndarray
    stretches: tuple[Stretch, ...]

    @property
    def running(self) -> np.ndarray:
        """`(n,)` bool: the frames the running rules are judged on."""
        return np.asarray(self.label == "running")

    def seconds(self, activity: str) -> float:
        return float(sum(s.duration_s for s in self.stretches if s.activity == activity))

    def accelerating_spans(self, timestamps_ms: np.ndarray) -> list[tuple[float, float]]:
        """`[(start_s, end_s)]` of the accelerating stretches."""
        return [
            (float(timestamps_ms[a]) / 1000.0, float(timestamps_ms[b - 1]) / 1000.0)
            for a, b in _runs(self.accelerating)
        ]

    def to_dict(self) -> list[dict[str, float | str]]:
        return [s.to_dict() for s in self.stretches]

    @classmethod
    def everywhere(cls, n: int, timestamps_ms: np.ndarray, label: str = "running") -> Activity:
        """Every frame labelled `label` (tests, and analyses of a given activity)."""
        labels = np.full(n, label, dtype=object).astype(str)
        return cls(labels, np.zeros(n, bool), _stretches(labels, timestamps_ms))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """`[(start, stop)]` of the True runs of `mask`."""
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _stretches(labels: np.ndarray, timestamps_ms: np.ndarray) -> tuple[Stretch, ...]:
    if labels.size == 0:
        return ()
    t = timestamps_ms / 1000.0
    dt = float(np.median(np.diff(t))) if t.size > 1 else 0.0
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [labels.size]])
    return tuple(
        Stretch(float(t[a]), float(t[b - 1] + dt), str(labels[a]))
        for a, b in zip(starts, stops, strict=True)
    )


def _angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle at `b` `(n,)` of the image triangle a-b-c, degrees."""
    u, v = a - b, c - b
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.sum(u * v, axis=-1) / (np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _window_stat(x: np.ndarray, window: int, q: float, min_count: int) -> np.ndarray:
    """Centred rolling `q`-th percentile of `x` `(n,)` ignoring NaN (NaN where fewer than
    `min_count` values are seen)."""
    half = window // 2
    return rolling_percentile(x, half, window - 1 - half, q, min(min_count, max(x.size, 1)))


@dataclass(frozen=True)
class BodyFeatures:
    """The per-frame body features the labels are read from (see the module docstring).

    Attributes:
        trunk_deg: `(n,)` hip-mid -> shoulder-mid from image up, 0-180 (unsigned).
        hip_height_legs: `(n,)` hips above the ankles' mean, in leg lengths.
        knee_flexion_deg: `(n,)` the more bent knee, 0 = straight.
        ankle_split_legs: `(n,)` the ankles' vertical separation, in leg lengths.
    """

    trunk_deg: np.ndarray
    hip_height_legs: np.ndarray
    knee_flexion_deg: np.ndarray
    ankle_split_legs: np.ndarray


def body_features(lm: np.ndarray, leg_px: float) -> BodyFeatures:
    """`BodyFeatures` of smoothed image landmarks `lm` `(n, 33, C)`; `leg_px` the leg length."""
    hip, sh = hip_mid(lm), shoulder_mid(lm)
    up = sh - hip
    trunk = np.degrees(np.arctan2(np.abs(up[:, 0]), -up[:, 1]))
    ankles_y = lm[:, [LM.LEFT_ANKLE, LM.RIGHT_ANKLE], 1]
    with np.errstate(invalid="ignore"):
        hip_height = (np.mean(ankles_y, axis=1) - hip[:, 1]) / leg_px
        split = np.abs(ankles_y[:, 0] - ankles_y[:, 1]) / leg_px
    flex = [
        180.0 - _angle_deg(lm[:, h, :2], lm[:, k, :2], lm[:, a, :2])
        for h, k, a in (
            (LM.LEFT_HIP, LM.LEFT_KNEE, LM.LEFT_ANKLE),
            (LM.RIGHT_HIP, LM.RIGHT_KNEE, LM.RIGHT_ANKLE),
        )
    ]
    knee = np.fmax(flex[0], flex[1])
    return BodyFeatures(trunk, hip_height, knee, split)


def _majority(labels: np.ndarray, window: int) -> np.ndarray:
    """Each frame's most common label over a centred `window` (ties keep the frame's own)."""
    from scipy.ndimage import uniform_filter1d  # local: scipy costs ~1 s to import (CLI start-up)

    if window <= 1 or labels.size == 0:
        return labels
    index = {a: k for k, a in enumerate(ACTIVITIES)}
    codes = np.array([index[str(x)] for x in labels], np.int64)
    counts = np.stack(
        [
            uniform_filter1d((codes == k).astype(float), window, mode="nearest")
            for k in range(len(ACTIVITIES))
        ],
        axis=1,
    )
    best = np.argmax(counts, axis=1)
    own = counts[np.arange(labels.size), codes]
    keep = own >= counts[np.arange(labels.size), best]
    return np.where(keep, labels, np.array(ACTIVITIES)[best])


def classify_activity(
    timestamps_ms: np.ndarray,
    lm: np.ndarray,
    views: np.ndarray,
    leg_px: float,
    stride_s: float | None,
    step_cadence_spm: np.ndarray,
    camera_moving: np.ndarray,
    cfg: ActivityConfig,
) -> Activity:
    """Label every frame (see the module docstring).

    Args:
        timestamps_ms: `(n,)` frame times.
        lm: `(n, 33, C)` smoothed, gated image landmarks in pixels.
        views: `(n,)` view per frame (`""` where nobody was seen).
        leg_px: the runner's leg length in pixels (NaN when the legs were never seen).
        stride_s: a typical stride duration on this clip's clock (the feature window), None
            when no steps were found (then the window is the longest, 10 s: extreme slow
            motion has strides of several seconds).
        step_cadence_spm: `(n,)` cadence of the step each frame belongs to (NaN elsewhere),
            in steps per minute of the clip's clock.
        camera_moving: `(n,)` bool, where the camera moves (no acceleration from the frame).
        cfg: thresholds.
    """
    n = timestamps_ms.size
    t_s = timestamps_ms / 1000.0
    dt = float(np.median(np.diff(t_s))) if n > 1 else 1.0 / 30.0
    window_s = 10.0 if stride_s is None else cfg.window_strides * stride_s
    window = max(3, round(float(np.clip(window_s, 1.0, 10.0)) / dt))
    stride_s = stride_s or 1.0
    if not (leg_px > 0):
        leg_px = float("nan")
    f = body_features(lm, leg_px)
    need = min(window // 2, max(3, round(1.0 / dt)))  # half the window, at most 1 s of it

    def stat(x: np.ndarray, q: float) -> np.ndarray:
        return _window_stat(x, window, q, need)

    trunk = stat(f.trunk_deg, 50)
    hip_h = stat(f.hip_height_legs, 50)
    knee = stat(f.knee_flexion_deg, 95)
    split = stat(f.ankle_split_legs, 95)
    split_lo = stat(f.ankle_split_legs, 5)
    cadence = stat(step_cadence_spm, 50)
    seen = np.isfinite(f.trunk_deg)
    legs = np.isfinite(split)
    side = views == "side"
    with np.errstate(invalid="ignore"):
        runs_side = (knee >= cfg.run_min_knee_deg) & (split >= cfg.run_min_split_side)
        runs_front = split >= cfg.run_min_split_front
        running_legs = np.where(side, runs_side, runs_front) & legs
        plausible = (cadence >= cfg.run_min_spm) & (cadence <= cfg.run_max_spm)
        lying = (trunk > cfg.lying_min_trunk_deg) & (hip_h < cfg.lying_max_hip_legs)
        crouched = (trunk > cfg.crouch_min_trunk_deg) & ~running_legs
        crouched |= trunk > cfg.crouch_always_trunk_deg
        moving_feet = (split - split_lo) >= cfg.walk_min_split_range
    label = np.full(n, "unknown", dtype=object)
    label[legs & ~running_legs & moving_feet] = "walking"
    label[legs & ~running_legs & ~moving_feet] = "standing"
    label[running_legs | (~legs & plausible)] = "running"
    label[crouched] = "crouched"
    label[lying] = "lying"
    if not (leg_px >= cfg.min_leg_px):  # too small (or legs never seen) to tell
        label[(label != "lying") & (label != "crouched")] = "unknown"
    label[~seen] = "none"
    labels = _majority(label.astype(str), max(1, round(cfg.min_stretch_s / dt)))
    accelerating = _accelerating(t_s, lm, leg_px, labels, camera_moving, stride_s, cfg)
    return Activity(labels, accelerating, _stretches(labels, timestamps_ms))


def _accelerating(
    t_s: np.ndarray,
    lm: np.ndarray,
    leg_px: float,
    labels: np.ndarray,
    camera_moving: np.ndarray,
    stride_s: float,
    cfg: ActivityConfig,
) -> np.ndarray:
    from scipy.ndimage import uniform_filter1d

    n = t_s.size
    out = np.zeros(n, bool)
    if n < 3 or not (leg_px > 0):
        return out
    dt = float(np.median(np.diff(t_s)))
    x = hip_mid(lm)[:, 0] / leg_px
    window = max(3, round(max(stride_s, 0.5) / dt))
    ok = np.isfinite(x)
    if ok.sum() < window:
        return out
    xs = np.interp(np.arange(n), np.flatnonzero(ok), x[ok])
    xs = uniform_filter1d(xs, window, mode="nearest")
    speed = np.abs(np.gradient(xs, t_s))
    speed = uniform_filter1d(speed, window, mode="nearest")
    accel = np.gradient(speed, t_s)
    out = (accel >= cfg.accelerating_min_legs_s2) & ~camera_moving & ok
    # The first strides out of a crouch (a sprint start) are accelerating whatever the camera.
    after = round(cfg.start_accelerating_s / dt)
    for _, b in _runs(labels == "crouched"):
        out[b : b + after] = True
    return out & (labels == "running")
