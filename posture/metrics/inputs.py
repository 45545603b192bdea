"""What a metric's `compute` function is given, per level, and the body scale every cm value
uses. The same inputs are built offline (the whole clip) and live (a trailing window), so a
metric is computed by one function in both."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from posture.metrics.config import BodyConfig, MetricConfig
from posture.metrics.geometry import hip_mid, segment_lengths_px, shoulder_mid
from posture.pose.landmarks import LM


@dataclass(frozen=True)
class BodyScale:
    """The runner's size in the image, the one source of every cm value.

    Attributes:
        leg_length_px: hip -> knee -> ankle image length in pixels (NaN: legs not seen).
        height_cm: stature used for cm values, None when neither given nor estimable.
        height_source: `given` (--height-cm), `estimated` (from world landmarks) or None.
        leg_over_height: leg length as a fraction of stature (anthropometry).
    """

    leg_length_px: float
    height_cm: float | None
    height_source: str | None
    leg_over_height: float

    @property
    def leg_length_cm(self) -> float:
        return self.leg_over_height * self.height_cm if self.height_cm else float("nan")

    @property
    def cm_per_px(self) -> float:
        """Centimetres per image pixel at the runner (NaN when unknown)."""
        if not (self.leg_length_px > 0):
            return float("nan")
        return self.leg_length_cm / self.leg_length_px

    @classmethod
    def unknown(cls, body: BodyConfig) -> BodyScale:
        return cls(float("nan"), None, None, body.leg_over_height)


def leg_length_px(lm: np.ndarray, body: BodyConfig) -> float:
    """Hip -> knee -> ankle image length of landmarks `(n, 33, C)`: a high percentile over
    frames and both sides of each segment (swinging legs are foreshortened in front/rear
    views), summed."""
    total = 0.0
    for v in segment_lengths_px(lm).values():
        ok = v[np.isfinite(v)]
        if ok.size == 0:
            return float("nan")
        total += float(np.percentile(ok, body.leg_length_percentile))
    return total


def estimate_height_cm(world_m: np.ndarray, body: BodyConfig) -> float | None:
    """Stature from MediaPipe world landmarks `(n, 33, 3)` (metres, NaN rows where the body
    was not seen well): median thigh + shank + trunk lengths over frames, divided by their
    share of stature (Drillis & Contini)."""
    segs = segment_lengths_px(world_m, ndim=3)
    hips = 0.5 * (world_m[:, LM.LEFT_HIP] + world_m[:, LM.RIGHT_HIP])
    shoulders = 0.5 * (world_m[:, LM.LEFT_SHOULDER] + world_m[:, LM.RIGHT_SHOULDER])
    trunk = np.linalg.norm(shoulders - hips, axis=-1)
    parts = [segs["thigh"], segs["shank"], trunk]
    if any(not np.isfinite(p).any() for p in parts):
        return None
    length_m = sum(float(np.nanmedian(p)) for p in parts)
    share = body.leg_over_height + body.trunk_over_height
    return length_m * body.world_length_scale / share * 100.0


def body_scale(
    lm: np.ndarray, world_m: np.ndarray, body: BodyConfig, height_cm: float | None
) -> BodyScale:
    """The body scale of gated image landmarks `lm` `(n, 33, C)` and world landmarks
    `world_m` `(n, 33, 3)`: only world points whose image point passed the gate are used."""
    leg_px = leg_length_px(lm, body)
    if height_cm is not None:
        return BodyScale(leg_px, height_cm, "given", body.leg_over_height)
    world = np.asarray(world_m, dtype=np.float64).copy()
    world[~np.isfinite(lm[..., 0])] = np.nan
    est = estimate_height_cm(world, body)
    return BodyScale(leg_px, est, "estimated" if est is not None else None, body.leg_over_height)


def gait_signal(lm: np.ndarray) -> np.ndarray:
    """`(n, 2)` body point steps, bounce and sway are read from, in image pixels.

    x is the hip midpoint (side-to-side sway follows the pelvis); y is the shoulder midpoint
    (the trunk rises and falls as one piece, and on footage with known bounce MediaPipe's hip
    points follow only 37-76 % of it against 74-89 % for the shoulders: docs/METRICS.md).
    """
    return np.column_stack([hip_mid(lm)[:, 0], shoulder_mid(lm)[:, 1]])


@dataclass(frozen=True)
class FrameInputs:
    """Inputs of frame metrics.

    Attributes:
        lm: `(n, 33, C)` gated, smoothed image landmarks (x, y in pixels, image y down).
        view: `(n,)` str view of each frame (`side`, `front`, `rear`, `""`).
        forward: `(n,)` +1 travelling toward image +x, -1 toward -x, NaN outside side views.
        config: metric constants.
        values: the frame metrics computed so far (registry order), id -> `(n,)`.
        raw: `(n, 33, C)` the gated landmarks before smoothing (None: use `lm`). Foot events
            read them: smoothing blends the legs where MediaPipe swaps their labels.
        t_ms: `(n,)` frame times (None: not known; contact times are then NaN).
    """

    lm: np.ndarray
    view: np.ndarray
    forward: np.ndarray
    config: MetricConfig
    values: dict[str, np.ndarray] = field(default_factory=dict)
    raw: np.ndarray | None = None
    t_ms: np.ndarray | None = None


@dataclass(frozen=True)
class StepInputs:
    """Inputs of step metrics: one value per plausible step interval.

    Attributes:
        a, b: `(k,)` sub-frame indices of each interval's start and end (lowest points).
        dt_ms: `(k,)` interval durations.
        body_y_px: `(n,)` the gait signal's vertical coordinate (image y, down).
        scale: the body scale.
        values: the step metrics computed so far, id -> `(k,)`.
        speed_mps: the running speed (`--speed-kmh`); NaN when not given.
    """

    a: np.ndarray
    b: np.ndarray
    dt_ms: np.ndarray
    body_y_px: np.ndarray
    scale: BodyScale
    values: dict[str, np.ndarray] = field(default_factory=dict)
    speed_mps: float = float("nan")

    @cached_property
    def rise_px(self) -> np.ndarray:
        """`(k,)` rise of the body between each interval's two lowest points, pixels."""
        from posture.metrics.gait import peak_to_trough_px

        pairs = zip(self.a, self.b, strict=True)
        return np.array([peak_to_trough_px(self.body_y_px, i, j) for i, j in pairs], np.float64)


@dataclass(frozen=True)
class StrideInputs:
    """Inputs of stride metrics: one value per stride (two consecutive good steps).

    Attributes:
        a, b: `(m,)` sub-frame indices of each stride's start and end.
        view: `(m,)` str view of most of each stride's frames.
        signal_px: `(n, 2)` the gait signal (`gait_signal`).
        frames: the frame metrics, id -> `(n,)`.
        scale: the body scale.
        duration_ms: `(m,)` each stride's duration, from its first step to its third.
    """

    a: np.ndarray
    b: np.ndarray
    view: np.ndarray
    signal_px: np.ndarray
    frames: dict[str, np.ndarray]
    scale: BodyScale
    duration_ms: np.ndarray


@dataclass(frozen=True)
class ClipInputs:
    """Inputs of clip metrics.

    Attributes:
        intervals_ms: `(k,)` every plausible step interval of the clip, in time order.
        stride_windows: `(m, 2)` for each stride, the `[lo, hi)` range of `intervals_ms`
            around it that its rolling value is taken over.
    """

    intervals_ms: np.ndarray
    stride_windows: np.ndarray


@dataclass(frozen=True)
class ClipValue:
    """A clip metric's result: the rolling value per stride and the clip's value over `n`."""

    per_stride: np.ndarray
    value: float
    n: int
