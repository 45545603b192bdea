"""posture: a camera-based running posture checker.

Pipeline (one direction of flow, one subpackage per stage):
    source (frames) -> pose (PoseTrack) -> metrics -> rules -> report

Example:
    >>> import posture
    >>> report = posture.check("clip.mp4")  # doctest: +SKIP
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["Report", "Settings", "check"]


def __getattr__(name: str) -> object:
    # Lazy, so `import posture` stays cheap and loads neither OpenCV nor MediaPipe.
    if name == "check":
        from posture.pipeline import check

        return check
    if name == "Report":
        from posture.report.model import Report

        return Report
    if name == "Settings":
        from posture.settings import Settings

        return Settings
    raise AttributeError(f"module 'posture' has no attribute {name!r}")
