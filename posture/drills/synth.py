"""Synthetic drill sessions with known truth: a lying body's pose track (side view), its reps
scripted (peak angles, pauses at the top, knee bend), for testing the counting and the form
checks without footage.

This makes pose tracks (what the pose model would report, plus a little landmark noise), not
rendered video: it checks everything after the pose stage. How well the pose model finds a
real lying body is measured on the real clips (`posture drill` reports it per recording).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posture.drills.model import Exercise
from posture.pose.landmarks import LM, N_LANDMARKS
from posture.pose.track import PoseTrack

_TRUNK_PX, _THIGH_PX, _SHANK_PX, _HEAD_PX = 150.0, 120.0, 115.0, 40.0
_HIP_XY = np.array([320.0, 400.0])


@dataclass(frozen=True)
class DrillScript:
    """One synthetic session.

    Attributes:
        exercise: the exercise whose angle the script moves.
        peaks_deg: each rep's peak of the rep angle.
        plateau_s: pause at the top of each rep (one value for every rep, or one per rep).
        knee_deg: knee angle (180 straight) during the reps.
        head_right: the head lies right of the hips in the image (False: left).
        rise_s: time from the floor to the peak (and back). rest_s: time on the floor between
        reps. set_pause_s: a pause after rep `set_break` (0: none). base_deg: angle at rest.
        fps, noise_px, seed: frame rate and landmark noise.
    """

    exercise: Exercise
    peaks_deg: tuple[float, ...]
    plateau_s: tuple[float, ...] | float = 0.0
    knee_deg: float | None = None
    head_right: bool = False
    rise_s: float = 0.7
    rest_s: float = 0.8
    set_break: int = 0
    set_pause_s: float = 0.0
    base_deg: float = 2.0
    fps: float = 30.0
    noise_px: float = 0.6
    seed: int = 0
    meta: dict = field(default_factory=dict, compare=False)

    def plateaus(self) -> tuple[float, ...]:
        if isinstance(self.plateau_s, tuple):
            if len(self.plateau_s) != len(self.peaks_deg):
                raise ValueError("plateau_s needs one value per peak")
            return self.plateau_s
        return (float(self.plateau_s),) * len(self.peaks_deg)


def true_hold_s(peak: float, base: float, rise_s: float, plateau_s: float, within: float) -> float:
    """Time a raised-cosine rep spends within `within` deg of its peak (the script's truth)."""
    span = peak - base
    if span <= within:
        return 2 * rise_s + plateau_s
    u = np.arccos(2 * within / span - 1) / np.pi
    return plateau_s + 2 * rise_s * (1 - u)


def _angle_series(s: DrillScript) -> tuple[np.ndarray, list[dict]]:
    n_rise = max(2, round(s.rise_s * s.fps))
    parts, truth, t = [np.full(round(s.rest_s * s.fps), s.base_deg)], [], 0.0
    t = parts[0].size / s.fps
    ex = s.exercise
    for i, (peak, flat) in enumerate(zip(s.peaks_deg, s.plateaus(), strict=True)):
        u = np.arange(n_rise) / n_rise
        rise = s.base_deg + (peak - s.base_deg) * (1 - np.cos(np.pi * u)) / 2
        top = np.full(round(flat * s.fps) + 1, peak)
        rest_s = s.rest_s + (s.set_pause_s if s.set_break and i + 1 == s.set_break else 0.0)
        rep = [rise, top, rise[::-1], np.full(round(rest_s * s.fps), s.base_deg)]
        hold = true_hold_s(peak, s.base_deg, s.rise_s, flat, ex.hold_within_deg)
        truth.append({"peak_deg": peak, "peak_s": t + s.rise_s + flat / 2, "hold_s": hold})
        t += sum(p.size for p in rep) / s.fps
        parts += rep
    return np.concatenate(parts), truth


def _body(trunk: np.ndarray, legs: np.ndarray, knee: float, head: float, prone: bool
          ) -> np.ndarray:  # fmt: skip
    """`(n, 33, 2)` image positions of a body with these angles (deg) at each frame."""
    n = trunk.size
    xy = np.zeros((n, N_LANDMARKS, 2))

    def ray(origin: np.ndarray, deg: np.ndarray, length: float, away: float) -> np.ndarray:
        r = np.radians(deg)
        return origin + np.stack([np.cos(r) * away * length, -np.sin(r) * length], axis=1)

    hip = np.broadcast_to(_HIP_XY, (n, 2))
    sh = ray(hip, trunk, _TRUNK_PX, head)
    kn = ray(hip, legs, _THIGH_PX, -head)
    an = ray(kn, legs - (180.0 - knee), _SHANK_PX, -head)
    head_c = ray(sh, trunk, _HEAD_PX, head)
    face = np.stack([np.zeros(n), np.full(n, 12.0 if prone else -12.0)], axis=1)
    toe = an + face * 0 + np.array([0.0, -20.0 if not prone else 20.0])
    pos = {
        "NOSE": head_c + face + ray(np.zeros((n, 2)), trunk, 12.0, head),
        "EYE": head_c + face * 0.8, "EAR": head_c - face * 0.2, "MOUTH": head_c + face * 0.6,
        "SHOULDER": sh, "ELBOW": ray(sh, trunk, 40.0, head) + face * 2,
        "WRIST": head_c - face, "PINKY": head_c - face, "INDEX": head_c - face,
        "THUMB": head_c - face, "HIP": hip, "KNEE": kn, "ANKLE": an, "HEEL": an, "FOOT_INDEX": toe,
    }  # fmt: skip
    for lm in LM:
        key = lm.name.removeprefix("LEFT_").removeprefix("RIGHT_")
        key = next(k for k in pos if key.startswith(k)) if key not in pos else key
        side = 3.0 if lm.name.startswith("LEFT") else -3.0 if lm.name.startswith("RIGHT") else 0
        xy[:, lm] = pos[key] + np.array([0.0, side])  # the far side a little higher
    return xy


def drill_track(s: DrillScript) -> tuple[PoseTrack, list[dict]]:
    """The scripted session's pose track and each rep's truth (peak, time of peak, hold)."""
    angle, truth = _angle_series(s)
    ex, n = s.exercise, angle.size
    head = 1.0 if s.head_right else -1.0
    rest = np.full(n, s.base_deg)
    if ex.angle == "legs_from_floor_deg":
        knee = s.knee_deg or 178.0
        # the thigh higher than the hip -> ankle line (the rep angle) by the knee's bend
        k = np.radians(knee)
        c = np.sqrt(_THIGH_PX**2 + _SHANK_PX**2 - 2 * _THIGH_PX * _SHANK_PX * np.cos(k))
        trunk, legs = rest, angle + np.degrees(np.arcsin(_SHANK_PX * np.sin(k) / c))
    else:
        trunk, knee = angle, s.knee_deg or (80.0 if ex.position == "supine" else 178.0)
        legs = np.full(n, 50.0 if knee < 150 else 0.0)  # bent knees: thighs up, feet down
    xy = _body(trunk, legs, knee, head, ex.position == "prone")
    rng = np.random.default_rng(s.seed)
    lm = np.full((n, N_LANDMARKS, 5), 0.95, np.float32)
    lm[..., :2] = xy + rng.normal(0.0, s.noise_px, xy.shape)
    lm[..., 2] = 0.0
    far = [i for i in LM if i.name.startswith("RIGHT" if s.head_right else "LEFT")]
    lm[:, far, 3] = 0.7  # the far side is less visible
    track = PoseTrack(
        timestamps_ms=np.arange(n) * 1000.0 / s.fps,
        landmarks=lm,
        world_landmarks_m=np.zeros((n, N_LANDMARKS, 3), np.float32),
        resolution_wh=(640, 560),
        fps=s.fps,
        model="synthetic",
        meta={"input": {"path": f"synthetic-{ex.id}", "fps": s.fps}},
    )
    return track, truth
