"""Render a lying drill clip (the runner's figure on a mat, side view) and its truth file.

Shares the figure, face, rasteriser, wall texture and noise with the running clips; only the
camera framing (landscape, floor near the bottom), the floor and mat, and the feet (which
point wherever the lying leg puts them) differ.

Truth (`<name>.truth.json`, `generator: posture.synth.drill`) is measured on the posed 3D
geometry sampled every 2 ms: each rep's peak of the exercise's rep angle, its time within
the exercise's `hold_within_deg` of that peak, and the form faults the exercise's checks in
`drills.toml` give on those true values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posture.atomic import write_atomic
from posture.drills.model import HOLD_SIGNAL, Exercise
from posture.errors import UsageError
from posture.io import write_mp4
from posture.synth.camera import Camera
from posture.synth.drill import DrillParams, DrillPoser
from posture.synth.figure import FigureBuilder
from posture.synth.raster import Part, draw_parts
from posture.synth.scene import Backdrop, add_noise
from posture.synth.skeleton import Skeleton
from posture.synth.truth import LANDMARK_POINTS

SCHEMA_VERSION = 1
GENERATOR = "posture.synth.drill"
DENSE_STEP_S = 0.004
#: World x (cm) at the frame centre: the lying body spans about -90 (head) to +110 (feet).
CENTRE_X_CM = 8.0
FLOOR_FRAC = 0.9
MAT_THICK_FRAC = 0.012
MAT_X_CM = (-112.0, 118.0)
_MATS = ((58, 92, 150), (120, 64, 120), (48, 120, 110), (170, 70, 60))
_FLOOR_RGB = np.array([150.0, 122.0, 92.0], np.float32)


def drill_camera(params: DrillParams, scale: float = 1.0) -> Camera:
    """Orthographic side camera at floor level; `head_left` looks at the figure's right side."""
    w, h = params.resolution_wh
    px_per_cm = params.body_frac * w / params.height_cm * scale
    sign = 1.0 if params.facing == "head_left" else -1.0
    right, depth = np.array([sign, 0.0, 0.0]), np.array([0.0, 0.0, sign])
    proj = np.stack([right, np.array([0.0, -1.0, 0.0])]) * px_per_cm
    origin = (w / 2.0 * scale - sign * CENTRE_X_CM * px_per_cm, h * FLOOR_FRAC * scale)
    view = "side_right" if sign > 0 else "side_left"
    return Camera(view, px_per_cm, origin, proj, depth)


class MatBackdrop(Backdrop):
    """The running clips' textured wall, with a wooden floor and an exercise mat below it."""

    def __init__(self, params: DrillParams, cam: Camera, canvas_wh: tuple[int, int]) -> None:
        self.drill = params
        super().__init__(params.body_params(), cam, canvas_wh)

    def _treadmill(self, img: np.ndarray, w: int, h: int) -> None:  # the floor, not a belt
        rng = np.random.default_rng([self.drill.seed, 7])
        f = round(self.floor_y)
        rows = np.linspace(0.9, 1.1, max(h - f, 1), dtype=np.float32)[:, None, None]
        img[f:] = _FLOOR_RGB * rows
        mat = np.asarray(_MATS[int(rng.integers(0, len(_MATS)))], np.float32)
        xs = self.cam.project(np.array([[x, 0.0, 0.0] for x in MAT_X_CM]))[:, 0]
        x0, x1 = (int(np.clip(round(v), 0, w)) for v in (xs.min(), xs.max()))
        thick = max(2, round(MAT_THICK_FRAC * self.drill.height_cm * self.cam.px_per_cm))
        img[f : f + thick, x0:x1] = mat
        img[f + thick : f + thick + max(1, thick // 3), x0:x1] = 0.6 * mat  # its shadow

    def frame(self, t_s: float) -> np.ndarray:
        return self.image.copy()


class LyingFigure(FigureBuilder):
    """The running figure; shoes take their sole from the foot itself, not the world's up
    (a lying foot points up, sideways or along the floor)."""

    def _shoe(self, skel: Skeleton, side: str, depth: float, pelvis_depth: float) -> list[Part]:
        pts, h = skel.points, self.h
        ankle, heel, toe = pts[f"ankle_{side}"], pts[f"heel_{side}"], pts[f"toe_{side}"]
        along = (toe - heel) / max(float(np.linalg.norm(toe - heel)), 1e-6)
        up = (ankle - heel) - float((ankle - heel) @ along) * along
        up = up / max(float(np.linalg.norm(up)), 1e-6)
        half_w = np.array([0.0, 0.0, 0.028 * h])
        profile = [
            heel - 0.012 * h * up, heel + 0.02 * h * up,
            ankle + 0.012 * h * up - 0.02 * h * along, ankle + 0.016 * h * along,
            toe + 0.012 * h * up - 0.02 * h * along, toe, toe - 0.01 * h * up,
        ]  # fmt: skip
        ring = np.stack([q + s * half_w for q in profile for s in (-1.0, 1.0)])
        outline = cv2.convexHull(self.cam.project(ring).astype(np.float32)).reshape(-1, 2)
        sole = self.cam.project(np.stack([heel - 0.012 * h * up, toe - 0.008 * h * up]))
        colour = self._tone(self.palette.shoes, depth, pelvis_depth)
        sole_rgb = self._tone((236.0, 236.0, 232.0), depth, pelvis_depth)
        return [
            Part(depth, 2, colour, (outline.astype(float),), shade_px=self._px(0.015)),
            Part(depth, 3, sole_rgb, lines=((sole, self._px(0.008)),)),
        ]


class DrillRenderer:
    """Draws the frames of one drill clip (supersampled, then area-downsampled)."""

    def __init__(self, params: DrillParams) -> None:
        self.params = params
        self.poser = DrillPoser(params)
        ss = params.supersample
        self.camera = drill_camera(params)
        self.ss_cam = drill_camera(params, scale=float(ss))
        w, h = params.resolution_wh
        self.backdrop = MatBackdrop(params, self.ss_cam, (w * ss, h * ss))
        self.builder = LyingFigure(params.body_params(), self.poser.dims, self.ss_cam)

    def render(self, index: int) -> np.ndarray:
        """Frame `index` as `(h, w, 3)` uint8 RGB."""
        p = self.params
        t_s = index / p.fps
        canvas = self.backdrop.frame(t_s)
        draw_parts(canvas, self.builder.parts(self.poser.at(t_s)))
        if p.supersample > 1:
            canvas = cv2.resize(canvas, p.resolution_wh, interpolation=cv2.INTER_AREA)
        return add_noise(canvas, p.noise_level, p.seed, index)


def iter_drill_frames(params: DrillParams) -> Iterator[np.ndarray]:
    renderer = DrillRenderer(params)
    for i in range(params.n_frames):
        yield renderer.render(i)


# --- truth -------------------------------------------------------------------------------


def _lift_deg(origin: np.ndarray, point: np.ndarray, toward_x: float) -> float:
    """Angle of `origin -> point` above the floor, from the horizontal toward `toward_x`."""
    d = point - origin
    return math.degrees(math.atan2(float(d[1]), float(d[0]) * toward_x))


def _inner_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    v1, v2 = a - b, c - b
    cos = float(v1 @ v2) / float(np.linalg.norm(v1) * np.linalg.norm(v2))
    return math.degrees(math.acos(min(max(cos, -1.0), 1.0)))


def true_signals(skel: Skeleton, near: str) -> dict[str, float]:
    """The drill angles (`posture/drills/angles.py` names) of one posed skeleton, from its 3D
    joints (the head lies toward world -x, the feet toward +x)."""
    p = skel.points
    hip = 0.5 * (p["hip_left"] + p["hip_right"])
    shoulder = 0.5 * (p["shoulder_left"] + p["shoulder_right"])
    ankle = 0.5 * (p["ankle_left"] + p["ankle_right"])
    trunk = _lift_deg(hip, shoulder, -1.0)
    legs = [_lift_deg(p[f"hip_{s}"], p[f"ankle_{s}"], 1.0) for s in ("left", "right")]
    knees = {
        s: _inner_deg(p[f"hip_{s}"], p[f"knee_{s}"], p[f"ankle_{s}"]) for s in ("left", "right")
    }
    return {
        "trunk_from_floor_deg": trunk,
        "trunk_lift_prone_deg": trunk,
        "legs_from_floor_deg": _lift_deg(hip, ankle, 1.0),
        "knee_deg": knees[near],
        "knee_straighter_deg": max(knees.values()),
        "knee_more_bent_deg": min(knees.values()),
        "legs_split_deg": abs(legs[0] - legs[1]),
    }


def _hold(t: np.ndarray, a: np.ndarray, within: float) -> tuple[float, float, float]:
    """(peak time, peak, time within `within` of the peak around it) of dense samples."""
    i = int(np.argmax(a))
    ok = a >= a[i] - within
    lo, hi = i, i
    while lo > 0 and ok[lo - 1]:
        lo -= 1
    while hi < a.size - 1 and ok[hi + 1]:
        hi += 1
    return float(t[i]), float(a[i]), float(t[hi] - t[lo])


def _stat(values: np.ndarray, stat: str) -> float:
    if stat == "max":
        return float(np.max(values))
    return float(np.min(values)) if stat == "min" else float(np.median(values))


def rep_truth(params: DrillParams, exercise: Exercise, poser: DrillPoser) -> list[dict[str, Any]]:
    """Each rep's true span, peak, hold and faults (the exercise's checks on true values)."""
    near = "right" if params.facing == "head_left" else "left"
    out = []
    for i in range(params.reps):
        start, end = params.rep_span(i)
        t = np.arange(start, end + DENSE_STEP_S / 2, DENSE_STEP_S)
        rows = [true_signals(poser.at(float(ti)), near) for ti in t]
        sig = {k: np.array([r[k] for r in rows]) for k in rows[0]}
        peak_s, peak, hold = _hold(t, sig[exercise.angle], exercise.hold_within_deg)
        faults = []
        for check in exercise.checks:
            value = hold if check.signal == HOLD_SIGNAL else _stat(sig[check.signal], check.stat)
            if check.bound.status(value) == "fault":
                faults.append(check.id)
        out.append({
            "start_s": round(start, 4), "end_s": round(end, 4), "peak_s": round(peak_s, 4),
            "peak_deg": round(peak, 4), "hold_s": round(hold, 4), "faults": faults,
        })  # fmt: skip
    return out


def drill_truth(params: DrillParams, exercise: Exercise) -> dict[str, Any]:
    """The truth file's content."""
    poser = DrillPoser(params)
    cam = drill_camera(params)
    near = "right" if params.facing == "head_left" else "left"
    reps = rep_truth(params, exercise, poser)
    series: dict[str, list[float]] = {exercise.angle: [], "knee_deg": []}
    lms = []
    for i in range(params.n_frames):
        skel = poser.at(i / params.fps)
        sig = true_signals(skel, near)
        for k in series:
            series[k].append(round(sig[k], 3))
        pts = np.stack([skel.points[n] for n in LANDMARK_POINTS])
        lms.append(np.round(cam.project(pts), 2).tolist())
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": GENERATOR,
        "params": params.to_dict(),
        "exercise": exercise.id,
        "angle": exercise.angle,
        "hold_within_deg": exercise.hold_within_deg,
        "n_reps": len(reps),
        "reps": reps,
        "faults": sorted({f for r in reps for f in r["faults"]}),
        "landmark_names": list(LANDMARK_POINTS),
        "frames": {
            "timestamps_ms": [round(i * 1000.0 / params.fps, 3) for i in range(params.n_frames)],
            **series,
            "landmarks_px": lms,
        },
    }


def render_drill_clip(params: DrillParams, exercise: Exercise, out_path: Path) -> dict[str, Any]:
    """Render `params` to an H.264 MP4 at `out_path` and its truth next to it.

    Raises:
        UsageError: `out_path` does not end in `.mp4`, its folder is missing, or `exercise`
            is not the one `params` draws. OutputError: a file cannot be written.
    """
    from posture.synth import truth_path_for

    out_path = Path(out_path)
    if exercise.id != params.exercise:
        raise UsageError(f"exercise {exercise.id!r} does not match the params' {params.exercise}")
    if out_path.suffix.lower() != ".mp4":
        raise UsageError(f"output must be an .mp4 file, got {out_path.name!r}")
    if not out_path.parent.is_dir():
        raise UsageError(f"output folder {out_path.parent} does not exist; create it first")
    truth = drill_truth(params, exercise)
    write_mp4(iter_drill_frames(params), out_path, params.fps, params.crf)
    write_atomic(truth_path_for(out_path), json.dumps(truth, separators=(",", ":")))
    return truth
