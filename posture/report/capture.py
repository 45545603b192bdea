"""Capture quality: plain-language problems with how a clip was filmed.

A clip is analysed whenever a runner is found, but a report must say when its numbers are
weak and what to film differently: too short, too few frames per second, too dark, the file
ending early, the runner too small in the frame, part of the body out of frame, too few
strides to judge.
"""

from __future__ import annotations

import numpy as np

from posture.metrics import Analysis
from posture.pose.landmarks import LM
from posture.pose.track import PoseTrack
from posture.source import VideoInfo

#: Below these a clip is still analysed, but the report says why its numbers are weak.
MIN_USEFUL_DURATION_S = 3.0
MIN_USEFUL_FPS = 20.0
MIN_USEFUL_BRIGHTNESS = 40.0


def capture_warnings(track: PoseTrack, info: VideoInfo) -> list[str]:
    """Plain-language problems with the capture that the numbers should be read with."""
    warnings = []
    if info.frame_count > 0 and track.n_frames < 0.95 * info.frame_count - 1:
        warnings.append(
            f"the file ends early: {track.n_frames} of the {info.frame_count} frames it "
            "announces could be decoded (truncated or damaged); the rest was analysed"
        )
    if track.n_frames:
        span_s = (track.timestamps_ms[-1] - track.timestamps_ms[0]) / 1000.0
        if span_s < MIN_USEFUL_DURATION_S:
            warnings.append(
                f"the clip is only {span_s:.1f} s long; film at least "
                f"{MIN_USEFUL_DURATION_S:.0f} s (ideally 10-20 s) so several strides are seen"
            )
    brightness = track.meta.get("brightness_mean")
    if brightness is not None and brightness < MIN_USEFUL_BRIGHTNESS:
        warnings.append(
            f"the video is very dark (mean brightness {brightness:.0f} of 255); "
            "film in better light or face the light"
        )
    if info.fps < MIN_USEFUL_FPS:
        warnings.append(
            f"{info.fps:g} frames/s is too few to time steps and bounce well; "
            f"film at {MIN_USEFUL_FPS:.0f} frames/s or more (30 or 60 is best)"
        )
    return warnings


#: The runner's nose-to-ankle height below this share of the frame height is "too small".
MIN_BODY_FRACTION = 0.25
#: Head or feet out of the frame (or unseen) in more than this share of frames: "partial".
MAX_PARTIAL_FRACTION = 0.3
MIN_STRIDES = 4
#: Running seconds after which too few strides is not a too-short clip (10 s hold ~15 strides).
LONG_ENOUGH_S = 10.0
#: A runner seen in fewer frames than this share is reported as partly out of view.
MIN_IN_VIEW = 0.9
_FEET = [LM.LEFT_ANKLE, LM.RIGHT_ANKLE, LM.LEFT_HEEL, LM.RIGHT_HEEL]


def body_warnings(track: PoseTrack, analysis: Analysis) -> list[str]:
    """Problems seen on the runner: out of view, too small, partly out of frame, too few
    strides."""
    warnings = []
    if track.coverage < MIN_IN_VIEW:
        warnings.append(
            f"the runner is in view in only {track.coverage:.0%} of the frames (entering or "
            "leaving the frame, or hidden); only those frames are analysed"
        )
    seen = track.landmarks[track.detected]
    width, height = track.resolution_wh
    if seen.size:
        body_px = np.nanmax(seen[:, _FEET, 1], axis=1) - seen[:, LM.NOSE, 1]
        fraction = float(np.nanmedian(body_px)) / height
        if fraction < MIN_BODY_FRACTION:
            warnings.append(
                f"the runner fills only {fraction:.0%} of the frame height; come closer or "
                "zoom in so the body is at least half the frame"
            )
        partial = _out_of_frame(seen, width, height)
        if partial > MAX_PARTIAL_FRACTION:
            warnings.append(
                f"head or feet are out of the frame in {partial:.0%} of the frames; film the "
                "whole body, head to feet"
            )
    if analysis.strides.n < MIN_STRIDES:
        running_s = _running_s(analysis)
        need = f"at least {MIN_STRIDES} are needed to judge bounce, sway and pace well"
        if running_s >= LONG_ENOUGH_S:  # filming longer would not help: no step rhythm
            warnings.append(
                f"only {analysis.strides.n} full strides were seen in {running_s:.0f} s of "
                f"running: no regular step rhythm was found (slow-motion footage, or the hips "
                f"hidden or shaken); {need}"
            )
        else:
            warnings.append(
                f"only {analysis.strides.n} full strides were seen; {need} (film 10-20 s of "
                "running)"
            )
    return warnings


def _running_s(analysis: Analysis) -> float:
    """Seconds of the clip read as running (all of it when no activity was read)."""
    if analysis.activity is not None:
        return analysis.activity.seconds("running")
    t = analysis.timestamps_ms
    return float(t[-1] - t[0]) / 1000.0 if t.size else 0.0


def _out_of_frame(seen: np.ndarray, width: int, height: int) -> float:
    """Share of frames whose nose or both ankles are outside the frame or unseen."""

    def gone(index: list[int]) -> np.ndarray:
        x, y, vis = seen[:, index, 0], seen[:, index, 1], seen[:, index, 3]
        outside = (x < 0) | (x >= width) | (y < 0) | (y >= height) | (vis < 0.3)
        return np.asarray(outside.all(axis=1))

    return float(np.mean(gone([LM.NOSE]) | gone([LM.LEFT_ANKLE, LM.RIGHT_ANKLE])))
