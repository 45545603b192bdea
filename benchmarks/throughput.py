"""Throughput of `posture check` against a bare MediaPipe loop, as whole processes, in one run.

    python benchmarks/throughput.py CLIP... [--pairs 3] [--cut SRC:START_S:SECONDS ...]
    python benchmarks/throughput.py --startup

What a user waits for is the whole command. Each measurement is a fresh subprocess timed
from start to exit:

- bare: a script that only decodes with OpenCV and calls MediaPipe's PoseLandmarker (VIDEO
  mode, the same `full` model) on every frame;
- analysis: `posture check --no-video --no-html --no-history --quiet` (pose, metrics, rules,
  report JSON, CSV and track);
- full: `posture check --no-history --quiet` (also the annotated video and the HTML report).

Bare and check runs alternate pair by pair (`--pairs`, >= 3), so drift in the load of a shared
machine hits both; the ratio is bare wall time / check wall time per pair, and the medians
are printed with frames/s and CPU seconds (user + system of the child). `--cut` cuts a clip
from real footage with PyAV into a temp folder first (never into the repo).
`--startup` times `posture --help` as a subprocess (median of 7 runs).
"""

from __future__ import annotations

import argparse
import fractions
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BARE = """
import sys, cv2, mediapipe as mp
from mediapipe.tasks.python import vision
from mediapipe.tasks.python.core.base_options import BaseOptions
options = vision.PoseLandmarkerOptions(
    base_options=BaseOptions(model_asset_path=sys.argv[2]),
    running_mode=vision.RunningMode.VIDEO, num_poses=1)
cap = cv2.VideoCapture(sys.argv[1])
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
print(frames)
"""
CHECK = "from posture.cli import main; main()"
MODES = {
    "analysis": ["--no-video", "--no-html"],
    "full": [],
}


def _env() -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def timed(argv: list[str]) -> tuple[float, float, str]:
    """Run `argv`; returns (wall seconds, CPU seconds of the child, its stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # In ROOT: `python -c` searches the working folder first, and another checkout's
    # `posture` there would be timed instead of this one.
    done = subprocess.run(argv, capture_output=True, text=True, env=_env(), cwd=ROOT, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{argv[:4]}... failed ({done.returncode}): {done.stderr[-1500:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def cut_clip(spec: str, folder: Path) -> Path:
    """`SRC:START_S:SECONDS` -> an H.264 clip of those seconds of SRC in `folder` (PyAV)."""
    import av

    src, start_s, seconds = spec.rsplit(":", 2)
    begin, length = float(start_s), float(seconds)
    out = folder / f"{Path(src).stem}_{length:g}s.mp4"
    with av.open(src) as inp, av.open(str(out), "w") as dst:
        stream = inp.streams.video[0]
        fps = round(float(stream.average_rate or 30))
        enc = dst.add_stream("libx264", rate=fps)
        enc.width, enc.height, enc.pix_fmt = stream.width, stream.height, "yuv420p"
        enc.codec_context.time_base = fractions.Fraction(1, 1000)
        enc.options = {"crf": "18", "preset": "veryfast"}
        n = 0
        for frame in inp.decode(stream):
            t = float(frame.time or 0.0)
            if t < begin:
                continue
            if t >= begin + length:
                break
            rgb = frame.to_ndarray(format="rgb24")
            new = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            new.pts, new.time_base, n = round(n * 1000 / fps), fractions.Fraction(1, 1000), n + 1
            dst.mux(enc.encode(new))
        dst.mux(enc.encode())
    return out


def bench_clip(clip: Path, model: Path, pairs: int, modes: list[str], out: Path) -> None:
    bare_runs: list[tuple[float, float]] = []
    frames = 0
    print(f"\n{clip.name}")
    for mode in modes:
        ratios, checks, bares = [], [], []
        for i in range(pairs):
            wall_b, cpu_b, stdout = timed([sys.executable, "-c", BARE, str(clip), str(model)])
            frames = int(stdout.strip().splitlines()[-1])
            argv = [sys.executable, "-c", CHECK, "check", str(clip), "-o", str(out / mode)]
            wall_c, cpu_c, _ = timed([*argv, *MODES[mode], "--no-history", "--quiet"])
            bares.append((wall_b, cpu_b))
            checks.append((wall_c, cpu_c))
            ratios.append(wall_b / wall_c)
            print(f"  {mode} pair {i + 1}: bare {wall_b:5.2f} s  check {wall_c:5.2f} s  "
                  f"ratio {wall_b / wall_c:.2f}", flush=True)  # fmt: skip
        bare_runs += bares
        wb = statistics.median(w for w, _ in bares)
        wc = statistics.median(w for w, _ in checks)
        print(
            f"  {mode:8s} {frames} frames | bare {frames / wb:5.1f} frames/s "
            f"({wb:.2f} s, {statistics.median(c for _, c in bares):.1f} CPU-s) | check "
            f"{frames / wc:5.1f} frames/s ({wc:.2f} s, "
            f"{statistics.median(c for _, c in checks):.1f} CPU-s) | ratio median "
            f"{statistics.median(ratios):.2f} (pairs {min(ratios):.2f}-{max(ratios):.2f})",
            flush=True,
        )


def startup(runs: int = 7) -> None:
    walls = []
    for _ in range(runs):
        wall, _, _ = timed([sys.executable, "-c", CHECK, "--help"])
        walls.append(wall)
    print(f"posture --help: median {statistics.median(walls):.2f} s "
          f"(min {min(walls):.2f}, max {max(walls):.2f}, {runs} runs)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("clips", type=Path, nargs="*")
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--cut", action="append", default=[], help="SRC:START_S:SECONDS")
    parser.add_argument("--modes", default="analysis,full")
    parser.add_argument("--startup", action="store_true", help="time `posture --help` only")
    args = parser.parse_args()
    if args.startup:
        startup()
        return
    sys.path.insert(0, str(ROOT))
    from posture.modelstore import ensure_model
    from posture.settings import Settings

    model = ensure_model(Settings().pose.model_variant)
    with tempfile.TemporaryDirectory(prefix="posture-throughput-") as tmp:
        folder = Path(tmp)
        clips = [*args.clips, *(cut_clip(spec, folder) for spec in args.cut)]
        print(f"model {model.name}; {args.pairs} pairs per mode; load average "
              f"{os.getloadavg()[0]:.1f}")  # fmt: skip
        for clip in clips:
            bench_clip(clip, model, args.pairs, args.modes.split(","), folder / "out")
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
