"""`analyse()`: pose track -> `Analysis` (offline, whole clip)."""

from __future__ import annotations

import numpy as np

from posture.metrics.analysis import Analysis
from posture.metrics.config import BodyConfig, MetricConfig, default_config
from posture.metrics.gait import detect_steps
from posture.metrics.geometry import (
    ear_shoulder_over_torso,
    head_pitch_deg,
    head_yaw_deg,
    hip_mid,
    neck_flexion_deg,
    segment_lengths_px,
    shoulder_hunch_pct,
    shoulder_mid,
    shoulder_rounding_pct_torso,
    torso_lean_deg,
)
from posture.metrics.registry import METRICS
from posture.metrics.smoothing import make_smoother
from posture.metrics.tables import build_gait_tables, summarise
from posture.metrics.view import LABELS, detect_views
from posture.pose.landmarks import LEFT_RIGHT_PAIRS, LM
from posture.pose.track import PoseTrack
from posture.settings import AnalysisSettings

FRAME_METRICS = tuple(k for k, s in METRICS.items() if s.basis == "frame")


def gate_landmarks(landmarks: np.ndarray, visibility_min: float) -> np.ndarray:
    """Copy of `landmarks` `(n, 33, 5)` as float64 with x, y, z NaN where a left/right pair's
    best visibility (or the nose's) is below `visibility_min`. Pairs are gated together so a
    side view keeps the far-side point MediaPipe infers next to a well-seen near side."""
    lm = np.asarray(landmarks, dtype=np.float64).copy()
    vis = np.nan_to_num(lm[..., 3], nan=0.0)
    groups = [(LM.NOSE.value,), *LEFT_RIGHT_PAIRS]
    for g in groups:
        bad = vis[..., list(g)].max(axis=-1) < visibility_min
        for i in g:
            lm[bad, i, :3] = np.nan
    return lm


def frame_metrics(
    lm: np.ndarray, view: np.ndarray, forward: np.ndarray, cfg: MetricConfig
) -> dict[str, np.ndarray]:
    """Per-frame metrics `(n,)` from smoothed landmarks `lm` `(n, 33, C)`.

    Args:
        lm: smoothed image landmarks, x/y in pixels.
        view: `(n,)` str view per frame (`side`, `front`, `rear`, or `""`).
        forward: `(n,)` +1 / -1 travel direction on screen (NaN outside side views).
        cfg: metric constants.

    Returns:
        Every frame-basis metric of the registry plus `_head_yaw_deg` (instantaneous yaw,
        used for the per-stride head sway), NaN where the view does not allow it.
    """
    side, front = view == "side", view == "front"
    wide = front | (view == "rear")
    r = ear_shoulder_over_torso(lm)
    nan = np.nan
    hunch = np.where(
        side,
        shoulder_hunch_pct(r, cfg.r_neutral("side")),
        np.where(front, shoulder_hunch_pct(r, cfg.r_neutral("front")), nan),
    )
    with np.errstate(invalid="ignore"):
        out = {
            "torso_lean_deg": np.where(side, torso_lean_deg(lm, forward), nan),
            "head_pitch_deg": np.where(
                side, head_pitch_deg(lm, forward, cfg.head.pitch_neutral_deg), nan
            ),
            "neck_flexion_deg": np.where(side, neck_flexion_deg(lm, forward), nan),
            "ear_shoulder_over_torso": np.where(side | front, r, nan),
            "shoulder_hunch_pct": hunch,
            "shoulder_rounding_pct_torso": np.where(
                side, shoulder_rounding_pct_torso(lm, forward), nan
            ),
            "_head_yaw_deg": np.where(
                wide, head_yaw_deg(lm, cfg.head.depth_over_half_ear_width), nan
            ),
        }
    return out


def leg_length_px(lm: np.ndarray, body: BodyConfig) -> float:
    """Hip -> knee -> ankle image length: a high percentile over frames and both sides of
    each segment (swinging legs are foreshortened in front/rear views), summed."""
    segs = segment_lengths_px(lm)
    total = 0.0
    for v in segs.values():
        ok = v[np.isfinite(v)]
        if ok.size == 0:
            return float("nan")
        total += float(np.percentile(ok, body.leg_length_percentile))
    return total


def estimate_height_cm(world_m: np.ndarray, body: BodyConfig) -> float | None:
    """Stature from MediaPipe world landmarks `(n, 33, 3)` (metres, NaN rows where the body
    was not seen well): median thigh + shank + trunk lengths over frames, divided by their
    share of stature (Drillis & Contini)."""
    segs = segment_lengths_px(world_m, ndim=3)
    hips = 0.5 * (world_m[:, LM.LEFT_HIP] + world_m[:, LM.RIGHT_HIP])
    shoulders = 0.5 * (world_m[:, LM.LEFT_SHOULDER] + world_m[:, LM.RIGHT_SHOULDER])
    trunk = np.linalg.norm(shoulders - hips, axis=-1)
    parts = [segs["thigh"], segs["shank"], trunk]
    if any(not np.isfinite(p).any() for p in parts):
        return None
    length_m = sum(float(np.nanmedian(p)) for p in parts)
    share = body.leg_over_height + body.trunk_over_height
    return length_m * body.world_length_scale / share * 100.0


def _frame_views(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    views = np.array([v or "" for v, _ in LABELS])[labels]
    facing = np.array([{"right": 1.0, "left": -1.0}.get(f or "", np.nan) for _, f in LABELS])
    return views, facing[labels]


def _main_view(views: np.ndarray, forward: np.ndarray) -> tuple[str | None, str | None]:
    names, counts = np.unique(views[views != ""], return_counts=True)
    if names.size == 0:
        return None, None
    view = str(names[np.argmax(counts)])
    if view != "side":
        return view, None
    return view, "right" if np.nansum(forward[views == "side"]) >= 0 else "left"


def analyse(
    track: PoseTrack,
    settings: AnalysisSettings | None = None,
    *,
    config: MetricConfig | None = None,
    smoother: str = "zero_phase",
) -> Analysis:
    """Measure posture on a whole clip.

    Args:
        track: the pose track (NaN rows where nobody was found).
        settings: view override, context, height; defaults to `AnalysisSettings()`.
        config: metric constants; defaults to the shipped `calibration.toml`.
        smoother: name of the landmark smoother (`zero_phase`, `one_euro`, `none`).

    Returns:
        The `Analysis` with per-frame metrics `(n,)`, steps, strides and clip summaries.

    Example:
        >>> from posture.pose.track import PoseTrack
        >>> a = analyse(PoseTrack.empty(resolution_wh=(64, 48), fps=30.0, model="m", n=5))
        >>> a.view, a.strides.n
        (None, 0)
    """
    settings = settings or AnalysisSettings()
    cfg = config or default_config()
    t = track.timestamps_ms
    gated = gate_landmarks(track.landmarks, cfg.smoothing.visibility_min)
    lm = gated.copy()
    lm[..., :3] = make_smoother(smoother, cfg).smooth(t, gated[..., :3])
    labels, segments = detect_views(t, lm, cfg.view, settings.view)
    views, forward = _frame_views(labels)
    per_frame = frame_metrics(lm, views, forward, cfg)
    leg_px = leg_length_px(lm, cfg.body)
    height_cm, height_source = settings.height_cm, "given" if settings.height_cm else None
    if height_cm is None:
        world = track.world_landmarks_m.astype(np.float64)
        world[~np.isfinite(gated[..., 0])] = np.nan  # only landmarks that passed the gate
        height_cm = estimate_height_cm(world, cfg.body)
        height_source = "estimated" if height_cm is not None else None
    leg_cm = cfg.body.leg_over_height * height_cm if height_cm else float("nan")
    # Side-to-side sway follows the pelvis; the up-and-down travel is read at the shoulders.
    # The trunk moves up and down as one piece, and on footage with known bounce MediaPipe's
    # hip points follow only 37-76 % of it (they are pulled toward the centre of the crop the
    # model sees, which is the hips) against 74-89 % for the shoulders (docs/METRICS.md).
    gait_xy = np.column_stack([hip_mid(lm)[:, 0], shoulder_mid(lm)[:, 1]])
    gait_xy[views == ""] = np.nan
    steps = detect_steps(t, gait_xy[:, 1], cfg.steps)
    gait = build_gait_tables(t, steps, gait_xy, per_frame, views, leg_px, leg_cm, cfg)
    metrics = {k: per_frame[k] for k in FRAME_METRICS} | gait.per_frame
    detected = track.detected
    metrics = {k: np.where(detected, v, np.nan) for k, v in metrics.items()}
    view, facing = _main_view(views, forward)
    return Analysis(
        view=view,
        view_source="detected" if settings.view == "auto" else "given",
        facing=facing,
        segments=tuple(segments),
        timestamps_ms=t.copy(),
        frame_view=views,
        metrics=metrics,
        steps=steps,
        strides=gait.strides,
        summary=summarise(metrics, gait),
        leg_length_px=leg_px,
        height_cm=height_cm,
        height_source=height_source,
        settings=settings,
        notes=gait.notes,
    )
