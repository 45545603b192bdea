"""One number everywhere: each metric's clip figure is the same in the report JSON, the CSV
(aggregated as its docstring says), the history row, compare's input and the values the video
panel is given; and a metric registered in one place reaches every output."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from posture.metrics import METRICS, MetricSpec, central_value, panel_specs
from posture.metrics.registry import registered
from posture.overlay import panel_rows
from posture.pipeline import analyse_clip, write_outputs
from posture.report.compare import compare_reports
from posture.report.history import list_runs, metric_trend, record_run
from posture.report.schema import report_schema
from posture.report.video import OverlayPlan
from posture.result import ClipResult
from posture.settings import OutputSettings, Settings
from tests.conftest import shared_clip
from tests.skeletons import Runner, build_track

ROOT = Path(__file__).resolve().parents[1]
CLIPS = {
    "synthetic side": lambda: ROOT / "samples" / "good_form_side.mp4",
    "real side": lambda: shared_clip("treadmill_side_lab.mp4"),
    "real front": lambda: shared_clip("indoor_front_jog_in_place.mp4"),
}
NO_VIDEO = OutputSettings(video=False)


def csv_figure(rows: list[dict[str, str]], metric_id: str) -> float:
    """A metric's clip figure from the CSV, as frames_csv.py documents: frame metrics over
    their frames; step and stride metrics over one value per step or stride number."""
    spec = METRICS[metric_id]
    if spec.level == "frame":
        cells = [float(r[metric_id]) for r in rows if r[metric_id]]
        return central_value(spec, np.asarray(cells))
    group = "step" if spec.level == "step" else "stride"
    per_row = {r[group]: float(r[metric_id]) for r in rows if r[group] and r[metric_id]}
    return central_value(spec, np.asarray(list(per_row.values())))


@pytest.fixture(scope="module", params=list(CLIPS))
def written(request, pose_track, tmp_path_factory) -> tuple[ClipResult, Path]:  # type: ignore[no-untyped-def]
    video = CLIPS[request.param]()
    result = analyse_clip(pose_track(video), Settings())
    out = tmp_path_factory.mktemp("one-number")
    outputs = write_outputs(result, out, stem="clip", outputs=NO_VIDEO)
    return result, outputs.report_json


@pytest.mark.model
def test_every_output_shows_the_report_figure(
    written: tuple[ClipResult, Path], tmp_path: Path
) -> None:
    result, report_json = written
    analysis = result.analysis
    assert analysis is not None
    report = json.loads(report_json.read_text())
    with report_json.with_name("clip.frames.csv").open() as f:
        rows = list(csv.DictReader(f))
    db = tmp_path / "history.sqlite"
    record_run(report, report_json, db)
    compared = {m.metric_id: m.a_median for m in compare_reports(report, report).metrics}
    checked = 0
    for spec in METRICS.values():
        figure = report["metrics"][spec.id]["median"]
        if figure is None:
            assert not np.isfinite(analysis.summary[spec.id].median), spec.id
            continue
        assert figure == pytest.approx(analysis.summary[spec.id].median, abs=1e-3)
        checked += 1
        if spec.level != "clip":  # the CSV holds a clip metric's rolling per-stride values
            assert csv_figure(rows, spec.id) == pytest.approx(figure, rel=1e-4, abs=1e-3), spec.id
        (point,) = metric_trend(spec.id, db)
        assert point.median == pytest.approx(figure), spec.id
        assert compared[spec.id] == pytest.approx(figure), spec.id
    assert checked >= 6
    for rule in report["rules"]:  # a rule's typical value is its metric's figure
        figure = report["metrics"][rule["limits"]["metric"]]["median"]
        assert rule["typical"] == (None if figure is None else pytest.approx(figure, abs=0.01))
    assert list_runs(db)[0].view == report["view"]


@pytest.mark.model
def test_the_video_panel_is_given_the_report_series(written: tuple[ClipResult, Path]) -> None:
    result, report_json = written
    analysis = result.analysis
    assert analysis is not None
    with report_json.with_name("clip.frames.csv").open() as f:
        rows = list(csv.DictReader(f))
    plan = OverlayPlan(result, 1.0)
    for i in np.linspace(0, result.track.n_frames - 1, 12).round().astype(int):
        overlay = plan.at(int(i))
        for spec in panel_specs(overlay.view):
            shown = overlay.values[spec.id]
            assert shown == pytest.approx(analysis.metrics[spec.id][i], nan_ok=True)
            cell = rows[i][spec.id]
            assert (float(cell) if cell else np.nan) == pytest.approx(shown, rel=1e-5, nan_ok=True)
        t = result.track.timestamps_ms[i]
        recent = analysis.window_summary("vertical_bounce_cm", t - 3000.0, t)
        assert overlay.recent_bounce_cm == (recent.median if recent.n else None)


def _twice_lean(f) -> np.ndarray:  # type: ignore[no-untyped-def]
    return 2.0 * f.values["torso_lean_deg"]


def test_a_metric_registered_in_one_place_reaches_every_output(tmp_path: Path) -> None:
    spec = MetricSpec(
        "test_double_lean_deg", "deg", ("side",), "frame", "Double lean (test)", "2x lean",
        "twice the torso lean", _twice_lean, panel=True, trend=True,
    )  # fmt: skip
    track = build_track(Runner(lean_deg=6.0, duration_s=4.0))
    path = track.save(tmp_path / "runner.pose.npz")
    with registered(spec):
        result = analyse_clip(path, Settings())
        outputs = write_outputs(result, tmp_path / "out", stem="runner", outputs=NO_VIDEO)
        report = json.loads(outputs.report_json.read_text())
        import jsonschema

        jsonschema.validate(report, report_schema())
        assert report["metrics"][spec.id]["median"] == pytest.approx(12.0, abs=0.5)
        assert spec.id in report["strides"][0]
        header = outputs.files["frames_csv"].read_text().splitlines()[0].split(",")
        assert spec.id in header
        page = outputs.files["report_html"].read_text()
        assert "Double lean (test)" in page
        assert ("2x lean", spec.format(12.0)) in panel_rows({spec.id: 12.0}, "side")
        comparison = compare_reports(report, report)
        assert spec.id in {m.metric_id for m in comparison.metrics}
    assert spec.id not in METRICS
    with pytest.raises(Exception):  # noqa: B017 - the schema no longer knows it
        jsonschema.validate(report, report_schema())


def test_the_published_schema_lists_the_registry() -> None:
    published = json.loads((ROOT / "posture" / "report" / "report.schema.json").read_text())
    assert published == report_schema(), "run `python -m posture.report.schema`"


def test_the_readme_rule_table_is_the_rules_file() -> None:
    """README's table of rules, views and limits against `posture/rules/rules.toml`: a limit
    changed in one and not the other would give a coach two numbers for one rule (it had
    head_down at 15 / 25 deg after the rules file moved it to 12 / 22)."""
    import re

    from posture.rules import load_rules

    text = (ROOT / "README.md").read_text("utf-8")
    rows = re.findall(r"^\| `(\w+)` \| [^|]+ \| ([a-z, ]+) \| ([^|]+) \|$", text, re.M)
    rules = load_rules()
    assert [r[0] for r in rows] == list(rules.ids)
    for rule_id, views, limits in rows:
        rule = rules[rule_id]
        assert tuple(v.strip() for v in views.split(",")) == rule.views, rule_id
        shown = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", limits)]
        assert shown == [x for c in rule.criteria for x in (c.warn, c.fail)], rule_id
        signs = re.findall(r"[<>]", limits)
        assert signs == [">" if c.direction == "above" else "<" for c in rule.criteria], rule_id
