"""Rules: loading and strict validation of rules files, spans, and verdicts on synthetic
runners."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posture.errors import UsageError
from posture.metrics import analyse
from posture.rules import RuleResult, evaluate, load_rules, sustained_spans
from posture.settings import AnalysisSettings
from tests.skeletons import Runner, build_track

SHIPPED = load_rules()
REQUIRED_IDS = (
    "lean_forward",
    "lean_backward",
    "head_down",
    "head_shake",
    "shoulder_hunch",
    "vertical_bounce",
    "lateral_sway",
    "uneven_pace",
)
CORE = ("lean_forward", "lean_backward", "shoulder_hunch", "vertical_bounce", "lateral_sway")


def verdicts(runner: Runner, **settings: object) -> dict[str, RuleResult]:
    s = AnalysisSettings(**settings)  # type: ignore[arg-type]
    return {r.id: r for r in evaluate(analyse(build_track(runner), s), SHIPPED, s)}


def test_shipped_rules_have_the_required_ids_and_core_exercises() -> None:
    assert set(REQUIRED_IDS) <= set(SHIPPED.ids)
    for rule_id in CORE:
        ex = SHIPPED[rule_id].exercises
        assert [e.id for e in ex] == ["mini_crunch", "lying_leg_raise", "prone_back_extension"]
        assert all(e.dose == "3-5 sets of 15-20" for e in ex)


BASE = (Path(__file__).parent.parent / "posture" / "rules" / "rules.toml").read_text()


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("warn = 10.0\nfail = 15.0", "warn = 10.0\nfail = 15.0\nwarm = 3", "lean_forward.warm"),
        ("warn = 10.0\nfail = 15.0", 'warn = "ten"\nfail = 15.0', "lean_forward.warn"),
        ("warn = 10.0\nfail = 15.0", "warn = 15.0\nfail = 10.0", "lean_forward.fail"),
        ("warn = -3.0\nfail = -6.0", "warn = -6.0\nfail = -3.0", "lean_backward.fail"),
        ('metric = "torso_lean_deg"', 'metric = "torso_lean"', "lean_forward.metric"),
        ('views = ["side"]', 'views = ["top"]', "lean_forward.views[0]"),
        ('views = ["front", "rear"]', 'views = ["side"]', "head_shake.metric"),
        (
            'exempt_contexts = ["uphill", "accelerating"]',
            'exempt_contexts = ["downhill"]',
            "lean_forward.exempt_contexts[0]",
        ),
        ("relax = { uneven = 10.0 }", "relax = { muddy = 10.0 }", "head_down.relax.muddy"),
        ('direction = "above"', 'direction = "up"', "lean_forward.direction"),
        ("min_fraction = 0.5", "min_fraction = 1.5", "lean_forward.min_fraction"),
        ("min_samples = 3", "min_samples = 2.5", "lean_forward.min_samples"),
        ('"prone_back_extension"]', '"plank"]', "lean_forward.exercises[2]"),
        ('dose = "3-5 sets of 15-20"', "dose = 3", "exercises.mini_crunch.dose"),
        ("version = 1", "version = 2", "version"),
        ("version = 1", "version = 1\ncolour = 1", "colour"),
        (
            '{ metric = "neck_flexion_deg", warn',
            '{ metric = "neck_flexion_deg", wran = 1, warn',
            "head_down.also[0].wran",
        ),
    ],
)
def test_bad_rules_file_names_the_file_and_key(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    assert old in BASE, old
    path = tmp_path / "my-rules.toml"
    path.write_text(BASE.replace(old, new, 1))
    with pytest.raises(UsageError) as err:
        load_rules(path)
    assert str(path) in str(err.value)
    assert key in str(err.value)
    assert err.value.exit_code == 2


@pytest.mark.parametrize(
    ("text", "needle"), [("[rules\n", "not valid TOML"), ("version = 1\n[rules]\n", "no rules")]
)
def test_unreadable_rules_files(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "r.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match=needle):
        load_rules(path)
    with pytest.raises(UsageError, match="no such file"):
        load_rules(tmp_path / "missing.toml")


def test_a_copy_of_the_shipped_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(BASE)
    assert load_rules(path).ids == SHIPPED.ids


@pytest.mark.parametrize(
    ("breaks", "expected"),
    [
        ([0, 0, 0, 0, 0], ()),
        ([1, 1, 0, 0, 0], ((0.0, 2.0),)),
        ([1, 0, 1, 0, 0], ((0.0, 3.0),)),  # gap of one stride < max gap: merged
        ([1, 0, 0, 0, 1], ((0.0, 1.0), (4.0, 5.0))),
        ([1, 1, 1, 1, 1], ((0.0, 5.0),)),
    ],
)
def test_spans_over_strides(breaks: list[int], expected: tuple[tuple[float, float], ...]) -> None:
    iv = np.array([[i, i + 1.0] for i in range(5)])
    got = sustained_spans(iv, np.array(breaks, bool), max_gap_s=1.1, min_len_s=0.75)
    assert got == expected


def test_spans_drop_blips_shorter_than_a_stride() -> None:
    t = np.arange(0, 3, 0.1)
    iv = np.stack([t, t + 0.1], axis=-1)
    breaks = (t >= 1.0) & (t < 1.3)  # 0.3 s blip
    assert sustained_spans(iv, breaks, max_gap_s=0.7, min_len_s=0.7) == ()
    breaks = (t >= 1.0) & (t < 2.0)
    assert sustained_spans(iv, breaks, max_gap_s=0.7, min_len_s=0.7) == ((1.0, 2.0),)


@pytest.mark.parametrize(
    ("runner", "rule_id", "status"),
    [
        (Runner(lean_deg=4.0), "lean_forward", "ok"),
        (Runner(lean_deg=12.0), "lean_forward", "warn"),
        (Runner(lean_deg=17.0, facing="left"), "lean_forward", "fail"),
        (Runner(lean_deg=-4.5), "lean_backward", "warn"),
        (Runner(lean_deg=-8.0), "lean_backward", "fail"),
        (Runner(lean_deg=-8.0), "lean_forward", "ok"),
        (Runner(head_pitch_deg=5.0), "head_down", "ok"),
        (Runner(head_pitch_deg=20.0), "head_down", "warn"),
        (Runner(head_pitch_deg=30.0), "head_down", "fail"),
        (Runner(neck_flexion_deg=40.0), "head_down", "warn"),
        (Runner(ear_shoulder_over_torso=0.27), "shoulder_hunch", "warn"),
        (Runner(ear_shoulder_over_torso=0.36), "shoulder_hunch", "ok"),
        (Runner(bounce_cm=8.5), "vertical_bounce", "ok"),
        (Runner(bounce_cm=11.0), "vertical_bounce", "warn"),
        (Runner(bounce_cm=13.0, view="front"), "vertical_bounce", "fail"),
        (Runner(view="front", sway_cm=9.0), "lateral_sway", "warn"),
        (Runner(view="rear", sway_cm=4.0), "lateral_sway", "ok"),
        (Runner(view="front", yaw_pp_deg=25.0), "head_shake", "warn"),
        (Runner(view="front", yaw_pp_deg=8.0), "head_shake", "ok"),
        (Runner(), "uneven_pace", "ok"),
        (Runner(view="front"), "lean_forward", "not_measured"),
        (Runner(view="front"), "head_down", "not_measured"),
        (Runner(), "head_shake", "not_measured"),
        (Runner(), "lateral_sway", "not_measured"),
    ],
)
def test_verdicts_on_synthetic_runners(runner: Runner, rule_id: str, status: str) -> None:
    result = verdicts(runner, height_cm=runner.height_cm)[rule_id]
    assert result.status == status, result
    assert (result.value is None) == (status == "not_measured")
    assert bool(result.exercises) == (status in ("warn", "fail") and rule_id in CORE)


@pytest.mark.parametrize("context", ["uphill", "accelerating"])
def test_forward_lean_exempt_when_climbing_or_accelerating(context: str) -> None:
    result = verdicts(Runner(lean_deg=17.0), context=context)["lean_forward"]
    assert result.status == "ok" and result.spans_s == ()
    assert context in result.advice
    assert result.value == pytest.approx(17.0, abs=0.5)


def test_head_down_relaxed_on_uneven_ground() -> None:
    runner = Runner(head_pitch_deg=20.0)
    assert verdicts(runner)["head_down"].status == "warn"
    relaxed = verdicts(runner, context="uneven")["head_down"]
    assert relaxed.status == "ok"
    assert relaxed.limits["warn"] == 25.0


def test_spans_cover_the_stretch_that_breaks_the_rule() -> None:
    upright = build_track(Runner(lean_deg=3.0, duration_s=10.0))
    leaning = build_track(Runner(lean_deg=13.0, duration_s=10.0))
    lm = upright.landmarks.copy()
    lm[150:] = leaning.landmarks[150:]  # leans from 5 s on
    from posture.pose.track import PoseTrack

    track = PoseTrack(
        upright.timestamps_ms,
        lm,
        upright.world_landmarks_m,
        upright.resolution_wh,
        upright.fps,
        upright.model,
    )
    result = {r.id: r for r in evaluate(analyse(track), SHIPPED)}["lean_forward"]
    assert len(result.spans_s) == 1
    start, end = result.spans_s[0]
    assert 4.3 <= start <= 5.8 and end >= 9.0


def test_result_dict_shape() -> None:
    d = verdicts(Runner(lean_deg=12.0))["lean_forward"].to_dict()
    assert set(d) == {
        "id",
        "status",
        "value",
        "unit",
        "limits",
        "spans_s",
        "message",
        "advice",
        "exercises",
    }
    assert d["limits"]["warn"] == 10.0 and d["unit"] == "deg"
    assert d["message"].startswith("Keep upright from the neck to the abdomen")
    assert d["exercises"][0]["dose"] == "3-5 sets of 15-20"
    ok = verdicts(Runner(lean_deg=2.0))["lean_forward"].to_dict()
    assert "exercises" not in ok
