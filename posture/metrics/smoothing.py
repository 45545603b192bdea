"""Landmark smoothing behind one small interface, chosen by name.

- `zero_phase` (files): Butterworth low-pass run forwards and backwards (no lag), per
  contiguous run of finite samples; short gaps are bridged by linear interpolation first.
- `one_euro` (live): the causal One Euro filter (Casiez, Roussel & Vogel, CHI 2012), which
  smooths hard when the point is still and lags little when it moves; `update()` per frame.
- `none`: returns the input unchanged.

Every smoother has `smooth(timestamps_ms, x) -> x_smooth` for a whole series `(n, ...)`;
causal ones also have `update(t_ms, x) -> x_smooth` for one sample `(...)`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np

from posture.metrics.config import MetricConfig, default_config

SMOOTHERS: tuple[str, ...] = ("zero_phase", "one_euro", "none")


class Smoother(Protocol):
    """Smooths a whole series of samples `(n, ...)`; NaN marks missing samples."""

    def smooth(self, timestamps_ms: np.ndarray, x: np.ndarray) -> np.ndarray: ...


@runtime_checkable
class CausalSmoother(Smoother, Protocol):
    """A smoother that can also run one sample at a time (live)."""

    def update(self, t_ms: float, x: np.ndarray) -> np.ndarray: ...


def sample_rate_hz(timestamps_ms: np.ndarray) -> float:
    """Median frame rate of `timestamps_ms` `(n,)`; 30 Hz when it cannot be told."""
    dt = np.diff(timestamps_ms[np.isfinite(timestamps_ms)])
    dt = dt[dt > 0]
    return float(1000.0 / np.median(dt)) if dt.size else 30.0


def bridge_gaps(x: np.ndarray, max_gap: int) -> np.ndarray:
    """Linearly interpolate interior NaN gaps of at most `max_gap` samples in `x` `(n,)`."""
    out = x.copy()
    ok = np.isfinite(x)
    if ok.sum() < 2 or ok.all():
        return out
    idx = np.flatnonzero(ok)
    gaps = np.diff(idx) - 1
    for start, gap in zip(idx[:-1], gaps, strict=True):
        if 0 < gap <= max_gap:
            end = start + gap + 1
            out[start + 1 : end] = np.interp(
                np.arange(start + 1, end), [start, end], [x[start], x[end]]
            )
    return out


def finite_runs(ok: np.ndarray) -> list[tuple[int, int]]:
    """`[start, stop)` index ranges where the bool array `ok` `(n,)` is True."""
    edges = np.diff(np.concatenate([[0], ok.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


@lru_cache(maxsize=64)
def _lowpass_sos(order: int, cutoff_hz: float, fs_hz: float) -> np.ndarray:
    """Butterworth low-pass sections (cached: live mode filters a window every few frames;
    scipy needs a writable array, so callers must not modify it)."""
    from scipy.signal import butter  # local: scipy.signal costs ~1 s to import (CLI start-up)

    sos = butter(order, cutoff_hz, btype="low", fs=fs_hz, output="sos")
    return sos


#: Values (frames x columns) one zero-phase filter call takes at most (2 MB of float64).
_FILTER_BLOCK = 2**18


class ZeroPhaseButterworth:
    """Offline zero-phase low-pass (`scipy.signal.sosfiltfilt`) for whole clips.

    Args:
        cutoff_hz: -3 dB frequency of one pass; clamped to 0.8 x Nyquist of the clip.
        order: Butterworth order of one pass (the forward-backward run doubles it).
        max_gap_s: NaN gaps up to this long are interpolated before filtering.
    """

    def __init__(self, cutoff_hz: float, order: int = 4, max_gap_s: float = 0.25) -> None:
        if cutoff_hz <= 0:
            raise ValueError(f"cutoff_hz must be > 0, got {cutoff_hz}")
        if not 1 <= order <= 8:
            raise ValueError(f"order must be in [1, 8], got {order}")
        self.cutoff_hz, self.order, self.max_gap_s = cutoff_hz, order, max_gap_s

    def smooth(self, timestamps_ms: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Filter `x` `(n, ...)` along axis 0; returns float64 of the same shape."""
        from scipy.signal import sosfiltfilt

        fs = sample_rate_hz(timestamps_ms)
        cutoff = min(self.cutoff_hz, 0.4 * fs)
        sos = _lowpass_sos(self.order, round(cutoff, 6), round(fs, 6))
        if x.shape[0] == 0:
            return np.asarray(x, dtype=np.float64).copy()
        bridged = np.array(x, dtype=np.float64).reshape(x.shape[0], -1)  # a copy of its own
        max_gap = round(self.max_gap_s * fs)
        for j in range(bridged.shape[1]):
            bridged[:, j] = bridge_gaps(bridged[:, j], max_gap)
        out = np.full_like(bridged, np.nan)
        # Columns with the same missing samples (a landmark's x, y, z; usually most of the
        # body) are filtered together, run by run, at most `_FILTER_BLOCK` values at a time
        # (a 10-minute clip's 99 columns at once cost 140 MB of filter temporaries; columns
        # are filtered independently, so the blocks give the same values).
        ok = np.isfinite(bridged)
        _, group_of = np.unique(ok.T, axis=0, return_inverse=True)
        for g in np.unique(group_of):
            cols = np.flatnonzero(group_of == g)
            for start, stop in finite_runs(ok[:, cols[0]]):
                width = max(1, _FILTER_BLOCK // (stop - start))
                for block in (cols[i : i + width] for i in range(0, cols.size, width)):
                    seg = bridged[start:stop, block]
                    padlen = min(3 * (2 * sos.shape[0] + 1), seg.shape[0] - 1)
                    if seg.shape[0] > 6:
                        seg = sosfiltfilt(sos, seg, axis=0, padlen=padlen)
                    out[start:stop, block] = seg
        return out.reshape(x.shape)


class OneEuroFilter:
    """Causal One Euro filter over arrays of any fixed shape (element-wise).

    Args:
        min_cutoff_hz: cutoff when the signal is still (lower = smoother, more lag).
        beta: how fast the cutoff rises with speed (higher = less lag on fast moves).
        d_cutoff_hz: cutoff of the speed estimate.

    Example:
        >>> f = OneEuroFilter(1.0, 0.0, 1.0)
        >>> float(f.update(0.0, np.array(1.0))), round(float(f.update(33.0, np.array(2.0))), 3)
        (1.0, 1.172)
    """

    def __init__(self, min_cutoff_hz: float, beta: float, d_cutoff_hz: float = 1.0) -> None:
        if min_cutoff_hz <= 0 or d_cutoff_hz <= 0 or beta < 0:
            raise ValueError(
                f"need min_cutoff_hz > 0, d_cutoff_hz > 0, beta >= 0; got "
                f"{min_cutoff_hz}, {d_cutoff_hz}, {beta}"
            )
        self.min_cutoff_hz, self.beta, self.d_cutoff_hz = min_cutoff_hz, beta, d_cutoff_hz
        self.reset()

    def reset(self) -> None:
        """Forget the past (e.g. after the runner left the frame)."""
        self._t_ms: float | None = None
        self._x: np.ndarray | None = None
        self._dx: np.ndarray | None = None

    @staticmethod
    def _alpha(cutoff_hz: np.ndarray | float, dt_s: float) -> np.ndarray:
        tau = 1.0 / (2.0 * np.pi * np.asarray(cutoff_hz))
        return np.asarray(1.0 / (1.0 + tau / dt_s))

    def update(self, t_ms: float, x: np.ndarray) -> np.ndarray:
        """Filter one sample `x`; NaN elements stay NaN and restart when they come back."""
        x = np.asarray(x, dtype=np.float64)
        if self._x is None or self._dx is None or self._t_ms is None or t_ms <= self._t_ms:
            self._t_ms, self._x, self._dx = t_ms, x.copy(), np.zeros_like(x)
            return x.copy()
        dt_s = (t_ms - self._t_ms) / 1000.0
        fresh = ~np.isfinite(self._x)
        dx = np.where(fresh, 0.0, (x - self._x) / dt_s)
        a_d = self._alpha(self.d_cutoff_hz, dt_s)
        dx_hat = np.where(np.isfinite(dx), a_d * dx + (1 - a_d) * self._dx, 0.0)
        a = self._alpha(self.min_cutoff_hz + self.beta * np.abs(dx_hat), dt_s)
        x_hat = np.where(fresh, x, a * x + (1 - a) * self._x)
        self._t_ms, self._x, self._dx = t_ms, x_hat, np.where(np.isfinite(x_hat), dx_hat, 0.0)
        return np.asarray(x_hat).copy()

    def smooth(self, timestamps_ms: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Run `update` over a whole series `(n, ...)` (causal, so it lags)."""
        self.reset()
        out = np.stack(
            [self.update(float(t), row) for t, row in zip(timestamps_ms, x, strict=True)]
        )
        self.reset()
        return out if len(x) else np.asarray(x, dtype=np.float64)


class Identity:
    """No smoothing."""

    def smooth(self, timestamps_ms: np.ndarray, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64).copy()

    def update(self, t_ms: float, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64).copy()


def make_smoother(name: str, config: MetricConfig | None = None) -> Smoother:
    """The smoother called `name` (one of `SMOOTHERS`), tuned by `config`."""
    cfg = config or default_config()
    if name == "zero_phase":
        s = cfg.smoothing
        return ZeroPhaseButterworth(s.cutoff_hz, s.order, s.max_gap_s)
    if name == "one_euro":
        e = cfg.one_euro
        return OneEuroFilter(e.min_cutoff_hz, e.beta, e.d_cutoff_hz)
    if name == "none":
        return Identity()
    raise ValueError(f"smoother must be one of {', '.join(SMOOTHERS)}, got {name!r}")


def load_scipy() -> None:
    """Import the scipy modules the metrics use (~1 s): call it in a thread while something
    slow runs (the pose stage, a live session's start), not in the first analysis."""
    import scipy.ndimage
    import scipy.signal  # noqa: F401
