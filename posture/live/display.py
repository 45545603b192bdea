"""What a live front end is shown, and the terminal front end (a rich live panel).

Every front end implements `Display`: `show(view) -> keys` for a processed frame,
`idle() -> keys` while waiting for one, `close()`. Keys are single characters (`q`, `p`, `s`,
`c`); the terminal front end has none (stop it with Ctrl-C or `--duration`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from posture.live.feedback import Feedback
from posture.overlay import FrameOverlay, panel_rows, trace_label

_STYLE = {"ok": "green", "warn": "yellow", "fail": "red", "none": "grey62"}
_TITLE = {"ok": "OK", "warn": "WARN", "fail": "FAIL", "none": "NOT JUDGED"}


@dataclass(frozen=True)
class LiveView:
    """One frame as the front ends show it.

    Attributes:
        rgb: `(h, w, 3)` uint8 RGB frame as captured (front ends draw on a copy).
        landmarks: `(33, 5)` landmarks in `rgb`'s pixels (NaN: nobody).
        feedback: metrics, view, rule levels and the cue.
        trace_cm: `(k,)` recent body heights (the gait point) above their mean, cm (+ up).
        status: a banner that replaces the cue (paused, calibrating), or "".
        processed_fps: frames processed per second, recently.
        dropped: frames dropped so far.
        captured_s: `time.perf_counter()` when the frame was captured (None: unknown), for
            the capture-to-shown time of a front end that draws on its own thread.
    """

    rgb: np.ndarray
    landmarks: np.ndarray
    feedback: Feedback
    trace_cm: np.ndarray
    status: str = ""
    processed_fps: float = 0.0
    dropped: int = 0
    captured_s: float | None = None


class Display(Protocol):
    def show(self, view: LiveView) -> list[str]: ...

    def idle(self) -> list[str]: ...

    def snapshot(self, path: Path) -> Path | None: ...

    def close(self) -> None: ...


def frame_overlay(view: LiveView) -> FrameOverlay:
    """What the live screen draws on the frame: the same overlay as the annotated video, with
    the live values, the rolling bounce figure and the cue (or a status banner)."""
    fb = view.feedback
    recent = fb.live.recent.get("vertical_bounce_cm")
    line = fb.headline
    banner = view.status or (line.text if line.state in ("warn", "fail") else None)
    return FrameOverlay(
        landmarks=view.landmarks,
        values=fb.values,
        view=fb.view,
        facing=fb.facing,
        state=line.state if not view.status else "warn",
        banner=banner,
        trace_cm=view.trace_cm,
        recent_bounce_cm=recent.median if recent is not None else None,
    )


class TerminalDisplay:
    """A rich live panel: state, the one cue in large type, values and frame counters.

    Args:
        console: where to draw (stderr by default).
        refresh_s: the panel is rebuilt at most this often (and whenever the cue changes).
    """

    def __init__(self, console: Console | None = None, refresh_s: float = 0.1) -> None:
        self.console = console or Console(stderr=True)
        self.refresh_s = refresh_s
        self._live = Live(
            Text("posture live: starting..."),
            console=self.console,
            refresh_per_second=8,
            transient=False,
        )
        self._live.start()
        self._last_s = 0.0
        self._last_cue: str | None = None

    def show(self, view: LiveView) -> list[str]:
        now = time.perf_counter()
        text = view.feedback.headline.text
        if now - self._last_s >= self.refresh_s or text != self._last_cue:
            self._live.update(render_panel(view))
            self._last_s, self._last_cue = now, text
        return []

    def idle(self) -> list[str]:
        return []

    def snapshot(self, path: Path) -> Path | None:
        return None

    def close(self) -> None:
        self._live.stop()


def render_panel(view: LiveView) -> Panel:
    """The terminal panel for one frame."""
    fb = view.feedback
    line = fb.headline
    level = "warn" if view.status else line.state
    cue = view.status or line.text
    table = Table.grid(padding=(0, 2))
    for label, shown in panel_rows(fb.values, fb.view or "side"):
        table.add_row(label, shown)
    table.add_row(trace_label(), "")
    footer = Text(
        f"view {fb.view or '?'}  {view.processed_fps:.1f} frames/s  dropped {view.dropped}",
        style="dim",
    )
    head = [Text(cue, style=f"bold {_STYLE[level]}", justify="center")]
    if line.detail and not view.status:
        head.append(Text(line.detail, style="dim", justify="center"))
    body = Group(*head, table, footer)
    return Panel(body, title=f"posture live: {_TITLE[level]}", border_style=_STYLE[level])
