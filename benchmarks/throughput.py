"""Throughput of `posture check` against a bare MediaPipe loop on the same clip, in one run.

    python benchmarks/throughput.py ../shared/samples/treadmill_side_lab.mp4 [--repeats 2]

The bare loop only decodes (OpenCV) and calls MediaPipe's PoseLandmarker (VIDEO mode, same
model, same thresholds) on every frame. The pipeline runs are the full `posture.check`,
writing its outputs to a temp folder: once with one process (`--jobs 1`, decoding overlapped
with inference in a thread) and once as `posture check` chooses by default (`--jobs 0`: the
clip split into time chunks over the cores when it is long enough). Runs alternate so drift
in machine load hits all; the best of the repeats is compared. Prints frames/s of each and
the ratios pipeline / bare (target >= 0.95).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2

import posture
from posture.modelstore import ensure_model
from posture.pose.parallel import auto_jobs
from posture.settings import Settings
from posture.source import probe


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
    one_process = Settings().with_pose(jobs=1)
    default = Settings()
    model_path = ensure_model(default.pose.model_variant)
    fps: dict[str, list[float]] = {"bare": [], "jobs1": [], "default": []}
    for _ in range(args.repeats):
        n, s = bare_loop(args.clip, model_path)
        fps["bare"].append(n / s)
        n, s = pipeline(args.clip, one_process)
        fps["jobs1"].append(n / s)
        n, s = pipeline(args.clip, default)
        fps["default"].append(n / s)
    best = {k: max(v) for k, v in fps.items()}
    jobs = auto_jobs(probe(args.clip))
    print(f"clip: {args.clip} ({n} frames), model: {model_path.name}, repeats: {args.repeats}")
    print(f"bare MediaPipe loop           : {best['bare']:6.1f} frames/s  ({_fmt(fps['bare'])})")
    print(f"posture check --jobs 1        : {best['jobs1']:6.1f} frames/s  ({_fmt(fps['jobs1'])})")
    print(
        f"posture check (default, {jobs} job{'s' if jobs > 1 else ''}): "
        f"{best['default']:6.1f} frames/s  ({_fmt(fps['default'])})"
    )
    print(f"ratio --jobs 1 / bare         : {best['jobs1'] / best['bare']:.3f}  (target >= 0.95)")
    print(f"ratio default / bare          : {best['default'] / best['bare']:.3f}")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
