"""posture.overlay: each element draws where it should, scales with the frame, and rejects
bad arguments; the lean angle it prints is invariant to where and how big the runner is."""

from __future__ import annotations

import numpy as np
import pytest

from posture.metrics import METRICS, panel_specs
from posture.metrics.geometry import torso_lean_deg
from posture.overlay import draw_banner, draw_hud, draw_pose, draw_trace, panel_rows
from posture.overlay.style import HEAD_MAGENTA, STATE_COLORS, TORSO_CYAN
from posture.pose.landmarks import LM
from tests.skeletons import Runner, build_track

#: (width, height) of a portrait phone clip and of a landscape full-HD one.
SIZES_WH = [(480, 640), (1920, 1080)]
LANDMARKS = np.zeros((33, 5))
PANEL_METRICS = [s.id for s in panel_specs()]
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


def test_the_torso_label_is_the_value_it_is_given() -> None:
    """The picture prints the report's number, never an angle of its own."""
    wh = (480, 640)
    lm = runner_landmarks(wh, lean_deg=12.0)
    labelled, unlabelled = grey(wh), grey(wh)
    draw_pose(labelled, lm, facing="right", values={"torso_lean_deg": 12.0})
    draw_pose(unlabelled, lm, facing="right", values={})
    assert (labelled != unlabelled).any()
    other = grey(wh)
    draw_pose(other, lm, facing="right", values={"torso_lean_deg": -7.0})
    assert (other != labelled).any()  # a different number, a different label


def test_the_drawn_runner_leans_as_the_metric_says() -> None:
    right = runner_landmarks((480, 640), facing="right", lean_deg=12.0)
    left = runner_landmarks((480, 640), facing="left", lean_deg=12.0)
    for lm, forward in ((right, 1.0), (left, -1.0)):
        assert float(torso_lean_deg(lm[None], np.array([forward]))[0]) == pytest.approx(
            12.0, abs=1e-3
        )


@pytest.mark.parametrize("state", ["ok", "warn", "fail"])
@pytest.mark.parametrize("wh", SIZES_WH)
def test_hud_sits_top_left_with_its_state_colour(wh: tuple[int, int], state) -> None:
    values = dict.fromkeys(PANEL_METRICS, 123.456) | {"lateral_sway_pct_leg": None}
    assert len(panel_rows(values, None)) == len(PANEL_METRICS)
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
    # a fixed share of the frame height (1080 / 640)
    assert heights[1] / heights[0] == pytest.approx(1080 / 640, rel=0.2)
    assert heights[0] >= 30  # one readable line on a phone clip


@pytest.mark.parametrize("wh", [(426, 226), (480, 360), (480, 640), (1920, 1080)])
def test_overlay_text_is_a_share_of_the_height_never_under_14_px(wh: tuple[int, int]) -> None:
    from posture.overlay.style import MIN_TEXT_PX, TEXT_SHARE, TextStyle

    rgb = grey(wh)
    for element, share in TEXT_SHARE.items():
        cap_px = TextStyle.for_frame(rgb, element).cap_px
        assert cap_px >= MIN_TEXT_PX - 1
        assert cap_px == pytest.approx(max(MIN_TEXT_PX, share * wh[1]), abs=2)


@pytest.mark.parametrize("low", [0.0, 0.24])  # feet at 80 % of the height, and at the bottom
@pytest.mark.parametrize("wh", [(480, 360), (480, 640)])
def test_overlay_parts_never_overlap_and_the_banner_leaves_the_feet(
    wh: tuple[int, int], low: float
) -> None:
    from posture.overlay import FrameOverlay, draw_overlay
    from posture.overlay.frame import feet_bottom_px, head_box
    from posture.overlay.style import overlaps

    w, h = wh
    lm = runner_landmarks(wh)
    lm[:, 1] += low * h
    values = dict.fromkeys(PANEL_METRICS, -88.8) | {"torso_lean_deg": 16.0, "head_pitch_deg": 20}
    o = FrameOverlay(
        lm, values, "side", "right", "fail", banner="Leaning forward 16.0 deg: " + CUE,
        trace_cm=np.sin(np.linspace(0, 9, 90)), recent_bounce_cm=6.0, flagged=("torso_lean_deg",),
    )  # fmt: skip
    rects = draw_overlay(grey(wh), o)
    assert len(rects) == 5  # banner, panel, trace, lean and head labels
    for i, a in enumerate(rects):
        assert 0 <= a[0] < a[2] <= w and 0 <= a[1] < a[3] <= h, a
        assert not any(overlaps(a, b) for b in rects[i + 1 :]), (a, rects)
    feet = feet_bottom_px(lm)
    assert feet is not None and not (rects[0][1] <= feet <= rects[0][3])  # feet not under it
    head = head_box(lm)
    assert head is not None and not any(overlaps(r, head) for r in rects[1:3])  # face clear


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
    ],
)
def test_format_value(metric: str, value: float | None, shown: str) -> None:
    assert METRICS[metric].format(value) == shown


def test_panel_rows_are_the_registry_panel_metrics_of_the_view() -> None:
    side = panel_rows({"torso_lean_deg": 3.0}, "side")
    assert [label for label, _ in side] == [s.label for s in panel_specs("side")]
    assert ("lean", "3.0 deg") in side
    assert all(shown == "--" for label, shown in side if label != "lean")
    front = [label for label, _ in panel_rows({}, "front")]
    assert "lean" not in front and "sway" in front
