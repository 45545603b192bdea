"""`<stem>.frames.csv`: one row per frame, its time and every per-frame metric.

Values that could not be measured in a frame (nobody seen, a metric the view does not allow)
are empty cells, which pandas reads as NaN. Step and stride metrics (bounce, cadence, sway)
repeat their step's or stride's value on each of its frames.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from posture.atomic import write_atomic
from posture.metrics import Analysis
from posture.pose.track import PoseTrack


def frames_csv(track: PoseTrack, analysis: Analysis | None) -> str:
    """The CSV text: `time_s, runner_found, view, <metric ids...>`."""
    metric_ids = sorted(analysis.metrics) if analysis else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["time_s", "runner_found", "view", *metric_ids])
    detected = track.detected
    for i, t_ms in enumerate(track.timestamps_ms):
        view = str(analysis.frame_view[i]) if analysis else ""
        row = [f"{t_ms / 1000.0:.4f}", int(detected[i]), view]
        for k in metric_ids:
            value = float(analysis.metrics[k][i]) if analysis else np.nan
            row.append(f"{value:.4g}" if np.isfinite(value) else "")
        writer.writerow(row)
    return buffer.getvalue()


def write_frames_csv(track: PoseTrack, analysis: Analysis | None, path: Path) -> Path:
    """Write the CSV atomically; returns `path`."""
    return write_atomic(path, frames_csv(track, analysis))
