"""Run history (SQLite), `compare` of two reports, and the `history` / `compare` commands.

Every test writes its database under tmp_path: `POSTURE_HISTORY_DB` is pointed there for the
whole module, so no test can touch the user's real history.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from posture.cli.report_cmds import compare, history, sparkline, trend_verdict
from posture.errors import BadInputError, OutputError
from posture.report.compare import MetricGoal, compare_reports, load_report, metric_goals
from posture.report.history import (
    ENV_DB,
    SCHEMA_VERSION,
    history_path,
    list_runs,
    metric_trend,
    record_run,
    record_run_safely,
)

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)

cli = typer.Typer()
cli.command()(history)
cli.command()(compare)


@pytest.fixture(autouse=True)
def history_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The default database of every test: a file under tmp_path, never the user's."""
    db = tmp_path / "data" / "history.sqlite"
    monkeypatch.setenv(ENV_DB, str(db))
    return db


@pytest.fixture(scope="session")
def reports(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> dict[str, Path]:
    """Report JSONs of two real `posture check` runs on the committed sample clips."""
    from posture.pipeline import check

    out = tmp_path_factory.mktemp("reports")
    paths = {}
    for name in ("forward_lean_side", "good_form_side"):
        check(ROOT / "samples" / f"{name}.mp4", out_dir=out)
        paths[name] = out / f"{name}.report.json"
    return paths


def _report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8"))


def _tiny_report(clip: str, lean_deg: float, status: str = "ok") -> dict[str, Any]:
    """A minimal report of the `Report.to_dict()` shape (for tests that need no video)."""
    return {
        "schema_version": 2,
        "tool": {"name": "posture", "version": "0.0-test"},
        "status": "analysed",
        "input": {"path": clip, "duration_s": 5.0},
        "view": "side",
        "metrics": {"torso_lean_deg": {"unit": "deg", "median": lean_deg, "p10": 0, "p90": 1}},
        "rules": [{"id": "lean_forward", "status": status, "typical": lean_deg, "unit": "deg"}],
    }


# --- history: round trip on real reports -------------------------------------------------


@pytest.mark.model
def test_round_trip_lists_newest_first_with_flagged_rules(
    reports: dict[str, Path], history_db: Path
) -> None:
    lean, good = reports["forward_lean_side"], reports["good_form_side"]
    # Recorded newest first (an import of older reports): the list follows analysed_at.
    id_good = record_run(_report(good), good, analysed_at=T0 + timedelta(days=1))
    id_lean = record_run(_report(lean), lean, analysed_at=T0)

    runs = list_runs()
    assert [r.id for r in runs] == [id_good, id_lean]
    assert [r.clip_name for r in runs] == ["good_form_side.mp4", "forward_lean_side.mp4"]
    assert runs[1].flagged == (("lean_forward", "fail"),)
    assert runs[0].flagged == ()
    assert runs[1].report_path == str(lean.resolve())
    assert (runs[1].view, runs[1].status, runs[1].duration_s) == ("side", "analysed", 5.0)
    assert history_db.is_file()


@pytest.mark.model
def test_metric_trend_is_oldest_first_and_keeps_the_newest(reports: dict[str, Path]) -> None:
    lean, good = _report(reports["forward_lean_side"]), _report(reports["good_form_side"])
    # Recorded out of time order: the trend follows analysed_at, not insertion order.
    record_run(good, None, analysed_at=T0 + timedelta(days=2))
    record_run(lean, None, analysed_at=T0)
    record_run(lean, None, analysed_at=T0 + timedelta(days=1))

    trend = metric_trend("torso_lean_deg")
    expected = [lean, lean, good]
    assert [p.median for p in trend] == [r["metrics"]["torso_lean_deg"]["median"] for r in expected]
    assert [p.analysed_at for p in trend] == sorted(p.analysed_at for p in trend)
    assert [p.median for p in metric_trend("torso_lean_deg", limit=2)] == [
        r["metrics"]["torso_lean_deg"]["median"] for r in expected[1:]
    ]
    # Not measured in a side view: no points rather than NULL points.
    assert metric_trend("lateral_sway_pct_leg") == []


# --- history: database location, schema, failures ---------------------------------------


def test_db_path_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_DB, str(tmp_path / "mine.sqlite"))
    assert history_path() == tmp_path / "mine.sqlite"
    record_run(_tiny_report("a.mp4", 3.0), None)
    assert (tmp_path / "mine.sqlite").is_file()

    monkeypatch.delenv(ENV_DB)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert history_path() == tmp_path / "xdg" / "posture" / "history.sqlite"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")  # invalid per the XDG spec: ignored
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert history_path() == tmp_path / "home" / ".local" / "share" / "posture" / "history.sqlite"


def test_reading_an_absent_history_creates_nothing(history_db: Path) -> None:
    assert list_runs() == []
    assert metric_trend("torso_lean_deg") == []
    assert not history_db.exists()


def test_schema_version_and_tables(history_db: Path) -> None:
    record_run(_tiny_report("a.mp4", 3.0), None)
    with sqlite3.connect(history_db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "run_metrics", "run_rules"} <= tables


def test_missing_values_and_numpy_scalars_are_stored(history_db: Path) -> None:
    np = pytest.importorskip("numpy")
    report = _tiny_report("a.mp4", 3.0)
    report["metrics"]["torso_lean_deg"].update(median=np.float32(4.5), n=np.int64(7))
    report["metrics"]["cadence_spm"] = {"unit": "steps/min", "median": None, "n": 0}
    del report["view"]
    record_run(report, None)
    assert [p.median for p in metric_trend("torso_lean_deg")] == [4.5]
    assert metric_trend("cadence_spm") == []
    assert list_runs()[0].view is None


def test_concurrent_writers_lose_nothing(history_db: Path) -> None:
    def write(worker: int) -> None:
        for i in range(10):
            record_run(_tiny_report(f"w{worker}_{i}.mp4", float(i)), None)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(list_runs(limit=100)) == 40


def _corrupt(db: Path) -> Path:
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"this is not an sqlite database, just some bytes " * 100)
    return db


def _under_a_file(db: Path) -> Path:
    # A regular file where the folder should be: unwritable for any user, root included.
    db.parent.parent.mkdir(parents=True, exist_ok=True)
    db.parent.write_text("not a folder")
    return db


def _newer_schema(db: Path) -> Path:
    db.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    return db


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (_corrupt, "damaged"),
        (_under_a_file, "cannot use the history database"),
        (_newer_schema, "newer than this posture"),
    ],
)
def test_unusable_db_raises_one_line_output_error(history_db: Path, make, says: str) -> None:
    db = make(history_db)
    with pytest.raises(OutputError) as info:
        record_run(_tiny_report("a.mp4", 3.0), None)
    message = str(info.value)
    assert says in message and str(db) in message and "\n" not in message
    assert ENV_DB in message  # says what to do
    if db.is_file():  # reading fails the same way, without a traceback-worthy error
        with pytest.raises(OutputError):
            list_runs()


def test_record_run_safely_warns_instead_of_raising(history_db: Path) -> None:
    assert record_run_safely(_tiny_report("a.mp4", 3.0), None) is None
    _corrupt(history_db)
    warning = record_run_safely(_tiny_report("a.mp4", 3.0), None)
    assert warning is not None and warning.startswith("history not updated:")
    assert "\n" not in warning


# --- compare --------------------------------------------------------------------------------


@pytest.mark.model
def test_compare_forward_lean_with_good_form(reports: dict[str, Path]) -> None:
    lean, good = load_report(reports["forward_lean_side"]), load_report(reports["good_form_side"])
    c = compare_reports(lean, good)
    metric = {m.metric_id: m for m in c.metrics}["torso_lean_deg"]
    assert metric.delta is not None and metric.delta < -5.0
    assert metric.verdict == "better" and metric.unit == "deg"
    rule = {r.rule_id: r for r in c.rules}["lean_forward"]
    assert (rule.a_status, rule.b_status, rule.changed) == ("fail", "ok", True)
    assert not {r.rule_id: r for r in c.rules}["lean_backward"].changed
    assert {m.metric_id: m for m in c.metrics}["cadence_spm"].verdict == "unrated"
    swapped = {m.metric_id: m for m in compare_reports(good, lean).metrics}["torso_lean_deg"]
    assert swapped.verdict == "worse"


ABOVE = MetricGoal(upper_warn=10.0, lower_warn=None, same_within=0.5)
BELOW = MetricGoal(upper_warn=None, lower_warn=-3.0, same_within=0.3)
BAND = MetricGoal(upper_warn=10.0, lower_warn=-4.0, same_within=0.3)  # ok band: -4 to 10
HEAD = MetricGoal(upper_warn=12.0, lower_warn=None, same_within=1.0)  # head pitch: ok <= 12


@pytest.mark.parametrize(
    ("goal", "a", "b", "verdict"),
    [
        (ABOVE, 15.0, 5.0, "better"),
        (ABOVE, 5.0, 15.0, "worse"),
        (ABOVE, 5.0, 5.4, "ok"),  # both inside the ok band
        (ABOVE, 15.0, 15.4, "same"),  # both outside, equally far
        (ABOVE, 10.2, 15.0, "worse"),
        (BELOW, -6.0, -1.0, "better"),
        (BELOW, -1.0, -6.0, "worse"),
        (BAND, 12.0, 3.0, "better"),
        (BAND, -6.0, 3.0, "better"),
        (BAND, 3.0, -6.0, "worse"),
        (BAND, 12.0, -6.0, "same"),  # 2 beyond either side
        (BAND, -4.0, 9.0, "ok"),
        (HEAD, -17.1, 0.1, "ok"),  # looking less up is not "worse" (issue 16)
        (HEAD, 0.7, -7.5, "ok"),
        (HEAD, 20.0, -7.5, "better"),
        (ABOVE, None, 5.0, "unrated"),
        (ABOVE, float("nan"), 5.0, "unrated"),
    ],
)
def test_goal_judges_by_rule_direction(goal: MetricGoal, a, b, verdict: str) -> None:
    assert goal.judge(a, b) == verdict


def test_shipped_rules_give_lean_a_two_sided_goal() -> None:
    goals = metric_goals()
    assert (goals["torso_lean_deg"].upper_warn, goals["torso_lean_deg"].lower_warn) == (10.0, -3.0)
    assert goals["vertical_bounce_pct_leg"].upper_warn is not None  # an `also` criterion counts
    assert "cadence_spm" not in goals


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda d: d / "missing.report.json", "no such file"),
        (lambda d: d, "is a folder"),
        (lambda d: _write(d / "a.json", "{not json"), "not valid JSON"),
        (lambda d: _write(d / "a.json", "[1, 2]"), "not a posture report"),
        (lambda d: _write(d / "a.json", '{"tool": {"name": "other"}}'), "not a posture report"),
        (
            lambda d: _write(d / "a.json", '{"schema_version": 99, "tool": {"name": "posture"}}'),
            "upgrade posture",
        ),
    ],
)
def test_load_report_rejects_what_is_not_a_report(tmp_path: Path, make, says: str) -> None:
    with pytest.raises(BadInputError) as info:
        load_report(make(tmp_path))
    assert says in str(info.value) and "\n" not in str(info.value)


# --- CLI ------------------------------------------------------------------------------------

runner = CliRunner()


@pytest.mark.model
def test_history_command_shows_runs_and_trends(reports: dict[str, Path]) -> None:
    lean, good = reports["forward_lean_side"], reports["good_form_side"]
    record_run(_report(lean), lean, analysed_at=T0)
    record_run(_report(good), good, analysed_at=T0 + timedelta(days=1))

    result = runner.invoke(cli, ["history"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "forward_lean_side.mp4" in out and "good_form_side.mp4" in out
    assert "lean_forward fail" in out
    assert out.index("good_form_side.mp4") < out.index("forward_lean_side.mp4")  # newest first
    lean_line = next(line for line in out.splitlines() if "torso_lean_deg" in line)
    assert "█▁" in lean_line and "improving" in lean_line

    result = runner.invoke(cli, ["history", "--metric", "torso_lean_deg"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    want = _report(lean)["metrics"]["torso_lean_deg"]["median"]
    assert f"{want:.2f} deg" in result.stdout and "cadence_spm" not in result.stdout


def test_history_command_on_empty_and_bad_input(history_db: Path) -> None:
    result = runner.invoke(cli, ["history"])
    assert result.exit_code == 0 and "No runs recorded yet" in result.stdout

    result = runner.invoke(cli, ["history", "--metric", "elbow_deg"])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "unknown metric" in result.stderr

    _corrupt(history_db)
    result = runner.invoke(cli, ["history"])
    assert result.exit_code == 6
    assert result.stderr.startswith("posture: error:") and result.stderr.count("\n") == 1


@pytest.mark.model
def test_compare_command_table_and_json(reports: dict[str, Path]) -> None:
    args = [str(reports["forward_lean_side"]), str(reports["good_form_side"])]
    result = runner.invoke(cli, ["compare", *args], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert "torso_lean_deg" in result.stdout and "improved" in result.stdout

    result = runner.invoke(cli, ["compare", *args, "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    lean = next(m for m in doc["metrics"] if m["metric_id"] == "torso_lean_deg")
    assert lean["verdict"] == "better"
    assert {"rule_id": "lean_forward", "a_status": "fail", "b_status": "ok"}.items() <= next(
        r for r in doc["rules"] if r["rule_id"] == "lean_forward"
    ).items()


def test_compare_command_bad_file_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = _write(tmp_path / "notes.json", "hello")
    result = runner.invoke(cli, ["compare", str(bad), str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith("posture: error:") and result.stderr.count("\n") == 1
    assert "not valid JSON" in result.stderr


@pytest.mark.parametrize(
    ("values", "line"),
    [([], ""), ([1.0], "▅"), ([2.0, 2.0], "▅▅"), ([0.0, 7.0], "▁█"), ([0.0, 1.0, 7.0], "▁▂█")],
)
def test_sparkline(values: list[float], line: str) -> None:
    assert sparkline(values) == line


def test_trend_verdict_compares_the_newer_half_with_the_older() -> None:
    assert trend_verdict([15.0, 14.0, 6.0, 5.0], ABOVE) == "better"
    assert trend_verdict([5.0, 15.0], ABOVE) == "worse"
    assert trend_verdict([5.0], ABOVE) == "unrated"
    assert trend_verdict([5.0, 15.0], None) == "unrated"


# --- one runner, one view ---------------------------------------------------------------


def _viewed(clip: str, lean_deg: float, view: str, status: str = "ok") -> dict[str, Any]:
    return {**_tiny_report(clip, lean_deg, status), "view": view}


def test_trends_stay_within_one_runner_and_one_view() -> None:
    record_run(_viewed("a.mp4", 14.0, "side", "warn"), None, runner="ann", analysed_at=T0)
    record_run(_viewed("b.mp4", 2.0, "front"), None, runner="ann", analysed_at=T0 + timedelta(1))
    record_run(_viewed("c.mp4", 30.0, "side"), None, runner="bob", analysed_at=T0 + timedelta(2))
    record_run(_viewed("d.mp4", 6.0, "side"), None, runner="ann", kind="live",
               analysed_at=T0 + timedelta(3))  # fmt: skip
    side = metric_trend("torso_lean_deg", runner="ann", view="side")
    assert [p.median for p in side] == [14.0, 6.0]
    assert [r.clip_name for r in list_runs(runner="bob")] == ["c.mp4"]
    runs = list_runs(runner="ann")
    assert [r.kind for r in runs] == ["live", "check", "check"]
    assert {r.runner for r in runs} == {"ann"}
    assert [r.verdict for r in runs] == ["good form", "good form", "warn"]
    with pytest.raises(ValueError, match="kind"):
        record_run(_tiny_report("e.mp4", 1.0), None, kind="drill-ish")


def test_a_run_with_no_rule_judged_is_nothing_judged_never_good_form() -> None:
    record_run(_tiny_report("short.mp4", 3.0, "not_measured"), None, analysed_at=T0)
    record_run(_tiny_report("fine.mp4", 3.0, "ok"), None, analysed_at=T0 + timedelta(1))
    runs = list_runs()
    assert [(r.clip_name, r.verdict) for r in runs] == [
        ("fine.mp4", "good form"), ("short.mp4", "nothing judged")
    ]  # fmt: skip
    out = runner.invoke(cli, ["history"], env={"COLUMNS": "200"}).stdout
    assert "nothing judged" in out


def test_history_command_shows_one_runner_per_view_with_verdicts_in_words() -> None:
    record_run(_viewed("a.mp4", 14.0, "side", "warn"), None, runner="ann", analysed_at=T0)
    record_run(_viewed("b.mp4", 6.0, "side"), None, runner="ann", analysed_at=T0 + timedelta(1))
    record_run(_viewed("c.mp4", 30.0, "front"), None, runner="bob", analysed_at=T0)
    result = runner.invoke(cli, ["history", "--runner", "ann"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Past runs of ann" in out and "c.mp4" not in out and "front view" not in out
    assert "Trends in side view" in out and "14.0 → 6.0 deg" in out and "improving" in out
    assert "good form" in out and "warn" in out and "status" not in out


def test_compare_page_puts_both_clips_side_by_side(saved, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = tmp_path / "before-after.html"
    args = ["compare", str(saved.report), str(saved.report), "--html", str(page)]
    result = runner.invoke(cli, args, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    text = page.read_text()
    assert text.count("data:image/jpeg;base64,") == 2  # a foot strike of each clip
    assert "both ok" in text and "Torso lean" in text and "<script" not in text


def test_strike_index_picks_the_foot_strike_nearest_the_middle() -> None:
    from posture.report.compare_html import strike_index

    t_ms = np.arange(0, 5000, 1000 / 30)
    assert t_ms[strike_index({"steps_s": [0.4, 2.3, 2.9, 4.5]}, t_ms)] == pytest.approx(
        2300, abs=20
    )
    assert t_ms[strike_index({}, t_ms)] == pytest.approx(t_ms[-1] / 2, abs=20)  # the middle
    assert strike_index({}, np.zeros(0)) is None
