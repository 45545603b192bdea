"""Backdrop: a textured wall, a treadmill with a moving belt, and camera noise."""

from __future__ import annotations

import cv2
import numpy as np

from posture.synth.camera import Camera
from posture.synth.params import SynthParams

_WALLS = ((196, 198, 190), (176, 188, 200), (210, 200, 182), (150, 156, 160))
_PLAIN_RGB = (128.0, 128.0, 128.0)
_BELT_RGB = np.array([46.0, 46.0, 50.0], np.float32)
_DECK_RGB = np.array([92.0, 94.0, 100.0], np.float32)
_FLOOR_RGB = np.array([150.0, 138.0, 120.0], np.float32)
BELT_MARK_SPACING_CM = 30.0


class Backdrop:
    """Static background of a clip plus the per-frame moving belt marks.

    Args:
        params: clip parameters (seed picks the wall colour and texture).
        cam: the supersampled drawing camera.
        canvas_wh: `(width, height)` of the drawing canvas in pixels.
    """

    def __init__(self, params: SynthParams, cam: Camera, canvas_wh: tuple[int, int]) -> None:
        self.params = params
        self.cam = cam
        w, h = canvas_wh
        self.belt_speed_cm_s = params.speed_mps * 100.0
        self.floor_y = cam.origin_px[1]
        self.belt_h = 0.025 * params.height_cm * cam.px_per_cm
        if params.background:
            self.image = self._textured(w, h)
        else:
            self.image = np.empty((h, w, 3), np.float32)
            self.image[:] = _PLAIN_RGB

    def _textured(self, w: int, h: int) -> np.ndarray:
        rng = np.random.default_rng([self.params.seed, 3])
        wall = np.asarray(_WALLS[int(rng.integers(0, len(_WALLS)))], np.float32)
        rows = np.linspace(1.08, 0.86, h, dtype=np.float32)[:, None, None]
        coarse = rng.normal(0.0, 1.0, (12, 16)).astype(np.float32)
        blotch = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC)[..., None]
        fine = cv2.GaussianBlur(rng.normal(0.0, 1.0, (h, w)).astype(np.float32), (0, 0), 1.5)
        img = wall * rows + 7.0 * blotch + 5.0 * fine[..., None]
        self._treadmill(img, w, h)
        return np.clip(img, 0.0, 255.0).astype(np.float32)

    def _treadmill(self, img: np.ndarray, w: int, h: int) -> None:
        f = round(self.floor_y)
        belt_end = min(h, round(self.floor_y + self.belt_h))
        deck_end = min(h, round(self.floor_y + 3.5 * self.belt_h))
        if self.params.view.startswith("side"):
            img[f:belt_end] = _BELT_RGB
            img[belt_end:deck_end] = _DECK_RGB
            img[deck_end:] = _FLOOR_RGB
            return
        # front/rear: the belt seen end-on, a dark band under the runner, wider toward us
        img[f:] = _FLOOR_RGB
        cx = self.cam.origin_px[0]
        half = 0.16 * self.params.height_cm * self.cam.px_per_cm
        top = np.array([[cx - half, f - 0.5 * self.belt_h], [cx + half, f - 0.5 * self.belt_h]])
        bottom = np.array([[cx + 1.4 * half, h], [cx - 1.4 * half, h]])
        poly = np.round(np.concatenate([top, bottom]) * 16).astype(np.int32)
        cv2.fillPoly(img, [poly], tuple(float(c) for c in _BELT_RGB), cv2.LINE_AA, 4)

    def frame(self, t_s: float) -> np.ndarray:
        """`(h, w, 3)` float32 background at time `t_s` (a fresh copy)."""
        img = self.image.copy()
        if self.params.background and self.params.view.startswith("side"):
            self._belt_marks(img, t_s)
        return img

    def _belt_marks(self, img: np.ndarray, t_s: float) -> None:
        spacing_px = BELT_MARK_SPACING_CM * self.cam.px_per_cm
        # the belt runs backward under the runner: screen direction of world -x
        back = -float(self.cam.proj[0, 0]) / self.cam.px_per_cm
        shift = (self.belt_speed_cm_s * t_s * self.cam.px_per_cm) % spacing_px
        y0 = round(self.floor_y + 0.3 * self.belt_h)
        y1 = round(self.floor_y + 0.7 * self.belt_h)
        x = self.cam.origin_px[0] % spacing_px + back * shift - spacing_px
        while x < img.shape[1] + spacing_px:
            xi = round(x)
            img[y0:y1, max(xi, 0) : max(xi + int(0.25 * spacing_px), 0)] += 26.0
            x += spacing_px


def add_noise(frame: np.ndarray, level: float, seed: int, index: int) -> np.ndarray:
    """Add Gaussian camera noise (std `level` grey levels), deterministic per frame.

    Args:
        frame: `(h, w, 3)` float32 RGB.
        level: noise standard deviation.
        seed: clip seed.
        index: frame index.

    Returns:
        `(h, w, 3)` uint8 RGB.
    """
    if level > 0:
        rng = np.random.default_rng([seed, 4, index])
        frame = frame + rng.normal(0.0, level, frame.shape).astype(np.float32)
    return np.clip(frame + 0.5, 0.0, 255.0).astype(np.uint8)
