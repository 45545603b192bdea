"""The accuracy suite (posture.validate) on the small grid and the committed samples.

Rendered clips and pose tracks are cached in pytest's cache folder (`.pytest_cache`, or
`$POSTURE_CACHE_DIR`), so only the first run pays for the renderer and the model. Errors may
not grow past max(target, committed baseline + margin); the baseline
(`tests/accuracy_baseline.json`) is rewritten with
`posture validate --grid small --write-baseline tests/accuracy_baseline.json`.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from posture.metrics.registry import METRICS
from posture.rules import load_rules
from posture.rules.model import Criterion, Rule
from posture.validate import (
    SuiteResult,
    all_targets_met,
    build_grid,
    regressions,
    render,
    run_suite,
)
from posture.validate.targets import MetricRow, targets
from posture.validate.truth import TrueValues, true_status, view_and_facing

BASELINE = Path(__file__).with_name("accuracy_baseline.json")


@pytest.fixture(scope="session")
def validate_cache(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Where rendered clips and tracks are kept between runs (pytest's cache when enabled)."""
    env = os.environ.get("POSTURE_CACHE_DIR")
    if env:
        return Path(env) / "validate"
    cache = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    if cache is None:
        return tmp_path_factory.mktemp("posture-validate")
    return Path(cache.mkdir("posture-validate"))


@pytest.fixture(scope="module")
def suite(validate_cache: Path, model_path: Path) -> SuiteResult:
    return run_suite("small", validate_cache, jobs=2)


# ---------------------------------------------------------------- grid and truth (no model)


def test_small_grid_covers_every_metric_in_its_views() -> None:
    views = [c.params.view for c in build_grid("small")]
    groups = {view_and_facing(v)[0] for v in views}
    assert {"side_left", "side_right", "front", "rear"} <= set(views)
    for spec in METRICS.values():
        assert set(spec.views) <= groups, spec.id


def test_full_grid_is_larger_and_deterministic() -> None:
    assert len(build_grid("full")) > len(build_grid("small"))
    assert [c.key for c in build_grid("full")] == [c.key for c in build_grid("full")]


def _tv(view: str, **values: float) -> TrueValues:
    base = {k: math.nan for k in METRICS}
    return TrueValues(view, None, base | values, 175.0, n_strides=6, n_intervals=13)


@pytest.mark.parametrize(
    ("rule_id", "view", "values", "expected"),
    [
        ("lean_forward", "side", {"torso_lean_deg": 12.0}, "warn"),
        ("lean_forward", "front", {"torso_lean_deg": 12.0}, "not_measured"),
        ("head_down", "side", {"head_pitch_deg": 0.0, "neck_flexion_deg": 50.0}, "fail"),
        # combine = "all": the % leg opinion must agree
        (
            "vertical_bounce",
            "side",
            {"vertical_bounce_cm": 13.0, "vertical_bounce_pct_leg": 12.0},
            "warn",
        ),
        ("uneven_pace", "side", {"cadence_cv_pct": 16.0}, "fail"),
    ],
)
def test_true_verdict_applies_the_rule_limits(
    rule_id: str, view: str, values: dict[str, float], expected: str
) -> None:
    assert true_status(load_rules()[rule_id], _tv(view, **values)) == expected


def test_true_verdict_needs_min_samples_for_clip_metrics() -> None:
    rule = Rule(
        "r", "R", (Criterion("cadence_cv_pct", 10, 15, "above"),), ("side",), 20, "m", "c", "a"
    )
    assert true_status(rule, _tv("side", cadence_cv_pct=30.0)) == "not_measured"


def test_an_unmet_target_is_reported_with_the_number_reached() -> None:
    target = targets()["torso_lean_deg"]
    row = MetricRow("torso_lean_deg", "deg", 5, 0, 1.2, 3.456, -0.5, "side_left-01", target,
                    False, 2)  # fmt: skip
    result = SuiteResult("small", (), (), (row,), (), (), (), {})
    text = render(result)
    assert "`torso_lean_deg` <= 2 deg: NOT MET (max 3.46 deg" in text
    assert "**NOT MET**: max 3.46 deg, 2 clip(s) beyond" in text


def test_a_wrong_verdict_said_with_low_confidence_counts_as_honest_not_right() -> None:
    from types import SimpleNamespace
    from typing import Any, cast

    from posture.validate.verdicts import rule_rows

    def rec(true: str, given: str, conf: str) -> Any:
        return SimpleNamespace(
            true_statuses={"shoulder_hunch": true},
            statuses={"shoulder_hunch": given},
            confidences={"shoulder_hunch": conf},
        )

    records = [
        rec("fail", "ok", "low"),  # missed, but said unsure: honest
        rec("fail", "ok", "high"),  # missed and sure: neither
        rec("warn", "not_measured", "low"),  # not measured, with its reason: honest
        rec("ok", "ok", "high"),  # right
        rec("not_measured", "not_measured", "low"),  # not in the row
    ]
    (row,) = rule_rows(cast(list, records))
    assert (row.n, row.right, row.honest, row.missed) == (4, 1, 3, 2)
    result = SuiteResult("small", (), (), (), (row,), (), (), {})
    assert (
        "- `shoulder_hunch` verdict right or said unsure (low confidence, not measured) on "
        ">= 90 % of grid clips: NOT MET (3 of 4, 75 %)"
    ) in render(result)


# ---------------------------------------------------------------- the suite (model)


@pytest.mark.model
def test_no_metric_error_grows_past_target_or_baseline(suite: SuiteResult) -> None:
    baseline = json.loads(BASELINE.read_text(encoding="utf-8"))
    assert baseline["grid"] == "small"
    problems = regressions(suite, baseline)
    assert not problems, "\n".join(problems)


@pytest.mark.model
def test_every_target_is_reported_met_or_not_met_as_measured(suite: SuiteResult) -> None:
    text = render(suite)
    rows = [r for r in suite.metrics if r.target is not None]
    assert {r.metric for r in rows} == set(targets())
    for r in rows:
        assert r.met == (r.n_beyond == 0 and r.n_missing == 0 and r.n > r.n_missing)
        state = "met" if r.met else "NOT MET"
        assert f"`{r.metric}` {r.target.describe(r.unit)}: {state} (max {r.max_abs:.2f}" in text


@pytest.mark.model
def test_view_and_facing_are_detected_on_every_grid_clip(suite: SuiteResult) -> None:
    assert suite.view_right[0] == suite.view_right[1]
    assert suite.facing_right[0] == suite.facing_right[1]


SAMPLES = (
    "bouncy_side",
    "forward_lean_side",
    "good_form_rear",
    "good_form_side",
    pytest.param(
        "head_down_side",
        marks=pytest.mark.xfail(
            strict=True,
            reason="head_down given warn (low confidence) on head pitch 16.0 deg; true 35 deg "
            "pitch, neck flexion 20 deg -> fail (MediaPipe's face points turn with ~55 % of a nod)",
        ),
    ),
    pytest.param(
        "hunched_side",
        marks=pytest.mark.xfail(
            strict=True,
            reason="shoulder_hunch given ok (low confidence) on 10.0 %; true 30.7 % (5 cm shrug, "
            "4 cm rounding) -> fail",
        ),
    ),
    "sway_shake_front",
    pytest.param(
        "uneven_cadence_side",
        marks=pytest.mark.xfail(
            strict=True,
            reason=(
                "uneven_pace given warn on cadence CV 11.1 %; true CV 15.5 % -> fail (steps "
                "are timed at the body's lowest point, mid-stance, which averages neighbours)"
            ),
        ),
    ),
)


@pytest.mark.model
@pytest.mark.parametrize("name", SAMPLES)
def test_every_rule_verdict_is_right_on_the_sample(suite: SuiteResult, name: str) -> None:
    row = next(s for s in suite.samples if s.name == name)
    assert row.right, "; ".join(row.details)


@pytest.mark.model
def test_no_flags_on_the_good_form_sample(suite: SuiteResult) -> None:
    row = next(s for s in suite.samples if s.name == "good_form_side")
    assert row.given == {}


@pytest.mark.model
def test_cli_prints_the_table_and_writes_doc_and_baseline(
    suite: SuiteResult, validate_cache: Path, tmp_path: Path
) -> None:
    import typer

    from posture.cli.validate import validate

    app = typer.Typer()
    app.command()(validate)
    doc, base = tmp_path / "ACCURACY.md", tmp_path / "baseline.json"
    args = ["--grid", "small", "--cache", str(validate_cache), "--quiet"]
    result = CliRunner().invoke(
        app, [*args, "--write-doc", str(doc), "--write-baseline", str(base), "--strict"]
    )
    assert "### Metric errors" in result.stdout
    assert "posture validate --grid small" in doc.read_text(encoding="utf-8")
    assert json.loads(base.read_text(encoding="utf-8"))["grid"] == "small"
    assert result.exit_code == (0 if all_targets_met(suite) else 1), result.output
