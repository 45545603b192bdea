"""Property tests of the input gate (issue 17): generated rules files, report JSON and pose
tracks give a report, or one error line (exit 2), never a traceback, never a failure after
the analysis. The validating functions are called in-process, so each example is fast.

Each generated input is a real input edited at one place (any key or index, any JSON/TOML
value put there: non-finite and huge numbers, markup and escape codes, wrong types, nesting),
which reaches far deeper than random bytes would.
"""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from posture.cli.common import one_line
from posture.cli.report_cmds import _metrics_table, _rules_table
from posture.errors import BadInputError, PostureError, UsageError
from posture.gate.report import read_report
from posture.pipeline import analyse_clip, analyse_track, write_outputs
from posture.pose.track import PoseTrack
from posture.report.compare import compare_reports
from posture.report.history import record_run
from posture.report.summary import print_summary
from posture.rules import parse_rules
from posture.settings import OutputSettings, Settings
from tests.hostile import RULES, Saved, edit_track

pytestmark = pytest.mark.model  # the saved track is made with the model once per session

HOSTILE_TEXT = st.sampled_from(["[/]", "[bold]x", "\x1b[2J", "=1+1", "-x", "", "  ", "é"])
SCALARS = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    HOSTILE_TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8) | HOSTILE_TEXT, inner, max_size=3)
    ),
    max_leaves=6,
)
JSON_VALUES = st.one_of(st.none(), VALUES)
PROFILE = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    """Every key path in `doc` (tables and lists included), the root excluded."""
    out = []
    items = (
        doc.items() if isinstance(doc, dict) else enumerate(doc) if isinstance(doc, list) else ()
    )
    for key, value in items:
        out.append((*prefix, key))
        out.extend(_paths(value, (*prefix, key)))
    return out


def _put(doc: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


def _edit(data, doc: Any, values: st.SearchStrategy) -> None:
    """Replace what is at 1-3 generated places of `doc` with generated values."""
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        paths = _paths(doc)
        if not paths:
            return
        _put(doc, data.draw(st.sampled_from(paths), label="where"), data.draw(values))


def _one_line_error(exc: PostureError) -> None:
    assert exc.exit_code == 2
    assert "\n" not in one_line(exc) and "Traceback" not in one_line(exc)


def _console() -> Console:
    return Console(file=io.StringIO(), width=120)


@pytest.fixture(scope="module")
def analysed(saved: Saved) -> tuple:
    """The saved track, loaded once, and its parts for `analyse_track`."""
    from posture.pipeline import _load_track

    return _load_track(saved.track)


@PROFILE
@given(data=st.data())
def test_generated_rules_give_a_report_or_one_line(data, analysed, tmp_path: Path) -> None:
    doc = tomllib.loads(RULES)
    _edit(data, doc, VALUES)
    try:
        rules = parse_rules(doc, Path("r.toml"))
    except UsageError as exc:
        _one_line_error(exc)
        assert "r.toml" in str(exc)
        return
    track, info = analysed
    result = analyse_track(track, info, Settings(), rules)
    json.loads(result.report.to_json())  # inf/nan would fail here
    print_summary(result, _console(), report_path="x.report.html")


@PROFILE
@given(text=st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1")))
def test_generated_rules_text_is_parsed_or_refused(text: str, tmp_path_factory) -> None:
    from posture.rules import load_rules

    path = tmp_path_factory.mktemp("r") / "r.toml"
    path.write_text(text, encoding="utf-8")
    try:
        load_rules(path)
    except UsageError as exc:
        _one_line_error(exc)


@PROFILE
@given(data=st.data())
def test_generated_reports_compare_or_one_line(data, saved: Saved, tmp_path_factory) -> None:
    doc = json.loads(saved.report.read_text())
    _edit(data, doc, JSON_VALUES)
    folder = tmp_path_factory.mktemp("rep")
    path = folder / "b.report.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    try:
        checked = read_report(path)
    except BadInputError as exc:
        _one_line_error(exc)
        return
    reference = json.loads(saved.report.read_text())
    comparison = compare_reports(reference, checked)
    json.dumps(comparison.to_dict(), allow_nan=False)
    console = _console()
    console.print(_metrics_table(comparison))
    console.print(_rules_table(comparison))
    record_run(checked, path, folder / "h.sqlite")


def _header_edit(data) -> Any:
    def edit(header: dict) -> None:
        _edit(data, header, JSON_VALUES)

    return edit


def _array_edit(data, saved: Saved) -> dict[str, np.ndarray]:
    with np.load(saved.track) as d:
        arrays = {k: d[k].copy() for k in ("timestamps_ms", "landmarks", "world_landmarks_m")}
    name = data.draw(st.sampled_from(sorted(arrays)), label="array")
    flat = arrays[name].reshape(-1)
    index = data.draw(st.integers(0, flat.size - 1), label="index")
    special = st.sampled_from([np.nan, np.inf, -np.inf, -1.0, 0.0, 1e30, 2.0])
    flat[index] = data.draw(special | st.floats(-1e4, 1e4), label="new value")
    if data.draw(st.booleans(), label="reorder"):
        arrays[name] = arrays[name][::-1].copy()
    return {name: arrays[name]}


@PROFILE
@given(data=st.data())
def test_generated_tracks_analyse_or_one_line(data, saved: Saved, tmp_path_factory) -> None:
    folder = tmp_path_factory.mktemp("trk")
    if data.draw(st.booleans(), label="edit the header"):
        path = edit_track(saved.track, folder / "t.pose.npz", header=_header_edit(data))
    else:
        path = edit_track(saved.track, folder / "t.pose.npz", **_array_edit(data, saved))
    try:
        PoseTrack.load(path)
        result = analyse_clip(path, Settings())
    except BadInputError as exc:
        _one_line_error(exc)
        return
    json.loads(result.report.to_json())  # inf/nan would fail here
    outputs = OutputSettings(video=False, html=True, csv=True)
    write_outputs(result, folder / "out", stem="t", outputs=outputs)
    print_summary(result, _console(), report_path="t.report.html")
