"""Spoken cues through an offline text-to-speech engine, when one is installed.

`espeak-ng` (or `espeak`) on the PATH is preferred; else the `pyttsx3` package. Speaking never
blocks the live loop: a cue that arrives while the previous one is still being spoken is skipped.
"""

from __future__ import annotations

import importlib.util
import queue
import shutil
import subprocess
import threading
from typing import Any, Protocol

NO_TTS_MESSAGE = (
    "--voice: no offline text-to-speech is installed (install `espeak-ng`, e.g. "
    "`apt-get install espeak-ng`, or `pip install pyttsx3`); continuing without voice"
)


class Speaker(Protocol):
    name: str

    def say(self, text: str) -> None: ...

    def close(self) -> None: ...


class CommandSpeaker:
    """Speaks through a TTS command line (`espeak-ng -s 165 -- TEXT`)."""

    def __init__(self, command: str) -> None:
        self.name = command
        self._proc: subprocess.Popen[bytes] | None = None

    def say(self, text: str) -> None:
        if self._proc is not None and self._proc.poll() is None:
            return  # still speaking the previous cue
        self._proc = subprocess.Popen(
            # `--` ends the options: a cue starting with `-` is spoken, not parsed as one.
            [self.name, "-s", "165", "--", text],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def close(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=2)


class Pyttsx3Speaker:
    """Speaks through `pyttsx3` in a worker thread (its `runAndWait` blocks)."""

    def __init__(self) -> None:
        self.name = "pyttsx3"
        self._texts: queue.Queue[str | None] = queue.Queue(maxsize=1)
        self._thread = threading.Thread(target=self._run, name="posture-voice", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import pyttsx3

        engine: Any = pyttsx3.init()
        while (text := self._texts.get()) is not None:
            engine.say(text)
            engine.runAndWait()

    def say(self, text: str) -> None:
        try:
            self._texts.put_nowait(text)
        except queue.Full:
            return  # still speaking the previous cue

    def close(self) -> None:
        try:
            self._texts.put_nowait(None)
        except queue.Full:
            return  # a cue is pending; the daemon thread ends with the process


def find_speaker() -> Speaker | None:
    """An installed offline TTS, or None."""
    for command in ("espeak-ng", "espeak"):
        if shutil.which(command):
            return CommandSpeaker(command)
    if importlib.util.find_spec("pyttsx3") is not None:
        return Pyttsx3Speaker()
    return None
