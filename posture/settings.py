"""Every tunable default, defined once. The CLI and the Python API build a `Settings`;
nothing else holds a default of its own."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from posture.errors import UsageError

View = Literal["auto", "side", "front", "rear"]
Context = Literal["flat", "uphill", "accelerating", "uneven"]
VIEWS: tuple[str, ...] = ("auto", "side", "front", "rear")
CONTEXTS: tuple[str, ...] = ("flat", "uphill", "accelerating", "uneven")
MODEL_VARIANTS: tuple[str, ...] = ("lite", "full", "heavy")
DEFAULT_VIEW = "auto"
DEFAULT_CONTEXT = "flat"
DEFAULT_MODEL = "full"
#: Where `check` and `live` write their files unless told otherwise.
DEFAULT_OUT_DIR = Path("posture-out")


@dataclass(frozen=True)
class PoseSettings:
    """How the pose stage runs.

    Attributes:
        model_variant: `lite`, `full` or `heavy` pose landmarker bundle.
        model_dir: where bundles live; None means `$POSTURE_MODEL_DIR` or the default folder.
        min_detection_confidence: MediaPipe's person-detector threshold, in [0, 1].
        min_tracking_confidence: below this MediaPipe re-runs the detector, in [0, 1].
        min_coverage: fraction of frames that must have a runner; below it the clip is
            reported as "no runner" (exit 3).
        jobs: processes that share one clip, each taking a time chunk; 0 means choose from
            the clip's length and the machine's cores, 1 means no splitting.
    """

    model_variant: str = DEFAULT_MODEL
    model_dir: Path | None = None
    min_detection_confidence: float = 0.5
    min_tracking_confidence: float = 0.5
    min_coverage: float = 0.3
    jobs: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.jobs <= 64:
            raise UsageError(f"jobs must be between 0 (auto) and 64, got {self.jobs}")
        if self.model_variant not in MODEL_VARIANTS:
            raise UsageError(
                f"model variant must be one of {', '.join(MODEL_VARIANTS)}, "
                f"got {self.model_variant!r}"
            )
        for name in ("min_detection_confidence", "min_tracking_confidence", "min_coverage"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise UsageError(f"{name} must be in [0, 1], got {value}")


@dataclass(frozen=True)
class AnalysisSettings:
    """How posture is measured and judged.

    Attributes:
        view: camera view, or `auto` to detect it per clip.
        context: running context; `uphill`/`accelerating` exempt forward lean, `uneven`
            relaxes the head-down rule (the source texts' exceptions).
        height_cm: runner's height for cm metrics; None means estimate it.
        rules_path: a rules TOML replacing the shipped one; None means the shipped rules.
        speed_kmh: the running speed (a treadmill's belt), for step length and vertical
            ratio; None means not measured.
    """

    view: str = DEFAULT_VIEW
    context: str = DEFAULT_CONTEXT
    height_cm: float | None = None
    rules_path: Path | None = None
    speed_kmh: float | None = None

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise UsageError(f"view must be one of {', '.join(VIEWS)}, got {self.view!r}")
        if self.context not in CONTEXTS:
            raise UsageError(f"context must be one of {', '.join(CONTEXTS)}, got {self.context!r}")
        if self.height_cm is not None and not 80.0 <= self.height_cm <= 250.0:
            raise UsageError(f"height must be between 80 and 250 cm, got {self.height_cm}")
        if self.speed_kmh is not None and not 3.0 <= self.speed_kmh <= 45.0:
            raise UsageError(f"speed must be between 3 and 45 km/h, got {self.speed_kmh}")


@dataclass(frozen=True)
class OutputSettings:
    """Which files a run writes besides `<stem>.report.json` and `<stem>.pose.npz`.

    Attributes:
        video: `<stem>.annotated.mp4`, the clip with the overlay (needs the source video).
        html: `<stem>.report.html`, the self-contained report page.
        csv: `<stem>.frames.csv`, every per-frame metric.
        exports: OpenSim files (`posture.report.opensim`): `trc` (`<stem>.trc`, the pose
            track as markers) and / or `mot` (`<stem>.mot`, the angles).
        pdf: `<stem>.report.pdf`, the HTML report printed by Chromium (needs `html`).
    """

    video: bool = True
    html: bool = True
    csv: bool = True
    exports: tuple[str, ...] = ()
    pdf: bool = False


@dataclass(frozen=True)
class Settings:
    """All settings of one `posture check` run."""

    pose: PoseSettings = field(default_factory=PoseSettings)
    analysis: AnalysisSettings = field(default_factory=AnalysisSettings)
    outputs: OutputSettings = field(default_factory=OutputSettings)

    def with_pose(self, **changes: object) -> Settings:
        return replace(self, pose=replace(self.pose, **changes))  # type: ignore[arg-type]

    def with_analysis(self, **changes: object) -> Settings:
        return replace(self, analysis=replace(self.analysis, **changes))  # type: ignore[arg-type]


def env_path(name: str) -> Path | None:
    """A path from environment variable `name`, or None when unset or empty."""
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None
