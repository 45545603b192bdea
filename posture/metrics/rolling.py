"""Rolling percentiles over frames, NaN-aware and vectorised.

One definition for the windowed statistics the metrics read (the ground line under the feet,
the activity features): numpy's `nanpercentile` along a window axis loops in Python row by
row (`apply_along_axis`), which made these the live loop's costliest lines.
"""

from __future__ import annotations

import numpy as np

#: Rows sorted at a time: bounds the memory to this many windows whatever the clip's length.
_BLOCK_ROWS = 2048


def rolling_percentile(
    x: np.ndarray, before: int, after: int, q: float, min_count: int = 1
) -> np.ndarray:
    """`(n,)`: the `q`-th percentile of the finite values of `x` over rows `t - before` to
    `t + after` (cut at the ends), as `np.nanpercentile` computes it (linear method).

    Args:
        x: `(n,)` or `(n, m)`; every value of a row's window counts (m per row).
        before, after: rows before and after each row in its window, >= 0.
        q: percentile, 0-100.
        min_count: fewer finite values than this in a window give NaN.

    Example:
        >>> rolling_percentile(np.array([1.0, np.nan, 3.0, 4.0]), 1, 1, 50)
        array([1. , 2. , 3.5, 3.5])
    """
    if before < 0 or after < 0:
        raise ValueError(f"before and after must be >= 0, got {before}, {after}")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"q must be in [0, 100], got {q}")
    values = np.asarray(x, dtype=np.float64)
    n = values.shape[0]
    out = np.full(n, np.nan)
    if values.size == 0:
        return out
    values = values.reshape(n, -1)
    m = values.shape[1]
    padded = np.concatenate([np.full((before, m), np.nan), values, np.full((after, m), np.nan)])
    size = before + after + 1
    windows = np.lib.stride_tricks.sliding_window_view(padded, size, axis=0)  # (n, m, size)
    for start in range(0, n, _BLOCK_ROWS):
        block = windows[start : start + _BLOCK_ROWS].reshape(-1, m * size)
        block = np.where(np.isfinite(block), block, np.nan)
        ordered = np.sort(block, axis=1)  # NaN last
        count = np.isfinite(ordered).sum(axis=1)
        virtual = (q / 100.0) * np.maximum(count - 1, 0)
        lo = np.floor(virtual).astype(np.intp)
        hi = np.minimum(lo + 1, np.maximum(count - 1, 0))
        frac = virtual - lo
        rows = np.arange(ordered.shape[0])
        a, b = ordered[rows, lo], ordered[rows, hi]
        diff = b - a
        # numpy's lerp, exactly: from the nearer end
        value = np.where(frac >= 0.5, b - diff * (1.0 - frac), a + diff * frac)
        value[count < max(min_count, 1)] = np.nan
        out[start : start + value.size] = value
    return out
