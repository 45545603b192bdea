"""Steps, strides and the per-step / per-stride measures built on them.

A step is found as a lowest point of the body (the gait signal's vertical coordinate, read at
the shoulders: `posture.metrics.inputs.gait_signal`): the trunk drops once per step (mid
stance) and rises in flight, in every camera view, and it does not depend on which leg
MediaPipe calls left. A stride is two consecutive steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posture.metrics.config import StepsConfig
from posture.metrics.smoothing import finite_runs, sample_rate_hz

# A peak at half the best lag with at least this autocorrelation is a step, and the best lag
# a stride: a genuine stride-only rhythm has a trough, not a peak, at half its period.
_HALF_PEAK_MIN = 0.3
# ... or a peak there standing at least this far above the troughs either side: when the
# shoulders swing once per stride far more than the body drops once per step (a runner
# looking down with raised shoulders, grid clip side_left-18: the step's peak at -0.14
# between troughs at -0.46 and -0.45), the step rhythm is still plain. On 108 pose tracks
# (real clips, walking ones too, the grid and the drill clips) this changes only that
# clip's period (47.7 frames -> 24: 150 steps/min, was read as 75 and as slow motion), at
# any value from 0.1 to 0.25.
_HALF_PEAK_PROMINENCE = 0.25


@dataclass(frozen=True)
class Steps:
    """Step events (lowest points of the body) of a clip.

    Attributes:
        index: `(k,)` float frame index of each event (sub-frame, parabolic refinement).
        time_ms: `(k,)` event times in the track's clock.
        run: `(k,)` int id of the contiguous stretch of frames holding the event; intervals
            are only formed between events of the same run.
    """

    index: np.ndarray
    time_ms: np.ndarray
    run: np.ndarray

    def __post_init__(self) -> None:
        k = self.index.shape
        if self.index.ndim != 1 or self.time_ms.shape != k or self.run.shape != k:
            raise ValueError(
                f"index, time_ms and run must share shape (k,), got {self.index.shape}, "
                f"{self.time_ms.shape}, {self.run.shape}"
            )

    @classmethod
    def empty(cls) -> Steps:
        return cls(np.zeros(0), np.zeros(0), np.zeros(0, np.int64))

    def intervals(self, outlier_fraction: float) -> tuple[np.ndarray, np.ndarray]:
        """Start event index `(m,)` of each step interval and whether it is plausible `(m,)`.

        An interval is implausible when it spans a gap between runs or is outside
        `[1 - f, 1 + f]` times the median interval (a missed or an extra event).
        """
        if self.time_ms.size < 2:
            return np.zeros(0, np.int64), np.zeros(0, bool)
        start = np.flatnonzero(np.diff(self.run) == 0)
        dt = self.time_ms[start + 1] - self.time_ms[start]
        if dt.size == 0:
            return start, np.zeros(0, bool)
        med = np.median(dt)
        good = np.abs(dt / med - 1.0) <= outlier_fraction
        return start, good


def step_period_frames(y: np.ndarray, fs: float, cfg: StepsConfig) -> float | None:
    """Dominant step period of the vertical body signal `y` `(n,)` (finite) in frames, or None.

    The first autocorrelation peak in the plausible step range that reaches 80 % of the
    range's best peak. The body drops once per step, but a left/right difference makes the
    stride (two steps) repeat more exactly, so when the best peak has a clear peak at about
    half its lag (high, or well above the troughs either side), that half lag is the step
    period.
    """
    from scipy.signal import correlate, find_peaks  # local: scipy.signal costs ~1 s to import
    from scipy.signal import detrend as linear_detrend

    lo = fs * 60.0 / cfg.max_spm
    hi = min(fs * 60.0 / cfg.search_min_spm, y.size / 2.0)  # need two periods in the run
    if hi <= lo:
        return None
    yd = linear_detrend(y)
    ac = correlate(yd, yd, mode="full", method="fft")[yd.size - 1 :]
    if ac[0] <= 0:
        return None
    ac = ac / ac[0]
    lags, found = find_peaks(ac[: int(np.ceil(hi)) + 2], prominence=0.0)
    inside = (lags >= lo) & (lags <= hi)
    lags, prominence = lags[inside], found["prominences"][inside]
    if lags.size == 0 or ac[lags].max() < 0.2:
        return None
    best = int(lags[ac[lags] >= 0.8 * ac[lags].max()][0])
    clear = (ac[lags] >= _HALF_PEAK_MIN) | (prominence >= _HALF_PEAK_PROMINENCE)
    half = lags[(np.abs(lags - best / 2.0) <= 0.15 * best) & clear]
    if half.size:
        best = int(half[np.argmax(ac[half])])
    return float(best + _parabola_offset(ac, best))


def _parabola_offset(y: np.ndarray, i: int) -> float:
    """Sub-sample offset of the extremum at `i` from a parabola through i-1, i, i+1."""
    if i <= 0 or i >= y.size - 1:
        return 0.0
    a, b, c = y[i - 1], y[i], y[i + 1]
    denom = a - 2 * b + c
    return float(0.5 * (a - c) / denom) if denom != 0 else 0.0


def detect_steps(timestamps_ms: np.ndarray, body_y_px: np.ndarray, cfg: StepsConfig) -> Steps:
    """Steps from the smoothed vertical body position `body_y_px` `(n,)` (image y, down; NaN
    gaps): its lowest points, one per step.

    Each finite run is band-passed around the step frequency to time the steps: that removes
    the stride-periodic part (arm swing moves the shoulder points once per stride) that would
    otherwise shift every other step. Each band-passed minimum is then moved to the lowest
    point of the run (detrended by a one-step moving average) within a quarter step, so bounce
    is measured between the true lowest points.
    """
    from scipy.ndimage import uniform_filter1d  # local: see step_period_frames

    fs = sample_rate_hz(timestamps_ms)
    runs = [r for r in finite_runs(np.isfinite(body_y_px)) if r[1] - r[0] >= 3]
    if not runs:
        return Steps.empty()
    longest = max(runs, key=lambda r: r[1] - r[0])
    period = step_period_frames(body_y_px[longest[0] : longest[1]], fs, cfg)
    if period is None:
        return Steps.empty()
    frames = np.arange(timestamps_ms.size)
    index, run_id = [], []
    for r, (start, stop) in enumerate(runs):
        y = body_y_px[start:stop]
        if y.size < 2 * period:
            continue
        yd = y - uniform_filter1d(y, size=max(1, round(period)), mode="nearest")
        band = _step_band(yd, period)
        peaks = _band_minima(band, period, cfg)
        index += [start + p + _parabola_offset(band, int(p)) for p in peaks]
        run_id += [r] * len(peaks)
    idx = np.asarray(index, dtype=np.float64)
    return Steps(idx, np.interp(idx, frames, timestamps_ms), np.asarray(run_id, np.int64))


def _step_band(y: np.ndarray, period: float) -> np.ndarray:
    """`y` band-passed to 0.6-1.6 x the step frequency (zero phase); `y` if too short."""
    from scipy.signal import butter, sosfiltfilt

    f_step = 1.0 / period  # cycles per frame
    sos = butter(2, [0.6 * f_step * 2, min(1.6 * f_step * 2, 0.95)], btype="band", output="sos")
    pad = min(y.size - 1, int(3 * period))
    return sosfiltfilt(sos, y, padlen=pad) if pad > 0 else y


def _band_minima(band: np.ndarray, period: float, cfg: StepsConfig) -> np.ndarray:
    """Frames of the band-passed signal's minima (image-y maxima), one per step."""
    from scipy.signal import find_peaks

    spread = np.percentile(band, 95) - np.percentile(band, 5)
    peaks, _ = find_peaks(
        band, distance=max(1.0, 0.6 * period), prominence=cfg.min_prominence_fraction * spread
    )
    return peaks


def _parabola_value(y: np.ndarray, i: int) -> float:
    """Value at the extremum of the parabola through y[i-1], y[i], y[i+1] (y[i] at edges)."""
    if i <= 0 or i >= y.size - 1 or not np.isfinite(y[i - 1 : i + 2]).all():
        return float(y[i])
    a, b, c = y[i - 1], y[i], y[i + 1]
    return float(b - 0.25 * (a - c) * _parabola_offset(y, i))


def peak_to_trough_px(y: np.ndarray, a: float, b: float) -> float:
    """Rise of the body between two lowest points near frames `a`, `b` of `y` (image y down).

    `a` and `b` are step times, which may sit a little off the lowest points of `y` itself;
    each is moved to the lowest point within a quarter of the step. The line joining the two
    (sub-frame refined) lowest points is the baseline, so a slow drift (camera, approach) does
    not count as bounce; the highest point is refined too.
    """
    reach = max(1, round(0.25 * (b - a)))
    i0, i1 = _lowest_near(y, round(a), reach), _lowest_near(y, round(b), reach)
    seg = y[i0 : i1 + 1]
    if seg.size < 3 or not np.isfinite(seg).all():
        return float("nan")
    line = np.linspace(_parabola_value(y, i0), _parabola_value(y, i1), seg.size)
    rise = line - seg
    return _parabola_value(rise, int(np.argmax(rise)))


def _lowest_near(y: np.ndarray, i: int, reach: int) -> int:
    """Index of the largest image y (lowest body point) within `reach` frames of `i`."""
    lo, hi = max(0, i - reach), min(y.size, i + reach + 1)
    window = y[lo:hi]
    if window.size == 0 or not np.isfinite(window).any():
        return i
    return lo + int(np.nanargmax(window))


def _refined_range(dev: np.ndarray) -> float:
    """Peak-to-peak of `dev` with both extremes refined by a parabola."""
    hi = _parabola_value(dev, int(np.argmax(dev)))
    lo = -_parabola_value(-dev, int(np.argmin(dev)))
    return hi - lo


def detrended_range(x: np.ndarray, a: float, b: float) -> float:
    """Peak-to-peak of `x` over frames `a..b` after removing the line joining the ends."""
    i0, i1 = round(a), round(b)
    seg = x[i0 : i1 + 1]
    if seg.size < 3 or not np.isfinite(seg).all():
        return float("nan")
    return _refined_range(seg - np.linspace(seg[0], seg[-1], seg.size))


def plain_range(x: np.ndarray, a: float, b: float) -> float:
    """Peak-to-peak of `x` over frames `a..b` (NaN if any sample is missing)."""
    seg = x[round(a) : round(b) + 1]
    if seg.size < 3 or not np.isfinite(seg).all():
        return float("nan")
    return _refined_range(seg)


def stride_bounds(steps: Steps, outlier_fraction: float) -> list[tuple[int, int]]:
    """Event index pairs `(e, e + 2)` of non-overlapping strides made of two good intervals."""
    start, good = steps.intervals(outlier_fraction)
    ok = dict(zip(start.tolist(), good.tolist(), strict=True))
    out, e = [], 0
    while e + 2 < steps.index.size:
        if ok.get(e, False) and ok.get(e + 1, False):
            out.append((e, e + 2))
            e += 2
        else:
            e += 1
    return out
