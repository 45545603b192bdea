"""True clip values of every metric, and the rule verdicts they imply, from a truth file.

The values come from the generator's geometry (`<clip>.truth.json`), never from the metric
code: angles and the pelvis path as the generator measured them, ratios from the true
landmark positions with the formulas written out here. Each value is the statistic the
report gives for that metric: the median over frames (frame metrics), over complete steps
(bounce, cadence), over complete strides (sway, head yaw range), or the clip value (cadence
variability).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from posture.metrics import geometry as g
from posture.metrics.registry import METRICS
from posture.pose.landmarks import LM
from posture.rules.engine import is_exempt, level_of
from posture.rules.model import LEVELS, Rule, RuleSet, RuleStatus
from posture.synth import SynthParams
from posture.synth.clip import ClipModel
from posture.synth.truth import compute_truth


@dataclass(frozen=True)
class TrueValues:
    """What a clip really showed.

    Attributes:
        view: `side`, `front` or `rear`.
        facing: `left` / `right` for side views (screen direction of travel), else None.
        values: metric id -> true clip value (NaN where the metric has no value in the view).
        height_cm: the runner's true stature.
        n_strides: complete strides; n_intervals: step intervals inside the clip.
    """

    view: str
    facing: str | None
    values: dict[str, float]
    height_cm: float
    n_strides: int
    n_intervals: int


def view_and_facing(params_view: str) -> tuple[str, str | None]:
    """`side_left` -> (`side`, `left`); `front` -> (`front`, None)."""
    if params_view.startswith("side_"):
        return "side", params_view.removeprefix("side_")
    return params_view, None


def _mid(lm: np.ndarray, a: int, b: int) -> np.ndarray:
    return 0.5 * (lm[:, a] + lm[:, b])


def image_ratio(landmarks_px: np.ndarray) -> np.ndarray:
    """`(n,)` |ear-mid -> shoulder-mid| / |shoulder-mid -> hip-mid| of `(n, 33, 2)` points."""
    ear = _mid(landmarks_px, LM.LEFT_EAR, LM.RIGHT_EAR)
    sho = _mid(landmarks_px, LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)
    hip = _mid(landmarks_px, LM.LEFT_HIP, LM.RIGHT_HIP)
    return np.linalg.norm(ear - sho, axis=-1) / np.linalg.norm(sho - hip, axis=-1)


def rounding_pct_torso(landmarks_px: np.ndarray, forward: float) -> np.ndarray:
    """`(n,)` distance of shoulder-mid ahead of the hip-mid -> ear-mid line, % of the torso.

    `forward` is +1 when the runner travels toward image +x, -1 toward -x.
    """
    ear = _mid(landmarks_px, LM.LEFT_EAR, LM.RIGHT_EAR)
    sho = _mid(landmarks_px, LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)
    hip = _mid(landmarks_px, LM.LEFT_HIP, LM.RIGHT_HIP)
    axis = (ear - hip) / np.linalg.norm(ear - hip, axis=-1, keepdims=True)
    normal_fwd = np.stack([-axis[:, 1], axis[:, 0]], axis=-1)  # axis turned 90 deg
    # For an upright axis (0, -1) this normal is (1, 0): image +x.
    ahead = forward * np.sum((sho - hip) * normal_fwd, axis=-1)
    return 100.0 * ahead / np.linalg.norm(sho - hip, axis=-1)


def _neutral_ratio(params: SynthParams) -> float:
    """Median image ratio of the same clip with neutral shoulders (no shrug, no rounding)."""
    twin = SynthParams.from_dict(
        params.to_dict() | {"shoulder_elevation_cm": 0.0, "shoulder_rounding_cm": 0.0}
    )
    truth = compute_truth(ClipModel.build(twin))
    return float(np.median(image_ratio(truth.landmarks_px)))


def _stride_ranges(series: np.ndarray, t_ms: np.ndarray, strides: list[dict[str, Any]]) -> list:
    out = []
    for s in strides:
        inside = (t_ms >= s["start_ms"]) & (t_ms < s["end_ms"])
        if s["complete"] and inside.any():
            out.append(float(np.ptp(series[inside])))
    return out


def _stride_peaks(series: np.ndarray, t_ms: np.ndarray, strides: list[dict[str, Any]]) -> list:
    out = []
    for s in strides:
        inside = (t_ms >= s["start_ms"]) & (t_ms < s["end_ms"])
        if s["complete"] and inside.any():
            out.append(float(np.max(series[inside])))
    return out


def _landing_truth(
    lm: np.ndarray, t_ms: np.ndarray, steps: list[dict[str, Any]], stance: np.ndarray, fwd: float
) -> dict[str, float]:
    """True landing values at each true foot strike and hip extension at each true toe-off."""
    from posture.metrics.contacts import _side, knee_flexion_deg

    hip_x = g.hip_mid(lm)[:, 0]
    leg = leg_length_px_true(lm)
    vals: dict[str, list[float]] = {k: [] for k in ("over", "knee", "shin", "foot", "hip")}
    for st in steps:
        if st.get("foot") not in ("left", "right"):
            continue
        i = int(np.argmin(np.abs(t_ms - st["strike_ms"])))
        p = {k: v[i] for k, v in _side(lm, 0 if st["foot"] == "left" else 1).items()}
        vals["over"].append(float(fwd * (p["heel"][0] - hip_x[i]) / leg * 100.0))
        vals["knee"].append(float(knee_flexion_deg(p["hip"], p["knee"], p["ankle"])))
        vals["shin"].append(float(-g.from_vertical_deg(p["knee"] - p["ankle"], fwd)))
        v = p["toe"] - p["heel"]
        vals["foot"].append(float(np.degrees(np.arctan2(-v[1], fwd * v[0]))))
    for i in range(len(stance) - 1):
        if stance[i] in ("left", "right") and stance[i + 1] != stance[i]:
            p = {k: v[i] for k, v in _side(lm, 0 if stance[i] == "left" else 1).items()}
            vals["hip"].append(float(g.from_vertical_deg(p["hip"] - p["knee"], fwd)))
    return {
        "overstride_pct_leg": _median(vals["over"]),
        "knee_flexion_at_contact_deg": _median(vals["knee"]),
        "shin_angle_at_contact_deg": _median(vals["shin"]),
        "foot_strike_angle_deg": _median(vals["foot"]),
        "hip_extension_deg": _median(vals["hip"]),
    }


def _contact_truth(steps: list[dict[str, Any]], fps: float) -> dict[str, float]:
    """True contact time and duty factor: the generator's stance phases (median over complete
    steps); NaN below the frame rate the pipeline measures them at (it says why instead)."""
    from posture.metrics.contacts import CONTACT_TIME_MIN_FPS

    done = [s for s in steps if s["complete"] and "contact_ms" in s]
    if fps < CONTACT_TIME_MIN_FPS or not done:
        return {"contact_time_ms": math.nan, "duty_factor_pct": math.nan}
    return {
        "contact_time_ms": _median([s["contact_ms"] for s in done]),
        "duty_factor_pct": _median([s["duty_factor_pct"] for s in done]),
    }


def leg_length_px_true(lm: np.ndarray) -> float:
    """Median hip -> knee -> ankle length of the true skeleton, pixels."""
    from posture.metrics.contacts import leg_px

    return leg_px(lm)


def _median(values: list[float] | np.ndarray) -> float:
    arr = np.asarray(values, dtype=float)
    return float(np.median(arr)) if arr.size else math.nan


def true_values(truth: dict[str, Any]) -> TrueValues:
    """True clip values of every registry metric from a truth file's content."""
    params = SynthParams.from_dict(truth["params"])
    view, facing = view_and_facing(params.view)
    frames, body = truth["frames"], truth["body"]
    t_ms = np.asarray(frames["timestamps_ms"], dtype=float)
    lm = np.asarray(frames["landmarks_px"], dtype=float)
    steps = [s for s in truth["steps"] if s["complete"]]
    strides = [s for s in truth["strides"] if s["complete"]]
    strikes = np.array([s["strike_ms"] for s in truth["steps"]], dtype=float)
    ratio = _median(image_ratio(lm))
    forward = -1.0 if facing == "left" else 1.0
    v: dict[str, float] = {
        "torso_lean_deg": _median(frames["torso_lean_deg"]),
        "head_pitch_deg": _median(frames["head_pitch_deg"]),
        "neck_flexion_deg": _median(frames["neck_flexion_deg"]),
        "ear_shoulder_over_torso": ratio,
        "shoulder_hunch_pct": 100.0 * (1.0 - ratio / _neutral_ratio(params)),
        "shoulder_rounding_pct_torso": _median(rounding_pct_torso(lm, forward)),
        "head_yaw_deg": _median(frames["head_yaw_deg"]),
        "head_yaw_sway_deg": _median(
            _stride_ranges(np.asarray(frames["head_yaw_deg"]), t_ms, strides)
        ),
        "vertical_bounce_pct_leg": _median([s["bounce_pct_leg"] for s in steps]),
        "vertical_bounce_cm": _median([s["bounce_cm"] for s in steps]),
        "lateral_sway_pct_leg": _median([s["sway_pct_leg"] for s in strides]),
        # steps per minute over the clip (60 / mean interval), as the report gives it
        "cadence_spm": 60000.0 / float(np.mean(np.diff(strikes))) if strikes.size > 1 else math.nan,
        "cadence_cv_pct": float(truth["clip"]["cadence_cv_pct"] or math.nan),
        # torso rocking from the generator's projected skeleton (the same formulas)
        "trunk_roll_deg": _median(g.trunk_roll_deg(lm)),
        "shoulder_tilt_deg": _median(g.shoulder_tilt_deg(lm)),
        "arm_crossing_pct_shoulder": _median(g.arm_crossing_pct_shoulder(lm)),
        "trunk_roll_range_deg": _median(_stride_ranges(g.trunk_roll_deg(lm), t_ms, strides)),
        "shoulder_tilt_range_deg": _median(_stride_ranges(g.shoulder_tilt_deg(lm), t_ms, strides)),
        "arm_crossing_peak_pct_shoulder": _median(
            _stride_peaks(g.arm_crossing_pct_shoulder(lm), t_ms, strides)
        ),
    }
    if view == "side":
        v |= _landing_truth(lm, t_ms, steps, np.asarray(frames["stance"]), forward)
        v |= _contact_truth(truth["steps"], params.fps)
    # no truth (yet) for the rest, e.g. step length needs --speed-kmh, which validate never gives
    v |= {k: math.nan for k in METRICS if k not in v}
    for k in v:
        if view not in METRICS[k].views:
            v[k] = math.nan
    return TrueValues(
        view, facing, v, float(body["height_cm"]), len(strides), max(0, strikes.size - 1)
    )


def true_status(rule: Rule, tv: TrueValues, context: str = "flat") -> RuleStatus:
    """The rule's verdict on the true values, by the rule engine (`level_of`), with the
    pipeline's view and sample-count conditions. The generator holds one posture through a
    clip, so its true level is the level of its true values."""
    if tv.view not in rule.views:
        return "not_measured"
    values = {}
    for crit in rule.criteria:
        kind = METRICS[crit.metric].level
        enough = tv.n_intervals if kind == "clip" else tv.n_strides
        ok = kind == "frame" or enough >= rule.min_samples
        values[crit.metric] = tv.values[crit.metric] if ok else math.nan
    level = level_of(rule, context, values)
    if level < 0:
        return "not_measured"
    return "exempt" if is_exempt(rule, context) else LEVELS[level]


def true_statuses(rules: RuleSet, tv: TrueValues, context: str = "flat") -> dict[str, RuleStatus]:
    """Rule id -> true verdict, in the rule file's order."""
    return {r.id: true_status(r, tv, context) for r in rules.rules}
