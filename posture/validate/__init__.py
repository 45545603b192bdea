"""The accuracy suite: the pipeline on generated clips with known posture, against the truth.

`run_suite(grid, cache_dir)` renders the grid's clips (`posture.synth`, cached by params
hash), runs the pose model (cached `.pose.npz`), analyses every clip as `posture check`
does and compares with the truth: per-metric errors against issue 4's targets, per-rule
confusion counts, the committed samples' verdicts and MediaPipe's landmark bias.

Example:
    >>> from posture.validate import build_grid
    >>> len(build_grid("small"))
    14
"""

from __future__ import annotations

from posture.validate.baseline import (
    all_targets_met,
    baseline_dict,
    regressions,
    save_baseline,
    save_json,
)
from posture.validate.grid import GRIDS, GridCase, build_grid
from posture.validate.run import default_cache_dir
from posture.validate.suite import SuiteResult, run_suite
from posture.validate.table import render
from posture.validate.targets import MetricRow, Target, targets

__all__ = [
    "GRIDS",
    "GridCase",
    "MetricRow",
    "SuiteResult",
    "Target",
    "all_targets_met",
    "baseline_dict",
    "build_grid",
    "default_cache_dir",
    "regressions",
    "render",
    "run_suite",
    "save_baseline",
    "save_json",
    "targets",
]
