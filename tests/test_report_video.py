"""Banners of the annotated video: rule name and cue, worst level first, only while broken."""

from __future__ import annotations

from posture.report.video import Banner, banners, rule_title


def rule(rule_id: str, status: str, spans: list[list[float]]) -> dict[str, object]:
    return {"id": rule_id, "status": status, "spans_s": spans, "message": f"cue of {rule_id}."}


def test_banners_name_the_rule_and_put_fails_first() -> None:
    rules = [
        rule("head_shake", "warn", [[0.5, 1.0]]),
        rule("lateral_sway", "fail", [[0.2, 0.8], [2.0, 3.0]]),
        rule("lean_forward", "ok", []),
        rule("head_down", "not_measured", []),
    ]
    assert banners(rules) == [
        Banner(0.2, 0.8, "Lateral sway: cue of lateral_sway.", "fail"),
        Banner(2.0, 3.0, "Lateral sway: cue of lateral_sway.", "fail"),
        Banner(0.5, 1.0, "Head shake: cue of head_shake.", "warn"),
    ]


def test_a_flagged_rule_without_spans_shows_no_banner() -> None:
    assert banners([rule("lean_forward", "fail", [])]) == []


def test_rule_title() -> None:
    assert rule_title("lean_forward") == "Lean forward"
