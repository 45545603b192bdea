"""`posture batch` pieces that need no model: inputs, names, resume marks, summary, exits."""

from __future__ import annotations

import fcntl
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from posture.batch.index_html import to_html, verdict_tally
from posture.batch.inputs import expand_inputs, output_name
from posture.batch.resume import Sidecar, finished, settings_digest, write_sidecar
from posture.batch.runner import LOCK_NAME, exit_code
from posture.batch.summary import Row, RuleCell, to_csv
from posture.cli import app
from posture.cli.batch import batch
from posture.settings import Settings
from tests.browser import CHROMIUM, page_width_px

if not any(c.callback is batch for c in app.registered_commands):
    app.command()(batch)  # until the CLI registers it


def _touch(path: Path, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_folders_are_searched_by_extension_and_names_stay_unique(tmp_path: Path) -> None:
    a = _touch(tmp_path / "in" / "a" / "run.mp4")
    b = _touch(tmp_path / "in" / "b" / "deeper" / "run.MOV")
    _touch(tmp_path / "in" / "a" / "notes.txt")
    _touch(tmp_path / "in" / ".hidden" / "skip.mp4")
    jobs = expand_inputs([str(tmp_path / "in"), str(a)])  # a twice: kept once
    assert [j.path for j in jobs] == [a, b]
    assert jobs[0].name != jobs[1].name
    assert all(j.name.startswith("run-") and len(j.name) == len("run-") + 8 for j in jobs)
    assert output_name(a) == jobs[0].name  # stable from run to run


@pytest.mark.parametrize(
    ("spec", "expected", "problem"),
    [
        ("clips/*.mp4", ["clips/one.mp4", "clips/two.mp4"], ""),
        ("clips/**/*.webm", ["clips/sub/three.webm"], ""),
        ("clips/*.avi", [], "no video files match this pattern"),
        ("empty", [], "the folder holds no video files"),
        ("missing.mp4", ["missing.mp4"], ""),  # analysed, and fails with the reader's message
    ],
)
def test_globs_and_missing_inputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str, expected: list[str], problem: str
) -> None:
    for name in ("clips/one.mp4", "clips/two.mp4", "clips/sub/three.webm", "clips/four.txt"):
        _touch(tmp_path / name)
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    jobs = expand_inputs([spec])
    if problem:
        assert len(jobs) == 1 and problem in jobs[0].problem
    else:
        assert [j.path for j in jobs] == [tmp_path / e for e in expected]


def test_settings_digest_follows_what_changes_a_report(tmp_path: Path) -> None:
    base = settings_digest(Settings())
    assert settings_digest(Settings().with_pose(model_dir=tmp_path)) == base
    assert settings_digest(Settings().with_analysis(view="side")) != base
    rules = _touch(tmp_path / "rules.toml", "a = 1")
    with_rules = settings_digest(Settings().with_analysis(rules_path=rules))
    rules.write_text("a = 2")
    assert settings_digest(Settings().with_analysis(rules_path=rules)) != with_rules


def test_a_clip_is_finished_only_with_same_content_settings_and_files(tmp_path: Path) -> None:
    clip = _touch(tmp_path / "run.mp4", "frames")
    out = tmp_path / "out"
    _touch(out / "run-x.report.json", "{}")
    from posture.batch.resume import file_sha256

    mark = Sidecar(str(clip), file_sha256(clip), "s1", "analysed", 1.0, (".report.json",))
    write_sidecar(out, "run-x", mark)
    assert finished(out, "run-x", clip, "s1") == mark
    assert finished(out, "run-x", clip, "s2") is None  # other settings
    clip.write_text("other frames")
    assert finished(out, "run-x", clip, "s1") is None  # other content
    clip.write_text("frames")
    (out / "run-x.report.json").unlink()
    assert finished(out, "run-x", clip, "s1") is None  # a file went missing


def _row(name: str, status: str = "analysed", *rules: str) -> Row:
    cells = tuple(RuleCell(f"r{i}", s, 1.5, "deg") for i, s in enumerate(rules))
    return Row(path=f"/clips/{name}.mp4", name=name, status=status, rules=cells)


@pytest.mark.parametrize(
    ("rows", "fail_on", "code"),
    [
        ([_row("a", "analysed", "ok", "warn")], "never", 0),
        ([_row("a", "analysed", "ok", "warn")], "warn", 4),
        ([_row("a", "analysed", "ok", "warn")], "fail", 0),
        ([_row("a", "analysed", "fail")], "fail", 4),
        ([_row("a", "analysed", "not_measured")], "warn", 0),
        ([_row("a", "no_runner")], "warn", 0),  # no verdicts: never trips --fail-on
        ([_row("a", "analysed", "fail"), _row("b", "error")], "fail", 1),  # errors come first
    ],
)
def test_exit_codes(rows: list[Row], fail_on: str, code: int) -> None:
    assert exit_code(rows, fail_on) == code


def test_index_is_worst_first_escaped_and_self_contained() -> None:
    rows = [
        _row("fine", "analysed", "ok"),
        _row("<b>bad</b>", "analysed", "fail", "warn"),
        Row(path="/x.mp4", name="x", status="error", error="no such file"),
        _row("warned", "analysed", "warn"),
        _row("empty", "no_runner"),
    ]
    page = to_html(rows)
    order = [page.index(f">{n}<") for n in ("x", "empty", "&lt;b&gt;bad&lt;/b&gt;", "warned")]
    assert order == sorted(order) and page.index(">fine<") > order[-1]
    assert "<b>bad</b>" not in page
    assert "http" not in page.lower() and "src=" not in page  # nothing fetched from outside
    header = to_csv(rows).splitlines()[0]
    assert header.endswith("r0.status,r0.typical_deg,r1.status,r1.typical_deg")


def test_index_header_counts_verdicts_not_analysed_clips() -> None:
    rows = [
        _row("a", "analysed", "fail", "warn"), _row("b", "analysed", "fail"),
        _row("c", "analysed", "warn", "ok"), _row("d", "analysed", "ok", "not_measured"),
        _row("e", "analysed", "not_measured"), _row("f", "no_runner"),
        Row(path="/x.mp4", name="x", status="error", error="no such file"),
    ]  # fmt: skip
    assert verdict_tally(rows) == (
        "7 clips: 2 fail, 1 warn, 1 good form, 1 nothing judged, 1 no runner found, "
        "1 could not be analysed"
    )
    assert verdict_tally(rows) in to_html(rows)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0"], "--workers must be at least 1"),
        (["--engine", "spark"], "--engine must be one of"),
        (["--fail-on", "maybe"], "--fail-on must be one of"),
        (["--ray-address", "auto"], "--ray-address needs --engine ray"),
        (["--view", "diagonal"], "view must be one of"),
    ],
)
def test_bad_options_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["batch", str(tmp_path), "--out", str(tmp_path / "o"), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_second_batch_in_the_same_folder_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with (out / LOCK_NAME).open("a+") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        result = CliRunner().invoke(app, ["batch", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 2 and "another posture batch" in result.output


def test_ray_engine_without_ray_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from posture.batch.ray_engine import import_ray
    from posture.errors import UsageError

    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    with pytest.raises(UsageError, match=r"posture\[ray\]"):
        import_ray()


def test_summary_json_is_plain_json(tmp_path: Path) -> None:
    from posture.batch.summary import to_json

    data = json.loads(to_json([_row("a", "analysed", "warn"), _row("b", "pending")]))
    assert data["counts"]["analysed"] == 1 and data["counts"]["pending"] == 1
    assert data["rows"][0]["rules"] == [
        {"id": "r0", "status": "warn", "typical": 1.5, "unit": "deg"}
    ]


def test_inputs_that_match_nothing_are_error_rows_without_the_model(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (tmp_path / "empty").mkdir()
    args = ["batch", str(tmp_path / "none*.mp4"), str(tmp_path / "empty"), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--model-dir", str(tmp_path / "no-models")])
    assert result.exit_code == 1, result.output
    rows = json.loads((out / "summary.json").read_text())["rows"]
    assert [r["status"] for r in rows] == ["error", "error"]
    assert "no video files match" in rows[0]["error"] and "holds no video" in rows[1]["error"]
    assert sorted(p.name for p in out.iterdir()) == [
        ".posture-batch.lock",
        "index.html",
        "summary.csv",
        "summary.json",
    ]


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
@pytest.mark.parametrize("width_px", [390, 1280])
def test_index_never_scrolls_the_page_sideways(tmp_path: Path, width_px: int) -> None:
    rules = ("lean_forward", "lean_backward", "head_down", "head_shake", "shoulder_hunch",
             "vertical_bounce", "lateral_sway", "uneven_pace")  # fmt: skip
    rows = [
        Row(
            path=f"/clips/a_long_clip_name_from_a_coach_{i}_side_view.mp4",
            name=f"a_long_clip_name_from_a_coach_{i}-0123abcd",
            status="analysed",
            duration_s=12.3,
            view="side",
            coverage=0.97,
            report=f"c{i}.report.html",
            rules=tuple(
                RuleCell(r, "not_measured" if i % 2 else "fail", -12.25, "deg") for r in rules
            ),
        )
        for i in range(6)
    ]
    rows.append(Row(path="/x.mp4", name="x", status="error", error="cannot decode " * 8))
    page = tmp_path / "index.html"
    page.write_text(to_html(rows))
    scroll_px, window_px = page_width_px(page, width_px, tmp_path)
    assert window_px == width_px and scroll_px <= window_px
