"""The pose track: what the pose stage hands to the metrics stage, as plain arrays.

A track has one row per decoded frame. Frames where nobody was found are NaN rows, never
dropped rows, so row `i` always belongs to `timestamps_ms[i]`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from posture.atomic import atomic_path
from posture.pose.landmarks import MIRROR_PERMUTATION, N_LANDMARKS

#: Columns of `PoseTrack.landmarks`' last axis.
LANDMARK_COLUMNS = ("x_px", "y_px", "z_px", "visibility", "presence")
#: Columns of `PoseTrack.scene` (see `posture.pose.scene`).
SCENE_COLUMNS = ("camera_dx_px", "camera_dy_px", "camera_zoom_px", "change")
#: 2: tracks carry `scene`; version 1 files (without it) still load.
NPZ_FORMAT_VERSION = 2


@dataclass(frozen=True)
class PoseTrack:
    """Per-frame body landmarks of one runner.

    Attributes:
        timestamps_ms: `(n,)` float64, presentation time of each frame from the container.
        landmarks: `(n, 33, 5)` float32 image landmarks: x and y in pixels of the upright
            (rotation-corrected) frame, z in pixels on the same scale as x (MediaPipe's relative
            depth, hip-centred, smaller is nearer the camera), visibility and presence in [0, 1].
            All NaN for frames without a runner.
        world_landmarks_m: `(n, 33, 3)` float32 metric landmarks in metres, hip-centred
            (MediaPipe's world landmarks; y points down). NaN where `landmarks` is.
        resolution_wh: `(width, height)` of the upright frame in pixels.
        fps: nominal frame rate reported by the container.
        model: name of the pose model that made the track (e.g. `"pose_landmarker_full"`).
        scene: `(n, 4)` float32 per frame: the camera's motion against the background since
            the previous frame (shift x, y and zoom at the frame's edge, pixels) and how much
            the image changed (1 - correlation; a cut is a spike); NaN where not measured
            (see `posture.pose.scene`). All NaN when not given.

    Example:
        >>> t = PoseTrack.empty(resolution_wh=(640, 480), fps=30.0, model="m", n=3)
        >>> t.n_frames, int(t.detected.sum())
        (3, 0)
    """

    timestamps_ms: np.ndarray
    landmarks: np.ndarray
    world_landmarks_m: np.ndarray
    resolution_wh: tuple[int, int]
    fps: float
    model: str
    meta: dict[str, Any] = field(default_factory=dict, compare=False)
    scene: np.ndarray | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        n = self.timestamps_ms.shape[0] if self.timestamps_ms.ndim == 1 else -1
        if self.timestamps_ms.ndim != 1:
            raise ValueError(f"timestamps_ms must have shape (n,), got {self.timestamps_ms.shape}")
        if self.landmarks.shape != (n, N_LANDMARKS, len(LANDMARK_COLUMNS)):
            raise ValueError(
                f"landmarks must have shape ({n}, {N_LANDMARKS}, {len(LANDMARK_COLUMNS)}), "
                f"got {self.landmarks.shape}"
            )
        if self.world_landmarks_m.shape != (n, N_LANDMARKS, 3):
            raise ValueError(
                f"world_landmarks_m must have shape ({n}, {N_LANDMARKS}, 3), "
                f"got {self.world_landmarks_m.shape}"
            )
        if self.scene is None:
            blank = np.full((n, len(SCENE_COLUMNS)), np.nan, np.float32)
            object.__setattr__(self, "scene", blank)  # frozen: filled once, here
        elif self.scene.shape != (n, len(SCENE_COLUMNS)):
            raise ValueError(
                f"scene must have shape ({n}, {len(SCENE_COLUMNS)}), got {self.scene.shape}"
            )
        w, h = self.resolution_wh
        if w <= 0 or h <= 0:
            raise ValueError(f"resolution_wh must be positive, got {self.resolution_wh}")

    # -- construction -----------------------------------------------------------------------
    @classmethod
    def empty(
        cls, *, resolution_wh: tuple[int, int], fps: float, model: str, n: int = 0
    ) -> PoseTrack:
        """A track of `n` frames with nobody detected (timestamps spaced at `fps`)."""
        step_ms = 1000.0 / fps if fps > 0 else 0.0
        return cls(
            timestamps_ms=np.arange(n, dtype=np.float64) * step_ms,
            landmarks=np.full((n, N_LANDMARKS, len(LANDMARK_COLUMNS)), np.nan, np.float32),
            world_landmarks_m=np.full((n, N_LANDMARKS, 3), np.nan, np.float32),
            resolution_wh=resolution_wh,
            fps=fps,
            model=model,
        )

    # -- views --------------------------------------------------------------------------------
    @property
    def n_frames(self) -> int:
        return int(self.timestamps_ms.shape[0])

    @property
    def detected(self) -> np.ndarray:
        """`(n,)` bool, True where the frame has a runner."""
        return ~np.isnan(self.landmarks[:, 0, 0])

    @property
    def coverage(self) -> float:
        """Fraction of frames with a runner (0 for an empty track)."""
        return float(self.detected.mean()) if self.n_frames else 0.0

    @property
    def xy_px(self) -> np.ndarray:
        """`(n, 33, 2)` image x, y in pixels (a view, not a copy)."""
        return self.landmarks[..., :2]

    @property
    def visibility(self) -> np.ndarray:
        """`(n, 33)` MediaPipe visibility in [0, 1] (NaN where nobody)."""
        return self.landmarks[..., 3]

    def select(self, mask: np.ndarray) -> PoseTrack:
        """A track with only the rows where `mask` (`(n,)` bool) is True."""
        if mask.shape != (self.n_frames,):
            raise ValueError(f"mask must have shape ({self.n_frames},), got {mask.shape}")
        return PoseTrack(
            timestamps_ms=self.timestamps_ms[mask],
            landmarks=self.landmarks[mask],
            world_landmarks_m=self.world_landmarks_m[mask],
            resolution_wh=self.resolution_wh,
            fps=self.fps,
            model=self.model,
            meta=dict(self.meta),
            scene=self.scene_array[mask],
        )

    @property
    def scene_array(self) -> np.ndarray:
        """`scene` as a typed array (always set after construction)."""
        assert self.scene is not None
        return self.scene

    def mirrored(self) -> PoseTrack:
        """The track as seen in a horizontally flipped video: x -> width - x, left <-> right."""
        perm = list(MIRROR_PERMUTATION)
        lm = self.landmarks[:, perm].copy()
        lm[..., 0] = self.resolution_wh[0] - lm[..., 0]
        world = self.world_landmarks_m[:, perm].copy()
        world[..., 0] = -world[..., 0]
        scene = self.scene_array.copy()
        scene[:, 0] = -scene[:, 0]
        return PoseTrack(
            self.timestamps_ms.copy(),
            lm,
            world,
            self.resolution_wh,
            self.fps,
            self.model,
            dict(self.meta),
            scene,
        )

    @staticmethod
    def concat(tracks: list[PoseTrack]) -> PoseTrack:
        """Join tracks of consecutive time ranges of one clip (same resolution, fps, model)."""
        if not tracks:
            raise ValueError("concat needs at least one track")
        first = tracks[0]
        for t in tracks[1:]:
            if (t.resolution_wh, t.model) != (first.resolution_wh, first.model):
                raise ValueError("concat needs tracks of the same resolution and model")
        return PoseTrack(
            np.concatenate([t.timestamps_ms for t in tracks]),
            np.concatenate([t.landmarks for t in tracks]),
            np.concatenate([t.world_landmarks_m for t in tracks]),
            first.resolution_wh,
            first.fps,
            first.model,
            dict(first.meta),
            np.concatenate([t.scene_array for t in tracks]),
        )

    # -- persistence -------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the track to `path` (`.npz`, compressed) atomically; returns the path."""
        path = Path(path)
        header = {
            "format_version": NPZ_FORMAT_VERSION,
            "resolution_wh": list(self.resolution_wh),
            "fps": self.fps,
            "model": self.model,
            "landmark_columns": list(LANDMARK_COLUMNS),
            "meta": self.meta,
        }
        with atomic_path(path) as tmp, tmp.open("wb") as fh:
            np.savez_compressed(
                fh,
                timestamps_ms=self.timestamps_ms,
                landmarks=self.landmarks,
                world_landmarks_m=self.world_landmarks_m,
                scene=self.scene_array,
                header=np.array(json.dumps(header)),
            )
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PoseTrack:
        """Read a track written by `save`, every array and header value checked first.

        Raises:
            BadInputError: not a regular file, too large, not a posture track, or a value
                the analysis cannot use (see `posture.gate.track`).
        """
        from posture.gate.track import read_track_file  # the gate imports this module

        checked = read_track_file(Path(path))
        return cls(
            timestamps_ms=checked.timestamps_ms,
            landmarks=checked.landmarks,
            world_landmarks_m=checked.world_landmarks_m,
            resolution_wh=checked.resolution_wh,
            fps=checked.fps,
            model=checked.model,
            meta=checked.meta,
            scene=checked.scene,
        )
