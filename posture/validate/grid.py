"""The validation grids: which synthetic clips the accuracy suite renders.

A grid is a list of `GridCase`s. Per view group (side, front, rear) every parameter axis
cycles through its values in a seeded, balanced order (each value equally often, pairings
shuffled), so a few dozen clips cover every value of every axis in each view where the
metrics of that axis are measured, without the product of all axes exploding.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from posture.errors import UsageError
from posture.synth import SCHEMA_VERSION, SynthParams

GRIDS: tuple[str, ...] = ("small", "full")

#: Axes of side-view clips: SynthParams field -> values.
SIDE_AXES: dict[str, tuple[float, ...]] = {
    "torso_lean_deg": (-5.0, 0.0, 5.0, 10.0, 15.0, 20.0),
    "head_pitch_deg": (0.0, 20.0, 35.0),
    "neck_flexion_deg": (0.0, 10.0, 20.0),
    "shoulder_elevation_cm": (0.0, 3.0, 6.0),
    "shoulder_rounding_cm": (0.0, 4.0),
    "bounce_cm": (5.0, 8.0, 11.0, 14.0),
    "cadence_spm": (150.0, 170.0, 185.0),
    "cadence_cv_pct": (2.0, 12.0),
    # last, so the axes above keep their shuffles: half the side clips at 60 frames/s (contact
    # time), landing further ahead (overstride, less hip extension) and knee bends at landing
    "fps": (30.0, 60.0),
    "overstride_cm": (0.0, 4.0, 10.0),
    "strike_knee_deg": (10.0, 15.0, 25.0),
}
#: Axes of front- and rear-view clips.
WIDE_AXES: dict[str, tuple[float, ...]] = {
    "torso_lean_deg": (0.0, 5.0, 10.0),
    "shoulder_elevation_cm": (0.0, 3.0, 6.0),
    "bounce_cm": (5.0, 8.0, 11.0, 14.0),
    "lateral_sway_cm": (4.0, 8.0, 13.0),
    "head_yaw_amp_deg": (3.0, 12.0, 20.0),
    "cadence_spm": (150.0, 170.0, 185.0),
    "cadence_cv_pct": (2.0, 12.0),
}
#: Clips per view group in each grid; side clips alternate facing left and right.
GRID_SIZES: dict[str, dict[str, int]] = {
    "small": {"side": 8, "front": 3, "rear": 3},
    "full": {"side": 32, "front": 12, "rear": 12},
}
#: Seeds of the axis shuffles; changing them changes every grid (and the baseline).
SHUFFLE_SEED = 20240
CLIP_SEED_BASE = 5000


@dataclass(frozen=True)
class GridCase:
    """One clip of a grid.

    Attributes:
        name: short readable id, e.g. `side_left-03`.
        params: the clip's synthesis parameters.
    """

    name: str
    params: SynthParams

    @property
    def key(self) -> str:
        """Cache key: the params and the generator's source code (16 hex digits)."""
        return params_key(self.params)


def _balanced(values: tuple[float, ...], n: int, rng: np.random.Generator) -> list[float]:
    """`n` values cycling through `values`, shuffled (each value appears ~n/len times);
    with fewer clips than values, evenly spaced values including both ends."""
    if n < len(values):
        picks = np.round(np.linspace(0, len(values) - 1, n)).astype(int)
        reps = [values[i] for i in picks]
    else:
        reps = [values[i % len(values)] for i in range(n)]
    order = rng.permutation(n)
    return [float(reps[i]) for i in order]


def _view_cases(group: str, n: int, offset: int) -> list[GridCase]:
    axes = SIDE_AXES if group == "side" else WIDE_AXES
    rng = np.random.default_rng([SHUFFLE_SEED, offset])
    columns = {field: _balanced(values, n, rng) for field, values in axes.items()}
    cases = []
    for i in range(n):
        view = ("side_left", "side_right")[i % 2] if group == "side" else group
        kwargs: dict[str, Any] = {field: col[i] for field, col in columns.items()}
        params = SynthParams(view=view, seed=CLIP_SEED_BASE + offset + i, **kwargs)
        cases.append(GridCase(f"{view}-{i:02d}", params))
    return cases


def build_grid(name: str) -> tuple[GridCase, ...]:
    """The cases of grid `name` (`small` or `full`), in a fixed order.

    Raises:
        UsageError: `name` is not a grid.
    """
    if name not in GRID_SIZES:
        raise UsageError(f"grid must be one of {', '.join(GRIDS)}, got {name!r}")
    cases: list[GridCase] = []
    for k, (group, n) in enumerate(GRID_SIZES[name].items()):
        cases += _view_cases(group, n, offset=100 * k)
    return tuple(cases)


@cache
def generator_digest() -> str:
    """Hash of the generator's source files and its encoder: a change invalidates the cache
    (of the grid's clips and of the drill clips)."""
    h = hashlib.sha256(str(SCHEMA_VERSION).encode())
    package = Path(__file__).resolve().parents[1]
    for path in [*sorted(package.joinpath("synth").glob("*.py")), package / "io/video_writer.py"]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def params_key(params: SynthParams) -> str:
    """Cache key of a clip: its params and the generator's source (16 hex digits)."""
    text = json.dumps(params.to_dict(), sort_keys=True) + generator_digest()
    return hashlib.sha256(text.encode()).hexdigest()[:16]
