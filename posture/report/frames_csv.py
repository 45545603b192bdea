"""`<stem>.frames.csv`: one row per frame, its time and every metric.

Columns: `time_s, runner_found, view, step, stride`, then every metric in registry order.
Values that could not be measured in a frame (nobody seen, a metric the view does not allow)
are empty cells, which pandas reads as NaN. Step and stride metrics (bounce, cadence, sway)
repeat their step's or stride's value on each of its frames; `step` and `stride` number the
step interval and stride a frame belongs to (empty for none). So the report's clip figure of a
metric is: for a frame metric, the median of its column; for a step or stride metric, the
median (cadence: 60 / mean interval, i.e. the harmonic mean) of one value per `step` or
`stride` number; a clip metric's column holds its rolling value per stride.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from posture.atomic import write_atomic
from posture.metrics import METRICS
from posture.metrics.tables import row_of_frame
from posture.result import ClipResult


def frames_csv(result: ClipResult) -> str:
    """The CSV text: `time_s, runner_found, view, <metric ids in registry order...>`."""
    track, analysis = result.track, result.analysis
    metric_ids = [k for k in METRICS if analysis is not None and k in analysis.metrics]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["time_s", "runner_found", "view", "step", "stride", *metric_ids])
    detected = track.detected
    n = track.n_frames
    no_row = np.full(n, -1)
    step = row_of_frame(analysis.step_table, n) if analysis is not None else no_row
    stride = row_of_frame(analysis.strides, n) if analysis is not None else no_row
    for i, t_ms in enumerate(track.timestamps_ms):
        view = str(analysis.frame_view[i]) if analysis else ""
        numbers = ["" if k < 0 else str(k) for k in (step[i], stride[i])]
        row = [f"{t_ms / 1000.0:.4f}", int(detected[i]), view, *numbers]
        for k in metric_ids:
            value = float(analysis.metrics[k][i]) if analysis is not None else np.nan
            row.append(f"{value:.6g}" if np.isfinite(value) else "")
        writer.writerow(row)
    return buffer.getvalue()


def write_frames_csv(result: ClipResult, path: Path) -> Path:
    """Write the CSV atomically; returns `path`."""
    return write_atomic(path, frames_csv(result))
