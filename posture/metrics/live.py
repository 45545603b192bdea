"""Live metrics for a camera, one frame at a time: `LiveAnalyser.update(t_ms, row) -> values`.

Every value comes from the code `analyse()` uses: the per-frame metrics from `frame_metrics`,
and the step, stride and clip metrics from `gait_tables` (the same step detector, gait signal
and body scale) run over a trailing window of the last few seconds. Offline analysis is the
same computation with the window being the whole clip; live differs only in the causal
smoothing (One Euro instead of zero phase) and the window's length.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from posture.metrics.activity import classify_activity
from posture.metrics.analysis import MetricSummary, central_value, window_figure
from posture.metrics.catalog import EVENT_FRAME_METRICS
from posture.metrics.compute import frame_metrics, frame_views, gate_landmarks
from posture.metrics.config import MetricConfig, default_config
from posture.metrics.gait import detect_steps
from posture.metrics.inputs import BodyScale, body_scale, gait_signal
from posture.metrics.registry import METRICS, specs
from posture.metrics.smoothing import CausalSmoother, make_smoother
from posture.metrics.tables import GaitTables, gait_tables
from posture.metrics.view import LABELS, frame_labels
from posture.pose.landmarks import N_LANDMARKS
from posture.settings import AnalysisSettings

#: Causal window the step detector looks at: enough for ~5 strides at 170 steps/min.
GAIT_WINDOW_S = 4.0
#: Rolling figures ("last 3 s") on panels, live and in the annotated video.
RECENT_S = 3.0
#: The body scale (leg length, height) is re-estimated every this many frames.
_REFRESH_EVERY = 30
#: Steps and strides are re-measured every this many frames (a stride's values only change
#: when the next lowest point is confirmed, a few times a second).
GAIT_EVERY = 4
#: The frames one measurement is spread over (`GaitWindow.measure_steps`), <= GAIT_EVERY.
MEASURE_STAGES = 4


@dataclass(frozen=True)
class LiveValues:
    """One frame's live measurements.

    Attributes:
        values: metric id -> value now for every registered metric: frame metrics of this
            frame, step / stride / clip metrics of the latest complete stride (NaN before
            one was seen, or outside the metric's views).
        recent: metric id -> figure over the last `RECENT_S` (steps / strides ending then),
            for the step and stride metrics.
        body_height_cm: gait point height above its window mean, cm (+ up; NaN unknown).
        view, facing: current view and side-view facing (None while unknown).
        scale: the current body scale.
        activity: what the runner does now (`running`, `walking`, ...; None at first), read
            on the trailing window as `analyse()` reads it on a clip.
    """

    values: dict[str, float]
    recent: dict[str, MetricSummary]
    body_height_cm: float
    view: str | None
    facing: str | None
    scale: BodyScale
    activity: str | None = None


class GaitWindow:
    """Stateful, no I/O: `update(t_ms, lm_row, world_row, view, forward) -> GaitTables`.

    Keeps the last `window_s` of gated landmarks with their views, and measures steps and
    strides on them exactly as `analyse()` does on a whole clip: the same zero-phase
    smoothing (of the window: a step is only timed once its neighbours are in), the same
    frame metrics, gait signal, body scale and `gait_tables`.

    A measurement costs several frames' worth of analysis, so it is spread over the frames
    that follow it (`measure_steps`, one stage a frame) instead of stalling one: the tables
    of the window as it stood at frame k are returned from frame k + `MEASURE_STAGES` - 1 on, the
    same tables whatever the machine's speed. The first measurement runs at once.
    """

    def __init__(
        self, config: MetricConfig, *, height_cm: float | None, window_s: float = GAIT_WINDOW_S
    ) -> None:
        if window_s <= 0:
            raise ValueError(f"window_s must be > 0, got {window_s}")
        self.config, self.window_s, self.height_cm = config, window_s, height_cm
        self.scale = BodyScale.unknown(config.body)
        self._rows: deque[tuple[float, np.ndarray, np.ndarray, str, float]] = deque()
        self._calls = 0
        self._tables: GaitTables | None = None
        self._job: Iterator[None] | None = None
        #: The activity of the window's latest frame (`activity.ACTIVITIES`), None at first.
        self.activity: str | None = None
        #: the latest finite value of each event metric in the window (foot contacts).
        self.events: dict[str, float] = {}

    def update(
        self, t_ms: float, lm_row: np.ndarray, world_row: np.ndarray, view: str, forward: float
    ) -> GaitTables:
        """Add one frame; returns the latest measured step, stride and clip tables."""
        self._rows.append((t_ms, lm_row, world_row, view, forward))
        while t_ms - self._rows[0][0] > self.window_s * 1000.0:
            self._rows.popleft()
        if self._job is None and (self._tables is None or self._calls % GAIT_EVERY == 0):
            self._job = self.measure_steps(self._calls % _REFRESH_EVERY < GAIT_EVERY)
            if self._tables is None:
                for _ in self._job:
                    pass
                self._job = None
        if self._job is not None and next(self._job, StopIteration) is StopIteration:
            self._job = None
        self._calls += 1
        assert self._tables is not None
        return self._tables

    def measure_steps(self, rescale: bool) -> Iterator[None]:
        """Measure the window as it stands now, one stage per `next()`: `MEASURE_STAGES` stages
        (each a few ms), then the new tables, scale, events and activity are in place.

        Args:
            rescale: re-estimate the body scale (leg length, height) too.
        """
        rows = list(self._rows)
        t = np.array([r[0] for r in rows])
        gated = np.stack([r[1] for r in rows])
        views = np.array([r[3] for r in rows], dtype=str)
        forward = np.array([r[4] for r in rows])
        lm = gated.copy()
        lm[..., :3] = make_smoother("zero_phase", self.config).smooth(t, gated[..., :3])
        yield
        scale = self.scale
        if rescale:
            scale = body_scale(lm, np.stack([r[2] for r in rows]), self.config.body, self.height_cm)
        frames = frame_metrics(lm, views, forward, self.config, raw=gated, t_ms=t)
        yield
        signal = gait_signal(lm)
        signal[views == ""] = np.nan
        steps = detect_steps(t, signal[:, 1], self.config.steps)
        tables = gait_tables(t, steps, signal, frames, views, scale, self.config)
        yield
        gaps = np.diff(steps.time_ms)[np.diff(steps.run) == 0] / 1000.0
        stride = 2.0 * float(np.median(gaps)) if gaps.size >= 2 else None
        # Live has no scene stage: the camera is taken as fixed (a webcam on a stand).
        activity = classify_activity(
            t, lm, views, scale.leg_length_px, stride, tables.per_frame["cadence_spm"],
            np.zeros(t.size, bool), self.config.activity,
        )  # fmt: skip
        for k in EVENT_FRAME_METRICS:
            seen = frames[k][np.isfinite(frames[k])]
            self.events[k] = float(seen[-1]) if seen.size else np.nan
        self.scale, self._tables = scale, tables
        self.activity = str(activity.label[-1]) if activity.label.size else None


class _AboveMean:
    """`update(y_px) -> px`: how far the body is above its mean over the last `n` frames."""

    def __init__(self, n: int) -> None:
        self._y: deque[float] = deque(maxlen=max(1, n))

    def update(self, y_px: float) -> float:
        self._y.append(y_px)
        finite = [v for v in self._y if np.isfinite(v)]
        return float(np.mean(finite) - y_px) if finite and np.isfinite(y_px) else float("nan")


def _latest(spec_id: str, tables: GaitTables) -> float:
    """The latest complete stride's value (a step metric's last step when no stride yet)."""
    if tables.strides.n:
        return float(tables.strides.values[spec_id][-1])
    level = METRICS[spec_id].level
    if level == "step" and tables.steps.n:
        return central_value(METRICS[spec_id], tables.steps.values[spec_id][-2:])
    return float("nan")


def recent_figures(tables: GaitTables, now_ms: float) -> dict[str, MetricSummary]:
    """Figures of the step, stride and clip metrics over the last `RECENT_S` before `now_ms`."""
    t0 = now_ms - RECENT_S * 1000.0
    return {
        s.id: window_figure(s, None, tables.steps, tables.strides, t0, now_ms)
        for s in specs()
        if s.level != "frame"
    }


class LiveAnalyser:
    """Stateful, no I/O: `update(timestamp_ms, landmarks_row, world_row) -> LiveValues`.

    Args:
        settings: view override, height etc.; defaults to `AnalysisSettings()`.
        config: metric constants; defaults to the shipped calibration (live calibration
            replaces it with the runner's own neutrals, `use_config`).
        smoother: a causal smoother name (`one_euro` or `none`).
        fps_hint: expected frame rate, sizes the view vote window.
        gait_window_s: trailing window of the step detector.

    Example:
        >>> live = LiveAnalyser()
        >>> live.update(0.0, np.full((33, 5), np.nan)).values["torso_lean_deg"]
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
        window = max(1, round(self.config.view.smooth_window_s * fps_hint))
        self._labels: deque[int] = deque(maxlen=window)
        self.gait = GaitWindow(
            self.config, height_cm=self.settings.height_cm, window_s=gait_window_s
        )
        self._height = _AboveMean(round(RECENT_S * fps_hint))

    def use_config(self, config: MetricConfig) -> None:
        """Measure from now on with `config` (e.g. the runner's calibrated neutrals)."""
        self.config = config
        self.gait.config = config

    def _vote(self, label: int) -> int:
        if label > 0:
            self._labels.append(label)
        if not self._labels:
            return 0
        return int(np.bincount(np.asarray(self._labels), minlength=len(LABELS)).argmax())

    def update(
        self, timestamp_ms: float, landmarks_row: np.ndarray, world_row: np.ndarray | None = None
    ) -> LiveValues:
        """Measure one frame: `landmarks_row` `(33, 5)` image landmarks (all NaN: nobody),
        `world_row` `(33, 3)` world landmarks in metres (None: cm values wait for
        `settings.height_cm`)."""
        if landmarks_row.shape != (N_LANDMARKS, 5):
            raise ValueError(f"landmarks_row must have shape (33, 5), got {landmarks_row.shape}")
        gated = gate_landmarks(landmarks_row[None], self.config.smoothing.visibility_min)
        lm = gated.copy()
        lm[0, :, :3] = self._smoother.update(timestamp_ms, gated[0, :, :3])
        label = self._vote(int(frame_labels(lm, self.config.view, self.settings.view)[0]))
        if not np.isfinite(landmarks_row[:, 0]).any():
            label = 0
        views, forward = frame_views(np.array([label]))
        # The foot events need neighbouring frames: they come from the step window.
        now = frame_metrics(lm, views, forward, self.config, skip=EVENT_FRAME_METRICS)
        frames = {k: float(v[0]) for k, v in now.items()}
        world = np.full((N_LANDMARKS, 3), np.nan) if world_row is None else world_row
        tables = self.gait.update(timestamp_ms, gated[0], world, str(views[0]), float(forward[0]))
        # event metrics (NaN between events): the window's latest event
        frames |= {k: self.gait.events.get(k, np.nan) for k in EVENT_FRAME_METRICS}
        values = frames | {s.id: _latest(s.id, tables) for s in specs() if s.level != "frame"}
        height = self._height.update(float(gait_signal(lm)[0, 1]) if label else np.nan)
        height *= self.gait.scale.cm_per_px
        view, facing = LABELS[label]
        return LiveValues(
            values, recent_figures(tables, timestamp_ms), height, view, facing, self.gait.scale,
            self.gait.activity,
        )  # fmt: skip
