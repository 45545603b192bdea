"""A saved pose track, validated before any analysis: arrays, header and meta all typed.

A `.pose.npz` may have been edited, truncated or made by someone else. Everything the
analysis later relies on is checked here, so a bad track is one line and exit 2 up front,
never a ZeroDivisionError (fps 0), a report "-2.5 s long" (reversed timestamps) or a
traceback after the HTML is written (an `int` where the meta should be a table).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posture.errors import BadInputError
from posture.gate.documents import MAX_DEPTH, describe, find_problem
from posture.gate.files import TRACK, VIDEO, check_file, sha256_of
from posture.gate.npz import ArraySpec, NpzProblem, read_npz
from posture.gate.text import printable
from posture.pose.landmarks import N_LANDMARKS
from posture.pose.track import LANDMARK_COLUMNS, SCENE_COLUMNS
from posture.pose.track import NPZ_FORMAT_VERSION as FORMAT_VERSION

MAX_FPS = 1000.0
MAX_SIDE_PX = 100_000
MAX_ABS_PX = 1e6  # landmarks may lie outside the frame, not a million pixels outside
MAX_ABS_WORLD_M = 100.0
MAX_TIMESTAMP_MS = 1e10  # ~115 days
#: Declared array bytes a track may decompress to (~480k frames: 2 h at 60 frames/s).
MAX_ARRAY_BYTES = 512 * (1 << 20)
MAX_HEADER_CHARS = 1 << 20
SPECS = {
    "timestamps_ms": ArraySpec("fiu", ("n",)),
    "landmarks": ArraySpec("f", ("n", N_LANDMARKS, len(LANDMARK_COLUMNS))),
    "world_landmarks_m": ArraySpec("f", ("n", N_LANDMARKS, 3)),
    "scene": ArraySpec("f", ("n", len(SCENE_COLUMNS))),
    "header": ArraySpec("U", ()),
}
#: Members a version-1 track (written before `scene` existed) may lack.
OPTIONAL = ("scene",)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_INPUT_TYPES: dict[str, tuple[type, ...]] = {
    "path": (str,),
    "fps": (int, float),
    "frame_count": (int,),
    "container_frame_count": (int,),
    "duration_s": (int, float),
    "width": (int,),
    "height": (int,),
    "rotation_deg": (int,),
    "codec": (str,),
    "warnings": (list,),
    "size_bytes": (int,),
    "sha256": (str,),
}


@dataclass(frozen=True)
class TrackFile:
    """The validated content of a `.pose.npz` (see `posture.pose.track.PoseTrack`)."""

    timestamps_ms: np.ndarray
    landmarks: np.ndarray
    world_landmarks_m: np.ndarray
    resolution_wh: tuple[int, int]
    fps: float
    model: str
    meta: dict[str, Any]
    scene: np.ndarray | None


class _Bad(ValueError):
    """One thing wrong with the track, in words."""


def read_track_file(path: Path) -> TrackFile:
    """Read and validate a track written by `PoseTrack.save`.

    Raises:
        BadInputError: not a regular file, too large, not a posture track, or a value the
            analysis cannot use; one line naming what is wrong.
    """
    try:
        arrays = read_npz(path, TRACK, SPECS, MAX_ARRAY_BYTES, optional=OPTIONAL)
        header = _header(arrays["header"])
        track = _track(arrays, header)
    except (NpzProblem, _Bad) as exc:
        raise BadInputError(f"{path}: not a posture pose track (.npz): {exc}") from exc
    return track


def _header(raw: np.ndarray) -> dict[str, Any]:
    text = str(raw)
    if len(text) > MAX_HEADER_CHARS:
        raise _Bad(f"header is {len(text)} characters long")
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _Bad("header is not valid JSON") from exc
    if not isinstance(header, dict):
        raise _Bad(f"header is {describe(header)}, expected a JSON object")
    problem = find_problem(header, MAX_DEPTH)
    if problem is not None:
        raise _Bad(f"header {problem[0]}: {problem[1]}")
    version = header.get("format_version")
    if version not in (1, FORMAT_VERSION) or isinstance(version, bool):
        raise _Bad(
            f"format {version!r} is not supported (expected {FORMAT_VERSION}); "
            "re-run the pose stage"
        )
    return header


def _track(arrays: dict[str, np.ndarray], header: dict[str, Any]) -> TrackFile:
    columns = header.get("landmark_columns", list(LANDMARK_COLUMNS))
    if columns != list(LANDMARK_COLUMNS):
        raise _Bad(f"landmark_columns is {columns!r}, expected {list(LANDMARK_COLUMNS)}")
    model = header.get("model")
    if not isinstance(model, str) or len(model) > 200:
        raise _Bad(f"model is {describe(model)}, expected a model name")
    timestamps = arrays["timestamps_ms"].astype(np.float64)
    landmarks = arrays["landmarks"].astype(np.float32)
    world = arrays["world_landmarks_m"].astype(np.float32)
    _check_timestamps(timestamps)
    _check_landmarks(landmarks, world)
    scene = arrays["scene"].astype(np.float32) if "scene" in arrays else None
    if scene is not None and np.isinf(scene).any():
        raise _Bad("scene holds inf")
    return TrackFile(
        timestamps_ms=timestamps,
        landmarks=landmarks,
        world_landmarks_m=world,
        resolution_wh=_resolution(header.get("resolution_wh")),
        fps=_fps(header.get("fps")),
        model=model,
        meta=_meta(header.get("meta", {})),
        scene=scene,
    )


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _resolution(raw: Any) -> tuple[int, int]:
    ok = (
        isinstance(raw, list)
        and len(raw) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in raw)
        and all(1 <= v <= MAX_SIDE_PX for v in raw)
    )
    if not ok:
        raise _Bad(f"resolution_wh is {raw!r}, expected [width, height] in pixels")
    return int(raw[0]), int(raw[1])


def _fps(raw: Any) -> float:
    if not _is_number(raw) or not 0.0 < raw <= MAX_FPS:
        raise _Bad(f"fps is {raw!r}, expected a number of frames/s in (0, {MAX_FPS:g}]")
    return float(raw)


def _check_timestamps(t_ms: np.ndarray) -> None:
    if t_ms.size == 0:
        raise _Bad("the track has no frames")
    if not np.isfinite(t_ms).all() or np.abs(t_ms).max() > MAX_TIMESTAMP_MS:
        raise _Bad("timestamps_ms holds values that are not finite times")
    if t_ms.size > 1 and not (np.diff(t_ms) > 0).all():
        first = int(np.argmax(np.diff(t_ms) <= 0))
        raise _Bad(f"timestamps_ms do not increase (frame {first + 1} is not after frame {first})")


def _check_landmarks(landmarks: np.ndarray, world: np.ndarray) -> None:
    """Each frame is all NaN (nobody found) or all finite and in range."""
    missing = np.isnan(landmarks).all(axis=(1, 2))
    present = ~missing
    if not (np.isnan(world[missing]).all() and np.isfinite(world[present]).all()):
        raise _Bad("world_landmarks_m must be NaN exactly where landmarks are")
    found = landmarks[present]
    if not np.isfinite(found).all():
        raise _Bad("landmarks mix numbers and NaN (or hold inf) within a frame")
    if found.size and np.abs(found[..., :3]).max() > MAX_ABS_PX:
        raise _Bad(f"landmarks lie more than {MAX_ABS_PX:g} pixels from the frame")
    scores = found[..., 3:]
    if scores.size and (scores.min() < 0.0 or scores.max() > 1.0):
        raise _Bad("visibility and presence must be in [0, 1]")
    if world[present].size and np.abs(world[present]).max() > MAX_ABS_WORLD_M:
        raise _Bad(f"world landmarks lie more than {MAX_ABS_WORLD_M:g} m from the hips")


def _meta(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _Bad(f"meta is {describe(raw)}, expected an object")
    meta = dict(raw)
    brightness = meta.get("brightness_mean")
    if brightness is not None and (not _is_number(brightness) or not 0 <= brightness <= 255):
        raise _Bad(f"meta.brightness_mean is {brightness!r}, expected a number in [0, 255]")
    if "input" in meta:
        meta["input"] = _input(meta["input"])
    return meta


def _input(raw: Any) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _Bad(f"meta.input is {describe(raw)}, expected an object")
    for key, types in _INPUT_TYPES.items():
        if key not in raw:
            continue
        value = raw[key]
        if isinstance(value, bool) or not isinstance(value, types):
            wanted = "/".join(t.__name__ for t in types)
            raise _Bad(f"meta.input.{key} is {describe(value)}, expected {wanted}")
        if isinstance(value, int | float) and value < 0:
            raise _Bad(f"meta.input.{key} is {value}, expected a number >= 0")
    if raw.get("rotation_deg", 0) not in (0, 90, 180, 270):
        raise _Bad(f"meta.input.rotation_deg is {raw['rotation_deg']!r}, expected 0/90/180/270")
    if not all(isinstance(w, str) for w in raw.get("warnings") or []):
        raise _Bad("meta.input.warnings must be a list of text")
    if "sha256" in raw and not _SHA256.match(raw["sha256"]):
        raise _Bad("meta.input.sha256 must be 64 hex digits")
    return dict(raw)


def source_record(path: Path) -> dict[str, Any]:
    """What a track records of the video it was made from, to recognise it later:
    the absolute path, its size and its SHA-256."""
    return {
        "path": str(path.absolute()),
        "size_bytes": path.stat().st_size,
        "sha256": sha256_of(path),
    }


def verified_source(meta_input: dict[str, Any]) -> tuple[Path | None, str]:
    """The track's source video, only if it is still the file the track was made from.

    A track's stored path is not trusted: it is used (for the annotated video and the key
    frames) only when a regular file there has the size and SHA-256 recorded at analysis
    time.

    Returns:
        (the video, "") or (None, why it is not used; "" when the track names no video).
    """
    path, size, digest = (meta_input.get(k) for k in ("path", "size_bytes", "sha256"))
    if not isinstance(path, str):
        return None, ""
    shown = printable(path)
    if not (isinstance(size, int) and isinstance(digest, str)):
        return None, f"the track does not record the size and hash of its video ({shown})"
    candidate = Path(path)
    try:
        same = check_file(candidate, VIDEO).st_size == size and sha256_of(candidate) == digest
    except BadInputError:
        same = False  # gone, or no longer a regular file
    if not same:
        return None, f"the video this track was made from ({shown}) is gone or changed since"
    return candidate, ""
