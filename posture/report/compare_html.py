"""`posture compare A B --html PAGE`: before and after side by side on one self-contained page:
a key frame of each clip at the same gait phase (a foot strike near the middle of the run,
with the overlay), the metrics judged against the rules' ok band, and the rule verdicts."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from posture.atomic import write_atomic
from posture.metrics import METRICS
from posture.report.compare import Comparison
from posture.report.html import jpeg_img

_VERDICT_COLOR = {"better": "#2e9e5b", "worse": "#d63a31", "ok": "#2e9e5b"}
_CSS = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:980px;padding:12px;color:#222}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:10px}figure{margin:0}
figcaption{font-size:.85em;color:#555;overflow-wrap:anywhere}img{width:100%;height:auto}
table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border-bottom:1px solid #ddd;
padding:3px 5px;text-align:right}td:first-child,th:first-child{text-align:left}
"""


def strike_index(report: dict[str, Any], timestamps_ms: np.ndarray) -> int | None:
    """The frame of the foot strike nearest the middle of the clip (the gait phase both
    pictures show), else the middle frame; None for an empty track."""
    if timestamps_ms.size == 0:
        return None
    t_s = timestamps_ms / 1000.0
    middle = (t_s[0] + t_s[-1]) / 2.0
    steps = [float(s) for s in report.get("steps_s") or [] if isinstance(s, int | float)]
    target = min(steps, key=lambda s: abs(s - middle)) if steps else middle
    return int(np.argmin(np.abs(t_s - target)))


def render_compare_html(
    c: Comparison, pictures: tuple[np.ndarray | None, np.ndarray | None]
) -> str:
    """The page: `pictures` are the annotated frames of A and B (None: not available)."""
    e = html.escape
    figures = []
    for label, path, rgb in (("Before (A)", c.a_path, pictures[0]),
                             ("After (B)", c.b_path, pictures[1])):  # fmt: skip
        img = (
            jpeg_img(rgb, f"{label} at a foot strike")
            if rgb is not None
            else ("<p>No picture: the clip or its pose track is not next to the report.</p>")
        )
        figures.append(f"<figure>{img}<figcaption><b>{e(label)}</b>: {e(path)}</figcaption>"
                       "</figure>")  # fmt: skip
    rows = []
    for m in c.metrics:
        if m.a_median is None and m.b_median is None:
            continue
        spec = METRICS.get(m.metric_id)
        fmt = spec.format if spec is not None else (lambda v: "--" if v is None else f"{v:.2f}")
        word = "both ok" if m.verdict == "ok" else m.verdict
        color = _VERDICT_COLOR.get(m.verdict, "#777")
        rows.append(
            f"<tr><td>{e(spec.title if spec else m.metric_id)}</td><td>{e(fmt(m.a_median))}</td>"
            f"<td>{e(fmt(m.b_median))}</td><td style='color:{color}'>{e(word)}</td></tr>"
        )
    rules = "".join(
        f"<tr><td>{e(r.rule_id.replace('_', ' '))}</td><td>{e(_words(r.a_status))}</td>"
        f"<td>{e(_words(r.b_status))}</td><td>{e(_rule_change(r.a_status, r.b_status))}</td>"
        "</tr>"
        for r in c.rules
    )
    head = "<tr><th></th><th>A</th><th>B</th><th>B vs A</th></tr>"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>posture: before and after</title><style>{_CSS}</style></head><body>"
        "<h1>Before and after</h1><p>Both pictures at a foot strike near the middle of the "
        f'run.</p><div class="pair">{"".join(figures)}</div>'
        f"<h2>Metrics</h2><table>{head}{''.join(rows)}</table>"
        f"<h2>Rules</h2><table>{head}{rules}</table></body></html>"
    )


def _words(status: str | None) -> str:
    return "—" if status is None else status.replace("_", " ")


def _rule_change(a: str | None, b: str | None) -> str:
    order = {"ok": 0, "warn": 1, "fail": 2}
    if a == b or a not in order or b not in order:
        return ""
    return "improved" if order[b] < order[a] else "worsened"


def report_picture(report_path: Path, report: dict[str, Any]) -> np.ndarray | None:
    """The annotated frame at a foot strike near the middle of the clip of `report_path`,
    from the pose track beside it (`<stem>.pose.npz`) and its source video; None when
    either is missing or unreadable."""
    from posture.errors import PostureError
    from posture.pipeline import analyse_clip
    from posture.report.video import annotated_frames

    stem = report_path.name.removesuffix(".report.json")
    track_path = report_path.with_name(f"{stem}.pose.npz")
    if not track_path.is_file():
        return None
    try:
        result = analyse_clip(track_path)
        i = strike_index(report, result.track.timestamps_ms)
        if i is None or not Path(result.info.path).is_file():
            return None
        return annotated_frames(result, [i]).get(i)
    except PostureError:
        return None  # a moved or changed clip: the page is written without its picture


def write_compare_html(
    c: Comparison, path: Path, reports: tuple[tuple[Path, dict[str, Any]], ...]
) -> Path:
    """Write the page atomically; `reports` are (path, report) of A and B."""
    a, b = (report_picture(p, r) for p, r in reports)
    return write_atomic(path, render_compare_html(c, (a, b)))
