"""Window mode under a virtual X server (Debian's `xvfb`, plus `xdotool` and `xwd`): the window
opens, shows the overlay, takes keys (s snapshot, q quit) and the session is saved."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from posture.overlay.style import STATE_COLORS
from tests.media import write_clip

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("Xvfb", "xdotool", "xwd")
pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason="window test needs Xvfb, xdotool and xwd (apt-get install xvfb xdotool x11-apps)",
)
LAUNCH = "from posture.cli import app, main\nfrom posture.cli.live import live\n" + (
    "if 'live' not in [c.name or c.callback.__name__ for c in app.registered_commands]:\n"
    "    app.command()(live)\nmain()\n"
)


@pytest.fixture
def display() -> Iterator[str]:
    """A private Xvfb display."""
    for number in range(140, 160):
        if not Path(f"/tmp/.X11-unix/X{number}").exists():
            break
    name = f":{number}"
    server = subprocess.Popen(
        ["Xvfb", name, "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                break
            time.sleep(0.1)
        yield name
    finally:
        server.terminate()
        server.wait(timeout=5)


def read_xwd(path: Path) -> np.ndarray:
    """`(h, w, 3)` RGB of a 24/32-bit TrueColor XWD dump (what `xwd` writes on Xvfb)."""
    data = path.read_bytes()
    header = struct.unpack(">25I", data[:100])
    header_size, width, height = header[0], header[4], header[5]
    byte_order, bits_per_pixel, bytes_per_line, ncolors = (
        header[7],
        header[11],
        header[12],
        header[19],
    )
    assert bits_per_pixel == 32, f"expected 32 bits per pixel, got {bits_per_pixel}"
    start = header_size + 12 * ncolors
    rows = np.frombuffer(data[start : start + height * bytes_per_line], np.uint8)
    px = rows.reshape(height, bytes_per_line)[:, : width * 4].reshape(height, width, 4)
    return px[..., [2, 1, 0]] if byte_order == 0 else px[..., [1, 2, 3]]


def _window_id(env: dict[str, str], proc: subprocess.Popen[bytes], errors: Path) -> str:
    for _ in range(150):
        found = subprocess.run(
            ["xdotool", "search", "--name", "^posture live$"],
            env=env,
            capture_output=True,
            text=True,
        ).stdout.split()
        if found:
            return found[0]
        assert proc.poll() is None, errors.read_text()[-2000:]
        time.sleep(0.2)
    raise AssertionError("the live window never appeared")


def _has_color(rgb: np.ndarray, color: tuple[int, int, int], min_px: int = 200) -> bool:
    close = (
        np.abs(rgb.astype(int) - np.array(color)).max(axis=-1) <= 30
    )  # the panels are blended (alpha 0.85-0.9) over the image
    return int(close.sum()) >= min_px


def _long_clip(tmp_path: Path) -> Path:
    """forward_lean_side.mp4 three times over (15 s), so the keys arrive long before its end."""
    with av.open(str(ROOT / "samples" / "forward_lean_side.mp4")) as inp:
        frames = [f.to_ndarray(format="rgb24") for f in inp.decode(video=0)]
    return write_clip(tmp_path / "forward_lean_side.mp4", frames * 3, fps=30.0)


def banner_rows(rgb: np.ndarray) -> int:
    """Rows of the cue banner: rows mostly (60 %) of the warn or fail colour."""
    rows = 0
    for level in ("warn", "fail"):
        close = np.abs(rgb.astype(int) - np.array(STATE_COLORS[level])).max(axis=-1) <= 40
        rows = max(rows, int((close.mean(axis=1) >= 0.6).sum()))
    return rows


def _screenshot_with_overlay(env: dict[str, str], window: str, path: Path) -> np.ndarray:
    """Grab the window until the HUD and a cue banner are both on it (up to ~15 s).

    Without a window manager, Qt now and then never paints a window that was resized while
    it was being mapped (every grab black for as long as one waits, seen in about one run of
    five): if the window is still black after 3 s it is unmapped and mapped again, the
    expose a window manager would send."""
    hud = banner = False
    for attempt in range(30):
        subprocess.run(["xwd", "-id", window, "-out", str(path)], env=env, check=True)
        screen = read_xwd(path)
        top = screen[: screen.shape[0] // 3]  # the panel sits in a corner, top or bottom
        hud = any(_has_color(top, c) or _has_color(screen[-top.shape[0] :], c)
                  for c in STATE_COLORS.values())  # fmt: skip
        banner = banner_rows(screen) > 0
        if hud and banner:
            return screen
        if attempt == 6 and screen.max() == 0:
            for action in ("windowunmap", "windowmap"):
                subprocess.run(["xdotool", action, "--sync", window], env=env, check=True)
        time.sleep(0.5)
    raise AssertionError(f"HUD on screen: {hud}, cue banner on screen: {banner}")


def _wait_for(pattern: str, folder: Path, timeout_s: float = 10.0) -> Path:
    for _ in range(int(timeout_s / 0.1)):
        found = sorted(folder.glob(pattern))
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no {pattern} in {folder}")


def _key(env: dict[str, str], window: str, key: str) -> None:
    subprocess.run(["xdotool", "windowfocus", "--sync", window, "key", key], env=env, check=True)


@pytest.mark.model
def test_window_shows_overlay_and_takes_keys(
    tmp_path: Path, display: str, model_path: Path
) -> None:
    env = {**os.environ, "DISPLAY": display}
    clip, out = _long_clip(tmp_path), tmp_path / "out"
    cmd = [sys.executable, "-c", LAUNCH, "live", "--camera", str(clip), "--out", str(out)]
    # Output to files, not pipes nobody reads until the end (a full pipe would stall it).
    log, errlog = (tmp_path / "stdout.txt").open("wb"), (tmp_path / "stderr.txt").open("wb")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=errlog)
    try:
        window = _window_id(env, proc, tmp_path / "stderr.txt")
        screen = _screenshot_with_overlay(env, window, tmp_path / "screen.xwd")
        _key(env, window, "s")
        snapshot = _wait_for("forward_lean_side-live-*-snapshot-000.png", out)
        _key(env, window, "q")
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
        errlog.close()
    assert proc.returncode == 0, (tmp_path / "stderr.txt").read_text()[-2000:]
    # 90 % of the 1024x768 screen, no toolbar
    assert screen.shape[:2] == (round(0.9 * 768), round(0.9 * 1024))
    # the cue in letters readable from a treadmill: its band >= 10 % of the window height
    assert banner_rows(screen) >= 0.1 * screen.shape[0]
    assert snapshot.stat().st_size > 10_000
    (report,) = out.glob("forward_lean_side-live-*.report.json")
    live = json.loads(report.read_text())["live"]
    assert live["end"]["reason"] == "quit"
    # The window draws on its own thread and reports what it drew, and when.
    assert 0 < live["frames_shown"] <= live["frames_processed"]
    assert live["latency_ms"]["capture_to_shown_p95"] > 0


def test_one_process_opens_one_window_after_another(display: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Windows drawn on the window thread can follow each other in one process (Qt ties its
    windows to one thread: a second window made on a new thread never opened)."""
    from posture.live.display import LiveView
    from posture.live.feedback import LiveFeedback
    from posture.live.window import BackgroundWindow, WindowDisplay
    from posture.rules import load_rules
    from posture.settings import Settings

    monkeypatch.setenv("DISPLAY", display)
    settings = Settings()
    feedback = LiveFeedback(settings, load_rules(settings.analysis.rules_path))
    fb = feedback.update(0.0, np.full((33, 5), np.nan), np.full((33, 3), np.nan))
    view = LiveView(np.zeros((240, 320, 3), np.uint8), np.full((33, 5), np.nan), fb,
                    np.zeros(0), captured_s=time.perf_counter())  # fmt: skip
    for _ in range(2):
        window = BackgroundWindow(lambda: WindowDisplay(size_wh=(400, 300)))
        window.show(view)
        deadline = time.monotonic() + 10.0
        while window.frames_shown == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        window.close()
        assert window.frames_shown == 1 and len(window.shown_ms) == 1
