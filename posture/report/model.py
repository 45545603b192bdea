"""The report: what one analysed clip produced, as a JSON-ready structure.

`Report` is the hand-off from the analysis to every front end (terminal summary, JSON file,
HTML, batch summary). Sections are plain dicts built by the stage that owns them, so a new
stage adds a section without touching the others. `SCHEMA_VERSION` changes when a field's
meaning changes, not when a section is added.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from posture import __version__

#: 2: rules carry episodes, confidence and reasons (not spans and a quantile value); the
#: report status `ok` became `analysed`.
SCHEMA_VERSION = 2
#: Whether the clip could be analysed at all (verdicts on the posture are the rules').
ClipStatus = Literal["analysed", "no_runner"]


@dataclass(frozen=True)
class Report:
    """One clip's results.

    Attributes:
        status: `analysed`, or `no_runner` when too few frames had a runner to analyse.
        input: container facts (path, fps, frame_count, duration_s, width, height, ...).
        pose: pose stage facts (model, frames_with_runner, coverage).
        capture: plain-language warnings about the capture.
        settings: the settings the clip was analysed with.
        sections: further sections keyed by name (view, metrics, rules, ...).
    """

    status: ClipStatus
    input: dict[str, Any]
    pose: dict[str, Any]
    capture: dict[str, Any] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    sections: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "tool": {"name": "posture", "version": __version__},
            "status": self.status,
            "input": self.input,
            "pose": self.pose,
            "capture": self.capture,
            "settings": self.settings,
            **self.sections,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False, default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if hasattr(value, "tolist"):  # numpy array
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
