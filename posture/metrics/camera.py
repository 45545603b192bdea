"""What the camera did, as the analysis needs it: where it moved and where the clip was cut.

From the pose track's `scene` columns (`posture.pose.scene`): the background's shift between
frames, summed over one second and measured in the runner's leg lengths, tells a fixed camera
(or one drifting in a hand) from a tracking shot or a pan; a spike of image change tells a
cut between shots. A moving camera adds its own motion to the body's, so the measures that
read the body's path in the image (bounce, sway, step timing) are not judged where it moves
(`MetricSpec.camera_sensitive`); steps and strides never span a cut.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from posture.metrics.config import CameraConfig
from posture.metrics.smoothing import sample_rate_hz


@dataclass(frozen=True)
class CameraMotion:
    """The camera per frame and for the clip.

    Attributes:
        speed_legs_s: `(n,)` background motion, the median frame-to-frame shift over the
            surrounding second, in the runner's leg lengths per second (NaN: not measured).
        moving: `(n,)` bool, True where the camera moved (a tracking shot, a pan, a zoom).
        cut: `(n,)` bool, True on the first frame of a new shot.
        shot: `(n,)` int, the shot each frame belongs to (0, 1, ... in time order).
    """

    speed_legs_s: np.ndarray
    moving: np.ndarray
    cut: np.ndarray
    shot: np.ndarray

    @property
    def moving_share(self) -> float:
        return float(self.moving.mean()) if self.moving.size else 0.0

    @property
    def n_cuts(self) -> int:
        return int(self.cut.sum())

    @property
    def label(self) -> str:
        """`fixed`, `moving` or `moving at times`, for the report."""
        share = self.moving_share
        return "moving" if share >= 0.5 else "moving at times" if share > 0.0 else "fixed"


def find_cuts(change: np.ndarray, cfg: CameraConfig) -> np.ndarray:
    """`(n,)` bool: frames whose image change is a spike (a cut between shots)."""
    c = np.nan_to_num(np.asarray(change, np.float64), nan=0.0)
    if c.size < 3:
        return np.zeros(c.size, bool)
    width = 15
    padded = np.pad(c, width, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * width + 1)
    background = np.median(windows, axis=1)
    return (c >= cfg.cut_min_change) & (c >= cfg.cut_over_background * (background + 0.01))


def _at_least(mask: np.ndarray, length: int) -> np.ndarray:
    """`mask` without its True runs shorter than `length` frames."""
    m = np.concatenate([[False], mask, [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    out = np.zeros(mask.size, bool)
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if b - a >= length:
            out[a:b] = True
    return out


def camera_motion(
    timestamps_ms: np.ndarray, scene: np.ndarray, leg_length_px: float, cfg: CameraConfig
) -> CameraMotion:
    """The camera's motion and cuts from a track's `scene` `(n, 4)` columns."""
    n = timestamps_ms.size
    if n == 0:
        empty = np.zeros(0)
        return CameraMotion(empty, empty.astype(bool), empty.astype(bool), empty.astype(int))
    cut = find_cuts(scene[:, 3], cfg)
    shot = np.cumsum(cut)
    step = scene[:, :3].astype(np.float64)
    step[cut] = np.nan  # a cut is not a motion
    fs = sample_rate_hz(timestamps_ms)
    window = max(3, round(fs))
    # The median frame-to-frame shift over a second: a tracking shot or a pan moves the
    # background the same way frame after frame; flow noise and single bad fits do not.
    half = window // 2
    padded = np.concatenate(
        [np.full((half, 3), np.nan), step, np.full((window - 1 - half, 3), np.nan)]
    )
    win = np.lib.stride_tricks.sliding_window_view(padded, window, axis=0)[:n]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        typical = np.nanmedian(win, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = np.linalg.norm(typical, axis=1) * fs / leg_length_px
    moving = _at_least(np.nan_to_num(speed, nan=0.0) > cfg.moving_min_legs_s, window)
    return CameraMotion(speed, moving, cut, shot)
