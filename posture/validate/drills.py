"""Drill rows of the accuracy suite: rendered drill clips -> MediaPipe -> `posture drill`'s
analysis -> reps, peaks, holds and faults against the truth.

`posture validate --drills` runs it. Clips (`posture.synth.drill_clip`) and pose tracks are
cached by params hash like the running grid, so changing the counting code only re-analyses.
Targets (issue 14) are defined here once and read by the table and `--strict`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from posture.atomic import write_atomic
from posture.drills import load_drills
from posture.drills.analysis import PlacementError, analyse_drill
from posture.pose.track import PoseTrack
from posture.settings import Settings
from posture.synth import truth_path_for
from posture.synth.drill import FACINGS, DrillParams
from posture.validate.grid import generator_digest
from posture.validate.run import track_name

#: Issue 14's targets on the synthetic drill clips.
REP_EXACT_SHARE = 0.95
PEAK_ERR_DEG = 5.0
HOLD_ERR_S = 0.2
#: A counted rep belongs to a true rep when its peak falls in the true rep's span +/- this.
MATCH_SLACK_S = 0.3
SECTION_BEGIN = "<!-- posture validate --drills writes between these lines -->"
SECTION_END = "<!-- end of the drill section -->"
_HARD: dict[str, Any] = {"resolution_wh": (480, 270), "body_frac": 0.5, "fps": 25.0,
                         "noise_level": 6.0, "crf": 32.0, "background": False}  # fmt: skip
_PORTRAIT: dict[str, Any] = {"resolution_wh": (360, 640), "body_frac": 0.75}
#: (name, params without the facing): a clean clip and one built to show the fault, for each
#: exercise, and a second clean one with other peaks, pauses, speed and body; each clip is
#: rendered with the head left and the head right of the hips.
_CASES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("crunch_clean", {"exercise": "mini_crunch", "reps": 5,
                      "peaks_deg": (45.0, 40.0, 50.0, 45.0, 42.0)}),
    ("crunch_sit_up", {"exercise": "mini_crunch", "reps": 4,
                       "peaks_deg": (45.0, 90.0, 45.0, 75.0), "seed": 1}),
    ("crunch_varied", {"exercise": "mini_crunch", "reps": 3, "peaks_deg": (35.0, 55.0, 45.0),
                       "plateau_s": (0.0, 0.5, 1.0), "rise_s": 0.6, "height_cm": 160.0,
                       "seed": 2}),
    ("leg_raise_clean", {"exercise": "lying_leg_raise", "reps": 4,
                         "peaks_deg": (90.0, 85.0, 95.0, 80.0)}),
    ("leg_raise_bent_knees", {"exercise": "lying_leg_raise", "reps": 3,
                              "peaks_deg": (85.0, 90.0, 80.0), "knee_deg": 125.0, "seed": 1}),
    ("leg_raise_varied", {"exercise": "lying_leg_raise", "reps": 3,
                          "peaks_deg": (70.0, 100.0, 90.0), "rise_s": 1.0, "height_cm": 190.0,
                          "seed": 3}),
    ("back_ext_clean", {"exercise": "prone_back_extension", "reps": 4,
                        "peaks_deg": (30.0, 25.0, 35.0, 28.0), "plateau_s": (1.0,)}),
    ("back_ext_no_pause", {"exercise": "prone_back_extension", "reps": 4,
                           "peaks_deg": (30.0, 30.0, 25.0, 35.0),
                           "plateau_s": (1.0, 0.0, 1.0, 0.0), "seed": 1}),
    ("back_ext_varied", {"exercise": "prone_back_extension", "reps": 3,
                         "peaks_deg": (20.0, 40.0, 30.0), "plateau_s": (1.2,),
                         "height_cm": 160.0, "seed": 2}),
    # a harder camera: smaller body in a smaller frame, 25 frames/s, more noise, more
    # compression, a plain wall; and the faults mixed with clean reps
    ("crunch_hard", {"exercise": "mini_crunch", "reps": 4, "peaks_deg": (45.0, 70.0, 38.0, 52.0),
                     **_HARD, "seed": 4}),
    ("leg_raise_hard", {"exercise": "lying_leg_raise", "reps": 4,
                        "peaks_deg": (88.0, 75.0, 95.0, 90.0), **_HARD, "seed": 5}),
    ("back_ext_hard", {"exercise": "prone_back_extension", "reps": 4,
                       "peaks_deg": (28.0, 35.0, 22.0, 30.0), "plateau_s": (1.0, 0.2),
                       **_HARD, "seed": 6}),
    # a phone held upright, as the real recordings were: the lying body across a portrait frame
    ("crunch_portrait", {"exercise": "mini_crunch", "reps": 4,
                         "peaks_deg": (48.0, 42.0, 80.0, 45.0), **_PORTRAIT, "seed": 7}),
    ("leg_raise_portrait", {"exercise": "lying_leg_raise", "reps": 3,
                            "peaks_deg": (90.0, 85.0, 92.0), "knee_deg": 140.0, **_PORTRAIT,
                            "seed": 8}),
    ("back_ext_portrait", {"exercise": "prone_back_extension", "reps": 4,
                           "peaks_deg": (30.0, 26.0, 34.0, 30.0), "plateau_s": (0.1, 1.1),
                           **_PORTRAIT, "seed": 9}),
)  # fmt: skip


def drill_cases() -> list[tuple[str, DrillParams]]:
    """Every drill clip of the suite, both facings."""
    out = []
    for name, kw in _CASES:
        for facing in FACINGS:
            out.append((f"{name}-{facing.removeprefix('head_')}", DrillParams(facing=facing, **kw)))
    return out


def clip_key(params: DrillParams) -> str:
    """Cache key of a drill clip: its params, the generator's source and its encoder."""
    blob = json.dumps({"generator": generator_digest(), **params.to_dict()}, sort_keys=True)
    return "drill-" + hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class DrillRow:
    """One clip against its truth.

    Attributes:
        name: clip name. exercise: exercise id. true_reps / counted: rep counts.
        peak_err_deg / hold_err_s: per matched rep, counted minus true.
        true_faults / flagged: per true rep, the fault ids (truth / the analysis; `None`
            where no counted rep matched). pose_share: frames with a body. jitter_px.
        error: the placement message when the analysis refused the clip.
    """

    name: str
    exercise: str
    true_reps: int
    counted: int
    peak_err_deg: tuple[float, ...]
    hold_err_s: tuple[float, ...]
    true_faults: tuple[tuple[str, ...], ...]
    flagged: tuple[tuple[str, ...] | None, ...]
    pose_share: float
    jitter_px: float
    error: str = ""
    landmark_err_pct: float = float("nan")

    @property
    def count_exact(self) -> bool:
        return self.counted == self.true_reps

    @property
    def faults_right(self) -> bool:
        return all(
            f is not None and set(f) == set(t)
            for t, f in zip(self.true_faults, self.flagged, strict=True)
        )


@dataclass(frozen=True)
class DrillSuite:
    rows: tuple[DrillRow, ...]
    meta: dict[str, str] = field(default_factory=dict)


def compare(name: str, track: PoseTrack, truth: dict[str, Any]) -> DrillRow:
    """Analyse `track` as `posture drill` does and compare with `truth`."""
    book = load_drills()
    exercise = book.find(truth["exercise"])
    assert exercise is not None
    true_reps = truth["reps"]
    share = float(track.detected.mean()) if track.n_frames else 0.0
    try:
        result = analyse_drill(track, exercise, book.settings)
    except PlacementError as exc:
        return DrillRow(name, exercise.id, len(true_reps), 0, (), (),
                        tuple(tuple(r["faults"]) for r in true_reps),
                        tuple(None for _ in true_reps), share, float("nan"), str(exc))  # fmt: skip
    peaks: list[float] = []
    holds: list[float] = []
    flagged: list[tuple[str, ...] | None] = []
    for true in true_reps:
        lo, hi = true["start_s"] - MATCH_SLACK_S, true["end_s"] + MATCH_SLACK_S
        hits = [r for r in result.reps if lo <= r.cycle.peak_s <= hi]
        if not hits:
            flagged.append(None)
            continue
        rep = hits[0]
        peaks.append(rep.cycle.peak_deg - true["peak_deg"])
        holds.append(rep.cycle.hold_s - true["hold_s"])
        flagged.append(tuple(rep.faults))
    return DrillRow(
        name, exercise.id, len(true_reps), len(result.reps), tuple(peaks), tuple(holds),
        tuple(tuple(r["faults"]) for r in true_reps), tuple(flagged), share,
        result.detection.jitter_px, landmark_err_pct=joint_error_pct(track, truth),
    )  # fmt: skip


_PAIRS = ((23, 24), (11, 12), (25, 26), (27, 28))  # hips, shoulders, knees, ankles


def joint_error_pct(track: PoseTrack, truth: dict[str, Any]) -> float:
    """Median distance of MediaPipe's hip, shoulder, knee and ankle midpoints from the true
    ones, over frames with a body, in % of the true trunk (hip -> shoulder midpoint) length."""
    true = np.asarray(truth["frames"]["landmarks_px"], dtype=np.float64)
    n = min(len(true), track.n_frames)
    got = track.landmarks[:n, :, :2].astype(np.float64)
    ok = track.detected[:n]
    if not ok.any():
        return float("nan")

    def mids(xy: np.ndarray) -> np.ndarray:
        return np.stack([(xy[:, a] + xy[:, b]) / 2.0 for a, b in _PAIRS], axis=1)

    m_true, m_got = mids(true[:n][ok]), mids(got[ok])
    trunk = np.linalg.norm(m_true[:, 1] - m_true[:, 0], axis=1)
    dist = np.linalg.norm(m_got - m_true, axis=2) / trunk[:, None]
    return float(100.0 * np.nanmedian(dist))


def _pct(v: float) -> str:
    return f"{v:.1f}" if np.isfinite(v) else "-"


def prepare_drill(name: str, params: DrillParams, cache_dir: Path, settings: Settings
                  ) -> tuple[PoseTrack, dict[str, Any], float]:  # fmt: skip
    """Render (if not cached) and track (if not cached) one clip; (track, truth, seconds)."""
    from posture.pipeline import run_pose
    from posture.synth.drill_clip import render_drill_clip

    start = time.perf_counter()
    key = clip_key(params)
    video = cache_dir / f"{key}.mp4"
    track_path = cache_dir / track_name(key, settings)
    if not (video.is_file() and truth_path_for(video).is_file()):
        cache_dir.mkdir(parents=True, exist_ok=True)
        exercise = load_drills().find(params.exercise)
        assert exercise is not None
        render_drill_clip(params, exercise, video)
    if track_path.is_file():
        track = PoseTrack.load(track_path)
    else:
        track, _ = run_pose(video, settings.with_pose(jobs=1))  # as `prepare` (run.py) does
        track.save(track_path)
    truth = json.loads(truth_path_for(video).read_text(encoding="utf-8"))
    return track, truth, time.perf_counter() - start


def run_drill_suite(
    cache_dir: Path, *, settings: Settings | None = None, command: str = "",
    on_clip: Callable[[str, float, int, int], None] | None = None,
    cases: list[tuple[str, DrillParams]] | None = None,
) -> DrillSuite:  # fmt: skip
    """Every drill case: render, track, analyse, compare (one clip at a time)."""
    from posture.modelstore import ensure_model
    from posture.validate.suite import git_commit

    settings = settings or Settings()
    ensure_model(settings.pose.model_variant, settings.pose.model_dir)
    cases = drill_cases() if cases is None else cases
    rows = []
    for i, (name, params) in enumerate(cases):
        track, truth, seconds = prepare_drill(name, params, cache_dir, settings)
        rows.append(compare(name, track, truth))
        if on_clip:
            on_clip(name, seconds, i + 1, len(cases))
    meta = {
        "command": command or "posture validate --drills",
        "commit": git_commit(Path(__file__).resolve().parents[2]),
        "model": f"pose_landmarker_{settings.pose.model_variant}",
    }
    return DrillSuite(tuple(rows), meta)


def _abs_max(values: list[float]) -> float:
    return float(np.max(np.abs(values))) if values else float("nan")


def summary(suite: DrillSuite) -> dict[str, Any]:
    """The numbers the targets are judged on."""
    rows = suite.rows
    peaks = [e for r in rows for e in r.peak_err_deg]
    holds = [e for r in rows for e in r.hold_err_s]
    fault_ids = sorted({f for r in rows for t in r.true_faults for f in t})
    faults: dict[str, dict[str, int]] = {}
    for fid in fault_ids:
        true_reps = [(t, f) for r in rows for t, f in zip(r.true_faults, r.flagged, strict=True)
                     if fid in t]  # fmt: skip
        hits = sum(f is not None and fid in f for _, f in true_reps)
        faults[fid] = {"true_reps": len(true_reps), "flagged": hits}
    clean = [(t, f) for r in rows for t, f in zip(r.true_faults, r.flagged, strict=True) if not t]
    return {
        "clips": len(rows),
        "count_exact": sum(r.count_exact for r in rows),
        "peak_abs_max_deg": _abs_max(peaks),
        "peak_abs_mean_deg": float(np.mean(np.abs(peaks))) if peaks else float("nan"),
        "peak_reps_within": sum(abs(e) <= PEAK_ERR_DEG for e in peaks),
        "hold_abs_max_s": _abs_max(holds),
        "hold_abs_mean_s": float(np.mean(np.abs(holds))) if holds else float("nan"),
        "hold_reps_within": sum(abs(e) <= HOLD_ERR_S for e in holds),
        "matched_reps": len(peaks),
        "true_reps": sum(r.true_reps for r in rows),
        "faults": faults,
        "clean_reps": len(clean),
        "clean_reps_flagged": sum(f is not None and len(f) > 0 for _, f in clean),
        "pose_share_min": min((r.pose_share for r in rows), default=float("nan")),
        "refused": [r.name for r in rows if r.error],
    }


def targets_met(suite: DrillSuite) -> bool:
    s = summary(suite)
    return bool(
        s["clips"]
        and s["count_exact"] >= REP_EXACT_SHARE * s["clips"]
        and s["peak_reps_within"] == s["matched_reps"] == s["true_reps"]
        and s["hold_reps_within"] == s["matched_reps"]
        and all(v["flagged"] == v["true_reps"] for v in s["faults"].values())
        and s["clean_reps_flagged"] == 0
    )


def _met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def _faults_text(faults: tuple[tuple[str, ...] | None, ...]) -> str:
    marks = ["?" if f is None else "+".join(f) or "-" for f in faults]
    return " ".join(marks)


def render_drills(suite: DrillSuite) -> str:
    """The drill section as Markdown (targets, then one row per clip)."""
    s, m = summary(suite), suite.meta
    lines = [
        f"Command: `{m.get('command', '')}` · commit {m.get('commit', '?')} · model "
        f"{m.get('model', '?')} · {s['clips']} drill clips",
        "",
        "### Drill targets (synthetic drill clips)",
        "",
        f"- rep count exact on >= {REP_EXACT_SHARE:.0%} of clips: "
        f"{_met(s['count_exact'] >= REP_EXACT_SHARE * s['clips'])} "
        f"({s['count_exact']} of {s['clips']})",
        f"- peak angle error <= {PEAK_ERR_DEG:g} deg: "
        f"{_met(s['peak_reps_within'] == s['matched_reps'] == s['true_reps'])} "
        f"(max {s['peak_abs_max_deg']:.1f} deg, mean {s['peak_abs_mean_deg']:.1f}; "
        f"{s['peak_reps_within']} of {s['true_reps']} reps within)",
        f"- hold time within {HOLD_ERR_S:g} s: "
        f"{_met(s['hold_reps_within'] == s['matched_reps'])} "
        f"(max {s['hold_abs_max_s']:.2f} s, mean {s['hold_abs_mean_s']:.2f}; "
        f"{s['hold_reps_within']} of {s['matched_reps']} matched reps within)",
    ]
    for fid, v in s["faults"].items():
        lines.append(f"- `{fid}` flagged on the reps built to show it: "
                     f"{_met(v['flagged'] == v['true_reps'])} ({v['flagged']} of "
                     f"{v['true_reps']})")  # fmt: skip
    lines.append(f"- no fault on clean reps: {_met(s['clean_reps_flagged'] == 0)} "
                 f"({s['clean_reps_flagged']} of {s['clean_reps']} flagged)")  # fmt: skip
    lines.append(
        f"- frames with a pose: at least {s['pose_share_min']:.0%} on every clip"
        + (f"; refused: {', '.join(s['refused'])}" if s["refused"] else "")
    )
    lines += [
        "",
        "### Drill clips: counted against the truth",
        "",
        "| clip | reps true | counted | peak err, deg (per rep) | hold err, s (per rep) "
        "| faults true | flagged | pose | jitter px | joints off, % trunk |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in suite.rows:
        peaks = " ".join(f"{e:+.1f}" for e in r.peak_err_deg) or "-"
        holds = " ".join(f"{e:+.2f}" for e in r.hold_err_s) or "-"
        jitter = f"{r.jitter_px:.2f}" if np.isfinite(r.jitter_px) else "-"
        counted = str(r.counted) if not r.error else f"refused: {r.error}"
        lines.append(
            f"| {r.name} | {r.true_reps} | {counted} | {peaks} | {holds} "
            f"| {_faults_text(r.true_faults)} | {_faults_text(r.flagged)} "
            f"| {r.pose_share:.0%} | {jitter} | {_pct(r.landmark_err_pct)} |"
        )
    lines.append("")
    lines.append(
        "Faults per rep: `-` none, `?` no counted rep at that time. Pose: frames with a body. "
        "Jitter: `posture drill`'s landmark jitter at rest. Joints off: median distance of "
        "MediaPipe's hip, shoulder, knee and ankle midpoints from the figure's true joints, "
        "in % of the true trunk length (midpoints, so left/right swaps do not count)."
    )
    return "\n".join(lines)


def to_json(suite: DrillSuite) -> dict[str, Any]:
    return {"meta": suite.meta, "summary": summary(suite),
            "rows": [r.__dict__ for r in suite.rows]}  # fmt: skip


DRILL_PREAMBLE = """\
`posture validate --drills` renders the text's three core exercises with `posture synth
--drill` (the running figure lying on a mat, seen from the side at floor level, 640x360,
30 frames/s; every clip once with the head left and once with the head right of the hips),
runs MediaPipe and `posture drill`'s analysis on them (shipped `drills.toml`, default
settings) and compares with the truth. Per exercise there is a clean clip, one built to show
the fault (a crunch carried into a full sit-up, bent knees in a leg raise, no pause at the
top of a back extension, on some or all reps) and a second clean one with other peaks,
pauses, speed and stature; and each once more on a harder camera (480x270, the body half the
frame width, 25 frames/s, noise 6, crf 32, a plain wall) and on a phone held upright
(360x640, as the real recordings were), with faulty reps among clean ones.

**How the truth is made.** The generator poses a 3D skeleton (`posture/synth/drill.py`);
`posture/synth/drill_clip.py` reads the truth off it every 4 ms, never from the analysis
code: each rep's peak of the exercise's rep angle (hip -> shoulder line or hip -> ankle line
above the floor), its time within the exercise's `hold_within_deg` of that peak, and the
faults the exercise's checks in `drills.toml` give on those true values. A counted rep is
matched to the true rep whose span (+/- 0.3 s) holds its peak; errors are counted minus
true. The figure is drawn (clean outline, plain mat), so how often MediaPipe finds it says
little about a real lying body: that is measured per recording by `posture drill` (frames
with a pose, jitter) on the real clips."""


def write_drill_section(suite: DrillSuite, path: Path) -> None:
    """Put the drill section into `path` between its markers (replacing an older one), or
    before the running suite's marker (whose regeneration keeps everything above it)."""
    from posture.validate.table import DOC_MARKER

    body = f"## Drills\n\n{DRILL_PREAMBLE}\n\n{render_drills(suite)}"
    block = f"{SECTION_BEGIN}\n\n{body}\n\n{SECTION_END}"
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if SECTION_BEGIN in text and SECTION_END in text:
        head, rest = text.split(SECTION_BEGIN, 1)
        text = head + block + rest.split(SECTION_END, 1)[1]
    elif DOC_MARKER in text:
        head, rest = text.split(DOC_MARKER, 1)
        text = f"{head.rstrip()}\n\n{block}\n\n{DOC_MARKER}{rest}"
    else:
        text = f"{text.rstrip()}\n\n{block}\n" if text else f"# Accuracy\n\n{block}\n"
    write_atomic(path, text)
