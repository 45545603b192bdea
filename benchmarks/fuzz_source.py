"""Bounded-time fuzzer of the frame source (`posture.source.probe` + `open_video` iteration).

    python benchmarks/fuzz_source.py [--seconds 120] [--seed 0] [--keep DIR] [--only I]

Seeds: 64x48, 10-frame clips made with PyAV (H.264 MP4 and MKV, MPEG-4 AVI). Mutant `i` comes
from `random.Random(f"{seed}:{i}")`: 1-3 of byte flips, truncation, chunk duplication/deletion,
box size overwrites (MP4/RIFF/EBML) and splices of two seeds. Mutants run in `python -c`
children, 20 per child with a timeout; a crashed or hung child's unfinished mutants are re-run
one per child. Acceptable: frames (increasing timestamps, one shape matching the probe) or
`BadInputError`. Prints mutants tried, outcomes by kind and each finding with its recipe
(`--seed S --only I` reproduces it); finding inputs are saved to `--keep`.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from itertools import count
from pathlib import Path

import av
import numpy as np

CHILD = """
import json, sys, math
from posture.errors import BadInputError
from posture.source import open_video
for path in sys.argv[1:]:
    print(json.dumps({"start": path}), flush=True)
    kind, detail, n = "ok", "", 0
    try:
        src = open_video(path)
        want = (round(src.info.height * src.info.analysis_scale),
                round(src.info.width * src.info.analysis_scale), 3)
        last = -math.inf
        for t_ms, rgb in src:
            if not (math.isfinite(t_ms) and t_ms > last):
                kind, detail = "bad_timestamps", f"frame {n}: {t_ms} after {last}"
            elif rgb.shape != want:
                kind, detail = "bad_shape", f"frame {n}: {rgb.shape}, probe said {want}"
            last, n = t_ms, n + 1
            if kind != "ok" or n >= 50:
                break
        if kind == "ok" and n == 0:
            kind, detail = "no_frames", "probe decoded a frame, iteration yielded none"
    except BadInputError:
        kind = "bad_input"
    except Exception as exc:
        kind, detail = "exception", f"{type(exc).__name__}: {exc}"
    print(json.dumps({"path": path, "kind": kind, "detail": detail, "frames": n}), flush=True)
"""
ACCEPTABLE = {"ok", "bad_input"}
BATCH = 20
_MP4 = ("moov", "mdat", "trak", "mvhd", "tkhd", "mdia", "stbl", "stsz", "stco", "avcC")
MP4_TAGS = [t.encode() for t in _MP4]
RIFF_TAGS = [b"RIFF", b"LIST", b"movi", b"idx1", b"strh", b"strf"]
EBML_IDS = [b"\x18\x53\x80\x67", b"\x1f\x43\xb6\x75", b"\x16\x54\xae\x6b", b"\xa3"]
EXTS = ("mp4", "mkv", "avi")  # mutants keep their first seed's extension, as a user's file would
SIZES = [0, 1, 7, 8, 0x7FFFFFFF, 0xFFFFFFFF, 0x80000000, 16, 255]


def make_seeds(folder: Path) -> list[bytes]:
    """Valid 64x48, 10-frame clips: H.264 MP4, H.264 MKV, MPEG-4 AVI."""
    seeds = []
    for ext, codec in zip(EXTS, ("libx264", "libx264", "mpeg4"), strict=True):
        path = folder / f"seed.{ext}"
        with av.open(str(path), "w") as out:
            stream = out.add_stream(codec, rate=10)
            stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
            for i in range(10):  # a moving edge, so frames differ
                rgb = np.zeros((48, 64, 3), np.uint8)
                rgb[:, (i * 5) % 64 :] = 200
                out.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")))
            out.mux(stream.encode(None))
        seeds.append(path.read_bytes())
    return seeds


def mutate(rng: random.Random, seeds: list[bytes]) -> tuple[bytes, list[str]]:
    """One mutant and its recipe (the mutations applied, in order)."""
    k = rng.randrange(len(seeds))
    data, recipe = bytearray(seeds[k]), [f"seed{k}"]
    for _ in range(rng.randint(1, 3)):
        op, n = rng.choice(["flip", "truncate", "dup", "delete", "size", "splice"]), len(data)
        if n < 16:
            break
        a = rng.randrange(n)
        if op == "flip":
            for pos in rng.sample(range(n), rng.randint(1, 16)):
                data[pos] ^= 1 << rng.randrange(8)
        elif op == "truncate":
            del data[a:]
        elif op in {"dup", "delete"}:
            chunk = slice(a, a + rng.randint(1, 4096))
            data[chunk] = data[chunk] * 2 if op == "dup" else b""
        elif op == "size":
            tag = rng.choice([*MP4_TAGS, *RIFF_TAGS, *EBML_IDS])
            at = data.find(tag)
            if at < 4:
                continue
            value = rng.choice([*SIZES, rng.getrandbits(32), n - at + rng.randint(-8, 8)])
            big = tag in MP4_TAGS
            where = at - 4 if big else at + len(tag)
            data[where : where + 4] = (value % 2**32).to_bytes(4, "big" if big else "little")
            op = f"size({tag!r}={value})"
        elif op == "splice":
            j = rng.randrange(len(seeds))
            data = data[:a] + seeds[j][rng.randrange(len(seeds[j])) :]
            op = f"splice(seed{j})"
        recipe.append(op if op not in {"truncate", "dup", "delete"} else f"{op}@{a}")
    return bytes(data), recipe


def run_child(paths: list[Path], timeout_s: float) -> tuple[dict[str, dict[str, str]], str]:
    """Results by path, and how the child ended ("" when it exited normally)."""
    cmd = [sys.executable, "-c", CHILD, *map(str, paths)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
        stdout, ended = done.stdout, ""
        if done.returncode < 0:
            ended = f"crash ({signal.Signals(-done.returncode).name})"
        elif done.returncode:
            ended = f"exit {done.returncode}: {done.stderr.strip()[-300:]}"
    except subprocess.TimeoutExpired as exc:
        stdout, ended = (exc.stdout or b"").decode(), f"hang (> {timeout_s:g} s)"
    results = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return {r["path"]: r for r in results if "kind" in r}, ended


def check(paths: list[Path]) -> dict[str, dict[str, str]]:
    results, ended = run_child(paths, timeout_s=60.0)
    for path in (p for p in paths if str(p) not in results) if ended else ():
        single, how = run_child([path], timeout_s=20.0)
        results[str(path)] = single.get(str(path)) or {"kind": how.split()[0], "detail": how}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, default=None, help="Folder for finding inputs.")
    parser.add_argument("--only", type=int, default=None, help="Re-run one mutant index.")
    args = parser.parse_args()
    keep = args.keep or Path(tempfile.mkdtemp(prefix="posture-fuzz-"))
    keep.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="posture-fuzz-work-"))
    seeds = make_seeds(work)
    print(f"seeds: {[len(s) for s in seeds]} bytes; findings saved to {keep}")
    base = check([work / f"seed.{ext}" for ext in EXTS])
    print("seed outcomes:", {Path(p).name: r["kind"] for p, r in base.items()})
    counts: Counter[str] = Counter()
    findings: list[str] = []
    deadline = time.monotonic() + args.seconds
    batches = (
        [[args.only]] if args.only is not None else (range(i, i + BATCH) for i in count(0, BATCH))
    )
    for batch in batches:
        if args.only is None and time.monotonic() > deadline:
            break
        recipes = {}
        for i in batch:
            data, recipe = mutate(random.Random(f"{args.seed}:{i}"), seeds)
            path = work / f"mutant-{args.seed}-{i}.{EXTS[int(recipe[0][4:])]}"
            path.write_bytes(data)
            recipes[str(path)] = (i, recipe)
        for path, result in check([Path(p) for p in recipes]).items():
            counts[result["kind"]] += 1
            i, recipe = recipes[path]
            if result["kind"] not in ACCEPTABLE:
                (keep / Path(path).name).write_bytes(Path(path).read_bytes())
                findings.append(
                    f"--seed {args.seed} --only {i} {'+'.join(recipe)}: "
                    f"{result['kind']}: {result['detail']}"
                )
            Path(path).unlink()
    shutil.rmtree(work)
    print(f"mutants tried: {sum(counts.values())}\noutcomes: {dict(counts.most_common())}")
    print(f"findings: {len(findings)}", *findings, sep="\n  ")


if __name__ == "__main__":
    main()
