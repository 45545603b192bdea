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
