"""posture.overlay: each element draws where it should, scales with the frame, and rejects
bad arguments; the lean angle it prints is invariant to where and how big the runner is."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from posture.overlay import (
    draw_banner,
    draw_hud,
    draw_pose,
    draw_trace,
    format_value,
    lean_angle_deg,
)
from posture.overlay.style import HEAD_MAGENTA, STATE_COLORS, TORSO_CYAN
from posture.pose.landmarks import LM
from posture.report.video import PANEL_METRICS
from tests.skeletons import Runner, build_track

#: (width, height) of a portrait phone clip and of a landscape full-HD one.
SIZES_WH = [(480, 640), (1920, 1080)]
LANDMARKS = np.zeros((33, 5))
CUE = "lean_forward: Keep upright from the neck to the abdomen, rather than leaning forward."


def grey(wh: tuple[int, int]) -> np.ndarray:
    return np.full((wh[1], wh[0], 3), 128, np.uint8)


def changed_box(before: np.ndarray, after: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) bounding the pixels that changed (x1, y1 exclusive)."""
    ys, xs = np.nonzero((before != after).any(axis=-1))
    assert xs.size, "nothing was drawn"
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def runner_landmarks(wh: tuple[int, int], facing: str = "right", lean_deg: float = 12.0):
    """One frame's `(33, 5)` landmarks of a synthetic side-view runner centred in `wh`."""
    px_per_cm = 0.5 * wh[1] / 175.0  # the runner is half the frame tall
    r = Runner(
        facing=facing,
        lean_deg=lean_deg,
        px_per_cm=px_per_cm,
        origin_px=(wh[0] / 2, wh[1] * 0.55),
        resolution_wh=wh,
        duration_s=1.0,
    )
    return build_track(r).landmarks[0].astype(np.float64)


def colour_near(rgb: np.ndarray, xy: np.ndarray, colour: tuple[int, int, int], r: int) -> bool:
    x, y = round(float(xy[0])), round(float(xy[1]))
    patch = rgb[y - r : y + r + 1, x - r : x + r + 1].astype(int)
    return bool((np.abs(patch - np.array(colour)).sum(axis=-1) < 30).any())


@pytest.mark.parametrize("wh", SIZES_WH)
def test_draw_pose_draws_torso_line_and_head_vector_on_the_body(wh: tuple[int, int]) -> None:
    lm = runner_landmarks(wh)
    rgb = grey(wh)
    draw_pose(rgb, lm, facing="right")
    hip = lm[[LM.LEFT_HIP, LM.RIGHT_HIP], :2].mean(axis=0)
    shoulder = lm[[LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER], :2].mean(axis=0)
    ear = lm[[LM.LEFT_EAR, LM.RIGHT_EAR], :2].mean(axis=0)
    nose = lm[LM.NOSE, :2]
    assert colour_near(rgb, (hip + shoulder) / 2, TORSO_CYAN, 2)
    assert colour_near(rgb, ear + 1.5 * (nose - ear), HEAD_MAGENTA, 2)


def test_nobody_in_the_frame_draws_nothing() -> None:
    rgb = grey((480, 640))
    draw_pose(rgb, np.full((33, 5), np.nan), facing="right")
    assert (rgb == 128).all()


def test_a_side_view_lean_is_signed_forward_for_both_facings() -> None:
    right = runner_landmarks((480, 640), facing="right", lean_deg=12.0)
    left = runner_landmarks((480, 640), facing="left", lean_deg=12.0)
    for lm, facing in ((right, "right"), (left, "left")):
        hip = lm[[LM.LEFT_HIP, LM.RIGHT_HIP], :2].mean(axis=0)
        shoulder = lm[[LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER], :2].mean(axis=0)
        assert lean_angle_deg(hip, shoulder, facing) == pytest.approx(12.0, abs=1e-3)


@given(
    lean=st.floats(-30, 30),
    scale=st.floats(0.1, 10),
    dx=st.floats(-2000, 2000),
    dy=st.floats(-2000, 2000),
)
def test_lean_angle_is_invariant_to_translation_and_scale_and_mirrors_with_facing(
    lean: float, scale: float, dx: float, dy: float
) -> None:
    hip = np.array([100.0, 300.0])
    shoulder = hip + 150.0 * np.array([np.sin(np.radians(lean)), -np.cos(np.radians(lean))])
    moved = [p * scale + np.array([dx, dy]) for p in (hip, shoulder)]
    assert lean_angle_deg(*moved, "right") == pytest.approx(lean, abs=1e-6)
    mirrored = [np.array([-p[0], p[1]]) for p in (hip, shoulder)]
    assert lean_angle_deg(*mirrored, "left") == pytest.approx(lean, abs=1e-6)


@pytest.mark.parametrize("state", ["ok", "warn", "fail"])
@pytest.mark.parametrize("wh", SIZES_WH)
def test_hud_sits_top_left_with_its_state_colour(wh: tuple[int, int], state) -> None:
    values = dict.fromkeys(PANEL_METRICS, 123.456) | {"lateral_sway_pct_leg": None}
    before = grey(wh)
    rgb = before.copy()
    draw_hud(rgb, values, state=state)
    x0, y0, x1, y1 = changed_box(before, rgb)
    assert x0 < 0.05 * wh[0] and y0 < 0.05 * wh[1]
    assert x1 < 0.6 * wh[0] and y1 < 0.6 * wh[1]
    title_row = rgb[y0 + 2, x0 + 2 : x1 - 2].astype(int)
    assert (np.abs(title_row - np.array(STATE_COLORS[state])).sum(axis=-1) < 60).mean() > 0.3


@pytest.mark.parametrize("wh", SIZES_WH)
def test_banner_is_a_bottom_band_that_shrinks_long_text_to_fit(wh: tuple[int, int]) -> None:
    for text, max_fraction in ((CUE, 0.25), (" ".join([CUE] * 6), 0.35)):
        before = grey(wh)
        rgb = before.copy()
        draw_banner(rgb, text, level="fail")
        x0, y0, x1, y1 = changed_box(before, rgb)
        assert (x0, x1, y1) == (0, wh[0], wh[1])
        assert wh[1] - y0 < max_fraction * wh[1]


def test_banner_letters_grow_with_the_frame() -> None:
    heights = []
    for wh in SIZES_WH:
        before = grey(wh)
        rgb = before.copy()
        draw_banner(rgb, "head_down: Look ahead.", level="warn")
        heights.append(wh[1] - changed_box(before, rgb)[1])
    assert heights[1] > 2 * heights[0]
    assert heights[0] >= 30  # one readable line on a phone clip


@pytest.mark.parametrize("wh", SIZES_WH)
def test_trace_sits_top_right_and_does_not_overlap_the_hud(wh: tuple[int, int]) -> None:
    t = np.linspace(0, 3, 90)
    values = 4.0 * np.sin(2 * np.pi * 2.8 * t)
    values[30:40] = np.nan  # a gap (nobody seen) is left blank
    before = grey(wh)
    trace, hud = before.copy(), before.copy()
    draw_trace(trace, values, label="bounce")
    draw_hud(hud, dict.fromkeys(PANEL_METRICS, 88.8), state="ok")
    tx0, ty0, tx1, ty1 = changed_box(before, trace)
    hud_x1 = changed_box(before, hud)[2]
    assert tx1 > 0.95 * wh[0] and ty0 < 0.05 * wh[1] and ty1 < 0.25 * wh[1]
    assert tx0 >= hud_x1, "trace and panel overlap"
    assert colour_near(trace, np.array([(tx0 + tx1) / 2, (ty0 + ty1) / 2]), STATE_COLORS["ok"],
                       wh[1] // 20)  # fmt: skip


@pytest.mark.parametrize("values", [np.array([]), np.full(30, np.nan), np.array([1.0])])
def test_trace_without_enough_values_draws_only_its_box(values: np.ndarray) -> None:
    rgb = grey((480, 640))
    draw_trace(rgb, values, label="bounce")
    assert not (np.abs(rgb.astype(int) - np.array(STATE_COLORS["ok"])).sum(axis=-1) < 30).any()


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda: draw_pose(np.zeros((9, 9), np.uint8), LANDMARKS, facing=None), "(h, w, 3)"),
        (lambda: draw_pose(np.zeros((9, 9, 3), np.float32), LANDMARKS, facing=None), "uint8"),
        (lambda: draw_pose(grey((64, 64)), np.zeros((33, 4)), facing=None), "(33, 5)"),
        (lambda: draw_pose(grey((64, 64)), np.zeros((33, 5)), facing="up"), "facing"),
        (lambda: draw_hud(grey((64, 64)), {}, state="bad"), "state"),  # type: ignore[arg-type]
        (lambda: draw_banner(grey((64, 64)), "x", level="ok"), "level"),  # type: ignore[arg-type]
        (lambda: draw_trace(grey((64, 64)), np.zeros((3, 2)), label="x"), "(k,)"),
    ],
)  # fmt: skip
def test_bad_arguments_are_named(call, says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("(", r"\(").replace(")", r"\)")):
        call()


@pytest.mark.parametrize(
    ("metric", "value", "shown"),
    [
        ("torso_lean_deg", 12.345, "12.3 deg"),
        ("cadence_spm", 171.6, "172 steps/min"),
        ("ear_shoulder_over_torso", 0.3871, "0.39 ratio"),
        ("vertical_bounce_cm", None, "--"),
        ("vertical_bounce_cm", float("nan"), "--"),
        ("not_a_metric", 1.25, "1.2"),
    ],
)
def test_format_value(metric: str, value: float | None, shown: str) -> None:
    assert format_value(metric, value) == shown
