"""The committed error baseline (tests/accuracy_baseline.json) and the check against it.

A metric regresses when its mean or max absolute error grows past
max(target, baseline + margin): errors may move within the target, and metrics without a
target may not get worse than measured, beyond a margin for platform noise.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Any

from posture.atomic import write_atomic
from posture.validate.suite import SuiteResult
from posture.validate.targets import MetricRow

BASELINE_VERSION = 1
#: Absolute margin per unit, added to a relative margin of `REL_MARGIN`. A clip renders to
#: the same bytes every time (posture/io/video_writer.py: libx264's macroblock tree, on until
#: 2026-12-04, gave different pixels from encode to encode, and MediaPipe followed them), so
#: on one machine the suite repeats to the last digit. The margins are for other machines:
#: MediaPipe's kernels differ by CPU. Re-encoded grids, the size of that noise: max errors
#: up to 0.6 deg, 4 deg of head-yaw range, 0.5 % leg of lateral sway and 0.4 cm of estimated
#: height; contact times 23.7 vs 33.1 ms mean (foot events snap to frames).
ABS_MARGIN = {
    "deg": 1.0, "cm": 0.8, "% leg": 1.0, "steps/min": 1.0, "%": 2.0, "% torso": 1.0,
    "ratio": 0.01, "ms": 12.0, "% shoulder": 1.0,
}  # fmt: skip
#: A clip may lose a metric between renders (a stride more or less found at 30 frames/s).
MISSING_MARGIN = 1
REL_MARGIN = 0.10
#: The single worst clip of the grid moves more than the mean between renders (lateral sway's
#: worst clip: 3.20, 3.71 and 4.53 % leg in three cold renders of identical input), so a max
#: error is compared with a wider relative margin than a mean error.
REL_MARGIN_MAX = 0.50


def _num(x: float) -> float | None:
    return round(x, 4) if math.isfinite(x) else None


def baseline_dict(result: SuiteResult) -> dict[str, Any]:
    """Per-metric errors of `result`, plus the sample verdicts, as the baseline's content."""
    return {
        "version": BASELINE_VERSION,
        "grid": result.grid,
        "meta": result.meta,
        "metrics": {
            r.metric: {
                "unit": r.unit,
                "n": r.n,
                "n_missing": r.n_missing,
                "mean_abs": _num(r.mean_abs),
                "max_abs": _num(r.max_abs),
                "bias": _num(r.bias),
            }
            for r in result.metrics
        },
        "samples_right": {s.name: s.right for s in result.samples},
    }


def save_baseline(result: SuiteResult, path: Path) -> None:
    """Write the baseline JSON atomically."""
    write_atomic(path, json.dumps(baseline_dict(result), indent=2) + "\n")


def allowed(
    row: MetricRow, base: float | None, target_value: float | None, stat: str = "mean_abs"
) -> float:
    """Largest error allowed for a row's `stat`: max(target, baseline + margin)."""
    limit = -math.inf if target_value is None else target_value
    if base is not None:
        rel = REL_MARGIN_MAX if stat == "max_abs" else REL_MARGIN
        limit = max(limit, base * (1 + rel) + ABS_MARGIN.get(row.unit, 0.0))
    return limit


def regressions(result: SuiteResult, baseline: dict[str, Any]) -> list[str]:
    """Plain-language regressions of `result` against `baseline` (empty: none).

    Targets with a relative part (bounce) are compared with their absolute part only.
    """
    problems = []
    rows = {r.metric: r for r in result.metrics}
    for metric, base in baseline["metrics"].items():
        row = rows.get(metric)
        if row is None:
            problems.append(f"{metric}: no longer measured on any clip")
            continue
        if row.n_missing > base.get("n_missing", 0) + MISSING_MARGIN:
            problems.append(
                f"{metric}: not measured on {row.n_missing} clips (baseline {base['n_missing']})"
            )
        target = row.target.abs_limit if row.target else None
        for stat in ("mean_abs", "max_abs"):
            value, limit = getattr(row, stat), allowed(row, base[stat], target, stat)
            if math.isfinite(value) and value > limit:
                problems.append(
                    f"{metric}: {stat} {value:.3f} {row.unit} > allowed {limit:.3f} "
                    f"(baseline {base[stat]}, target {target})"
                )
    return problems


def save_json(result: SuiteResult, path: Path) -> None:
    """Every row of `result` as JSON (for scripts)."""
    data = {
        "meta": result.meta,
        "grid": result.grid,
        "metrics": [asdict(r) for r in result.metrics],
        "rules": [
            asdict(r) | {"confusion": {f"{t}->{g}": c for (t, g), c in r.confusion.items()}}
            for r in result.rules
        ],
        "samples": [asdict(s) for s in result.samples],
    }
    write_atomic(path, json.dumps(data, indent=2, default=_default) + "\n")


def _default(x: object) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return str(x)


def all_targets_met(result: SuiteResult) -> bool:
    """Every metric target met, every sample verdict right, no flags on good form."""
    return all(r.met is not False for r in result.metrics) and all(s.right for s in result.samples)
