"""Banners of the annotated video: rule title and cue, worst level first, only while broken."""

from __future__ import annotations

from posture.report.video import banners
from posture.rules import Criterion, Episode, RuleResult


def rule(rule_id: str, status: str, episodes: list[tuple[float, float, str]]) -> RuleResult:
    return RuleResult(
        rule_id, rule_id.replace("_", " ").capitalize(), status, "high", (), 1.0, "deg",  # type: ignore[arg-type]
        Criterion("torso_lean_deg", 10.0, 15.0, "above"),
        tuple(Episode(a, b, lv, "torso_lean_deg", 12.0, 13.0) for a, b, lv in episodes),  # type: ignore[arg-type]
        0.5, f"message of {rule_id}.", f"cue of {rule_id}", "advice",
    )  # fmt: skip


def test_banners_name_the_rule_and_put_fails_first() -> None:
    rules = (
        rule("head_shake", "warn", [(0.5, 1.0, "warn")]),
        rule("lateral_sway", "fail", [(0.2, 0.8, "fail"), (2.0, 3.0, "warn")]),
        rule("lean_forward", "ok", []),
        rule("head_down", "not_measured", []),
    )
    shown = banners(rules)
    assert [(b.start_s, b.end_s, b.level) for b in shown] == [
        (0.2, 0.8, "fail"), (0.5, 1.0, "warn"), (2.0, 3.0, "warn")
    ]  # fmt: skip
    # each banner shows the value behind its flag at the frame it is drawn on
    assert shown[0].text({"torso_lean_deg": 16.04}) == "Lateral sway 16.0 deg: cue of lateral_sway"
    assert shown[1].text({}) == "Head shake: cue of head_shake"
    assert shown[1].text({"torso_lean_deg": float("nan")}) == "Head shake: cue of head_shake"


def test_a_flagged_rule_without_episodes_shows_no_banner() -> None:
    assert banners((rule("lean_forward", "fail", []),)) == []


def test_only_frames_inside_a_judged_stride_can_read_posture_ok() -> None:
    from types import SimpleNamespace
    from typing import Any, cast

    import numpy as np

    from posture.metrics.analysis import IntervalTable
    from posture.report.video import judged_frames

    t = np.arange(10) * 100.0  # 0..900 ms
    running = np.ones(10, bool)
    running[7] = False  # walking for a frame: no running verdict covers it
    # strides from frame 2 up to 6 and from 4 up to 9 (end frame exclusive, as in the CSV)
    a, b = np.array([2.0, 4.0]), np.array([6.0, 9.0])
    strides = IntervalTable(a * 100.0, b * 100.0, np.array(["side"] * 2), {}, a, b)
    analysis = SimpleNamespace(timestamps_ms=t, strides=strides, running=running)
    judged = judged_frames(cast(Any, analysis))
    assert np.flatnonzero(judged).tolist() == [2, 3, 4, 5, 6, 8]


def test_a_frame_no_verdict_covers_has_a_grey_not_judged_panel() -> None:
    import numpy as np

    from posture.overlay import draw_hud
    from posture.overlay.style import NOT_JUDGED_GREY, STATE_COLORS

    rgb = np.zeros((480, 640, 3), np.uint8)
    x0, y0, x1, _ = draw_hud(rgb, {"torso_lean_deg": 17.5}, state="none", view="side")
    title = rgb[y0 + 2, x0 + 2 : x1 - 2].astype(int)
    near = {k: (np.abs(title - np.array(c)).sum(-1) < 60).mean() for k, c in STATE_COLORS.items()}
    assert (np.abs(title - np.array(NOT_JUDGED_GREY)).sum(-1) < 60).mean() > 0.3
    assert max(near.values()) < 0.05  # neither green nor a fault colour
