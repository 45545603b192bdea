"""Pose stage: frames in, a `PoseTrack` (arrays) out. Only `estimator.py` imports MediaPipe."""

from posture.pose.track import LANDMARK_COLUMNS, PoseTrack

__all__ = ["LANDMARK_COLUMNS", "PoseTrack"]
