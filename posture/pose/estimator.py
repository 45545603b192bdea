"""Pose estimator: the one module that imports MediaPipe.

`PoseEstimator` wraps MediaPipe's Tasks `PoseLandmarker` in VIDEO mode and turns each frame into
plain arrays; `estimate_track` runs it over a frame iterator into a `PoseTrack`. The rest of the
package never sees a MediaPipe object.

MediaPipe's native code logs to the process' stderr (TFLite delegate notices, absl warnings).
Those are silenced by default: `quiet_native_logs` points file descriptor 2 at a temporary file
while the landmarker is created, run until it first finds a body, and closed, and replays it
only when something fails.
(Not around the whole loop: the progress bar writes to the same descriptor.)
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from posture.errors import ModelUnavailableError
from posture.pose.landmarks import N_LANDMARKS
from posture.pose.scene import SceneMotion
from posture.pose.track import LANDMARK_COLUMNS, PoseTrack
from posture.progress import FrameProgress
from posture.settings import PoseSettings

# Must be set before MediaPipe's native libraries load to take effect.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

#: Frames whose camera motion may still be measured behind the landmarker (bounds memory).
_SCENE_IN_FLIGHT = 2


@contextlib.contextmanager
def quiet_native_logs(enabled: bool = True) -> Iterator[None]:
    """Send fd 2 to a temp file for the block; replay it to stderr if the block raises."""
    if not enabled or os.environ.get("POSTURE_NATIVE_LOGS") == "1":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode("utf-8", "replace")[-4000:])
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _vision() -> Any:
    with quiet_native_logs():
        from mediapipe.tasks.python import vision  # local: importing loads native code

    return vision


def load_native() -> None:
    """Load MediaPipe's native libraries now (a worker process warming up before its task)."""
    _vision()


class PoseEstimator:
    """One runner's landmarks per frame from MediaPipe's PoseLandmarker (VIDEO mode).

    Stateful (MediaPipe tracks the runner across frames), so frames must come in time order.
    Use as a context manager, or call `close()`: MediaPipe 1.x prints a traceback at interpreter
    exit when a landmarker is left open.

    Args:
        model_path: a `pose_landmarker_*.task` bundle.
        settings: confidence thresholds.
        model_name: name recorded in the tracks this estimator makes.
    """

    def __init__(self, model_path: Path, settings: PoseSettings, model_name: str = "") -> None:
        import mediapipe as mp
        from mediapipe.tasks.python.core.base_options import BaseOptions

        vision = _vision()
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=vision.RunningMode.VIDEO,
            num_poses=1,
            min_pose_detection_confidence=settings.min_detection_confidence,
            min_pose_presence_confidence=settings.min_detection_confidence,
            min_tracking_confidence=settings.min_tracking_confidence,
            output_segmentation_masks=False,
        )
        try:
            with quiet_native_logs():
                self._landmarker = vision.PoseLandmarker.create_from_options(options)
        except (RuntimeError, ValueError) as exc:
            raise ModelUnavailableError(
                f"{model_path}: MediaPipe cannot load this pose model ({exc}); "
                "delete it and run `posture models fetch` again"
            ) from exc
        self._mp = mp
        self.model_name = model_name or Path(model_path).stem
        self._last_ms = -1
        self._found = False  # a body found yet (until then every inference is quieted)

    def update(self, timestamp_ms: float, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Landmarks of the runner in one frame.

        Args:
            timestamp_ms: frame time; must increase from call to call.
            rgb: `(h, w, 3)` uint8 RGB frame.

        Returns:
            `(33, 5)` image landmarks (x_px, y_px, z_px, visibility, presence) and `(33, 3)`
            world landmarks in metres; both all-NaN when nobody is found.
        """
        # MediaPipe wants strictly increasing integer milliseconds.
        t = max(round(timestamp_ms), self._last_ms + 1)
        self._last_ms = t
        image = self._mp.Image(
            image_format=self._mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb)
        )
        # The first inference prints native set-up notices, and the first one that finds a
        # body a projection warning (a clip that starts empty prints it seconds in).
        if not self._found:
            with quiet_native_logs():
                result = self._landmarker.detect_for_video(image, t)
            self._found = bool(result.pose_landmarks)
        else:
            result = self._landmarker.detect_for_video(image, t)
        return _to_arrays(result, width=rgb.shape[1], height=rgb.shape[0])

    def close(self) -> None:
        landmarker, self._landmarker = getattr(self, "_landmarker", None), None
        if landmarker is not None:
            with quiet_native_logs():
                landmarker.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _to_arrays(result: Any, *, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    image = np.full((N_LANDMARKS, len(LANDMARK_COLUMNS)), np.nan, np.float32)
    world = np.full((N_LANDMARKS, 3), np.nan, np.float32)
    if not result.pose_landmarks:
        return image, world
    image[:] = [
        (p.x * width, p.y * height, p.z * width, p.visibility or 0.0, p.presence or 0.0)
        for p in result.pose_landmarks[0]
    ]
    if result.pose_world_landmarks:
        world[:] = [(p.x, p.y, p.z) for p in result.pose_world_landmarks[0]]
    return image, world


def estimate_track(
    frames: Iterable[tuple[float, np.ndarray]],
    estimator: PoseEstimator,
    *,
    resolution_wh: tuple[int, int],
    fps: float,
    expected_frames: int = 0,
    progress: FrameProgress | None = None,
    frame_scale: float = 1.0,
    landmarker_frame: Callable[[float, np.ndarray], np.ndarray] | None = None,
) -> PoseTrack:
    """Run `estimator` over `frames` (time order) and collect a `PoseTrack`.

    `landmarker_frame(t_ms, rgb)`, when given, is the image the landmarker sees instead of
    the frame (the same size; a split clip's redone warm-up blanks all but one runner); the
    camera's motion is always measured on the frame itself.

    Frames with nobody become NaN rows, so the track has one row per frame. When the frames
    were resized by `frame_scale` (huge sources), landmarks are mapped back to pixels of the
    source frame of size `resolution_wh`.
    """
    times: list[float] = []
    image_rows: list[np.ndarray] = []
    world_rows: list[np.ndarray] = []
    scene_rows: list[tuple[float, float, float, float]] = []
    scene = SceneMotion()
    # The camera's motion in frame i is measured while the landmarker works on frame i + 1
    # (one thread, in order, so the values are the same as in line): OpenCV and MediaPipe
    # both release the GIL, and one landmarker keeps less than one core busy.
    in_flight: deque[Future[tuple[float, float, float, float]]] = deque()
    with ThreadPoolExecutor(1, thread_name_prefix="posture-scene") as scene_thread:
        for t_ms, rgb in frames:
            seen = rgb if landmarker_frame is None else landmarker_frame(t_ms, rgb)
            image, world = estimator.update(t_ms, seen)
            times.append(t_ms)
            image_rows.append(image)
            world_rows.append(world)
            in_flight.append(scene_thread.submit(scene.update, rgb, image))
            while len(in_flight) > _SCENE_IN_FLIGHT or (in_flight and in_flight[0].done()):
                scene_rows.append(in_flight.popleft().result())
            if progress is not None:
                progress(len(times), expected_frames)
        scene_rows.extend(f.result() for f in in_flight)
    if not times:
        return PoseTrack.empty(resolution_wh=resolution_wh, fps=fps, model=estimator.model_name)
    landmarks = np.stack(image_rows)
    scene_px = np.asarray(scene_rows, np.float32)
    if frame_scale != 1.0:
        landmarks[..., :3] /= frame_scale
        scene_px[:, :3] /= frame_scale
    return PoseTrack(
        timestamps_ms=np.asarray(times, np.float64),
        landmarks=landmarks,
        world_landmarks_m=np.stack(world_rows),
        resolution_wh=resolution_wh,
        fps=fps,
        model=estimator.model_name,
        scene=scene_px,
    )


def verify_model_bundle(path: Path) -> None:
    """Check MediaPipe can load `path` as a pose landmarker and run it on a blank frame.

    Raises:
        ModelUnavailableError: the bundle does not load or does not run.
    """
    try:
        with PoseEstimator(Path(path), PoseSettings()) as estimator:
            estimator.update(0.0, np.zeros((64, 64, 3), np.uint8))
    except (RuntimeError, ValueError) as exc:
        raise ModelUnavailableError(f"{path}: the pose model does not run ({exc})") from exc
