"""`LiveAnalyser`: causal per-frame metrics for a camera, one frame at a time.

Uses the same per-frame metric functions as `analyse()` with a causal One Euro smoother and a
running majority vote for the view. Step-based metrics (bounce, cadence, sway) are left to the
live issue, which extends this class.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from posture.metrics.compute import FRAME_METRICS, frame_metrics, gate_landmarks
from posture.metrics.config import MetricConfig, default_config
from posture.metrics.smoothing import CausalSmoother, make_smoother
from posture.metrics.view import LABELS, frame_labels
from posture.pose.landmarks import N_LANDMARKS
from posture.settings import AnalysisSettings


class LiveAnalyser:
    """Stateful, no I/O: `update(timestamp_ms, landmarks_row) -> {metric id: value}`.

    Args:
        settings: view override etc.; defaults to `AnalysisSettings()`.
        config: metric constants; defaults to the shipped calibration.
        smoother: a causal smoother name (`one_euro` or `none`).
        fps_hint: expected frame rate, sizes the view vote window.

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
    ) -> None:
        self.settings = settings or AnalysisSettings()
        self.config = config or default_config()
        s = make_smoother(smoother, self.config)
        if not isinstance(s, CausalSmoother):
            raise ValueError(f"smoother {smoother!r} cannot run live; use one_euro or none")
        self._smoother = s
        window = max(1, round(self.config.view.smooth_window_s * fps_hint))
        self._labels: deque[int] = deque(maxlen=window)
        self.view: str | None = None
        self.facing: str | None = None

    def _vote(self, label: int) -> int:
        if label > 0:
            self._labels.append(label)
        if not self._labels:
            return 0
        return int(np.bincount(np.asarray(self._labels), minlength=len(LABELS)).argmax())

    def update(self, timestamp_ms: float, landmarks_row: np.ndarray) -> dict[str, float]:
        """Metrics of one frame.

        Args:
            timestamp_ms: frame time (increasing).
            landmarks_row: `(33, 5)` image landmarks (x_px, y_px, z_px, visibility,
                presence); all NaN when nobody is in the frame.

        Returns:
            Frame metric id -> value (NaN where not measurable in the current view).
        """
        if landmarks_row.shape != (N_LANDMARKS, 5):
            raise ValueError(f"landmarks_row must have shape (33, 5), got {landmarks_row.shape}")
        lm = gate_landmarks(landmarks_row[None], self.config.smoothing.visibility_min)
        lm[0, :, :3] = self._smoother.update(timestamp_ms, lm[0, :, :3])
        label = self._vote(int(frame_labels(lm, self.config.view, self.settings.view)[0]))
        if not np.isfinite(landmarks_row[:, 0]).any():
            label = 0
        view, facing = LABELS[label]
        self.view, self.facing = view, facing
        forward = {"right": 1.0, "left": -1.0}.get(facing or "", np.nan)
        values = frame_metrics(lm, np.array([view or ""]), np.array([forward]), self.config)
        return {k: float(values[k][0]) for k in FRAME_METRICS}
