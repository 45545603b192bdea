"""`posture batch` throughput: workers 1 vs 2, and the batch vs `posture check` clip by clip.

    python benchmarks/batch.py [--clips 8] [--seconds 3] [--source ../shared/samples/...]

Cuts `--clips` clips of `--seconds` each from the treadmill footage into a temp folder, then
times, each as a fresh subprocess with a cold start:

- `posture batch --workers 1` and `--workers 2` (`--no-resume`, a new output folder each);
- the same clips one after another, one `posture check` process per clip.

CPU seconds (user + system, all processes of the run) show the work done whatever the
machine's load; other processes on the machine skew the wall times, so the load average
is printed before and after.
Peak memory is each process's high-water RSS (`VmHWM` in /proc, sampled every 50 ms while it
runs; Linux only): the driver and every batch worker separately.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.media import write_clip  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "samples" / "treadmill_side_lab.mp4"
CLI = (
    "from posture.cli import app, main\n"
    "from posture.cli.batch import batch\n"
    "if not any(c.callback is batch for c in app.registered_commands):\n"
    "    app.command()(batch)\n"
    "main()\n"
)
_SAMPLE_S = 0.05


@dataclass
class Run:
    """One timed command: wall time and peak RSS (MB) per process of its tree."""

    label: str
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_mb: dict[int, float] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)


def cut_clips(source: Path, folder: Path, n: int, seconds: float) -> list[Path]:
    """`n` clips of `seconds` from evenly spaced points of `source`."""
    folder.mkdir(parents=True, exist_ok=True)
    cap = cv2.VideoCapture(str(source))
    fps = cap.get(cv2.CAP_PROP_FPS)
    total_s = cap.get(cv2.CAP_PROP_FRAME_COUNT) / fps
    clips = []
    for i in range(n):
        cap.set(cv2.CAP_PROP_POS_MSEC, 1000.0 * i * (total_s - seconds) / max(n, 1))
        frames = []
        while len(frames) < round(seconds * fps):
            ok, bgr = cap.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        clips.append(write_clip(folder / f"clip{i}.mp4", frames, fps=fps))
    cap.release()
    return clips


def _children_cpu_s() -> float:
    """CPU seconds of every finished descendant (workers are reaped by the driver)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _peak_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def timed(label: str, argv: list[str], run: Run | None = None) -> Run:
    """Run `argv` to the end, sampling the peak RSS of it and its descendants."""
    run = run or Run(label)
    start = time.perf_counter()
    cpu_before = _children_cpu_s()
    # In ROOT: `python -c` searches the working folder first (another checkout's `posture`).
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    run.roles.setdefault(proc.pid, "driver")
    while proc.poll() is None:
        tree = [proc.pid]
        for pid in tree:
            tree.extend(_children(pid))
        for pid in tree:
            peak = _peak_mb(pid)
            if peak is not None:
                run.peak_mb[pid] = max(peak, run.peak_mb.get(pid, 0.0))
                run.roles.setdefault(pid, _role(pid, proc.pid))
        time.sleep(_SAMPLE_S)
    run.wall_s += time.perf_counter() - start
    run.cpu_s += _children_cpu_s() - cpu_before
    if proc.returncode != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"{label}: exit {proc.returncode}\n{err}")
    return run


def _role(pid: int, driver: int) -> str:
    """`worker` for a batch worker; `other` for anything else (including short-lived forks
    of a worker, which carry its command line until they exec)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return "other"
    return "worker" if b"posture.workers" in argv and ppid == driver else "other"


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def peaks(run: Run, role: str) -> list[float]:
    return [mb for pid, mb in run.peak_mb.items() if run.roles.get(pid) == role]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args()
    if not args.source.is_file():
        raise SystemExit(f"{args.source}: footage not found (pass --source)")
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        clips = cut_clips(args.source, folder / "clips", args.clips, args.seconds)
        frames = sum(int(cv2.VideoCapture(str(c)).get(cv2.CAP_PROP_FRAME_COUNT)) for c in clips)
        py = [sys.executable, "-c", CLI]
        runs = []
        for workers in (1, 2):
            out = folder / f"out{workers}"
            argv = [
                *py,
                "batch",
                str(folder / "clips"),
                "--out",
                str(out),
                "--quiet",
                "--no-resume",
                "--workers",
                str(workers),
            ]
            runs.append(timed(f"batch --workers {workers}", argv))
        sequential = Run("posture check x clips")
        for clip in clips:
            argv = [*py, "check", str(clip), "--out", str(folder / "check"), "--quiet"]
            timed(sequential.label, argv, sequential)
        runs.append(sequential)
    report(runs, len(clips), frames, args.seconds)
    print(f"load average after: {load_average()} (other work on the machine skews the times)")


def report(runs: list[Run], n_clips: int, frames: int, seconds: float) -> None:
    print(f"{n_clips} clips x {seconds:g} s ({frames} frames), {os.cpu_count()} cores")
    print(f"{'run':<24}{'wall s':>8}{'cpu s':>8}{'clips/s':>9}{'frames/s':>10}  peak RSS MB")
    for run in runs:
        workers = peaks(run, "worker")
        driver = peaks(run, "driver")
        rss = f"driver {max(driver):.0f}" if driver else ""
        if workers and run.label.startswith("batch"):
            rss += f", workers {', '.join(f'{mb:.0f}' for mb in sorted(workers))}"
        print(
            f"{run.label:<24}{run.wall_s:>8.1f}{run.cpu_s:>8.1f}{n_clips / run.wall_s:>9.2f}"
            f"{frames / run.wall_s:>10.1f}  {rss}"
        )
    one, two, seq = runs
    print(f"speed-up workers 2 vs 1:            {one.wall_s / two.wall_s:.2f}x")
    print(f"speed-up batch (1 worker) vs check: {seq.wall_s / one.wall_s:.2f}x")
    print(f"speed-up batch (2 workers) vs check: {seq.wall_s / two.wall_s:.2f}x")


if __name__ == "__main__":
    main()
