"""Progress callbacks every stage accepts (defined once)."""

from __future__ import annotations

from collections.abc import Callable

#: Called with (frames done, frames expected or 0) while frames are processed.
FrameProgress = Callable[[int, int], None]
