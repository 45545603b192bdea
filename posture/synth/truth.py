"""Ground truth of a synthetic clip, measured on the generating geometry.

Nothing here uses the package's metric code: every value is read off the 3D skeleton that
was drawn (sagittal-plane angles from the joint centres, pelvis heights sampled every 2 ms).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posture.atomic import write_atomic
from posture.synth.clip import ClipModel
from posture.synth.gait import CONTACT_FRAC
from posture.synth.params import SynthParams
from posture.synth.skeleton import Skeleton

SCHEMA_VERSION = 1
DENSE_STEP_S = 0.002
#: Skeleton point of each MediaPipe BlazePose landmark, in its 33-landmark order.
LANDMARK_POINTS: tuple[str, ...] = (
    "nose", "eye_inner_left", "eye_left", "eye_outer_left", "eye_inner_right", "eye_right",
    "eye_outer_right", "ear_left", "ear_right", "mouth_left", "mouth_right", "shoulder_left",
    "shoulder_right", "elbow_left", "elbow_right", "wrist_left", "wrist_right", "pinky_left",
    "pinky_right", "index_left", "index_right", "thumb_left", "thumb_right", "hip_left",
    "hip_right", "knee_left", "knee_right", "ankle_left", "ankle_right", "heel_left",
    "heel_right", "toe_left", "toe_right",
)  # fmt: skip
#: Per-frame scalar series in the truth file, in this order.
FRAME_SERIES = (
    "torso_lean_deg", "trunk_lean_deg", "head_pitch_deg", "neck_flexion_deg",
    "ear_shoulder_over_torso", "pelvis_y_cm", "pelvis_x_cm", "pelvis_forward_cm",
    "pelvis_lateral_cm", "head_yaw_deg",
)  # fmt: skip


@dataclass(frozen=True)
class Truth:
    """Ground truth of one clip; `to_dict()` is the JSON file's content.

    Attributes:
        params: the clip parameters.
        body: body dimensions (cm) and the image scale `px_per_cm`.
        timestamps_ms: `(n,)` frame times.
        series: name -> `(n,)` per-frame values, names in `FRAME_SERIES`.
        stance: `(n,)` "left", "right" or "flight" per frame.
        landmarks_px: `(n, 33, 2)` true image positions (x right, y down) in MediaPipe order,
            left/right = the runner's anatomical sides.
        landmarks_depth_cm: `(n, 33)` distance behind the pelvis as seen from the camera
            (+ = farther than the pelvis, i.e. on the far side).
        steps: one dict per foot strike inside the clip: strike and toe-off times, the foot,
            contact time and duty factor, bounce (see `_events`).
        strides: one dict per stride starting inside the clip.
        clip: clip-level values: `cadence_spm` (60 / mean strike interval) and
            `cadence_cv_pct` (sample SD / mean of the intervals) over strikes inside the clip,
            `n_steps`, mean `bounce_cm` and mean stride `sway_pct_leg`.
    """

    params: SynthParams
    body: dict[str, float]
    timestamps_ms: np.ndarray
    series: dict[str, np.ndarray]
    stance: tuple[str, ...]
    landmarks_px: np.ndarray
    landmarks_depth_cm: np.ndarray
    steps: tuple[dict[str, Any], ...]
    strides: tuple[dict[str, Any], ...]
    clip: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the truth file schema, version `SCHEMA_VERSION`)."""
        frames: dict[str, Any] = {"timestamps_ms": _r(self.timestamps_ms, 3)}
        frames.update({k: _r(v, 4) for k, v in self.series.items()})
        frames["stance"] = list(self.stance)
        frames["landmarks_px"] = _r(self.landmarks_px, 2)
        frames["landmarks_depth_cm"] = _r(self.landmarks_depth_cm, 2)
        return {
            "schema_version": SCHEMA_VERSION,
            "generator": "posture.synth",
            "params": self.params.to_dict(),
            "body": self.body,
            "landmark_names": list(LANDMARK_POINTS),
            "frames": frames,
            "steps": list(self.steps),
            "strides": list(self.strides),
            "clip": self.clip,
        }

    def write(self, path: Path) -> None:
        """Write the JSON atomically (temp file in the same folder, then rename).

        Raises:
            OutputError: the file cannot be written.
        """
        write_atomic(path, json.dumps(self.to_dict(), separators=(",", ":")))


def _r(a: np.ndarray, digits: int) -> Any:
    return np.round(np.asarray(a, dtype=float), digits).tolist()


def landmarks_px(clip: ClipModel, skel: Skeleton) -> np.ndarray:
    """`(33, 2)` true pixel positions of the MediaPipe landmarks for `skel`."""
    return clip.camera.project(np.stack([skel.points[n] for n in LANDMARK_POINTS]))


def _sagittal_deg(vec: np.ndarray) -> float:
    """Angle of a 3D vector from vertical in the sagittal (x-y) plane, + forward."""
    return math.degrees(math.atan2(float(vec[0]), float(vec[1])))


def frame_values(skel: Skeleton, camera_right: np.ndarray) -> dict[str, float]:
    """True per-frame values (see `FRAME_SERIES`) of one skeleton."""
    p = skel.points
    hip = 0.5 * (p["hip_left"] + p["hip_right"])
    shoulder = 0.5 * (p["shoulder_left"] + p["shoulder_right"])
    ear = 0.5 * (p["ear_left"] + p["ear_right"])
    torso, neck = shoulder - hip, ear - shoulder
    lean = _sagittal_deg(torso)
    fwd = skel.head_rot[:, 0]
    return {
        "torso_lean_deg": lean,
        "trunk_lean_deg": skel.osc.trunk_lean_deg,
        "head_pitch_deg": -math.degrees(math.asin(float(np.clip(fwd[1], -1.0, 1.0)))),
        "neck_flexion_deg": _sagittal_deg(neck) - lean,
        "ear_shoulder_over_torso": float(np.hypot(*neck[:2]) / np.hypot(*torso[:2])),
        "pelvis_y_cm": float(hip[1]),
        "pelvis_x_cm": float(hip @ camera_right),
        "pelvis_forward_cm": float(hip[0]),
        "pelvis_lateral_cm": float(hip[2]),
        "head_yaw_deg": math.degrees(math.atan2(float(fwd[2]), float(fwd[0]))),
    }


def compute_truth(clip: ClipModel) -> Truth:
    """Measure everything the truth file holds on the clip's geometry."""
    p, cam = clip.params, clip.camera
    n = p.n_frames
    right = cam.proj[0] / cam.px_per_cm
    rows, stance, lms, depths = [], [], [], []
    for i in range(n):
        skel = clip.pose(i)
        rows.append(frame_values(skel, right))
        stance.append(_stance_name(skel))
        lms.append(landmarks_px(clip, skel))
        pts = np.stack([skel.points[name] for name in LANDMARK_POINTS])
        depths.append(cam.depth(pts) - cam.depth(skel.points["pelvis"][None])[0])
    series = {k: np.array([r[k] for r in rows]) for k in FRAME_SERIES}
    steps, strides, clip_vals = _events(clip)
    return Truth(
        params=p,
        body=_body(clip, series),
        timestamps_ms=np.arange(n) * 1000.0 / p.fps,
        series=series,
        stance=tuple(stance),
        landmarks_px=np.stack(lms),
        landmarks_depth_cm=np.stack(depths),
        steps=steps,
        strides=strides,
        clip=clip_vals,
    )


def _stance_name(skel: Skeleton) -> str:
    left, right = skel.legs
    return "left" if left.stance else "right" if right.stance else "flight"


def _body(clip: ClipModel, series: dict[str, np.ndarray]) -> dict[str, float]:
    d, p = clip.dims, clip.params
    torso = math.hypot(d.trunk_cm + p.shoulder_elevation_cm, p.shoulder_rounding_cm)
    return {
        "height_cm": d.height_cm,
        "leg_length_cm": round(d.leg_cm, 4),
        "torso_length_cm": round(torso, 4),
        "torso_length_neutral_cm": round(d.trunk_cm, 4),
        "px_per_cm": round(clip.camera.px_per_cm, 6),
        "mean_torso_lean_deg": round(float(np.mean(series["torso_lean_deg"])), 4),
    }


def _events(
    clip: ClipModel,
) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...], dict[str, Any]]:
    """Per-step bounce, per-stride sway and clip cadence from the strike schedule."""
    p, sched, leg = clip.params, clip.schedule, clip.dims.leg_cm
    strikes = sched.strikes_s
    inside = np.flatnonzero((strikes >= 0.0) & (strikes < p.duration_s))
    steps, strides = [], []
    for k in inside:
        t = np.arange(strikes[k], strikes[k + 1], DENSE_STEP_S)
        y = np.array([clip.skeleton.osc(float(ti)).pelvis_y_cm for ti in t])
        bounce = float(y.max() - y.min())
        contact_s = CONTACT_FRAC * float(strikes[k + 1] - strikes[k])
        steps.append(
            {
                "strike_ms": round(float(strikes[k]) * 1000.0, 3),
                "foot": "left" if sched.left_foot[k] else "right",
                # the stance foot leaves the belt at CONTACT_FRAC of the step (gait.py)
                "toe_off_ms": round((float(strikes[k]) + contact_s) * 1000.0, 3),
                "contact_ms": round(contact_s * 1000.0, 3),
                "duty_factor_pct": round(100.0 * contact_s / float(strikes[k + 2] - strikes[k]), 4),
                "bounce_cm": round(bounce, 4),
                "bounce_pct_leg": round(100.0 * bounce / leg, 4),
                "complete": bool(strikes[k + 1] <= p.duration_s),
            }
        )
        t2 = np.arange(strikes[k], strikes[k + 2], DENSE_STEP_S)
        z = np.array([clip.skeleton.osc(float(ti)).pelvis_z_cm for ti in t2])
        strides.append(
            {
                "start_ms": round(float(strikes[k]) * 1000.0, 3),
                "end_ms": round(float(strikes[k + 2]) * 1000.0, 3),
                "foot": steps[-1]["foot"],
                "sway_cm": round(float(z.max() - z.min()), 4),
                "sway_pct_leg": round(100.0 * float(z.max() - z.min()) / leg, 4),
                "complete": bool(strikes[k + 2] <= p.duration_s),
            }
        )
    intervals = np.diff(strikes[inside])
    clip_vals: dict[str, Any] = {
        # None when the clip is too short to hold two (three) strikes
        "cadence_spm": round(60.0 / float(intervals.mean()), 4) if intervals.size else None,
        "cadence_cv_pct": (
            round(100.0 * float(intervals.std(ddof=1) / intervals.mean()), 4)
            if intervals.size > 1
            else None
        ),
        "n_steps": int(inside.size),
        "bounce_cm": round(float(np.mean([s["bounce_cm"] for s in steps])), 4) if steps else None,
        "sway_pct_leg": (
            round(float(np.mean([s["sway_pct_leg"] for s in strides])), 4) if strides else None
        ),
    }
    return tuple(steps), tuple(strides), clip_vals
