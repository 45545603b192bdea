"""Camera view (side / front / rear) and facing direction, per frame and per segment.

Per frame: the body's width in the image against its torso length separates side views
(narrow) from front/rear views (wide); in side views the nose ahead of the ears (and the toes
ahead of the heels) tells which way the runner faces; in wide views the runner's left shoulder
on the image right and the nose nearer the camera than the ears say "front". The per-frame
labels are smoothed by a rolling majority and short segments are merged into neighbours, so
one mislabelled frame or a brief MediaPipe left/right swap cannot flip the view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posture.metrics.config import ViewConfig
from posture.metrics.geometry import ear_mid, width_ratio
from posture.metrics.smoothing import sample_rate_hz
from posture.pose.landmarks import LM

#: Frame labels: index into this tuple. 0 means no runner.
LABELS: tuple[tuple[str | None, str | None], ...] = (
    (None, None),
    ("side", "right"),
    ("side", "left"),
    ("front", None),
    ("rear", None),
)


@dataclass(frozen=True)
class ViewSegment:
    """A stretch of the clip seen from one view (and, for side views, one facing)."""

    start_s: float
    end_s: float
    view: str
    facing: str | None

    def to_dict(self) -> dict[str, object]:
        return {
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "view": self.view,
            "facing": self.facing,
        }


def facing_votes(lm: np.ndarray) -> np.ndarray:
    """`(n,)` +1 facing right, -1 facing left, 0 unknown: nose vs ears, else toes vs heels."""
    nose = np.sign(lm[:, LM.NOSE, 0] - ear_mid(lm)[:, 0])
    toes = lm[:, [LM.LEFT_FOOT_INDEX, LM.RIGHT_FOOT_INDEX], 0]
    heels = lm[:, [LM.LEFT_HEEL, LM.RIGHT_HEEL], 0]
    d = toes - heels
    feet = np.sign(np.where(np.isfinite(d), d, 0.0).sum(axis=1))
    vote = np.where(np.isfinite(nose) & (nose != 0), nose, feet)
    return np.nan_to_num(vote, nan=0.0)


def front_votes(lm: np.ndarray) -> np.ndarray:
    """`(n,)` > 0 where the runner faces the camera, < 0 where they face away."""
    shoulders = np.sign(lm[:, LM.LEFT_SHOULDER, 0] - lm[:, LM.RIGHT_SHOULDER, 0])
    ears_z = 0.5 * (lm[:, LM.LEFT_EAR, 2] + lm[:, LM.RIGHT_EAR, 2])
    nose_nearer = np.sign(ears_z - lm[:, LM.NOSE, 2])
    return np.nan_to_num(shoulders, nan=0.0) + np.nan_to_num(nose_nearer, nan=0.0)


def frame_labels(lm: np.ndarray, cfg: ViewConfig, forced: str = "auto") -> np.ndarray:
    """`(n,)` int labels (indices into `LABELS`) before smoothing."""
    ratio = width_ratio(lm)
    ok = np.isfinite(ratio)
    side = (
        ratio < cfg.side_max_width_ratio if forced == "auto" else np.full(len(lm), forced == "side")
    )
    facing = facing_votes(lm)
    side_label = np.where(facing >= 0, 1, 2)
    if forced in ("front", "rear"):
        wide_label = np.full(len(lm), 3 if forced == "front" else 4)
    else:
        wide_label = np.where(front_votes(lm) >= 0, 3, 4)
    labels = np.where(side, side_label, wide_label)
    return np.where(ok, labels, 0).astype(np.int64)


def rolling_majority(labels: np.ndarray, window: int) -> np.ndarray:
    """Most common non-zero label in a centred window; 0 stays 0."""
    window = min(window, labels.size)
    if window <= 1:
        return labels.copy()
    kernel = np.ones(window)  # np.convolve "same" keeps len(labels) while window <= it
    counts = np.stack(
        [np.convolve(labels == c, kernel, mode="same") for c in range(1, len(LABELS))]
    )
    best = counts.argmax(axis=0) + 1
    return np.where(labels > 0, best, 0)


def merge_short_runs(labels: np.ndarray, t_s: np.ndarray, min_s: float) -> np.ndarray:
    """Relabel runs shorter than `min_s` seconds with their longer neighbour's label."""
    out = labels.copy()
    while True:
        change = np.flatnonzero(np.diff(out)) + 1
        starts = np.concatenate([[0], change])
        stops = np.concatenate([change, [out.size]])
        if starts.size <= 1:
            return out
        dur = t_s[stops - 1] - t_s[starts]
        k = int(np.argmin(dur))
        if dur[k] >= min_s:
            return out
        left = dur[k - 1] if k > 0 else -1.0
        right = dur[k + 1] if k + 1 < starts.size else -1.0
        src = starts[k - 1] if left >= right else starts[k + 1]
        out[starts[k] : stops[k]] = out[src]


def detect_views(
    timestamps_ms: np.ndarray, lm: np.ndarray, cfg: ViewConfig, forced: str = "auto"
) -> tuple[np.ndarray, list[ViewSegment]]:
    """Smoothed per-frame labels `(n,)` (0 = no runner) and the view segments of the clip."""
    raw = frame_labels(lm, cfg, forced)
    det = np.flatnonzero(raw > 0)
    labels = np.zeros_like(raw)
    if det.size == 0:
        return labels, []
    window = max(1, round(cfg.smooth_window_s * sample_rate_hz(timestamps_ms)) | 1)
    t_s = timestamps_ms[det] / 1000.0
    labels[det] = merge_short_runs(rolling_majority(raw[det], window), t_s, cfg.min_segment_s)
    segments = []
    seg_labels = labels[det]
    change = np.flatnonzero(np.diff(seg_labels)) + 1
    for a, b in zip(
        np.concatenate([[0], change]), np.concatenate([change, [det.size]]), strict=True
    ):
        view, facing = LABELS[int(seg_labels[a])]
        if view is not None:
            segments.append(ViewSegment(float(t_s[a]), float(t_s[b - 1]), view, facing))
    return labels, segments
