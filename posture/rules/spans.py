"""Sustained stretches of a clip that break a rule."""

from __future__ import annotations

import numpy as np


def sustained_spans(
    intervals_s: np.ndarray, breaks: np.ndarray, *, max_gap_s: float, min_len_s: float
) -> tuple[tuple[float, float], ...]:
    """Join breaking intervals into spans, bridging short gaps and dropping blips.

    Args:
        intervals_s: `(k, 2)` `[start, end]` times in seconds, in time order (strides or
            frames).
        breaks: `(k,)` bool, True where that interval breaks the limit.
        max_gap_s: breaking intervals separated by less than this are one span.
        min_len_s: spans shorter than this are dropped.

    Returns:
        `((start_s, end_s), ...)` in time order.

    Example:
        >>> iv = np.array([[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [8, 8.2]])
        >>> sustained_spans(iv, np.array([1, 0, 1, 0, 0, 1], bool), max_gap_s=1.5,
        ...                 min_len_s=1.0)
        ((0.0, 3.0),)
    """
    if intervals_s.shape != (breaks.size, 2):
        raise ValueError(f"intervals_s must have shape ({breaks.size}, 2), got {intervals_s.shape}")
    spans: list[list[float]] = []
    for (start, end), hit in zip(intervals_s.tolist(), breaks.tolist(), strict=True):
        if not hit:
            continue
        if spans and start - spans[-1][1] < max_gap_s:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return tuple((float(a), float(b)) for a, b in spans if b - a >= min_len_s)
