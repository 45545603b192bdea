"""Rules: loading and strict validation of rules files, spans, and verdicts on synthetic
runners."""

from __future__ import annotations

from pathlib import Path

import pytest

from posture.errors import UsageError
from posture.metrics import analyse
from posture.pose.track import PoseTrack
from posture.rules import RuleResult, RuleTracker, evaluate, load_rules
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
        ('views = ["front"]', 'views = ["side"]', "head_shake.metric"),
        (
            'exempt_contexts = ["uphill", "accelerating"]',
            'exempt_contexts = ["downhill"]',
            "lean_forward.exempt_contexts[0]",
        ),
        ("relax = { uneven = 10.0 }", "relax = { muddy = 10.0 }", "head_down.relax.muddy"),
        ('direction = "above"', 'direction = "up"', "lean_forward.direction"),
        ("min_samples = 3\nexempt", "min_samples = 3\nmin_s = -1\nexempt", "lean_forward.min_s"),
        (
            "min_samples = 3\nexempt",
            "min_samples = 3\nmin_strides = 0\nexempt",
            "lean_forward.min_strides",
        ),
        ('cue = "Stay upright"\n', "", "lean_forward.cue"),
        (
            '{ metric = "neck_flexion_deg", warn = 35.0, fail = 45.0 }',
            '{ metric = "cadence_spm", warn = 35.0, fail = 45.0 }',
            "head_down.also",
        ),
        ("min_samples = 3", "min_samples = 2.5", "lean_forward.min_samples"),
        ("follows = 0.55", "follows = 1.5", "head_down.follows"),
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


def _stretches(levels: list[int], *, per_stride: bool = True) -> list[tuple[float, float, int]]:
    """Feed one level per 1 s sample (strict = loose) through a lean_forward tracker."""
    tracker = RuleTracker.for_rule(SHIPPED["lean_forward"], per_stride=per_stride, max_gap_s=1.1)
    for i, lv in enumerate(levels):
        tracker.update(i, float(i), i + 1.0, lv, lv)
    return [(a, b, level) for a, b, _, _, level in tracker.finish()]


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([0, 0, 0, 0, 0], []),
        ([1, 1, 0, 0, 0], [(0.0, 2.0, 1)]),  # 2 strides but 2 s: sustained
        ([1, 0, 0, 0, 0], []),  # one stride, 1 s: a blip
        ([1, 0, 1, 0, 0], [(0.0, 3.0, 1)]),  # a one-stride gap is bridged
        ([1, 0, 0, 1, 1], [(3.0, 5.0, 1)]),  # a longer gap ends the stretch; the blip drops
        ([1, 2, 2, 2, 1], [(0.0, 5.0, 2)]),  # fail held for 3 strides inside a warn stretch
        ([1, 2, 1, 1, 1], [(0.0, 5.0, 1)]),  # one fail stride does not make it a fail
        ([0, -1, 1, 1, 1], [(2.0, 5.0, 1)]),  # not measured samples break nothing
    ],
)
def test_sustained_stretches(levels: list[int], expected: list[tuple[float, float, int]]) -> None:
    assert _stretches(levels) == expected


def test_per_frame_stretches_need_the_duration() -> None:
    # 10 frames a second: 1.5 s of breaking frames is many samples but not 2 s.
    tracker = RuleTracker.for_rule(SHIPPED["lean_forward"], per_stride=False, max_gap_s=0.7)
    for i in range(100):
        lv = 1 if 20 <= i < 35 else 0
        tracker.update(i, i / 10, (i + 1) / 10, lv, lv)
    assert tracker.finish() == []


def test_hysteresis_keeps_a_stretch_until_the_value_is_back_by_the_margin() -> None:
    tracker = RuleTracker.for_rule(SHIPPED["lean_forward"], per_stride=True, max_gap_s=0.5)
    # strict level drops to ok, loose (margin) still warn: the stretch goes on
    for i, (strict, loose) in enumerate([(1, 1), (1, 1), (0, 1), (0, 1), (0, 0), (0, 0)]):
        tracker.update(i, float(i), i + 1.0, strict, loose)
    assert [(a, b) for a, b, *_ in tracker.finish()] == [(0.0, 4.0)]


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
    assert bool(result.episodes) == (status in ("warn", "fail"))
    assert bool(result.reasons) == (status == "not_measured" or result.confidence == "low")
    assert bool(result.exercises) == (status in ("warn", "fail") and rule_id in CORE)


@pytest.mark.parametrize("context", ["uphill", "accelerating"])
def test_forward_lean_exempt_when_climbing_or_accelerating(context: str) -> None:
    result = verdicts(Runner(lean_deg=17.0), context=context)["lean_forward"]
    assert result.status == "exempt" and result.episodes == ()
    assert context in result.reasons[0]
    assert result.typical == pytest.approx(17.0, abs=0.5)


def test_head_down_relaxed_on_uneven_ground() -> None:
    runner = Runner(head_pitch_deg=20.0)
    flat = verdicts(runner)["head_down"]
    assert flat.status == "warn"
    relaxed = verdicts(runner, context="uneven")["head_down"]
    assert relaxed.status == "ok"
    assert relaxed.criterion.warn == flat.criterion.warn + 10.0  # rules.toml: relax.uneven


@pytest.mark.parametrize(
    ("pitch", "status", "confidence", "past"),
    [(2.0, "ok", "high", ""), (9.0, "ok", "low", "warn limit 12"),
     (15.0, "warn", "low", "fail limit 22"), (26.0, "fail", "high", "")],
)  # fmt: skip
def test_a_verdict_the_pose_model_may_under_read_is_low_confidence(
    pitch: float, status: str, confidence: str, past: str
) -> None:
    """head_down `follows = 0.55`: a reading that 0.55 of a fault past the next limit could
    give is not a sure "ok" (or a sure "warn")."""
    result = verdicts(Runner(head_pitch_deg=pitch))["head_down"]
    assert (result.status, result.confidence) == (status, confidence), result.reasons
    under = [r for r in result.reasons if "follows about 55%" in r]
    assert bool(under) == bool(past)
    if past:
        assert past in under[0] and f"{pitch / 0.55:.0f} deg" in under[0]


def _leaning_between(start_s: float, end_s: float, duration_s: float) -> PoseTrack:
    """An upright runner (3 deg) who leans 13 deg forward from `start_s` to `end_s`."""
    upright = build_track(Runner(lean_deg=3.0, duration_s=duration_s))
    leaning = build_track(Runner(lean_deg=13.0, duration_s=duration_s))
    t_s = upright.timestamps_ms / 1000.0
    lm = upright.landmarks.copy()
    inside = (t_s >= start_s) & (t_s < end_s)
    lm[inside] = leaning.landmarks[inside]
    return PoseTrack(
        upright.timestamps_ms, lm, upright.world_landmarks_m, upright.resolution_wh,
        upright.fps, upright.model,
    )  # fmt: skip


@pytest.mark.parametrize(("start_s", "end_s"), [(5.0, 10.0), (6.0, 11.0), (2.0, 5.5)])
def test_a_fault_of_seconds_is_flagged_with_its_span(start_s: float, end_s: float) -> None:
    """A few seconds of leaning in a 20 s clip is a fault, though the clip's median is fine."""
    analysis = analyse(_leaning_between(start_s, end_s, 20.0))
    result = {r.id: r for r in evaluate(analysis, SHIPPED)}["lean_forward"]
    assert analysis.summary["torso_lean_deg"].median < 10.0  # the median says upright
    assert result.status == "warn", result
    (episode,) = result.episodes
    assert episode.start_s == pytest.approx(start_s, abs=0.5)
    assert episode.end_s == pytest.approx(end_s, abs=0.5)
    assert episode.peak == pytest.approx(13.0, abs=1.0)
    assert result.share == pytest.approx((end_s - start_s) / 20.0, abs=0.05)


def test_a_blip_shorter_than_the_sustained_stretch_is_not_a_fault() -> None:
    result = {r.id: r for r in evaluate(analyse(_leaning_between(8.0, 9.0, 20.0)), SHIPPED)}
    assert result["lean_forward"].status == "ok"
    assert result["lean_forward"].episodes == ()


def test_result_dict_shape() -> None:
    d = verdicts(Runner(lean_deg=12.0))["lean_forward"].to_dict()
    assert set(d) == {
        "id", "title", "status", "confidence", "reasons", "typical", "unit", "limits",
        "episodes", "share", "message", "cue", "advice", "exercises",
    }  # fmt: skip
    assert d["episodes"][0]["level"] == "warn" and d["cue"] == "Stay upright"
    assert d["limits"]["warn"] == 10.0 and d["unit"] == "deg"
    assert d["message"].startswith("Keep upright from the neck to the abdomen")
    assert d["exercises"][0]["dose"] == "3-5 sets of 15-20"
    ok = verdicts(Runner(lean_deg=2.0))["lean_forward"].to_dict()
    assert "exercises" not in ok


@pytest.mark.parametrize(("real_time", "flagged"), [(True, True), (False, False)])
def test_two_slow_motion_strides_are_not_a_sustained_fault(real_time: bool, flagged: bool) -> None:
    """Two strides over the limit lasting 3.2 s of clip time: sustained by the clock in real
    time (>= 2 s), not in slow motion, where only the count of strides (3) can sustain it."""
    import numpy as np

    from posture.rules.engine import criteria_for
    from posture.rules.evaluate import Samples, find_episodes

    rule = SHIPPED["head_shake"]
    t0 = np.arange(6) * 1.6
    values = {rule.metric: np.array([12.0, 14.0, 24.0, 24.0, 12.0, 12.0])}
    samples = Samples(t0, t0 + 1.6, values, per_stride=True, n_strides=6)
    episodes, _ = find_episodes(rule, criteria_for(rule, "flat"), samples, 1.6, real_time)
    assert bool(episodes) == flagged
    if flagged:
        assert (episodes[0].start_s, episodes[0].end_s) == (3.2, 6.4)
