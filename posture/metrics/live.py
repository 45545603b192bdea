"""`LiveAnalyser`: causal per-frame metrics for a camera, one frame at a time.

Uses the same per-frame metric functions as `analyse()` with a causal One Euro smoother and a
running majority vote for the view. Step-based metrics come from `RollingGait`: the offline
step detector (`detect_steps`, pelvis lowest points) run over a causal window of the last few
seconds, so bounce and cadence are those of the latest complete steps.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from posture.metrics.compute import (
    FRAME_METRICS,
    estimate_height_cm,
    frame_metrics,
    gate_landmarks,
    leg_length_px,
)
from posture.metrics.config import MetricConfig, default_config
from posture.metrics.gait import detect_steps, peak_to_trough_px
from posture.metrics.geometry import hip_mid
from posture.metrics.smoothing import CausalSmoother, OneEuroFilter, make_smoother
from posture.metrics.view import LABELS, frame_labels
from posture.pose.landmarks import N_LANDMARKS
from posture.settings import AnalysisSettings

#: Step-based values `LiveAnalyser.update` adds to the frame metrics (rolling, latest stride).
GAIT_METRICS = ("vertical_bounce_pct_leg", "vertical_bounce_cm", "cadence_spm", "pelvis_offset_cm")
LIVE_METRICS = (*FRAME_METRICS, *GAIT_METRICS)
#: Causal window the rolling step detector looks at: enough for ~4 strides at 170 spm.
GAIT_WINDOW_S = 3.0
#: Leg length and height are re-estimated every this many frames (they change slowly).
_REFRESH_EVERY = 10


class RollingGait:
    """Stateful, no I/O: `update(t_ms, lm_row, world_row) -> {gait metric: value}`.

    Keeps the last `window_s` of the smoothed pelvis height and runs the offline step detector
    (`detect_steps`) on it; bounce and cadence are the mean of the last two plausible step
    intervals (one stride), measured as `analyse()` measures them (`peak_to_trough_px`).
    `pelvis_offset_cm` is the pelvis height right now above its mean over the window (+ up).

    Args:
        config: metric constants.
        height_cm: runner's height; None estimates it from the world landmarks.
        window_s: length of the causal window in seconds.
    """

    def __init__(
        self,
        config: MetricConfig,
        *,
        height_cm: float | None = None,
        window_s: float = GAIT_WINDOW_S,
    ) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        self.config, self.window_s = config, window_s
        self.height_cm, self._height_given = height_cm, height_cm is not None
        self.leg_px = float("nan")
        self._t: deque[float] = deque()
        self._rows: deque[np.ndarray] = deque()
        self._world: deque[np.ndarray] = deque()
        self._calls = 0

    def _append(self, t_ms: float, lm_row: np.ndarray, world_row: np.ndarray) -> None:
        self._t.append(t_ms)
        self._rows.append(lm_row)
        self._world.append(world_row)
        while self._t and t_ms - self._t[0] > self.window_s * 1000.0:
            self._t.popleft()
            self._rows.popleft()
            self._world.popleft()

    def _refresh_scale(self, lm: np.ndarray) -> None:
        self.leg_px = leg_length_px(lm, self.config.body)
        if not self._height_given:
            world = np.stack(self._world).astype(np.float64)
            world[~np.isfinite(lm[..., 0])] = np.nan  # only landmarks that passed the gate
            self.height_cm = estimate_height_cm(world, self.config.body)

    def update(self, t_ms: float, lm_row: np.ndarray, world_row: np.ndarray) -> dict[str, float]:
        """Add one frame; `lm_row` `(33, C)` gated and smoothed image landmarks (NaN rows when
        the view is unknown), `world_row` `(33, 3)` world landmarks in metres (may be NaN)."""
        self._append(t_ms, lm_row, world_row)
        lm = np.stack(self._rows)
        if self._calls % _REFRESH_EVERY == 0:
            self._refresh_scale(lm)
        self._calls += 1
        t, y = np.asarray(self._t), hip_mid(lm)[:, 1]
        leg_cm = self.config.body.leg_over_height * self.height_cm if self.height_cm else np.nan
        cm_per_px = leg_cm / self.leg_px if self.leg_px > 0 else np.nan
        out = dict.fromkeys(GAIT_METRICS, float("nan"))
        with np.errstate(invalid="ignore"):
            out["pelvis_offset_cm"] = float((np.nanmean(y) - y[-1]) * cm_per_px)
        steps = detect_steps(t, y, self.config.steps)
        start, good = steps.intervals(self.config.steps.outlier_fraction)
        recent = start[good][-2:]
        if recent.size == 0:
            return out
        bounce_px = [peak_to_trough_px(y, steps.index[i], steps.index[i + 1]) for i in recent]
        dt_ms = steps.time_ms[recent + 1] - steps.time_ms[recent]
        pct = float(np.mean(bounce_px)) / self.leg_px * 100.0
        out["vertical_bounce_pct_leg"] = pct
        out["vertical_bounce_cm"] = pct / 100.0 * leg_cm
        out["cadence_spm"] = float(60000.0 / np.mean(dt_ms))
        return out


class LiveAnalyser:
    """Stateful, no I/O: `update(timestamp_ms, landmarks_row) -> {metric id: value}`.

    Args:
        settings: view override etc.; defaults to `AnalysisSettings()`.
        config: metric constants; defaults to the shipped calibration.
        smoother: a causal smoother name (`one_euro` or `none`).
        fps_hint: expected frame rate, sizes the view vote window.
        gait_window_s: causal window of the rolling step detector (bounce, cadence).

    Example:
        >>> live = LiveAnalyser()
        >>> live.update(0.0, np.full((33, 5), np.nan))["torso_lean_deg"]
        nan
    """

    def __init__(
        self,
        settings: AnalysisSettings | None = None,
        config: MetricConfig | None = None,
        smoother: str = "one_euro",
        fps_hint: float = 30.0,
        gait_window_s: float = GAIT_WINDOW_S,
    ) -> None:
        self.settings = settings or AnalysisSettings()
        self.config = config or default_config()
        s = make_smoother(smoother, self.config)
        if not isinstance(s, CausalSmoother):
            raise ValueError(f"smoother {smoother!r} cannot run live; use one_euro or none")
        self._smoother = s
        self._gait_smoother = OneEuroFilter(self.config.smoothing.cutoff_hz, 0.0)
        window = max(1, round(self.config.view.smooth_window_s * fps_hint))
        self._labels: deque[int] = deque(maxlen=window)
        self.view: str | None = None
        self.facing: str | None = None
        self.gait = RollingGait(
            self.config, height_cm=self.settings.height_cm, window_s=gait_window_s
        )

    def _vote(self, label: int) -> int:
        if label > 0:
            self._labels.append(label)
        if not self._labels:
            return 0
        return int(np.bincount(np.asarray(self._labels), minlength=len(LABELS)).argmax())

    def update(
        self,
        timestamp_ms: float,
        landmarks_row: np.ndarray,
        world_row: np.ndarray | None = None,
    ) -> dict[str, float]:
        """Metrics of one frame.

        Args:
            timestamp_ms: frame time (increasing).
            landmarks_row: `(33, 5)` image landmarks (x_px, y_px, z_px, visibility,
                presence); all NaN when nobody is in the frame.
            world_row: `(33, 3)` world landmarks in metres (for the runner's height when
                `settings.height_cm` is None); None leaves cm values NaN until a height is known.

        Returns:
            Metric id -> value for every id in `LIVE_METRICS` (NaN where not measurable in the
            current view, or before enough steps were seen).
        """
        if landmarks_row.shape != (N_LANDMARKS, 5):
            raise ValueError(f"landmarks_row must have shape (33, 5), got {landmarks_row.shape}")
        gated = gate_landmarks(landmarks_row[None], self.config.smoothing.visibility_min)
        lm = gated.copy()
        lm[0, :, :3] = self._smoother.update(timestamp_ms, gated[0, :, :3])
        label = self._vote(int(frame_labels(lm, self.config.view, self.settings.view)[0]))
        if not np.isfinite(landmarks_row[:, 0]).any():
            label = 0
        view, facing = LABELS[label]
        self.view, self.facing = view, facing
        forward = {"right": 1.0, "left": -1.0}.get(facing or "", np.nan)
        values = frame_metrics(lm, np.array([view or ""]), np.array([forward]), self.config)
        out = {k: float(values[k][0]) for k in FRAME_METRICS}
        # The pelvis oscillates at ~3 Hz: the One Euro filter (tuned for still posture) would
        # flatten it, so steps get the gated landmarks through a light low-pass instead.
        gait_row = gated[0].copy()
        gait_row[:, :3] = self._gait_smoother.update(timestamp_ms, gated[0, :, :3])
        if label == 0:
            gait_row[:] = np.nan
        world = np.full((N_LANDMARKS, 3), np.nan) if world_row is None else world_row
        return out | self.gait.update(timestamp_ms, gait_row, world)
