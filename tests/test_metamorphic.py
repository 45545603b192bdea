"""Metamorphic checks on real footage (../shared/samples; skipped when absent).

Each check transforms a real clip in a way whose effect on the metrics is known (rotate
the frames, mirror them, halve the resolution, double the frame-rate metadata) and compares
the analyses of the original and the transformed clip. Clips are cut short and every
variant's pose track is computed once per session. Rotating by +/-10 deg is covered (with a
1.5 deg tolerance) in tests/test_metrics_footage.py; here it is +/-5 deg with 1 deg.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from posture.metrics import METRICS, Analysis, analyse
from tests.conftest import shared_clip
from tests.media import write_clip
from tests.test_metrics_footage import rotated_clip, track_of

pytestmark = [pytest.mark.footage, pytest.mark.model]

TREADMILL = "treadmill_side_lab.mp4"
JOG = "indoor_front_jog_in_place.mp4"
PARK = "park_side_facing_left.mp4"
CUT_FRAMES = 300  # 10 s of the 29.97 fps treadmill clip


def _frames(src: Path, max_frames: int) -> Iterator[np.ndarray]:
    """BGR frames of `src`, at most `max_frames`."""
    cap = cv2.VideoCapture(str(src))
    try:
        for _ in range(max_frames):
            ok, frame = cap.read()
            if not ok:
                return
            yield frame
    finally:
        cap.release()


def mapped_clip(
    src: Path, dst: Path, fn: Callable[[np.ndarray], np.ndarray], max_frames: int
) -> Path:
    """Write `fn(frame)` for each frame of `src` with OpenCV (as `rotated_clip` does)."""
    fps = cv2.VideoCapture(str(src)).get(cv2.CAP_PROP_FPS)
    out: cv2.VideoWriter | None = None
    for frame in _frames(src, max_frames):
        img = fn(frame)
        if out is None:
            h, w = img.shape[:2]
            out = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
        out.write(img)
    assert out is not None, f"{src} has no frames"
    out.release()
    return dst


def half(frame: np.ndarray) -> np.ndarray:
    h, w = frame.shape[:2]
    return cv2.resize(frame, (w // 2, h // 2), interpolation=cv2.INTER_AREA)


def refps_clip(src: Path, dst: Path, fps_factor: float, max_frames: int) -> Path:
    """`src` at half size, re-written with PyAV at `fps_factor` x its frame rate."""
    fps = cv2.VideoCapture(str(src)).get(cv2.CAP_PROP_FPS)
    frames = [cv2.cvtColor(half(f), cv2.COLOR_BGR2RGB) for f in _frames(src, max_frames)]
    return write_clip(dst, frames, fps=fps * fps_factor)


@pytest.fixture(scope="module")
def variant(
    tmp_path_factory: pytest.TempPathFactory, model_path: Path
) -> Callable[[str], Analysis]:
    """Analysis of a named clip variant, made and tracked once per session."""
    folder = tmp_path_factory.mktemp("metamorphic")
    makers: dict[str, Callable[[Path], Path]] = {
        "treadmill": lambda d: rotated_clip(shared_clip(TREADMILL), d, 0.0, CUT_FRAMES),
        "treadmill+5": lambda d: rotated_clip(shared_clip(TREADMILL), d, 5.0, CUT_FRAMES),
        "treadmill-5": lambda d: rotated_clip(shared_clip(TREADMILL), d, -5.0, CUT_FRAMES),
        "treadmill_mirror": lambda d: mapped_clip(
            shared_clip(TREADMILL), d, lambda f: cv2.flip(f, 1), CUT_FRAMES
        ),
        "treadmill_half": lambda d: mapped_clip(shared_clip(TREADMILL), d, half, CUT_FRAMES),
        "jog": lambda d: mapped_clip(shared_clip(JOG), d, lambda f: f, 10**6),
        "jog_mirror": lambda d: mapped_clip(shared_clip(JOG), d, lambda f: cv2.flip(f, 1), 10**6),
        "jog_half": lambda d: mapped_clip(shared_clip(JOG), d, half, 10**6),
        "park_1x": lambda d: refps_clip(shared_clip(PARK), d, 1.0, 10**6),
        "park_2x": lambda d: refps_clip(shared_clip(PARK), d, 2.0, 10**6),
    }
    done: dict[str, Analysis] = {}

    def get(name: str) -> Analysis:
        if name not in done:
            clip = makers[name](folder / f"{name}.mp4")
            done[name] = analyse(track_of(clip, model_path))
        return done[name]

    return get


def median(a: Analysis, metric: str) -> float:
    return a.summary[metric].median


@pytest.mark.parametrize(("angle_deg", "shift_deg"), [(-5.0, 5.0), (5.0, -5.0)])
def test_rotating_5_deg_shifts_torso_lean_by_5(
    variant: Callable[[str], Analysis], angle_deg: float, shift_deg: float
) -> None:
    # OpenCV's + angle turns the frame counter-clockwise: the runner (facing right) tips back.
    base = variant("treadmill")
    turned = variant(f"treadmill{angle_deg:+.0f}")
    delta = median(turned, "torso_lean_deg") - median(base, "torso_lean_deg")
    assert delta == pytest.approx(shift_deg, abs=1.0)


def _within(metric: str, a: float, b: float) -> bool:
    """Same value: within 1 deg for angles, else within 5 % of the larger magnitude.

    Every metric is either unsigned or signed relative to the direction of travel, so a
    mirrored clip should give the same signed value, not just the same size.
    """
    if METRICS[metric].unit == "deg":
        return abs(a - b) <= 1.0
    return abs(a - b) <= 0.05 * max(abs(a), abs(b))


def _mismatches(base: Analysis, other: Analysis, metrics: tuple[str, ...]) -> list[str]:
    out = []
    for m in metrics:
        a, b = median(base, m), median(other, m)
        if math.isfinite(a) != math.isfinite(b) or (math.isfinite(a) and not _within(m, a, b)):
            out.append(f"{m}: {a:.3f} vs {b:.3f}")
    return out


def _xfail(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


@pytest.mark.parametrize(("clip", "facing"), [("treadmill", ("right", "left")), ("jog", None)])
def test_mirroring_keeps_the_view_and_flips_facing(
    variant: Callable[[str], Analysis], clip: str, facing: tuple[str, str] | None
) -> None:
    base, mirrored = variant(clip), variant(f"{clip}_mirror")
    assert mirrored.view == base.view
    assert (base.facing, mirrored.facing) == (facing or (None, None))


# Cadence and its variability are not measured on the 10 s treadmill cut (slow motion: about
# three steps).
MIRROR_CASES = [
    ("treadmill", "torso_lean_deg"),
    pytest.param(
        "treadmill", "head_pitch_deg",
        marks=_xfail("measured 2.47 deg original vs -0.87 mirrored (3.3 deg apart)"),
    ),
    pytest.param(
        "treadmill", "neck_flexion_deg",
        marks=_xfail("measured 19.39 vs 18.34 deg (1.06 apart, tolerance 1)"),
    ),
    pytest.param(
        "treadmill", "ear_shoulder_over_torso",
        marks=_xfail("measured 0.331 vs 0.349 (5.2 %)"),
    ),
    pytest.param(
        "treadmill", "shoulder_hunch_pct", marks=_xfail("measured 8.07 vs 3.00 % (63 %)")
    ),
    pytest.param(
        "treadmill", "shoulder_rounding_pct_torso",
        marks=_xfail("measured -8.40 vs -7.96 % torso (5.2 %)"),
    ),
    pytest.param(
        "treadmill", "vertical_bounce_pct_leg",
        marks=_xfail("measured 8.155 vs 7.719 % leg (5.3 %)"),
    ),
    ("treadmill", "vertical_bounce_cm"),
    ("jog", "ear_shoulder_over_torso"),
    pytest.param("jog", "shoulder_hunch_pct", marks=_xfail("measured 3.41 vs 2.44 % (29 %)")),
    ("jog", "head_yaw_sway_deg"),
    ("jog", "vertical_bounce_pct_leg"),
    ("jog", "vertical_bounce_cm"),
    pytest.param(
        "jog", "lateral_sway_pct_leg", marks=_xfail("measured 1.30 vs 1.50 % leg (13 %)")
    ),
    ("jog", "cadence_spm"),
    pytest.param("jog", "cadence_cv_pct", marks=_xfail("measured 3.26 vs 4.07 % (20 %)")),
]  # fmt: skip


@pytest.mark.parametrize(("clip", "metric"), MIRROR_CASES)
def test_mirroring_keeps_every_magnitude(
    variant: Callable[[str], Analysis], clip: str, metric: str
) -> None:
    base, mirrored = variant(clip), variant(f"{clip}_mirror")
    assert math.isfinite(median(base, metric)), f"{metric} not measured on {clip}"
    bad = _mismatches(base, mirrored, (metric,))
    assert not bad, "; ".join(bad)


HALF_CASES = [
    ("treadmill", "vertical_bounce_pct_leg"),
    ("treadmill", "vertical_bounce_cm"),
    ("jog", "vertical_bounce_pct_leg"),
    ("jog", "vertical_bounce_cm"),
    pytest.param("jog", "lateral_sway_pct_leg", marks=_xfail("measured 1.30 vs 1.38 % leg (6 %)")),
]


@pytest.mark.parametrize(("clip", "metric"), HALF_CASES)
def test_halving_resolution_keeps_leg_and_cm_metrics(
    variant: Callable[[str], Analysis], clip: str, metric: str
) -> None:
    base, small = variant(clip), variant(f"{clip}_half")
    assert math.isfinite(median(base, metric)), f"{metric} not measured on {clip}"
    bad = _mismatches(base, small, (metric,))
    assert not bad, "; ".join(bad)


def test_doubling_frame_rate_metadata_doubles_cadence(
    variant: Callable[[str], Analysis],
) -> None:
    # The park clip is ~2x slow motion (85 spm in clip time), so 2x fps lands in the
    # plausible range; cadence above 250 spm would not be reported at all.
    base, fast = variant("park_1x"), variant("park_2x")
    c1, c2 = median(base, "cadence_spm"), median(fast, "cadence_spm")
    assert math.isfinite(c1) and math.isfinite(c2)
    assert c2 / c1 == pytest.approx(2.0, rel=0.03)
