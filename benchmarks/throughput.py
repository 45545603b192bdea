"""Throughput of `posture check` against a bare MediaPipe loop on the same clip, in one run.

    python benchmarks/throughput.py ../shared/samples/treadmill_side_lab.mp4 [--repeats 2]

The bare loop only decodes (OpenCV) and calls MediaPipe's PoseLandmarker (VIDEO mode, same
model, same thresholds) on every frame. The pipeline run is the full `posture.check`, writing
its outputs to a temp folder. Runs alternate (bare, pipeline, bare, ...) so drift in machine
load hits both; the best of the repeats is compared. Prints frames/s of each and the ratio
pipeline / bare (target >= 0.95).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2

import posture
from posture.modelstore import ensure_model
from posture.settings import Settings


def bare_loop(clip: Path, model_path: Path) -> tuple[int, float]:
    """Decode and run MediaPipe on every frame; returns (frames, seconds)."""
    import mediapipe as mp
    from mediapipe.tasks.python import vision
    from mediapipe.tasks.python.core.base_options import BaseOptions

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_path)),
        running_mode=vision.RunningMode.VIDEO,
        num_poses=1,
    )
    start = time.perf_counter()
    cap = cv2.VideoCapture(str(clip))
    frames = 0
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
            landmarker.detect_for_video(image, int(cap.get(cv2.CAP_PROP_POS_MSEC)) + frames)
            frames += 1
    cap.release()
    return frames, time.perf_counter() - start


def pipeline(clip: Path, settings: Settings) -> tuple[int, float]:
    """The full `posture check` on the clip; returns (frames, seconds)."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        report = posture.check(clip, settings, out_dir=out)
        return int(report.input["frame_count"]), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clip", type=Path)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    settings = Settings()
    model_path = ensure_model(settings.pose.model_variant)
    bare_fps: list[float] = []
    pipe_fps: list[float] = []
    for _ in range(args.repeats):
        n, s = bare_loop(args.clip, model_path)
        bare_fps.append(n / s)
        n, s = pipeline(args.clip, settings)
        pipe_fps.append(n / s)
    best_bare, best_pipe = max(bare_fps), max(pipe_fps)
    print(f"clip: {args.clip} ({n} frames), model: {model_path.name}, repeats: {args.repeats}")
    print(f"bare MediaPipe loop : {best_bare:6.1f} frames/s  (runs: {_fmt(bare_fps)})")
    print(f"posture check       : {best_pipe:6.1f} frames/s  (runs: {_fmt(pipe_fps)})")
    print(f"ratio pipeline/bare : {best_pipe / best_bare:.3f}  (target >= 0.95)")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
