"""Orthographic camera for the four views.

Orthographic on purpose: the 2D angle of the hip->shoulder line then equals the true
sagittal lean in side views, so the truth needs no perspective correction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posture.synth.params import SynthParams

#: Per view: screen-right axis, camera depth axis (away from the camera), in world xyz
#: (x forward, y up, z = runner's left). Screen-down is always -y.
_AXES: dict[str, tuple[tuple[float, float, float], tuple[float, float, float]]] = {
    "side_left": ((-1.0, 0.0, 0.0), (0.0, 0.0, -1.0)),  # faces screen-left, camera at left
    "side_right": ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0)),  # faces screen-right, camera at right
    "front": ((0.0, 0.0, 1.0), (-1.0, 0.0, 0.0)),  # runner's left on screen right
    "rear": ((0.0, 0.0, -1.0), (1.0, 0.0, 0.0)),
}
#: World x (cm) put at the frame centre in side views, so lean and trailing foot both fit.
SIDE_CENTRE_X_CM = 6.0


@dataclass(frozen=True)
class Camera:
    """Maps world cm to image pixels.

    Attributes:
        view: one of the `VIEWS` names.
        px_per_cm: image scale.
        origin_px: `(x, y)` pixel of the world point on the floor under the pelvis at rest.
        proj: `(2, 3)` world -> pixel-offset matrix (already scaled).
        depth_axis: `(3,)` unit vector pointing away from the camera.
    """

    view: str
    px_per_cm: float
    origin_px: tuple[float, float]
    proj: np.ndarray
    depth_axis: np.ndarray

    @classmethod
    def for_params(cls, params: SynthParams, scale: float = 1.0) -> Camera:
        """Camera of the clip; `scale` multiplies pixel units (for supersampled drawing)."""
        w, h = params.resolution_wh
        px_per_cm = params.subject_frac * h / params.height_cm * scale
        right, depth = (np.array(a) for a in _AXES[params.view])
        proj = np.stack([right, np.array([0.0, -1.0, 0.0])]) * px_per_cm
        floor_y = h * (0.5 + params.subject_frac / 2.0 + 0.03) * scale
        centre_x = w / 2.0 * scale
        if params.view.startswith("side"):
            centre_x -= float(right[0]) * SIDE_CENTRE_X_CM * px_per_cm
        return cls(params.view, px_per_cm, (centre_x, floor_y), proj, depth)

    def project(self, points_cm: np.ndarray) -> np.ndarray:
        """`(n, 3)` world cm -> `(n, 2)` float pixels (x right, y down)."""
        return np.asarray(points_cm) @ self.proj.T + np.array(self.origin_px)

    def depth(self, points_cm: np.ndarray) -> np.ndarray:
        """`(n, 3)` world cm -> `(n,)` cm away from the camera (larger = farther)."""
        return np.asarray(points_cm) @ self.depth_axis

    @property
    def toward(self) -> np.ndarray:
        """`(3,)` unit vector from the figure toward the camera."""
        return -self.depth_axis

    def project_ellipsoid(
        self, centre: np.ndarray, rot: np.ndarray, semi_axes: np.ndarray
    ) -> tuple[tuple[float, float], tuple[float, float], float]:
        """Silhouette of an ellipsoid as an OpenCV rotated box `((cx, cy), (w, h), deg)`.

        Args:
            centre: `(3,)` world cm.
            rot: `(3, 3)` orientation; column i is the direction of semi-axis i.
            semi_axes: `(3,)` cm.
        """
        shape = rot @ np.diag(np.asarray(semi_axes) ** 2) @ rot.T
        shape_px = self.proj @ shape @ self.proj.T  # orthographic silhouette
        evals, evecs = np.linalg.eigh(shape_px)
        evals = np.maximum(evals, 1e-6)
        angle = float(np.degrees(np.arctan2(evecs[1, 1], evecs[0, 1])))
        cx, cy = self.project(centre[None, :])[0]
        size = (2.0 * float(np.sqrt(evals[1])), 2.0 * float(np.sqrt(evals[0])))
        return (float(cx), float(cy)), size, angle
