"""The window front end (OpenCV highgui): camera image, skeleton, values, the one cue.

Keys: q quit, p pause, s snapshot, c calibrate. Needs a display (X11/Wayland); the CLI
suggests `--no-window` when there is none.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from posture.errors import UsageError
from posture.live.display import LiveView, frame_overlay
from posture.overlay import draw_overlay
from posture.overlay.style import (
    SHOWN_STATE_COLORS,
    STATE_COLORS,
    WHITE,
    TextStyle,
    put_text,
    wrap_text,
)
from posture.pose.estimator import quiet_native_logs

WINDOW_TITLE = "posture live"
#: The window's share of the screen when no size is chosen (the rest: the desktop's bars).
DEFAULT_SCREEN_SHARE = 0.9
#: The cue strip below the frame: this share of the window height, letters half as tall
#: (~8 % of the window: ~2.5 cm on a 30 cm tall screen, read from a treadmill 2-3 m away).
CUE_STRIP_SHARE = 0.16
_FALLBACK_SCREEN_WH = (1280, 720)
_KEYS = {ord(k): k for k in "qpsc"} | {ord(k.upper()): k for k in "qpsc"} | {27: "q"}
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype", "/usr/share/fonts")


def fit_size(frame_wh: tuple[int, int], box_wh: tuple[int, int]) -> tuple[int, int]:
    """The largest size of `frame_wh`'s shape inside `box_wh` (pixels, both even)."""
    k = min(box_wh[0] / frame_wh[0], box_wh[1] / frame_wh[1])
    return max(2, round(frame_wh[0] * k / 2) * 2), max(2, round(frame_wh[1] * k / 2) * 2)


def compose(view: LiveView, size_wh: tuple[int, int] | None = None) -> np.ndarray:
    """The window's image: `(h, w, 3)` RGB of `size_wh` (None: the frame's own size plus the
    cue strip). The frame, scaled to fit with the overlay drawn at that size (its text
    scales with the window), sits above a full-width strip that holds the cue in large
    letters on its level's colour, so the cue never hides the runner."""
    rgb, landmarks = view.rgb, view.landmarks
    h, w = rgb.shape[:2]
    if size_wh is None:
        size_wh = (w, round(h / (1.0 - CUE_STRIP_SHARE)))
    strip_h = round(size_wh[1] * CUE_STRIP_SHARE)
    fit_wh = fit_size((w, h), (size_wh[0], size_wh[1] - strip_h))
    if fit_wh != (w, h):
        rgb = cv2.resize(rgb, fit_wh, interpolation=cv2.INTER_LINEAR)
        landmarks = landmarks.copy()
        landmarks[:, :3] *= fit_wh[0] / w
    else:
        rgb = rgb.copy()
    overlay = frame_overlay(replace(view, landmarks=landmarks))
    draw_overlay(rgb, replace(overlay, banner=None))
    canvas = np.zeros((size_wh[1], size_wh[0], 3), np.uint8)
    x0, y0 = (size_wh[0] - fit_wh[0]) // 2, (size_wh[1] - strip_h - fit_wh[1]) // 2
    canvas[y0 : y0 + fit_wh[1], x0 : x0 + fit_wh[0]] = rgb
    line = view.feedback.headline
    text = overlay.banner or line.text
    detail = "" if view.status else line.detail
    strip = cue_strip(text, overlay.state, size_wh[0], strip_h, detail)
    canvas[size_wh[1] - strip_h :] = strip
    return canvas


@lru_cache(maxsize=8)
def cue_strip(text: str, state: str, width: int, height: int, detail: str = "") -> np.ndarray:
    """The cue strip `(height, width, 3)` (`draw_cue_strip`), drawn once per cue: the cue
    stays for seconds and its letters cost ~2 ms a frame to draw."""
    strip = np.zeros((height, width, 3), np.uint8)
    draw_cue_strip(strip, text, state, detail)
    strip.flags.writeable = False
    return strip


#: The detail line's letters, as a share of the strip's height (the cue's are up to half).
DETAIL_CAP_SHARE = 0.14


def draw_cue_strip(strip: np.ndarray, text: str, state: str, detail: str = "") -> None:
    """Fill `strip` `(h, w, 3)` with the state's colour and `text` in letters half its
    height (smaller only to fit two lines), outlined for contrast; `detail` in small letters
    along the bottom edge."""
    h, w = strip.shape[:2]
    strip[:] = SHOWN_STATE_COLORS.get(state, STATE_COLORS["warn"])
    pad = max(4, h // 12)
    if detail:
        small = TextStyle.for_cap(DETAIL_CAP_SHARE * h)
        x = max(pad, (w - small.size_px(detail)[0]) // 2)
        put_text(strip, detail, (x, h - pad), small, WHITE)
        h -= round(small.cap_px * 1.6)
    for cap_share in (0.5, 0.42, 0.34, 0.28, 0.22):
        style = TextStyle.for_cap(cap_share * h)
        lines = wrap_text(text, style, w - 2 * pad)
        if len(lines) * style.cap_px * 1.5 <= h - pad:
            break
    line_h = round(style.cap_px * 1.5)
    top = (h - line_h * len(lines)) // 2 + round(style.cap_px * 1.25)
    for i, line in enumerate(lines[:2]):
        x = max(pad, (w - style.size_px(line)[0]) // 2)
        put_text(strip, line, (x, top + i * line_h), style, WHITE)


def screen_size() -> tuple[int, int]:
    """The screen's (width, height) in pixels; 1280 x 720 when it cannot be asked."""
    try:
        import tkinter
    except ImportError:  # Python built without Tk: a usual laptop size
        return _FALLBACK_SCREEN_WH
    try:
        root = tkinter.Tk()
    except tkinter.TclError:  # Tk cannot reach the display
        return _FALLBACK_SCREEN_WH
    try:
        root.withdraw()
        return int(root.winfo_screenwidth()), int(root.winfo_screenheight())
    finally:
        root.destroy()


def check_display() -> None:
    """Raise `UsageError` (one line: use --no-window) when there is no display to open a
    window on; called before anything slow starts."""
    _check_display()


def _check_display() -> None:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise UsageError("no display to open a window on (DISPLAY is not set); use --no-window")
    for folder in _FONT_DIRS:  # OpenCV's Qt ships no fonts and warns on every window
        if os.path.isdir(folder):
            os.environ.setdefault("QT_QPA_FONTDIR", folder)
            break


class WindowDisplay:
    """An OpenCV window showing each processed frame with its overlay.

    Raises:
        UsageError: no display, or OpenCV has no GUI backend.
    """

    def __init__(
        self,
        title: str = WINDOW_TITLE,
        *,
        size_wh: tuple[int, int] | None = None,
        fullscreen: bool = False,
    ) -> None:
        _check_display()
        self.title = title
        self.last_rgb: np.ndarray | None = None
        screen_wh = screen_size() if fullscreen or size_wh is None else size_wh
        if fullscreen:
            self.box_wh = screen_wh
        elif size_wh is not None:
            self.box_wh = size_wh
        else:
            self.box_wh = (
                round(screen_wh[0] * DEFAULT_SCREEN_SHARE),
                round(screen_wh[1] * DEFAULT_SCREEN_SHARE),
            )
        try:
            with quiet_native_logs():
                cv2.namedWindow(title, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
                if fullscreen:
                    cv2.setWindowProperty(title, cv2.WND_PROP_FULLSCREEN, cv2.WINDOW_FULLSCREEN)
        except cv2.error as exc:
            raise UsageError(
                f"cannot open a window ({' '.join(str(exc).split())[:120]}); use --no-window"
            ) from exc

    def show(self, view: LiveView) -> list[str]:
        self.last_rgb = compose(view, self.box_wh)
        cv2.imshow(self.title, cv2.cvtColor(self.last_rgb, cv2.COLOR_RGB2BGR))
        return self.idle(wait_ms=1)

    def idle(self, wait_ms: int = 5) -> list[str]:
        key = cv2.waitKey(wait_ms)
        if key < 0:
            # The window's close button: treat as quit.
            if cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
                return ["q"]
            return []
        return [_KEYS[key & 0xFF]] if key & 0xFF in _KEYS else []

    def snapshot(self, path: Path) -> Path | None:
        """Save the last shown frame (with its overlay) as PNG; None before the first frame."""
        if self.last_rgb is None:
            return None
        path.parent.mkdir(parents=True, exist_ok=True)
        if not cv2.imwrite(str(path), cv2.cvtColor(self.last_rgb, cv2.COLOR_RGB2BGR)):
            return None
        return path

    def close(self) -> None:
        cv2.destroyWindow(self.title)
        cv2.waitKey(1)


class BackgroundWindow:
    """The live window drawn on a thread of its own (a `Display`, as `WindowDisplay`).

    Drawing the frame at window size and Qt's repaint take ~9 ms a frame, a quarter of a
    frame's time at 30 frames/s; drawn in line they delayed the next frame's pose and made
    frames drop. Here the session hands each processed frame over and goes on; the window's
    thread draws the newest one (a frame it had no time for is skipped on screen, never in
    the analysis), pumps the window's events and keeps the keys pressed for the session.
    The window is created, used and closed on that thread only.

    Attributes:
        shown_ms: capture-to-shown time of each frame drawn (ms), for the session report.
        frames_shown: frames drawn.

    Args:
        make: makes the window, on the window thread (None: `WindowDisplay()`).

    Raises:
        UsageError: no display, or OpenCV has no GUI backend.
    """

    def __init__(self, make: Callable[[], WindowDisplay] | None = None) -> None:
        _check_display()  # the one-line error before a thread starts
        self._lock = threading.Lock()
        self._pending: LiveView | None = None
        self._keys: list[str] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._window: WindowDisplay | None = None
        self.shown_ms: list[float] = []
        self.frames_shown = 0
        self._done = threading.Event()
        _gui_thread().put(lambda: self._run(make or WindowDisplay))
        self._ready.wait()
        if self._error is not None:
            self._done.wait()
            raise self._error

    def _run(self, make: Callable[[], WindowDisplay]) -> None:
        try:
            self._draw(make)
        finally:
            self._done.set()

    def _draw(self, make: Callable[[], WindowDisplay]) -> None:
        try:
            window = make()
        except BaseException as exc:  # handed to the constructor's caller
            self._error = exc
            self._ready.set()
            return
        self._window = window
        self._ready.set()
        try:
            while not self._stop.is_set():
                with self._lock:
                    view, self._pending = self._pending, None
                if view is None:
                    keys = window.idle(wait_ms=5)
                else:
                    keys = window.show(view)
                    self.frames_shown += 1
                    if view.captured_s is not None:
                        self.shown_ms.append((time.perf_counter() - view.captured_s) * 1000.0)
                if keys:
                    with self._lock:
                        self._keys += keys
        finally:
            window.close()

    def _take_keys(self) -> list[str]:
        with self._lock:
            keys, self._keys = self._keys, []
        return keys

    def show(self, view: LiveView) -> list[str]:
        with self._lock:
            self._pending = view
        return self._take_keys()

    def idle(self) -> list[str]:
        return self._take_keys()

    def snapshot(self, path: Path) -> Path | None:
        """Save the last frame drawn (with its overlay) as PNG; None before the first one."""
        return self._window.snapshot(path) if self._window is not None else None

    def close(self) -> None:
        self._stop.set()
        self._done.wait(timeout=5.0)


_GUI: queue.SimpleQueue[Callable[[], None]] | None = None
_GUI_LOCK = threading.Lock()


def _gui_thread() -> queue.SimpleQueue[Callable[[], None]]:
    """The process's one window thread (started on first use), taking jobs in turn. Qt binds
    its windows to the thread that made the first one: a window made on a second thread
    never opens (`namedWindow` waits forever), so every window of the process is made,
    drawn and closed on this one."""
    global _GUI
    with _GUI_LOCK:
        if _GUI is None:
            jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

            def serve() -> None:
                while True:
                    jobs.get()()

            threading.Thread(target=serve, name="posture-window", daemon=True).start()
            _GUI = jobs
        return _GUI
