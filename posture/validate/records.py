"""One analysed clip beside its truth: `ClipRecord`, built from a cached pose track."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posture.gate.files import TRUTH, read_text
from posture.metrics.registry import metric_ids
from posture.pipeline import analyse_clip
from posture.pose.track import PoseTrack
from posture.rules.model import RuleSet, RuleStatus
from posture.settings import Settings
from posture.validate.landmarks import LandmarkErrors, landmark_errors
from posture.validate.truth import TrueValues, true_statuses, true_values


@dataclass(frozen=True)
class ClipRecord:
    """Measured and true values of one clip.

    Attributes:
        name: clip id (grid case name or sample file stem).
        true: the true values.
        measured: metric id -> the report's clip median (height estimated, as `posture check`
            runs by default); NaN where not measured.
        measured_height_given: the same with `--height-cm` set to the true stature.
        view, facing: what the pipeline detected (None when nobody was found).
        height_estimated_cm: stature the pipeline estimated (NaN when none).
        statuses: rule id -> verdict given (default settings).
        confidences: rule id -> the confidence the verdict was given with (`high`, `low`).
        rule_values: rule id -> the typical value of the rule's metric (NaN when none).
        true_statuses: rule id -> verdict of the rule's limits on the true values.
        landmarks: MediaPipe's landmark errors against the figure's true landmarks.
    """

    name: str
    true: TrueValues
    measured: dict[str, float]
    measured_height_given: dict[str, float]
    view: str | None
    facing: str | None
    height_estimated_cm: float
    statuses: dict[str, RuleStatus]
    confidences: dict[str, str]
    rule_values: dict[str, float]
    true_statuses: dict[str, RuleStatus]
    landmarks: LandmarkErrors

    @property
    def flags(self) -> dict[str, RuleStatus]:
        """Rules given as warn or fail."""
        return {k: s for k, s in self.statuses.items() if s in ("warn", "fail")}

    @property
    def true_flags(self) -> dict[str, RuleStatus]:
        """Rules whose true verdict is warn or fail."""
        return {k: s for k, s in self.true_statuses.items() if s in ("warn", "fail")}


@dataclass(frozen=True)
class _Run:
    values: dict[str, float]
    view: str | None
    facing: str | None
    height_cm: float
    statuses: dict[str, RuleStatus]
    confidences: dict[str, str]
    rule_values: dict[str, float]


def _run(settings: Settings, track_path: Path, rule_ids: tuple[str, ...]) -> _Run:
    """The full pipeline on a saved track: clip medians and the report's rule verdicts."""
    result = analyse_clip(track_path, settings)
    a = result.analysis
    given = {r.id: r for r in result.rules}
    statuses: dict[str, RuleStatus] = {
        k: given[k].status if k in given else "not_measured" for k in rule_ids
    }
    confidences: dict[str, str] = {
        k: given[k].confidence if k in given else "low" for k in rule_ids
    }
    values = {k: _f(given[k].typical) if k in given else math.nan for k in rule_ids}
    if a is None:  # nobody found: nothing measured
        nothing = {k: math.nan for k in metric_ids()}
        return _Run(nothing, None, None, math.nan, statuses, confidences, values)
    medians = {k: a.summary[k].median for k in metric_ids()}
    height = _f(a.scale.height_cm)
    return _Run(medians, a.view, a.facing, height, statuses, confidences, values)


def _f(x: object) -> float:
    return math.nan if x is None else float(x)  # type: ignore[arg-type]


def build_record(
    name: str, truth_path: Path, track_path: Path, rules: RuleSet, settings: Settings
) -> ClipRecord:
    """Analyse a cached pose track twice (height estimated, height given) against its truth.

    Args:
        name: clip id.
        truth_path: the clip's `.truth.json`.
        track_path: its cached `.pose.npz`.
        rules: the rules whose limits make the true verdicts (the same the pipeline uses).
        settings: analysis settings of the default run; the second run adds the true height.
    """
    truth = json.loads(read_text(truth_path, TRUTH))  # a regular file, read with a bound
    tv = true_values(truth)
    run = _run(settings, track_path, rules.ids)
    given = _run(settings.with_analysis(height_cm=tv.height_cm), track_path, rules.ids)
    track = PoseTrack.load(track_path)
    return ClipRecord(
        name=name,
        true=tv,
        measured=run.values,
        measured_height_given=given.values,
        view=run.view,
        facing=run.facing,
        height_estimated_cm=run.height_cm,
        statuses=run.statuses,
        confidences=run.confidences,
        rule_values=run.rule_values,
        true_statuses=true_statuses(rules, tv, settings.analysis.context),
        landmarks=landmark_errors(
            track,
            np.asarray(truth["frames"]["landmarks_px"], dtype=float),
            np.asarray(truth["frames"]["landmarks_depth_cm"], dtype=float),
            np.asarray(truth["frames"]["timestamps_ms"], dtype=float),
            tv,
        ),
    )
