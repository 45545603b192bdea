"""`<stem>.report.html`: one self-contained page (no script, no external file) a runner or
coach can open offline: verdicts with advice and exercises, a plot per metric with the limits
shaded and the flagged stretches marked, key frames at the worst moments, the per-stride
table, the capture quality and the settings."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posture.atomic import write_atomic
from posture.metrics import METRICS, Analysis
from posture.pose.track import PoseTrack
from posture.report.svg import Band, line_plot
from posture.report.video import annotate_frame, banners
from posture.source import open_video

_STATUS_COLOR = {"ok": "#2e9e5b", "warn": "#e09a1a", "fail": "#d63a31", "not_measured": "#999"}
_THUMB_WIDTH_PX = 420
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;
max-width:980px;padding:16px;color:#222;background:#fff}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
.rules{display:grid;grid-template-columns:repeat(auto-fill,minmax(290px,1fr));gap:10px;
align-items:start}
.card.flagged{grid-column:1/-1}
.card{border:1px solid #ddd;border-left:6px solid var(--c);border-radius:6px;padding:8px 10px}
.status{font-weight:700;color:var(--c);text-transform:uppercase;font-size:.85em}
.value{font-size:1.3em;font-weight:600}.muted{color:#666;font-size:.9em}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ddd;padding:3px 6px;
text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.warn{background:#fff6e0;border:1px solid #f0c36d;padding:6px 10px;border-radius:6px}
figure{display:inline-block;margin:6px}figcaption{font-size:.85em;max-width:420px}
svg,img{max-width:100%;height:auto}svg{width:100%}.scroll{overflow-x:auto}pre{background:#f6f6f6;padding:8px;overflow:auto;font-size:.8em}
"""


def _e(text: Any) -> str:
    return html.escape(str(text))


def _fmt(value: Any, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "—"
    return f"{value:.1f} {unit}".strip() if isinstance(value, int | float) else _e(value)


def _rule_card(rule: dict[str, Any]) -> str:
    status = rule["status"]
    limits = rule.get("limits") or {}
    sign = ">" if limits.get("direction") == "above" else "<"
    spans = ", ".join(f"{a:.1f}-{b:.1f} s" for a, b in rule.get("spans_s") or [])
    flagged = " flagged" if status in ("warn", "fail") else ""
    parts = [
        f'<div class="card{flagged}" style="--c:{_STATUS_COLOR.get(status, "#999")}">',
        f'<div class="status">{_e(status.replace("_", " "))}</div>',
        f"<b>{_e(rule['id'].replace('_', ' '))}</b>",
        f'<div class="value">{_fmt(rule.get("value"), rule.get("unit", ""))}</div>',
        f'<div class="muted">warn {sign} {limits.get("warn")}, fail {sign} {limits.get("fail")}'
        f" {_e(rule.get('unit', ''))}</div>",
    ]
    if status in ("warn", "fail"):
        parts.append(f"<p><b>{_e(rule['message'])}</b><br>{_e(rule.get('advice', ''))}</p>")
        if spans:
            parts.append(f'<div class="muted">when: {_e(spans)}</div>')
        parts += _exercises(rule.get("exercises") or [])
    parts.append("</div>")
    return "".join(parts)


def _flagged_first(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    order = {"fail": 0, "warn": 1}
    return sorted(rules, key=lambda r: order.get(r["status"], 2))  # stable: file order kept


def _exercises(exercises: list[dict[str, Any]]) -> list[str]:
    if not exercises:
        return []
    items = "".join(
        f"<li><b>{_e(x.get('name', ''))}</b>: {_e(x.get('how', ''))} "
        f"<i>{_e(x.get('dose', ''))}</i></li>"
        for x in exercises
    )
    intro = "Weak core strength is a cause of this (the source texts); strengthen it:"
    return [f"<p class='muted'>{intro}</p><ul>{items}</ul>"]


def _bands_for(metric_id: str, rules: list[dict[str, Any]]) -> list[Band]:
    return [
        Band(float(lim["warn"]), float(lim["fail"]), str(lim["direction"]))
        for r in rules
        if (lim := r.get("limits") or {}).get("metric") == metric_id
        and r["status"] != "not_measured"
    ]


def _plots(analysis: Analysis, rules: list[dict[str, Any]]) -> list[str]:
    t_s = analysis.timestamps_ms / 1000.0
    out = []
    for metric_id, spec in METRICS.items():
        values = analysis.metrics.get(metric_id)
        if values is None or not np.isfinite(values).any():
            continue
        spans = [
            (a, b)
            for r in rules
            if (r.get("limits") or {}).get("metric") == metric_id
            for a, b in r.get("spans_s") or []
        ]
        svg = line_plot(
            t_s, values, title=metric_id, unit=spec.unit,
            bands=_bands_for(metric_id, rules), spans_s=spans,
        )  # fmt: skip
        out.append(
            f"<h3>{_e(metric_id)} <span class='muted'>({_e(spec.unit)}): "
            f"{_e(spec.summary)}</span></h3>{svg}"
        )
    return out


def _key_frames(track: PoseTrack, analysis: Analysis, report: dict[str, Any]) -> list[str]:
    """A thumbnail with the overlay at the worst moment of each flagged rule."""
    rules = [r for r in report.get("rules") or [] if r["status"] in ("warn", "fail")]
    source = open_video(report["input"]["path"])
    out = []
    for rule in rules:
        i = _worst_frame(analysis, rule)
        if i is None:
            continue
        t_ms = float(track.timestamps_ms[i])
        frame = next(iter(source.between(t_ms - 0.5, t_ms + 0.5)), None)
        if frame is None:
            continue
        rgb = frame[1].copy()
        annotate_frame(rgb, i, t_ms, track, analysis, source.info.analysis_scale, banners([rule]))
        caption = f"{rule['id'].replace('_', ' ')} at {t_ms / 1000:.1f} s: {rule['message']}"
        out.append(f"<figure>{_jpeg_img(rgb)}<figcaption>{_e(caption)}</figcaption></figure>")
    return out


def _worst_frame(analysis: Analysis, rule: dict[str, Any]) -> int | None:
    values = analysis.metrics.get((rule.get("limits") or {}).get("metric", ""))
    if values is None or not np.isfinite(values).any():
        return None
    t_s = analysis.timestamps_ms / 1000.0
    inside = np.zeros(values.shape, bool)
    for a, b in rule.get("spans_s") or []:
        inside |= (t_s >= a) & (t_s <= b)
    scored = np.where(np.isfinite(values) & (inside | ~inside.any()), values, np.nan)
    pick = np.nanargmax if rule["limits"]["direction"] == "above" else np.nanargmin
    return int(pick(scored))


def _jpeg_img(rgb: np.ndarray) -> str:
    scale = min(1.0, _THUMB_WIDTH_PX / rgb.shape[1])
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(
        ".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 82]
    )
    data = base64.b64encode(jpeg.tobytes()).decode("ascii") if ok else ""
    return f'<img alt="key frame" width="{small.shape[1]}" src="data:image/jpeg;base64,{data}">'


def _stride_table(strides: list[dict[str, Any]]) -> str:
    if not strides:
        return "<p class='muted'>No full strides were found.</p>"
    columns = [k for k in strides[0] if any(s.get(k) is not None for s in strides)]
    head = "".join(f"<th>{_e(c)}</th>" for c in columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(s.get(c))}</td>" for c in columns) + "</tr>" for s in strides
    )
    return f'<div class="scroll"><table><tr>{head}</tr>{rows}</table></div>'


def _cell(value: Any) -> str:
    """A table cell: 3 significant digits (a ratio of 0.388 stays 0.388, 165.8 spm is 166)."""
    if isinstance(value, int | float) and np.isfinite(value):
        return f"{value:.3g}"
    return _fmt(value)


def _capture(report: dict[str, Any]) -> str:
    inp, pose = report["input"], report["pose"]
    facts = [
        ("view", report.get("view") or "—"), ("facing", report.get("facing") or "—"),
        ("runner found in", f"{pose['coverage']:.0%} of {inp['frame_count']} frames"),
        ("resolution", f"{inp['width']} x {inp['height']}"),
        ("frame rate", f"{inp['fps']:g} frames/s"), ("duration", f"{inp['duration_s']:.1f} s"),
        ("rotation", f"{inp.get('rotation_deg', 0)} deg"), ("pose model", pose["model"]),
    ]  # fmt: skip
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in facts)
    warnings = report.get("capture", {}).get("warnings", []) + report.get("notes", [])
    notes = "".join(f'<p class="warn">{_e(w)}</p>' for w in warnings)
    return f"<table>{rows}</table>{notes or '<p>No problems with the capture.</p>'}"


def render_html(
    report: dict[str, Any], track: PoseTrack, analysis: Analysis | None, *, key_frames: bool = True
) -> str:
    """The whole page as a string; `key_frames` needs the source video to be readable."""
    rules = report.get("rules") or []
    flagged = [r for r in rules if r["status"] in ("warn", "fail")]
    verdict = (
        "No runner found in enough frames to analyse." if report["status"] != "ok"
        else f"{len(flagged)} rule(s) flagged." if flagged else "Good form: no rule flagged."
    )  # fmt: skip
    body = [
        f"<h1>Running posture: {_e(Path(report['input']['path']).name)}</h1>",
        f"<p><b>{_e(verdict)}</b></p>",
        # flagged rules first (full width, with advice), the rest as compact cards
        f'<div class="rules">{"".join(_rule_card(r) for r in _flagged_first(rules))}</div>',
    ]
    if analysis is not None:
        keys = _key_frames(track, analysis, report) if key_frames else []
        if keys:
            body += ["<h2>Key moments</h2>", *keys]
        body += ["<h2>Over time</h2>", *_plots(analysis, rules)]
        body += ["<h2>Per stride</h2>", _stride_table(report.get("strides") or [])]
    body += ["<h2>Capture</h2>", _capture(report)]
    body += ["<h2>Settings</h2>", f"<pre>{_e(json.dumps(report['settings'], indent=2))}</pre>"]
    tool = report["tool"]
    body.append(f"<p class='muted'>{_e(tool['name'])} {_e(tool['version'])}</p>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>posture: {_e(Path(report['input']['path']).name)}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>"
    )


def write_html(
    report: dict[str, Any],
    track: PoseTrack,
    analysis: Analysis | None,
    path: Path,
    *,
    key_frames: bool = True,
) -> Path:
    """Write the page atomically; returns `path`."""
    return write_atomic(path, render_html(report, track, analysis, key_frames=key_frames))
