"""Every label a coach checked by eye on the real footage (`../shared/samples/labels.toml`).

The labels file grows as footage is added; this test reads it and checks each expectation it
can state in numbers: view and facing, fixed or moving camera, the activity timeline, the
rules that must or must not be flagged, no running verdicts on clips without running, and
no report on a clip with nobody in it. A label the code cannot meet yet is a strict xfail
(`KNOWN_MISSES`) whose reason gives the number reached; when the code gets it right, the
xfail fails and the entry must go.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from posture.pipeline import analyse_clip
from posture.result import ClipResult
from tests.conftest import SHARED_SAMPLES

LABELS = SHARED_SAMPLES / "labels.toml"

#: Rule names in words (as the labels write them) -> the rule ids that implement them.
RULE_WORDS = {
    "lean forward": ("lean_forward",),
    "lean backward": ("lean_backward",),
    "head down": ("head_down",),
    "head shake": ("head_shake",),
    "shoulder hunch": ("shoulder_hunch",),
    "vertical bounce": ("vertical_bounce",),
    "lateral sway": ("lateral_sway",),
    "uneven pace": ("uneven_pace",),
    "landing / overstride": ("overstride", "hard_landing", "landing"),
    "hips forward": ("hips_back", "hips_forward", "sitting_back"),
}

#: Share of a labelled activity span whose frames must carry that label.
SPAN_AGREEMENT = 0.6

#: check id -> why the code cannot meet the label yet, with the number reached.
KNOWN_MISSES: dict[str, str] = {
    "side_road_elite_tracking_goodform_1:camera=moving": (
        "the tracking shot moves the background 0.03 leg lengths/s (median; fixed clips read "
        "0.00-0.09, the threshold is 0.15). The clip is slow motion, about 0.1x (the ankles "
        "swing at 0.12-0.18 strides/s of clip time; no step rhythm is found), so the "
        "background moves a tenth as fast per clip second; the threshold is per clip second"
    ),
    "front_park_two_joggers_1:camera=moving": (
        "the camera backs away in front of the joggers: the background shifts 0.09 leg "
        "lengths/s (threshold 0.15); a forward/backward dolly is mostly zoom, not yet measured"
    ),
    "side_sprint_start_forward_lean_1:activity=(0.0, 5.0, 'crouched')": (
        "MediaPipe finds nobody in the blocks for 0-2.5 s and a different body for 2.5-4.9 s "
        "(torso 6x the runner's): 0 % of 0-5 s is labelled crouched (none instead)"
    ),
    "walk_then_jog_treadmill_side_tutorial_1:activity=(26.0, 37.0, 'walking')": (
        "26.8-32.4 s is a shot of its own (cuts found at 26.8 and 32.4 s) with the legs out of "
        "frame, read as unknown: only 44 % of 26-37 s is labelled walking (33-38 s is)"
    ),
}


@dataclass(frozen=True)
class Check:
    clip: str
    kind: str
    arg: Any

    @property
    def id(self) -> str:
        return f"{self.clip}:{self.kind}" + (f"={self.arg}" if self.arg is not None else "")


def _labels() -> dict[str, dict[str, Any]]:
    if not LABELS.is_file():
        return {}
    return tomllib.loads(LABELS.read_text("utf-8"))


def _checks() -> list[Check]:
    out = []
    for clip, lab in _labels().items():
        if "exercise" in lab:
            out.append(Check(clip, "no_running_verdicts", None))
            continue
        if lab.get("view") in ("side", "front", "rear"):
            out.append(Check(clip, "view", lab["view"]))
        if "facing" in lab:
            out.append(Check(clip, "facing", lab["facing"]))
        camera = str(lab.get("camera", ""))
        if camera.startswith(("fixed", "moving")):
            out.append(Check(clip, "camera", camera.split(",")[0].split(" for ")[0]))
        if "edited" in camera or "cuts" in camera:
            out.append(Check(clip, "cuts", None))
        for words in lab.get("must_not_flag", []):
            out.append(Check(clip, "not_flagged", words))
        for item in lab.get("must_flag", []):
            out.append(Check(clip, "flagged", item))
        spans = lab.get("activity", [])
        for span in spans:
            out.append(Check(clip, "activity", tuple(span)))
        if spans and not any(s[2] == "running" for s in spans):
            out.append(Check(clip, "no_running_verdicts", None))
        expects = " ".join(lab.get("expect", []))
        if "no person" in expects or "no runner" in expects:
            out.append(Check(clip, "no_runner_or_no_verdicts", None))
    return out


CHECKS = _checks()


@pytest.fixture(scope="session")
def labelled(pose_track):  # type: ignore[no-untyped-def]
    """Clip name -> its `ClipResult`, analysed once per session from its saved track."""
    cache: dict[str, ClipResult] = {}

    def get(clip: str) -> ClipResult:
        if clip not in cache:
            video = next(SHARED_SAMPLES.glob(f"{clip}.*"))
            cache[clip] = analyse_clip(pose_track(video))
        return cache[clip]

    return get


def _rule(result: ClipResult, words: str):  # type: ignore[no-untyped-def]
    ids = RULE_WORDS.get(words)
    if ids is None:
        pytest.fail(f"labels.toml names a rule this test does not know: {words!r}")
    found = [r for r in result.rules if r.id in ids]
    if not found:
        pytest.skip(f"no rule implements {words!r} yet ({' / '.join(ids)})")
    return found[0]


def _share(result: ClipResult, t0: float, t1: float, labels: tuple[str, ...]) -> float:
    a = result.analysis
    t = a.timestamps_ms / 1000.0
    inside = (t >= t0) & (t <= t1)
    if not inside.any() or a.activity is None:
        return 0.0
    return float(np.isin(a.activity.label[inside], labels).mean())


@pytest.mark.model
@pytest.mark.footage
@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_label(check: Check, labelled, request: pytest.FixtureRequest) -> None:  # type: ignore[no-untyped-def]
    if not LABELS.is_file():
        pytest.skip(f"{LABELS} is absent (it is only in the project's workspace)")
    miss = KNOWN_MISSES.get(check.id)
    if miss:
        request.applymarker(pytest.mark.xfail(strict=True, reason=miss))
    result = labelled(check.clip)
    a = result.analysis
    verdicts = {r.id: (r.status, r.reasons) for r in result.rules}
    if check.kind == "no_runner_or_no_verdicts":
        judged = [i for i, (s, _) in verdicts.items() if s not in ("not_measured", "exempt")]
        assert result.report.status == "no_runner" or not judged, verdicts
        return
    if check.kind == "no_running_verdicts":
        judged = {i: v for i, v in verdicts.items() if v[0] not in ("not_measured", "exempt")}
        assert not judged, f"running verdicts on a clip without running: {judged}"
        return
    assert a is not None and result.report.status == "analysed", result.report.status
    if check.kind == "view":
        assert a.view == check.arg
    elif check.kind == "facing":
        assert a.facing == check.arg
    elif check.kind == "camera":
        assert a.camera is not None
        if check.arg == "fixed":
            assert a.camera.label == "fixed", f"moving share {a.camera.moving_share:.2f}"
        else:
            assert a.camera.label != "fixed", f"moving share {a.camera.moving_share:.2f}"
    elif check.kind == "cuts":
        assert a.camera is not None and a.camera.n_cuts >= 2, a.camera and a.camera.n_cuts
    elif check.kind == "not_flagged":
        rule = _rule(result, check.arg)
        assert rule.status not in ("warn", "fail"), (rule.status, rule.typical, rule.episodes)
    elif check.kind == "flagged":
        words = check.arg if isinstance(check.arg, str) else check.arg[0]
        rule = _rule(result, words)
        assert rule.status in ("warn", "fail"), (rule.status, rule.typical, rule.reasons)
    elif check.kind == "activity":
        t0, t1, kind = check.arg
        pad = 0.5  # the labels' times are +/- 0.5 s
        if kind in ("none", "cut"):
            share = _share(result, t0 + pad, t1 - pad, ("running",))
            assert share <= 1 - SPAN_AGREEMENT, f"{share:.0%} of {t0}-{t1} s labelled running"
        else:
            share = _share(result, t0 + pad, t1 - pad, (kind,))
            assert share >= SPAN_AGREEMENT, f"only {share:.0%} of {t0}-{t1} s labelled {kind}"
    else:  # pragma: no cover - a new kind of check without its assertion
        pytest.fail(f"unknown check {check.kind}")


def test_the_labels_file_is_read_when_present() -> None:
    if not LABELS.is_file():
        pytest.skip(f"{LABELS} is absent (it is only in the project's workspace)")
    assert len(CHECKS) >= len(_labels()), "every labelled clip gives at least one check"
