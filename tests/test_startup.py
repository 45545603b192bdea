"""Start-up: the light commands never load the heavy libraries (scipy, MediaPipe, OpenCV,
PyAV, Ray). A correctness test on `sys.modules`, not a timed one: the start-up time itself is
measured in `benchmarks/throughput.py --startup`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("scipy", "mediapipe", "cv2", "av", "ray")

_PROBE = """
import contextlib, io, json, sys
import click
from typer.main import get_command
import posture.cli

cmd = get_command(posture.cli.app)
root = click.Context(cmd, info_name="posture")
with contextlib.redirect_stdout(io.StringIO()):
    cmd.get_help(root)
    for name in ("check", "batch", "live", "history", "compare", "models", "synth", "validate"):
        sub = cmd.get_command(root, name)
        sub.get_help(click.Context(sub, info_name=name, parent=root))
    for argv in (["models", "list"], ["history", "--db", sys.argv[1]]):
        try:
            posture.cli.app(argv, prog_name="posture")
        except SystemExit as exc:
            assert exc.code == 0, (argv, exc.code)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[2:])))
"""


def test_help_and_light_commands_import_no_heavy_library(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path / "history.db"), *HEAVY],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == [], f"heavy modules loaded at start-up: {loaded}"


def test_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    """The probe can fail: importing the pipeline does load OpenCV."""
    probe = "import sys, posture.pipeline; print('cv2' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == "True"
