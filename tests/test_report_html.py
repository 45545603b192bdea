"""The HTML report's pieces read at a glance: plots with round ticks, a zero line, labelled
limits and an axis no narrower than the metric's smallest range; a good-form report still
shows the runner; settings and strides as tables (no model: a saved track re-analysed)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from posture.metrics import METRICS
from posture.pipeline import check
from posture.report.svg import Band, line_plot, nice_ticks, y_range
from posture.settings import OutputSettings, Settings


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (158.0, 181.0, [160.0, 165.0, 170.0, 175.0, 180.0]),
        (-4.04, 11.0, [-2.5, 0.0, 2.5, 5.0, 7.5, 10.0]),
        (0.349, 0.45, [0.36, 0.38, 0.4, 0.42, 0.44]),
        (0.0, 100.0, [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]),
    ],
)
def test_ticks_are_round_and_inside_the_range(lo: float, hi: float, expected: list) -> None:
    assert nice_ticks(lo, hi) == pytest.approx(expected)


def test_cadence_noise_keeps_the_metric_minimum_range() -> None:
    values = np.array([166.0, 171.0, 173.0, 168.0])
    lo, hi = y_range(values, [], METRICS["cadence_spm"].plot_min_range)
    assert hi - lo >= METRICS["cadence_spm"].plot_min_range
    assert lo < 166.0 and hi > 173.0 and (lo + hi) / 2 == pytest.approx(169.5)
    wide = np.array([-40.0, 40.0])  # a real spread is never squeezed
    assert y_range(wide, [], 10.0) == pytest.approx((-46.4, 46.4))


def test_plot_has_time_and_value_ticks_zero_line_and_named_limits() -> None:
    t_s = np.arange(0, 12.0, 1 / 30)
    values = 8.0 * np.sin(t_s)  # crosses zero
    svg = line_plot(
        t_s, values, title="Torso lean", unit="deg",
        bands=[Band(10.0, 15.0, "above")], spans_s=[(2.0, 4.0)], min_range=10.0,
    )  # fmt: skip
    times = re.findall(r">(\d+) s<", svg)
    assert times == ["0", "2", "4", "6", "8", "10"]  # every 2 s over 12 s
    labels = re.findall(r'text-anchor="end" fill="#555"[^>]*>(-?[\d.]+)<', svg)
    assert "0" in labels and len(labels) >= 4
    assert 'stroke="#555"' in svg  # the zero line
    assert "warn above 10" in svg and "Torso lean (deg) over time" in svg


def test_good_form_report_shows_the_runner_and_reads_in_words(saved, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outputs = OutputSettings(video=False, html=True, csv=False)
    check(saved.track, Settings(outputs=outputs), out_dir=tmp_path)
    page = (tmp_path / "good_form_side.report.html").read_text()
    assert "Good form" in page
    assert page.count("data:image/jpeg;base64,") == 1 and 'alt="the runner"' in page
    assert "<pre" not in page and "model variant" in page  # settings as a table
    assert ">Torso lean (deg)<" in page and ">torso_lean_deg<" not in page  # strides in words
    assert "<video" not in page  # no video was written, none linked


def test_a_clip_too_short_to_judge_says_nothing_judged_not_good_form(saved, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from posture.pipeline import analyse_clip
    from posture.pose.track import PoseTrack
    from posture.report.html import verdict_line

    track = PoseTrack.load(saved.track)
    short = track.select(track.timestamps_ms < 1200.0)  # not one full stride of a rule's 3
    short_path = short.save(tmp_path / "short.pose.npz")
    result = analyse_clip(short_path)
    assert all(r.status in ("not_measured", "exempt") for r in result.rules)
    assert verdict_line(result).startswith("Nothing judged")
    good = analyse_clip(saved.track)
    judged = sum(r.status == "ok" for r in good.rules)
    assert 0 < judged < len(good.rules)  # a side view: the front-view rules are not judged
    assert verdict_line(good) == (
        f"Good form: no rule flagged ({judged} of {len(good.rules)} rules judged)."
    )
