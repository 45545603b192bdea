"""Memory of `posture check` on a very long clip: resident memory should stay flat.

    python benchmarks/long_clip_memory.py [--minutes 10] [--size 1920x1080] [--jobs 0]
                                          [--source CLIP] [--keep-clip DIR]

Builds a clip (`--size`, default 320x240, @ 30 frames/s, `--minutes` long, 18000 frames for 10
minutes) by cycling the frames of ../shared/samples/treadmill_side_lab.mp4 (or the repo's
samples/good_form_side.mp4 when that is absent): one pass of the source is encoded, then its
packets are repeated with shifted timestamps. Then runs
`posture check CLIP --out DIR --no-video --no-history -q --jobs J` as a subprocess for J = 1
and J = 0 (the default: the clip is split over the cores; `--jobs` picks one) while sampling
the VmRSS of the process and of all its descendants from /proc every 0.25 s.

Prints, per run: peak RSS (process tree), RSS at 10 %, 50 % and 90 % of the wall time, the
slope of RSS over the middle 80 % of the run in MB per minute of video, wall time and
frames/s; and how much growth the pose track itself (kept for the whole clip) explains.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from itertools import cycle, islice
from pathlib import Path

import av
import cv2
import numpy as np

from posture.io import write_mp4

REPO = Path(__file__).resolve().parent.parent
FPS = 30.0
# One frame of the kept pose track: timestamp (float64), landmarks (33, 5) and world
# landmarks (33, 3) float32 (see posture.pose.track.PoseTrack).
TRACK_BYTES_PER_FRAME = 8 + 33 * 5 * 4 + 33 * 3 * 4
MB = 1024.0 * 1024.0


def default_source() -> Path:
    shared = REPO.parent / "shared" / "samples" / "treadmill_side_lab.mp4"
    return shared if shared.exists() else REPO / "samples" / "good_form_side.mp4"


def make_clip(source: Path, out_path: Path, n_frames: int, size_wh: tuple[int, int]) -> int:
    """Write `n_frames` RGB frames of `source`, resized to `size_wh` and cycled, as H.264:
    one pass of the source is encoded, then its packets are repeated, shifted in time."""
    with av.open(str(source)) as container:
        base = [
            cv2.resize(f.to_ndarray(format="rgb24"), size_wh, interpolation=cv2.INTER_AREA)
            for f in container.decode(video=0)
        ]
    one_pass = out_path.with_name(f"{out_path.stem}.pass.mp4")
    frames: Iterator[np.ndarray] = islice(cycle(base), min(n_frames, len(base)))
    per_pass = write_mp4(frames, one_pass, FPS)
    written = 0
    with av.open(str(one_pass)) as inp, av.open(str(out_path), "w") as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        packets = [p for p in inp.demux(inp.streams.video[0]) if p.dts is not None]
        span = round(per_pass / FPS / float(inp.streams.video[0].time_base))
        for k in range(-(-n_frames // per_pass)):
            for packet in packets[: n_frames - written]:
                shifted = av.Packet(bytes(packet))
                shifted.pts, shifted.dts = packet.pts + k * span, packet.dts + k * span
                shifted.is_keyframe, shifted.time_base = packet.is_keyframe, packet.time_base
                shifted.stream = stream
                out.mux(shifted)
                written += 1
    one_pass.unlink()
    return written


def tree_rss_kb(root: int) -> int:
    """VmRSS summed over `root` and every descendant process (kB); 0 once all have exited."""
    parent_of: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent_of[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    members = {root}
    grew = True
    while grew:
        new = {pid for pid, ppid in parent_of.items() if ppid in members} - members
        members |= new
        grew = bool(new)
    total = 0
    for pid in members:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def run_check(clip: Path, out_dir: Path, jobs: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Run `posture check`; returns sample times (s), tree RSS (MB) and wall time (s)."""
    cmd = ["posture", "check", str(clip), "--out", str(out_dir), "--no-video", "--no-history"]
    cmd += ["-q", "--jobs", str(jobs)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd)
    times, rss = [], []
    while proc.poll() is None:
        times.append(time.perf_counter() - start)
        rss.append(tree_rss_kb(proc.pid) / 1024.0)
        time.sleep(0.25)
    wall_s = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"posture check --jobs {jobs} failed with exit code {proc.returncode}")
    return np.array(times), np.array(rss), wall_s


def report(jobs: int, t_s: np.ndarray, rss_mb: np.ndarray, wall_s: float, n: int) -> None:
    video_min = n / FPS / 60.0

    def at(frac: float) -> float:
        return float(np.interp(frac * wall_s, t_s, rss_mb))

    mid = (t_s >= 0.1 * wall_s) & (t_s <= 0.9 * wall_s)
    slope_mb_per_s = float(np.polyfit(t_s[mid], rss_mb[mid], 1)[0]) if mid.sum() > 2 else np.nan
    # The run goes through the video at a steady rate, so wall time maps linearly to video time.
    slope_mb_per_video_min = slope_mb_per_s * wall_s / video_min
    track_mb_per_min = TRACK_BYTES_PER_FRAME * FPS * 60 / MB
    print(f"--jobs {jobs}: {len(t_s)} samples")
    print(f"  peak RSS          {rss_mb.max():8.1f} MB (process tree)")
    print(f"  RSS at 10/50/90 % {at(0.1):8.1f} / {at(0.5):.1f} / {at(0.9):.1f} MB")
    print(f"  slope, middle 80% {slope_mb_per_video_min:8.2f} MB per minute of video")
    print(f"  pose track alone  {track_mb_per_min:8.2f} MB per minute of video (expected)")
    print(f"  wall time         {wall_s:8.1f} s, {n / wall_s:.1f} frames/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--source", type=Path, default=default_source())
    parser.add_argument("--keep-clip", type=Path, default=None, help="Folder for the clip.")
    parser.add_argument("--size", default="320x240", help="clip size WxH (default 320x240)")
    parser.add_argument("--jobs", type=int, choices=(0, 1), help="only this --jobs (0: split)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="posture-longclip-") as tmp:
        folder = args.keep_clip or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        clip = folder / "long_clip.mp4"
        t0 = time.perf_counter()
        size_wh = tuple(int(v) for v in args.size.lower().split("x"))
        assert len(size_wh) == 2, f"--size must be WxH, got {args.size}"
        n = make_clip(args.source, clip, round(args.minutes * 60 * FPS), (size_wh[0], size_wh[1]))
        print(f"clip: {n} frames {size_wh[0]}x{size_wh[1]} @ {FPS:g} fps from {args.source.name}")
        print(f"      {clip.stat().st_size / MB:.1f} MB, made in {time.perf_counter() - t0:.1f} s")
        track_mb = n * TRACK_BYTES_PER_FRAME / MB
        print(f"pose track for the whole clip: {track_mb:.1f} MB (landmarks + world + times)")
        for jobs in (1, 0) if args.jobs is None else (args.jobs,):
            t_s, rss_mb, wall_s = run_check(clip, Path(tmp) / f"out-jobs{jobs}", jobs)
            report(jobs, t_s, rss_mb, wall_s, n)


if __name__ == "__main__":
    main()
