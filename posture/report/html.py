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
from posture.report.svg import Band, line_plot
from posture.result import ClipResult
from posture.rules import Episode, Exercise, RuleResult

_STATUS_COLOR = {
    "ok": "#2e9e5b", "warn": "#e09a1a", "fail": "#d63a31", "not_measured": "#999",
    "exempt": "#5b7fa8",
}  # fmt: skip
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


_STATUS_WORDS = {"not_measured": "not measured", "exempt": "allowed here"}


def episode_text(rule: RuleResult, e: Episode) -> str:
    """`6.2-12.2 s, peak 22.0 deg` for one episode (the same words in every output)."""
    return f"{e.start_s:.1f}-{e.end_s:.1f} s, peak {METRICS[e.metric].format(e.peak)}"


def _rule_card(rule: RuleResult) -> str:
    c = rule.criterion
    sign = ">" if c.direction == "above" else "<"
    spec = METRICS[c.metric]
    status = rule.status
    parts = [
        f'<div class="card{" flagged" if rule.flagged else ""}" '
        f'style="--c:{_STATUS_COLOR.get(status, "#999")}">',
        f'<div class="status">{_e(_STATUS_WORDS.get(status, status))}'
        f"{'' if rule.confidence == 'high' else ' · low confidence'}</div>",
        f"<b>{_e(rule.title)}</b>",
        f'<div class="value">{_e(spec.format(rule.typical))} <span class="muted">typical'
        "</span></div>",
        f'<div class="muted">{_e(spec.title)}: warn {sign} {c.warn:g}, fail {sign} '
        f"{c.fail:g} {_e(spec.unit)}</div>",
    ]
    if rule.flagged:
        parts.append(f"<p><b>{_e(rule.message)}</b><br>{_e(rule.advice)}</p>")
        when = "; ".join(episode_text(rule, e) for e in rule.episodes)
        parts.append(
            f'<div class="muted">when: {_e(when)} ({rule.share:.0%} of the judged time)</div>'
        )
        parts += _exercises(rule.exercises)
    if rule.reasons:
        parts.append(f'<div class="muted">{_e("; ".join(rule.reasons))}</div>')
    parts.append("</div>")
    return "".join(parts)


def _flagged_first(rules: tuple[RuleResult, ...]) -> list[RuleResult]:
    order = {"fail": 0, "warn": 1}
    return sorted(rules, key=lambda r: order.get(r.status, 2))  # stable: file order kept


def _exercises(exercises: tuple[Exercise, ...]) -> list[str]:
    if not exercises:
        return []
    items = "".join(
        f"<li><b>{_e(x.name)}</b>: {_e(x.how)} <i>{_e(x.dose)}</i> "
        f"<span class='muted'>(counted and checked by <code>{_e(x.command)}</code>)</span></li>"
        for x in exercises
    )
    intro = "Weak core strength is a cause of this (the source texts); strengthen it:"
    return [f"<p class='muted'>{intro}</p><ul>{items}</ul>"]


def _bands_for(metric_id: str, rules: tuple[RuleResult, ...]) -> list[Band]:
    return [
        Band(r.criterion.warn, r.criterion.fail, r.criterion.direction)
        for r in rules
        if r.criterion.metric == metric_id and r.status not in ("not_measured", "exempt")
    ]


def _plots(analysis: Analysis, rules: tuple[RuleResult, ...]) -> list[str]:
    t_s = analysis.timestamps_ms / 1000.0
    out = []
    for spec in METRICS.values():
        values = analysis.metrics.get(spec.id)
        if values is None or not np.isfinite(values).any():
            continue
        spans = [
            (e.start_s, e.end_s) for r in rules if r.flagged for e in r.episodes
            if e.metric == spec.id
        ]  # fmt: skip
        svg = line_plot(
            t_s, values, title=spec.title, unit=spec.unit,
            bands=_bands_for(spec.id, rules), spans_s=spans,
        )  # fmt: skip
        out.append(
            f"<h3>{_e(spec.title)} <span class='muted'>({_e(spec.unit)}): "
            f"{_e(spec.summary)}</span></h3>{svg}"
        )
    return out


def key_frame_indices(result: ClipResult) -> dict[str, int]:
    """Rule id -> the frame at the peak of its worst episode, for every flagged rule."""
    analysis = result.analysis
    out: dict[str, int] = {}
    if analysis is None:
        return out
    t_s = analysis.timestamps_ms / 1000.0
    for rule in result.flagged:
        e = rule.worst
        if e is None:
            continue
        values = analysis.metrics[e.metric]
        inside = (t_s >= e.start_s) & (t_s <= e.end_s) & np.isfinite(values)
        if not inside.any():
            continue
        scored = np.where(inside, values, np.nan)
        pick = np.nanargmax if rule.criterion.direction == "above" else np.nanargmin
        out[rule.id] = int(pick(scored))
    return out


def _key_frames(result: ClipResult, frames: dict[int, np.ndarray]) -> list[str]:
    """A thumbnail with the overlay at the worst moment of each flagged rule."""
    rules = {r.id: r for r in result.rules}
    out = []
    for rule_id, i in key_frame_indices(result).items():
        if i not in frames:
            continue
        rule = rules[rule_id]
        t_s = float(result.track.timestamps_ms[i]) / 1000.0
        caption = f"{rule.title} at {t_s:.1f} s: {rule.message}"
        out.append(f"<figure>{_jpeg_img(frames[i])}<figcaption>{_e(caption)}</figcaption></figure>")
    return out


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
        ("activity", activity_text(report)), ("camera", camera_text(report)),
    ]  # fmt: skip
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in facts)
    warnings = report.get("capture", {}).get("warnings", []) + report.get("notes", [])
    notes = "".join(f'<p class="warn">{_e(w)}</p>' for w in warnings)
    return f"<table>{rows}</table>{notes or '<p>No problems with the capture.</p>'}"


_ACTIVITY_WORDS = {"none": "nobody in view"}


def activity_text(report: dict[str, Any]) -> str:
    """`running 0.0-9.9 s, walking 9.9-12.0 s` from the report's activity timeline."""
    spans = [s for s in report.get("activity") or [] if s["end_s"] - s["start_s"] >= 0.3]
    parts = [
        f"{_ACTIVITY_WORDS.get(s['activity'], s['activity'])} {s['start_s']:.1f}-{s['end_s']:.1f} s"
        for s in spans[:8]
    ]
    return ", ".join(parts) + (", ..." if len(spans) > 8 else "") if parts else "—"


def camera_text(report: dict[str, Any]) -> str:
    """`fixed`, `moving at times (34 % of the clip)`, with the cuts between shots."""
    cam = report.get("camera")
    if not cam:
        return "—"
    text = cam["motion"]
    if cam["motion"] != "fixed" and cam.get("moving_share") is not None:
        text += f" ({cam['moving_share']:.0%} of the clip)"
    cuts = cam.get("cuts_s") or []
    if cuts:
        shown = ", ".join(f"{c:.1f}" for c in cuts[:6]) + (", ..." if len(cuts) > 6 else "")
        text += f"; {len(cuts)} cut{'s' if len(cuts) > 1 else ''} between shots at {shown} s"
    return text


def verdict_line(result: ClipResult) -> str:
    """The page's first line: what to fix first, or that the form is good."""
    if result.report.status != "analysed":
        return "No runner found in enough frames to analyse."
    flagged = result.flagged
    if not flagged:
        return "Good form: no rule flagged."
    first = flagged[0]
    more = f" ({len(flagged) - 1} more below)" if len(flagged) > 1 else ""
    e = first.worst
    when = f", {episode_text(first, e)}" if e is not None else ""
    return f"Fix first: {first.title.lower()}{when}. {first.cue}.{more}"


def render_html(result: ClipResult, key_frames: dict[int, np.ndarray] | None = None) -> str:
    """The whole page as a string; `key_frames` are annotated frames by index (from the
    annotated-video pass, `key_frame_indices`), None or empty for none."""
    report = result.report.to_dict()
    analysis = result.analysis
    body = [
        f"<h1>Running posture: {_e(Path(report['input']['path']).name)}</h1>",
        f"<p><b>{_e(verdict_line(result))}</b></p>",
        # flagged rules first (full width, with advice), the rest as compact cards
        f'<div class="rules">{"".join(_rule_card(r) for r in _flagged_first(result.rules))}</div>',
    ]
    if analysis is not None:
        keys = _key_frames(result, key_frames or {})
        if keys:
            body += ["<h2>Key moments</h2>", *keys]
        body += ["<h2>Over time</h2>", *_plots(analysis, result.rules)]
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
    result: ClipResult, path: Path, *, key_frames: dict[int, np.ndarray] | None = None
) -> Path:
    """Write the page atomically; returns `path`."""
    return write_atomic(path, render_html(result, key_frames))
