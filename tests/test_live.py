"""Live mode: cue selection, calibration, the newest-frame slot, and whole sessions through
the real CLI (`--no-window`) on committed sample clips."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import av
import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from posture.cli.live import live
from posture.errors import UsageError
from posture.live.calibration import Calibrator
from posture.live.cues import CueSelector, RuleMonitor
from posture.live.feedback import NO_RUNNER, Headline, SettledHeadline, headline
from posture.rules import load_rules
from posture.source.camera import Frame, LatestFrame, parse_source
from tests.conftest import shared_clip
from tests.media import first_frames

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
RULES = load_rules()
LIMIT = RULES["lean_forward"].criteria[0]  # warn 10, fail 15 deg
CUE = RULES["lean_forward"].cue


# -- cue selection ------------------------------------------------------------------------------
def _run_cues(lean_at: object, seconds: float = 20.0, fps: float = 30.0) -> list[tuple[float, str]]:
    """Feed a side-view lean series through RuleMonitor + CueSelector; (time, cue) changes."""
    monitor, selector = RuleMonitor(RULES), CueSelector(RULES, hold_s=2.5)
    changes: list[tuple[float, str]] = []
    shown: str | None = "start"
    for i in range(int(seconds * fps)):
        t_s = i / fps
        levels = monitor.update(t_s * 1000, {"torso_lean_deg": lean_at(t_s)}, "side")  # type: ignore[operator]
        cue = selector.update(t_s, levels)
        if cue.text != shown:
            changes.append((t_s, str(cue.text)))
            shown = cue.text
    return changes


@pytest.mark.parametrize(
    "name, lean",
    [
        ("oscillating 1 deg around warn at 1 Hz", lambda t: 10 + np.sin(2 * np.pi * t)),
        ("oscillating 3 deg around warn at 0.3 Hz", lambda t: 10 + 3 * np.sin(2 * np.pi * 0.3 * t)),
        ("square wave over and under warn", lambda t: 12.0 if int(t * 2) % 2 else 8.0),
        ("noisy around fail", lambda t: 15 + np.random.default_rng(int(t * 30)).normal(0, 2)),
    ],
)
def test_no_flicker_at_most_one_change_per_hold(name: str, lean: object) -> None:
    changes = _run_cues(lean)
    assert any(text == CUE for _, text in changes), f"{name}: never cued"
    # changes[0] is the start state; a first cue after a cue-free start shows at once.
    times = [t for t, _ in (changes[2:] if changes[0][1] == "None" else changes[1:])]
    first = changes[1][0] if changes[0][1] == "None" else changes[0][0]
    assert (np.diff([first, *times]) >= 2.5 - 1e-9).all(), f"{name}: cue changes {changes}"


def test_first_cue_is_immediate_and_clears_after_the_hold() -> None:
    changes = _run_cues(lambda t: 20.0 if t < 6.0 else 2.0, seconds=12)
    assert changes[0][1] == "None"
    # The fault must last min_s (2 s) after the rolling median sees it; then no hold applies.
    assert changes[1][1] == CUE and 2.0 <= changes[1][0] <= 3.0
    assert changes[2][1] == "None" and 6.0 <= changes[2][0] <= 8.0


def test_more_severe_rule_takes_over_only_after_the_hold() -> None:
    monitor, selector = RuleMonitor(RULES), CueSelector(RULES, hold_s=2.5)
    seen = []
    for i in range(300):
        t_s = i / 30
        values = {"torso_lean_deg": 12.0, "head_pitch_deg": 40.0 if t_s > 1.5 else 0.0}
        cue = selector.update(t_s, monitor.update(t_s * 1000, values, "side"))
        seen.append((t_s, cue.rule_id, cue.level))
    first = next(t for t, r, _ in seen if r is not None)
    assert {r for t, r, _ in seen if first <= t < first + 2.4} == {"lean_forward"}
    assert seen[-1][1:] == ("head_down", "fail")


def test_exempt_context_and_wrong_view_never_cue() -> None:
    uphill = RuleMonitor(RULES, "uphill")
    assert uphill.update(0.0, {"torso_lean_deg": 30.0}, "side")["lean_forward"] == "exempt"
    front = RuleMonitor(RULES)
    assert front.update(0.0, {"torso_lean_deg": 30.0}, "front")["lean_forward"] == "not_measured"


def test_hysteresis_leaves_a_level_only_inside_the_margin() -> None:
    monitor = RuleMonitor(RULES, window_s=0.001)  # margin 30 % of warn-fail: 1.5 deg
    script = [(11.0, 3.0), (9.0, 1.0), (8.4, 1.0), (16.0, 3.0), (13.4, 1.0)]  # (deg, seconds)
    t_ms, levels = 0.0, []
    for value, seconds in script:
        for _ in range(int(seconds * 10)):
            level = monitor.update(t_ms, {"torso_lean_deg": value}, "side")["lean_forward"]
            t_ms += 100.0
        levels.append(level)
    # 9 deg is inside warn but not by the margin: still warn; 8.4 is: ok after the gap;
    # 13.4 is back inside fail by the margin: warn.
    assert levels == ["warn", "warn", "ok", "fail", "warn"]


# -- the headline: "Good form" only on what was judged ----------------------------------------
def _headline(
    values: dict[str, float], view: str | None = "side", seconds: float = 2.0, **kw: object
) -> Headline:
    monitor, selector = RuleMonitor(RULES), CueSelector(RULES)
    for i in range(round(seconds * 30)):
        levels = monitor.update(i * 33.3, values, view)
        cue = selector.update(i / 30, levels)
    args = {"activity": "running", "runner_seen": True} | kw
    return headline(cue, levels, RULES, view, **args)  # type: ignore[arg-type]


def test_good_form_names_the_rules_of_the_view_not_judged() -> None:
    # lean, head and shoulders measured and fine; no steps yet: bounce and pace not judged
    line = _headline({"torso_lean_deg": 3.0, "head_pitch_deg": 2.0, "shoulder_hunch_pct": 5.0})
    assert (line.text, line.state) == ("Good form", "ok")
    assert "bounce" in line.detail and "pace CV" in line.detail and "lean" not in line.detail
    assert "head sway" not in line.detail  # a front-view rule: not this view's to judge


def test_nothing_judged_is_never_good_form() -> None:
    assert _headline({}).state == "none"
    assert _headline({}).text == "Measuring your form"
    nobody = _headline({"torso_lean_deg": 3.0}, runner_seen=False)
    assert nobody.state == "none" and "Step into view" in nobody.text
    walking = _headline({"torso_lean_deg": 3.0}, activity="walking")
    assert (walking.text, walking.state) == ("Walking: cues when you run", "none")
    assert _headline({"torso_lean_deg": 3.0}, view=None).state == "none"


def test_a_cue_is_the_headline_whatever_else_is_unjudged() -> None:
    line = _headline({"torso_lean_deg": 20.0}, seconds=4)
    assert (line.text, line.state) == (CUE, "fail")


def test_the_headline_settles_before_it_changes_but_a_cue_shows_at_once() -> None:
    settled = SettledHeadline(settle_s=1.0)
    good, gone = Headline("Good form", "ok"), Headline(NO_RUNNER, "none")
    assert settled.update(0.0, good) == good
    # MediaPipe misses the runner for 0.3 s now and then: the screen stays
    shown = [settled.update(t / 10, gone if t % 5 < 3 else good) for t in range(1, 30)]
    assert set(shown) == {good}
    # gone for good: shown once it has held 1 s
    timeline = [(t / 10, settled.update(t / 10, gone)) for t in range(30, 45)]
    assert next(t for t, line in timeline if line == gone) == pytest.approx(4.0)
    cue = Headline(CUE, "fail")
    assert settled.update(4.5, cue) == cue  # the cue selector already held it
    # the cue ends: "Good form" settles like any other line
    assert settled.update(4.6, good) == cue
    assert settled.update(5.7, good) == good
    # the same text with another detail (what is not judged) follows at once
    more = Headline("Good form", "ok", "not judged: bounce")
    assert settled.update(5.8, more) == more


# -- calibration --------------------------------------------------------------------------------
def test_calibration_sets_personal_neutrals() -> None:
    cal = Calibrator(3.0)
    cal.start(0.0)
    for i in range(100):
        state = cal.update(i * 33.3, {"head_pitch_deg": 6.0, "ear_shoulder_over_torso": 0.4})
    assert state.phase == "done" and cal.baselines is not None
    assert cal.baselines.head_pitch_deg == 6.0
    assert cal.baselines.ear_shoulder_over_torso == 0.4


def test_calibration_fails_without_a_runner() -> None:
    cal = Calibrator(1.0)
    cal.start(0.0)
    for i in range(40):
        state = cal.update(i * 33.3, {"head_pitch_deg": float("nan")})
    assert state.phase == "failed" and "side-on" in state.message and cal.baselines is None


# -- newest-frame slot --------------------------------------------------------------------------
def _frame(i: int) -> Frame:
    return Frame(i, i * 33.3, 0.0, np.zeros((2, 2, 3), np.uint8))


def test_slot_keeps_only_the_newest_frame_and_counts_drops() -> None:
    slot = LatestFrame()
    for i in range(3):
        slot.put(_frame(i))
    taken = slot.take(0.01)
    assert taken is not None and taken.index == 2
    assert (slot.seen, slot.dropped) == (3, 2)
    assert slot.take(0.01) is None


def test_blocking_slot_never_drops() -> None:
    slot, got = LatestFrame(blocking=True), []
    producer = threading.Thread(target=lambda: [slot.put(_frame(i)) for i in range(20)])
    producer.start()
    while len(got) < 20:
        if (f := slot.take(1.0)) is not None:
            got.append(f.index)
    producer.join()
    assert got == list(range(20)) and slot.dropped == 0


@pytest.mark.parametrize(
    "src, kind, name",
    [
        ("0", "camera", "camera0"),
        (" 2 ", "camera", "camera2"),
        ("rtsp://cam.local/stream", "stream", "stream"),
        ("http://10.0.0.2:8080/video", "stream", "stream"),
        ("runs/clip.mp4", "file", "clip"),
    ],
)
def test_parse_source(src: str, kind: str, name: str) -> None:
    spec = parse_source(src)
    assert (spec.kind, spec.name) == (kind, name)


# -- whole sessions through the CLI ------------------------------------------------------------
def _app() -> typer.Typer:
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command()(live)
    return app


def _run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(_app(), ["live", "--no-window", *args])
    return result.exit_code, result.output


def _verdicts(report: dict[str, object]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in report["rules"]}  # type: ignore[index, attr-defined]


#: Per-stride medians of foot events: the ground line an event is read against spans 20 frames
#: either side, so live (at the end of its window) finds fewer and other toe-offs than the
#: whole clip does (hip extension 15.7 live vs 10.9 offline on forward_lean_side). A known gap.
FOOT_EVENT_METRICS = {
    "overstride_pct_leg", "overstride_cm", "knee_flexion_at_contact_deg",
    "shin_angle_at_contact_deg", "foot_strike_angle_deg", "hip_extension_deg",
}  # fmt: skip

#: name -> a function of a scratch folder giving the clip. The treadmill clip is cut to its
#: first 12 s (22 strides): the comparison needs strides, not the whole 31.7 s.
LIVE_VS_CHECK = {
    "synthetic side, leaning": lambda _: SAMPLES / "forward_lean_side.mp4",
    "real side": lambda d: first_frames(
        shared_clip("treadmill_side_lab.mp4"), d / "treadmill_side_lab_12s.mp4", 360
    ),
    "real front": lambda _: shared_clip("indoor_front_jog_in_place.mp4"),
}


@pytest.mark.model
@pytest.mark.parametrize("name", list(LIVE_VS_CHECK))
def test_live_shows_what_check_reports(name: str, tmp_path: Path, pose_track) -> None:  # type: ignore[no-untyped-def]
    """What the runner is shown live (values, cues) matches `posture check` on the clip."""
    import posture

    clip = LIVE_VS_CHECK[name](tmp_path)
    out = tmp_path / "out"
    code, output = _run(["--camera", str(clip), "--as-fast-as-possible", "--out", str(out)])
    assert code == 0, output
    (report_path,) = out.glob(f"{clip.stem}-live-*.report.json")
    session = json.loads(report_path.read_text())
    # Live runs one landmarker over every frame, as `check --jobs 1` does (a split clip's
    # track differs at the chunk boundaries: tests/test_pose.py); `check` of that track.
    expected = posture.check(pose_track(clip, jobs=1)).to_dict()
    assert _verdicts(session) == _verdicts(expected)
    live_section = session["live"]
    assert live_section["frames_processed"] == live_section["frames_seen"]
    assert live_section["frames_dropped"] == 0
    shown = live_section["shown_medians"]
    # Landing values are shown live as the latest landing (held until the next one), so
    # their median over the frames shown weights each landing by how long it was on screen;
    # a per-stride peak is shown as the peak of the trailing window. The rest must be the
    # clip's value.
    for metric_id, figure in expected["metrics"].items():
        if figure["median"] is None or shown.get(metric_id) is None:
            continue
        if metric_id.startswith(("contact_", "toeoff_")) or "_peak_" in metric_id:
            continue
        if metric_id in FOOT_EVENT_METRICS:  # known gap, see FOOT_EVENT_METRICS
            continue
        want = figure["median"]
        assert shown[metric_id] == pytest.approx(want, rel=0.1, abs=1.0), metric_id
    for rule in expected["rules"]:
        cued = live_section["live_levels"].get(rule["id"], "not_measured")
        if rule["status"] in ("warn", "fail"):
            assert cued in ("warn", "fail"), (rule["id"], cued)
        elif rule["status"] == "ok":
            assert cued in ("ok", "not_measured"), (rule["id"], cued)


def _faststart_copy(src: Path, dst: Path) -> Path:
    """Remux `src` with its index first, as a live recorder or stream would allow reading."""
    with av.open(str(src)) as inp, av.open(str(dst), "w", options={"movflags": "faststart"}) as out:
        stream = out.add_stream_from_template(inp.streams.video[0])
        for packet in inp.demux(inp.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    return dst


@pytest.mark.model
def test_camera_dying_mid_run_still_saves_the_session(tmp_path: Path, model_path: Path) -> None:
    whole = _faststart_copy(SAMPLES / "bouncy_side.mp4", tmp_path / "whole.mp4")
    data = whole.read_bytes()
    cut = tmp_path / "dies.mp4"
    cut.write_bytes(data[: int(len(data) * 0.6)])  # the camera "dies" 60 % in
    out = tmp_path / "out"
    code, output = _run(["--camera", str(cut), "--out", str(out), "--runner", "dee"])
    assert code == 0, output
    assert "warning:" in output and "ended early" in output and "session saved" in output
    assert "report:" in output and ".report.html" in output  # the page a person opens
    from posture.report.history import list_runs

    (run,) = list_runs(runner="dee")  # a live session is recorded too, as the runner's
    assert run.kind == "live" and run.clip_name.startswith("dies")
    (report_path,) = out.glob("dies-live-*.report.json")
    report = json.loads(report_path.read_text())
    assert report["live"]["end"]["reason"] == "failed"
    assert 30 < report["live"]["frames_seen"] < 150
    assert any("ended early" in w for w in report["capture"]["warnings"])


def test_no_camera_is_one_line_exit_2(tmp_path: Path, model_path: Path) -> None:
    code, output = _run(["--camera", "7", "--out", str(tmp_path)])
    assert code == 2
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("posture: error: camera 7: cannot be opened")
    assert not any(tmp_path.iterdir())


def test_missing_file_is_one_line_exit_2(tmp_path: Path) -> None:
    code, output = _run(["--camera", str(tmp_path / "nope.mp4"), "--out", str(tmp_path)])
    assert code == 2 and "no such file" in output


def test_calibrated_baselines_carry_into_the_session_report_metrics() -> None:
    from posture.live.calibration import Baselines
    from posture.metrics import analyse, default_config
    from tests.skeletons import Runner, build_track

    track = build_track(Runner(head_pitch_deg=20.0))
    shipped = analyse(track)
    baselines = Baselines(head_pitch_deg=6.0, ear_shoulder_over_torso=0.30, frames=90)
    calibrated = analyse(track, config=baselines.metric_config(default_config()))
    pitch = [np.nanmedian(a.metrics["head_pitch_deg"]) for a in (shipped, calibrated)]
    assert pitch[0] - pitch[1] == pytest.approx(6.0, abs=0.01)
    r = np.nanmedian(calibrated.metrics["ear_shoulder_over_torso"])
    hunch = np.nanmedian(calibrated.metrics["shoulder_hunch_pct"])
    assert hunch == pytest.approx((0.30 - r) / 0.30 * 100.0, abs=0.01)


@pytest.mark.parametrize(
    ("extra", "phrase"),
    [([], "use --no-window"), (["--window-size", "12"], "--window-size must be WIDTHxHEIGHT")],
)
def test_no_display_or_a_bad_size_is_one_line_and_exit_2(
    zygote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: list[str], phrase: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    clip = str(SAMPLES / "good_form_side.mp4")
    result = zygote.run("live", "--camera", clip, "--out", "out", *extra, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and phrase in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "out").exists()


def test_window_size_parses_width_x_height() -> None:
    from posture.cli.live import parse_window_size

    assert parse_window_size("1280x720") == (1280, 720)
    assert parse_window_size(None) is None
    with pytest.raises(UsageError, match="WIDTHxHEIGHT"):
        parse_window_size("1280")


@pytest.mark.parametrize("where", ["no display", "window refused on its thread"])
def test_window_thread_fails_in_its_constructor(
    where: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window drawn on its own thread raises the one-line error where it is made, not
    later on its thread (where nobody would see it)."""
    import threading

    from posture.live import window

    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if where == "no display":
        monkeypatch.delenv("DISPLAY", raising=False)
    else:
        monkeypatch.setenv("DISPLAY", ":999")

        def refuse(*args: object, **kwargs: object) -> None:
            raise UsageError("cannot open a window (no Qt); use --no-window")

        monkeypatch.setattr(window, "WindowDisplay", refuse)
    before = set(threading.enumerate())
    with pytest.raises(UsageError, match="use --no-window"):
        window.BackgroundWindow()
    # at most the process's one window thread, waiting for the next window
    assert {t.name for t in set(threading.enumerate()) - before} <= {"posture-window"}
