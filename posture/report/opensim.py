"""The pose track and the angles in the formats OpenSim reads, as Sports2D and OpenCap write
them from video: `<stem>.trc` (marker trajectories) and `<stem>.mot` (angles over time).

The `.trc` holds the 33 MediaPipe landmarks as markers named like Sports2D's BlazePose
skeleton (`nose`, `left_shoulder`, ...), in metres: image x to the right, image y flipped so
+Y points up, Z = 0 (a single camera sees no depth), scaled by the clip's cm-per-pixel (from
the runner's height). A frame without a runner has empty (NaN) cells, as the format allows.

The `.mot` holds every per-frame angle metric of the registry (unit `deg`, e.g.
`torso_lean_deg`), one column each, `inDegrees=yes`.

Both are tab-separated text with one row per frame of the track, times in seconds from the
first frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posture.atomic import write_atomic
from posture.errors import UsageError
from posture.metrics import METRICS, Analysis
from posture.pose.landmarks import LM
from posture.pose.track import PoseTrack

#: What `--export` accepts.
EXPORT_FORMATS = ("trc", "mot")
MARKERS: tuple[str, ...] = tuple(lm.name.lower() for lm in LM)


def parse_exports(text: str | None) -> tuple[str, ...]:
    """`"trc,mot"` -> `("trc", "mot")`; None or "" -> ().

    Raises:
        UsageError: a format that is not one of `EXPORT_FORMATS`.
    """
    names = tuple(dict.fromkeys(p.strip().lower() for p in (text or "").split(",") if p.strip()))
    bad = [n for n in names if n not in EXPORT_FORMATS]
    if bad:
        raise UsageError(
            f"--export {','.join(bad)}: unknown format; one or more of {', '.join(EXPORT_FORMATS)}"
        )
    return names


def _times_s(track: PoseTrack) -> np.ndarray:
    t = track.timestamps_ms / 1000.0
    return t - t[0] if t.size else t


def _cell(value: float, digits: int) -> str:
    return f"{value:.{digits}f}" if np.isfinite(value) else "NaN"


def trc_text(track: PoseTrack, m_per_px: float, name: str) -> str:
    """The `.trc` file of `track` (see the module doc); `m_per_px` scales pixels to metres."""
    n = track.n_frames
    height_px = track.resolution_wh[1]
    xyz = np.zeros((n, len(MARKERS), 3))
    xyz[:, :, 0] = track.landmarks[:, :, 0] * m_per_px
    xyz[:, :, 1] = (height_px - track.landmarks[:, :, 1]) * m_per_px
    xyz[~np.isfinite(xyz[:, :, :2]).all(axis=2)] = np.nan
    rate = f"{track.fps:.2f}"
    lines = [
        f"PathFileType\t4\t(X/Y/Z)\t{name}",
        "DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t"
        "OrigDataStartFrame\tOrigNumFrames",
        f"{rate}\t{rate}\t{n}\t{len(MARKERS)}\tm\t{rate}\t1\t{n}",
        "Frame#\tTime\t" + "\t\t\t".join(MARKERS) + "\t\t",
        "\t\t" + "\t".join(f"X{i}\tY{i}\tZ{i}" for i in range(1, len(MARKERS) + 1)),
        "",
    ]
    for i, t in enumerate(_times_s(track)):
        cells = "\t".join(_cell(v, 5) for v in xyz[i].ravel())
        lines.append(f"{i + 1}\t{t:.4f}\t{cells}")
    return "\n".join(lines) + "\n"


def angle_ids(analysis: Analysis) -> list[str]:
    """The per-frame angle metrics (unit `deg`) the analysis has, in registry order."""
    return [
        s.id for s in METRICS.values()
        if s.level == "frame" and s.unit == "deg" and s.id in analysis.metrics
    ]  # fmt: skip


def mot_text(track: PoseTrack, analysis: Analysis, name: str) -> str:
    """The `.mot` file of the analysis's angles (see the module doc)."""
    ids = angle_ids(analysis)
    times = _times_s(track)
    lines = [
        name,
        "version=1",
        f"nRows={times.size}",
        f"nColumns={len(ids) + 1}",
        "inDegrees=yes",
        "",
        "Units are S.I. units (second, meters, Newtons, ...)",
        "If the header above contains a line with 'inDegrees', this indicates whether "
        "rotational values are in degrees (yes) or radians (no).",
        "",
        "endheader",
        "\t".join(["time", *ids]),
    ]
    columns = [np.asarray(analysis.metrics[m], dtype=float) for m in ids]
    for i, t in enumerate(times):
        lines.append("\t".join([f"{t:.4f}", *(_cell(float(c[i]), 3) for c in columns)]))
    return "\n".join(lines) + "\n"


def write_exports(
    track: PoseTrack, analysis: Analysis, out_dir: Path, stem: str, formats: tuple[str, ...]
) -> dict[str, Path]:
    """Write `<stem>.trc` and/or `<stem>.mot` atomically; returns them by format."""
    written = {}
    if "trc" in formats:
        path = out_dir / f"{stem}.trc"
        m_per_px = analysis.scale.cm_per_px / 100.0
        written["trc"] = write_atomic(path, trc_text(track, m_per_px, path.name))
    if "mot" in formats:
        path = out_dir / f"{stem}.mot"
        written["mot"] = write_atomic(path, mot_text(track, analysis, path.name))
    return written
