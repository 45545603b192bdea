"""A clip = parameters + the models built from them; renders frames in memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

from posture.synth.anthro import BodyDims
from posture.synth.camera import Camera
from posture.synth.figure import FigureBuilder
from posture.synth.gait import StepSchedule
from posture.synth.params import SynthParams
from posture.synth.raster import draw_parts
from posture.synth.scene import Backdrop, add_noise
from posture.synth.skeleton import Skeleton, SkeletonModel


@dataclass(frozen=True)
class ClipModel:
    """Everything derived from `SynthParams` that frames and truth share.

    Attributes:
        params: the clip parameters.
        dims: body dimensions.
        schedule: foot-strike timing.
        skeleton: poses the figure at any time.
        camera: output-resolution camera (truth pixel positions use it).
    """

    params: SynthParams
    dims: BodyDims
    schedule: StepSchedule
    skeleton: SkeletonModel
    camera: Camera

    @classmethod
    def build(cls, params: SynthParams) -> ClipModel:
        dims = BodyDims.from_height(params.height_cm)
        schedule = StepSchedule.from_params(params)
        model = SkeletonModel(params, dims, schedule)
        return cls(params, dims, schedule, model, Camera.for_params(params))

    def time_s(self, index: int) -> float:
        """Presentation time of frame `index` in seconds."""
        return index / self.params.fps

    def pose(self, index: int) -> Skeleton:
        """Skeleton of frame `index`."""
        return self.skeleton.at(self.time_s(index))


class FrameRenderer:
    """Draws frames of one clip (supersampled, then area-downsampled)."""

    def __init__(self, clip: ClipModel) -> None:
        p = clip.params
        self.clip = clip
        self.ss_cam = Camera.for_params(p, scale=float(p.supersample))
        w, h = p.resolution_wh
        self.canvas_wh = (w * p.supersample, h * p.supersample)
        self.backdrop = Backdrop(p, self.ss_cam, self.canvas_wh)
        self.builder = FigureBuilder(p, clip.dims, self.ss_cam)

    def render(self, index: int) -> np.ndarray:
        """Frame `index` as `(h, w, 3)` uint8 RGB."""
        p = self.clip.params
        t_s = self.clip.time_s(index)
        canvas = self.backdrop.frame(t_s)
        draw_parts(canvas, self.builder.parts(self.clip.skeleton.at(t_s)))
        if p.supersample > 1:
            canvas = cv2.resize(canvas, p.resolution_wh, interpolation=cv2.INTER_AREA)
        return add_noise(canvas, p.noise_level, p.seed, index)


def iter_frames(params: SynthParams) -> Iterator[tuple[float, np.ndarray]]:
    """Render the clip in memory, frame by frame.

    Args:
        params: clip parameters.

    Yields:
        `(timestamp_ms, frame)`: frame `i` at `i * 1000 / fps` ms, frame `(h, w, 3)` uint8
        RGB with `(w, h) == params.resolution_wh`.

    Example:
        >>> p = SynthParams(duration_s=0.5, fps=10, resolution_wh=(128, 160))
        >>> [f.shape for _, f in iter_frames(p)][:1]
        [(160, 128, 3)]
    """
    renderer = FrameRenderer(ClipModel.build(params))
    for i in range(params.n_frames):
        yield i * 1000.0 / params.fps, renderer.render(i)
