"""What the camera did, as the analysis needs it: where it moved and where the clip was cut.

From the pose track's `scene` columns (`posture.pose.scene`): the background's shift between
frames, summed over one second and measured in the runner's leg lengths, tells a fixed camera
(or one drifting in a hand) from a tracking shot or a pan; a spike of image change tells a
cut between shots. A moving camera adds its own motion to the body's, so the measures that
read the body's path in the image (bounce, sway, step timing) are not judged where it moves
(`MetricSpec.camera_sensitive`); steps and strides never span a cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posture.metrics.config import CameraConfig
from posture.metrics.smoothing import sample_rate_hz


@dataclass(frozen=True)
class CameraMotion:
    """The camera per frame and for the clip.

    Attributes:
        speed_legs_s: `(n,)` background motion over the surrounding second, in the runner's
            leg lengths per second (NaN where it could not be measured).
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


def camera_motion(
    timestamps_ms: np.ndarray, scene: np.ndarray, leg_length_px: float, cfg: CameraConfig
) -> CameraMotion:
    """The camera's motion and cuts from a track's `scene` `(n, 4)` columns."""
    n = timestamps_ms.size
    cut = find_cuts(scene[:, 3], cfg)
    shot = np.cumsum(cut)
    step = np.nan_to_num(scene[:, :3].astype(np.float64), nan=0.0)
    step[cut] = 0.0  # a cut is not a motion
    window = max(1, round(sample_rate_hz(timestamps_ms)))
    cum = np.vstack([np.zeros((1, 3)), np.cumsum(step, axis=0)])
    half = window // 2
    lo = np.clip(np.arange(n) - half, 0, n)
    hi = np.clip(np.arange(n) + window - half, 0, n)
    span_s = np.maximum((timestamps_ms[np.maximum(hi - 1, 0)] - timestamps_ms[lo]) / 1000.0, 1e-3)
    disp = np.linalg.norm(cum[hi] - cum[lo], axis=1)
    known = np.isfinite(scene[:, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        speed = np.where(known, disp / span_s / leg_length_px, np.nan)
    moving = np.nan_to_num(speed, nan=0.0) > cfg.moving_min_legs_s
    return CameraMotion(speed, moving, cut, shot)
