"""`analyse()`: pose track -> `Analysis` (offline, whole clip), and the per-frame metric pass
that live mode shares."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from posture.metrics.activity import classify_activity
from posture.metrics.analysis import Analysis
from posture.metrics.camera import CameraMotion, camera_motion
from posture.metrics.config import MetricConfig, default_config
from posture.metrics.contacts import contact_not_measured, frame_rate
from posture.metrics.gait import detect_steps
from posture.metrics.identity import person_switches, runner_frames
from posture.metrics.inputs import FrameInputs, body_scale, gait_signal, leg_length_px
from posture.metrics.registry import specs
from posture.metrics.smoothing import make_smoother
from posture.metrics.tables import clip_summaries, gait_tables
from posture.metrics.view import LABELS, detect_views
from posture.pose.landmarks import LEFT_RIGHT_PAIRS, LM
from posture.pose.track import PoseTrack
from posture.settings import AnalysisSettings

_TRUNK = [LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER, LM.LEFT_HIP, LM.RIGHT_HIP]


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
    lm: np.ndarray,
    view: np.ndarray,
    forward: np.ndarray,
    cfg: MetricConfig,
    raw: np.ndarray | None = None,
    t_ms: np.ndarray | None = None,
    skip: Collection[str] = (),
) -> dict[str, np.ndarray]:
    """Every registered frame metric `(n,)` from smoothed landmarks `lm` `(n, 33, C)`.

    Args:
        lm: smoothed image landmarks, x/y in pixels.
        view: `(n,)` str view per frame (`side`, `front`, `rear`, or `""`).
        forward: `(n,)` +1 / -1 travel direction on screen (NaN outside side views).
        cfg: metric constants.
        raw: the gated landmarks before smoothing, for the foot events (None: `lm`).
        t_ms: `(n,)` frame times, for contact times (None: contact times are NaN).
        skip: metric ids left NaN, not computed (ones no other metric reads, e.g. the foot
            events live takes from its step window).

    Returns:
        Metric id -> `(n,)`, NaN where the frame's view does not allow the metric.
    """
    inputs = FrameInputs(lm, view, forward, cfg, raw=raw, t_ms=t_ms)
    for spec in specs("frame"):
        if spec.id in skip:
            inputs.values[spec.id] = np.full(view.shape, np.nan)
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.asarray(spec.compute(inputs), np.float64)
        inputs.values[spec.id] = np.where(spec.in_view(view), value, np.nan)
    return dict(inputs.values)


def frame_views(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`(n,)` view names and `(n,)` forward signs (+1 right, -1 left, NaN) of view labels."""
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


def _one_runner(
    t: np.ndarray, gated: np.ndarray, camera: CameraMotion, cfg: MetricConfig
) -> tuple[np.ndarray, tuple[str, ...]]:
    """`(n,)` frames of the one runner analysed, and a note where others were left out."""
    seen = np.isfinite(gated[:, _TRUNK, 0]).all(axis=1)
    switch = person_switches(gated, leg_length_px(gated, cfg.body), cfg.activity.switch_jump_legs)
    switch &= ~camera.cut
    keep = runner_frames(switch, camera.shot, seen)
    dropped = seen & ~keep
    if not dropped.any():
        return keep, ()
    at = ", ".join(f"{x / 1000:.1f} s" for x in t[switch][:3])
    note = (
        f"the pose tracker jumped to another person (at {at}); only the longest stretch on "
        f"one runner is analysed, {dropped.sum() / max(seen.sum(), 1):.0%} of the seen frames "
        "are left out"
    )
    return keep, (note,)


def _contact_notes(t: np.ndarray, views: np.ndarray) -> tuple[str, ...]:
    """Why contact time and duty factor are not measured on a side clip (a low frame rate)."""
    if not (views == "side").any():
        return ()
    reason = contact_not_measured(frame_rate(t))
    return (reason,) if reason else ()


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
    camera = camera_motion(t, track.scene_array, leg_length_px(gated, cfg.body), cfg.camera)
    keep, identity_notes = _one_runner(t, gated, camera, cfg)
    gated[~keep | camera.cut] = np.nan  # nothing is smoothed across a cut or a switch
    lm = gated.copy()
    lm[..., :3] = make_smoother(smoother, cfg).smooth(t, gated[..., :3])
    labels, segments = detect_views(t, lm, cfg.view, settings.view)
    views, forward = frame_views(labels)
    frames = frame_metrics(lm, views, forward, cfg, raw=gated, t_ms=t)
    scale = body_scale(lm, track.world_landmarks_m, cfg.body, settings.height_cm)
    signal = gait_signal(lm)
    signal[views == ""] = np.nan
    # No step spans a cut between shots: the signal stops at each cut.
    signal[camera.cut | np.roll(camera.cut, -1)] = np.nan
    steps = detect_steps(t, signal[:, 1], cfg.steps)
    speed_mps = None if settings.speed_kmh is None else settings.speed_kmh / 3.6
    gait = gait_tables(t, steps, signal, frames, views, scale, cfg, speed_mps=speed_mps)
    detected = track.detected & keep
    # A typical stride on the clip's own clock (slow motion stretches it) from the raw step
    # events: the window the activity is read over.
    same = np.diff(steps.run) == 0
    gaps = np.diff(steps.time_ms)[same] / 1000.0
    stride = 2.0 * float(np.median(gaps)) if gaps.size >= 2 else None
    activity = classify_activity(
        t, lm, views, scale.leg_length_px, stride, gait.per_frame["cadence_spm"],
        camera.moving, cfg.activity,
    )  # fmt: skip
    metrics = {k: np.where(detected, v, np.nan) for k, v in (frames | gait.per_frame).items()}
    view, facing = _main_view(views, forward)
    return Analysis(
        view=view,
        view_source="detected" if settings.view == "auto" else "given",
        facing=facing,
        segments=tuple(segments),
        timestamps_ms=t.copy(),
        frame_view=views,
        metrics=metrics,
        gait_signal_px=signal,
        steps=steps,
        step_table=gait.steps,
        strides=gait.strides,
        summary=clip_summaries(metrics, gait),
        scale=scale,
        visibility=track.landmarks[..., 3].astype(np.float32),
        settings=settings,
        notes=(*identity_notes, *gait.notes, *_contact_notes(t, views)),
        camera=camera,
        activity=activity,
    )
