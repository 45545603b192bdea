"""MediaPipe's landmarks against the figure's true landmarks: where the anatomy biases them.

Errors are in units of the true torso length (hip-mid -> shoulder-mid in the image) so clips
of any size pool together. In side views the pair members are named by depth (`near` is the
side facing the camera), in front and rear views by the runner's anatomical side; both use
MediaPipe's own labels, so a left/right swap shows up as a large error of the single points
but not of the midpoints (which every metric uses).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posture.pose.landmarks import LM
from posture.pose.track import PoseTrack
from posture.validate.truth import TrueValues

VIEW_GROUPS: tuple[str, ...] = ("side", "front", "rear")
#: Reported points: name -> (left index, right index); the nose has one index.
PAIRS: dict[str, tuple[int, int]] = {
    "ear": (LM.LEFT_EAR, LM.RIGHT_EAR),
    "shoulder": (LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER),
    "hip": (LM.LEFT_HIP, LM.RIGHT_HIP),
    "knee": (LM.LEFT_KNEE, LM.RIGHT_KNEE),
    "ankle": (LM.LEFT_ANKLE, LM.RIGHT_ANKLE),
}


def point_names(view: str) -> tuple[str, ...]:
    """Row names for `view`: nose, then per pair the two members and their midpoint."""
    a, b = ("near", "far") if view == "side" else ("left", "right")
    names = ["nose"]
    for pair in PAIRS:
        names += [f"{pair} {a}", f"{pair} {b}", f"{pair} mid"]
    return tuple(names)


@dataclass(frozen=True)
class LandmarkErrors:
    """Per-frame errors of one clip.

    Attributes:
        view: the clip's true view group (`side`, `front`, `rear`).
        names: `(k,)` point names (`point_names(view)`).
        error: `(m, k, 2)` measured minus true position / true torso length, as
            (forward, up): forward = toward travel in side views, image right in front/rear
            views; up = image up. Frames where MediaPipe found nobody are left out.
    """

    view: str
    names: tuple[str, ...]
    error: np.ndarray


def _aligned(track: PoseTrack, t_ms: np.ndarray) -> np.ndarray:
    """`(n, 33, 2)` track x, y at the truth's frame times (NaN where no frame matches)."""
    idx = np.searchsorted(track.timestamps_ms, t_ms)
    idx = np.clip(idx, 0, max(track.n_frames - 1, 0))
    out = np.full((t_ms.size, 33, 2), np.nan)
    if track.n_frames == 0:
        return out
    ok = np.abs(track.timestamps_ms[idx] - t_ms) < 0.5 * 1000.0 / max(track.fps, 1.0)
    out[ok] = track.xy_px[idx[ok]]
    return out


def _columns(points: np.ndarray, depth: np.ndarray, view: str) -> np.ndarray:
    """`(n, k, 2)` points in `point_names` order; side views ordered near, far per frame."""
    cols = [points[:, LM.NOSE]]
    for left, right in PAIRS.values():
        a, b = points[:, left], points[:, right]
        if view == "side":
            left_near = (depth[:, left] <= depth[:, right])[:, None]
            a, b = np.where(left_near, a, b), np.where(left_near, b, a)
        cols += [a, b, 0.5 * (a + b)]
    return np.stack(cols, axis=1)


def landmark_errors(
    track: PoseTrack,
    true_px: np.ndarray,
    depth_cm: np.ndarray,
    t_ms: np.ndarray,
    tv: TrueValues,
) -> LandmarkErrors:
    """Errors of MediaPipe's points against the true `(n, 33, 2)` `true_px`.

    Args:
        track: the pose track of the clip.
        true_px: true image positions of the 33 landmarks per frame.
        depth_cm: `(n, 33)` true depth behind the pelvis (+ farther), to tell near from far.
        t_ms: `(n,)` truth frame times.
        tv: the clip's true values (view, facing).
    """
    measured = _aligned(track, t_ms)
    # Near/far is decided by the true depth for both, so the same anatomical point is compared.
    diff = _columns(measured, depth_cm, tv.view) - _columns(true_px, depth_cm, tv.view)
    hip = 0.5 * (true_px[:, LM.LEFT_HIP] + true_px[:, LM.RIGHT_HIP])
    sho = 0.5 * (true_px[:, LM.LEFT_SHOULDER] + true_px[:, LM.RIGHT_SHOULDER])
    torso = np.linalg.norm(sho - hip, axis=-1)[:, None, None]
    fwd = -1.0 if tv.facing == "left" else 1.0
    err = np.stack([fwd * diff[..., 0], -diff[..., 1]], axis=-1) / torso
    keep = np.isfinite(err[:, 0, 0]) | np.isfinite(err[:, 3, 0])
    return LandmarkErrors(tv.view, point_names(tv.view), err[keep])


@dataclass(frozen=True)
class LandmarkBias:
    """Pooled landmark errors of one view group, % of torso length.

    Attributes:
        view: view group.
        names: point names.
        median_abs_pct: `(k,)` median distance from the true point.
        median_forward_pct: `(k,)` median signed forward (or image-right) offset.
        median_up_pct: `(k,)` median signed upward offset.
        n_frames: frames pooled.
    """

    view: str
    names: tuple[str, ...]
    median_abs_pct: np.ndarray
    median_forward_pct: np.ndarray
    median_up_pct: np.ndarray
    n_frames: int


def pool_bias(errors: list[LandmarkErrors], view: str) -> LandmarkBias | None:
    """Pool the clips of `view`; None when there are none."""
    chunks = [e.error for e in errors if e.view == view and e.error.size]
    if not chunks:
        return None
    err = np.concatenate(chunks) * 100.0
    with np.errstate(invalid="ignore"):
        dist = np.linalg.norm(err, axis=-1)
    return LandmarkBias(
        view,
        point_names(view),
        np.nanmedian(dist, axis=0),
        np.nanmedian(err[..., 0], axis=0),
        np.nanmedian(err[..., 1], axis=0),
        int(err.shape[0]),
    )
