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
from posture.report.svg import PLOT_MARGIN_CSS, Band, line_plot
from posture.result import ClipResult
from posture.rules import Episode, Exercise, RuleResult
from posture.rules.model import LEVELS

_STATUS_COLOR = {
    "ok": "#2e9e5b", "warn": "#e09a1a", "fail": "#d63a31", "not_measured": "#999",
    "exempt": "#5b7fa8",
}  # fmt: skip
_THUMB_WIDTH_PX = 420
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;
max-width:980px;padding:16px;color:#222;background:#fff}
h1{font-size:1.5em;margin:.2em 0;overflow-wrap:anywhere}
h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
.rules{display:grid;grid-template-columns:repeat(auto-fill,minmax(290px,1fr));gap:10px;
align-items:start}
.card.flagged{grid-column:1/-1}
.card{border:1px solid #ddd;border-left:6px solid var(--c);border-radius:6px;padding:8px 10px}
.status{font-weight:700;color:var(--c);text-transform:uppercase;font-size:.85em}
.value{font-size:1.3em;font-weight:600}.muted{color:#666;font-size:.9em}
table{border-collapse:collapse;font-size:.85em}td,th{border:1px solid #ddd;padding:3px 6px;
text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
table.strides{width:100%;table-layout:fixed;font-size:.78em}
.strides th{font-weight:600;overflow-wrap:anywhere;hyphens:auto;vertical-align:bottom}
.strides td,.strides th{padding:2px 3px}
table.facts td{text-align:left;overflow-wrap:anywhere}.facts th{text-align:left}
video{width:100%;max-width:560px;max-height:80vh;background:#000;display:block}
@media (max-width:600px){body{padding:8px}table.strides{font-size:.62em}
.strides td,.strides th{padding:1px}figure{margin:6px 0}
.strides th{writing-mode:vertical-rl;transform:rotate(180deg);text-align:left;
overflow-wrap:normal;height:11em}h3 .muted{font-size:.75em}}
h3 .muted{font-weight:400}
.warn{background:#fff6e0;border:1px solid #f0c36d;padding:6px 10px;border-radius:6px}
figure{display:inline-block;margin:6px}figcaption{font-size:.85em;max-width:420px}
img{max-width:100%;height:auto}
"""
_CSS += PLOT_MARGIN_CSS
# printed (the PDF): no player, cards and figures kept whole on a page
_CSS += (
    "@media print{video,.novideo{display:none}.card,figure,.plot,h3{break-inside:avoid}"
    "body{max-width:none}}"
)


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


def _limits_text(rule: RuleResult) -> str:
    """`ok while <= 10 deg; warn > 10, fail > 15` (the rule's bands in words)."""
    c = rule.criterion
    spec = METRICS[c.metric]
    sign, ok_sign = (">", "<=") if c.direction == "above" else ("<", ">=")
    unit = f" {spec.unit}" if spec.unit else ""
    return f"ok while {ok_sign} {c.warn:g}{unit}; warn {sign} {c.warn:g}, fail {sign} {c.fail:g}"


def _time_link(video: str | None, start_s: float, text: str) -> str:
    """`text`, linked to the annotated video at `start_s` (a `#t=` media fragment)."""
    if not video:
        return _e(text)
    return f'<a href="{_e(video)}#t={max(start_s, 0.0):.1f}">{_e(text)}</a>'


#: Statuses that are verdicts, which carry a confidence (not `not_measured`, `exempt`).
JUDGED = ("ok", "warn", "fail")


def _rule_card(rule: RuleResult, video: str | None = None) -> str:
    spec = METRICS[rule.criterion.metric]
    status = rule.status
    parts = [
        f'<div class="card{" flagged" if rule.flagged else ""}" '
        f'style="--c:{_STATUS_COLOR.get(status, "#999")}">',
        f'<div class="status">{_e(_STATUS_WORDS.get(status, status))}'
        f"{' · low confidence' if rule.confidence == 'low' and status in JUDGED else ''}</div>",
        f"<b>{_e(rule.title)}</b>",
        # the value is named after its metric: "Leaning backward: ok" over "Torso lean 15.4"
        f'<div><span class="muted">{_e(spec.title)}</span> '
        f'<span class="value">{_e(spec.format(rule.typical))}</span> '
        '<span class="muted">typical</span></div>',
        f'<div class="muted">{_e(_limits_text(rule))}</div>',
    ]
    if rule.flagged:
        parts.append(f"<p><b>{_e(rule.message)}</b><br>{_e(rule.advice)}</p>")
        when = "; ".join(_time_link(video, e.start_s, episode_text(rule, e)) for e in rule.episodes)
        parts.append(f'<div class="muted">when: {when} ({rule.share:.0%} of the judged time)</div>')
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
            t_s, values, title=_bare_title(spec.id), unit=spec.unit,
            bands=_bands_for(spec.id, rules), spans_s=spans, min_range=spec.plot_min_range,
        )  # fmt: skip
        out.append(
            f"<h3>{_e(_column_title(spec.id))}<span class='muted'>: "
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


def runner_frame_index(result: ClipResult) -> int | None:
    """The frame that shows the runner best (most landmarks seen, middle of the clip first):
    the picture of a report that has no key moments (good form). None when nobody was seen."""
    track = result.track
    if result.analysis is None or track.n_frames == 0:
        return None
    seen = np.nan_to_num(track.landmarks[:, :, 3], nan=0.0).mean(axis=1)
    if not (seen > 0).any():
        return None
    n = seen.size
    # a small bonus for the middle (the runner is in full view there, not entering)
    middle = 1.0 - 0.1 * np.abs(np.arange(n) - n / 2) / max(n / 2, 1)
    return int(np.argmax(seen * middle))


def picture_indices(result: ClipResult) -> set[int]:
    """Every annotated frame the page shows: the key moments, else the runner's picture."""
    keys = set(key_frame_indices(result).values())
    if keys:
        return keys
    best = runner_frame_index(result)
    return set() if best is None else {best}


def _key_frames(
    result: ClipResult, frames: dict[int, np.ndarray], video: str | None = None
) -> list[str]:
    """A thumbnail with the overlay at the worst moment of each flagged rule, each opening
    the annotated video at that moment."""
    rules = {r.id: r for r in result.rules}
    out = []
    for rule_id, i in key_frame_indices(result).items():
        if i not in frames:
            continue
        rule = rules[rule_id]
        t_s = float(result.track.timestamps_ms[i]) / 1000.0
        caption = f"{rule.title} at {t_s:.1f} s: {rule.message}"
        img = jpeg_img(frames[i], f"{rule.title} at {t_s:.1f} s")
        if video:
            img = f'<a href="{_e(video)}#t={t_s:.1f}">{img}</a>'
            caption += " (opens the video here)"
        out.append(f"<figure>{img}<figcaption>{_e(caption)}</figcaption></figure>")
    return out


def _runner_picture(result: ClipResult, frames: dict[int, np.ndarray]) -> list[str]:
    i = runner_frame_index(result)
    if i is None or i not in frames:
        return []
    t_s = float(result.track.timestamps_ms[i]) / 1000.0
    caption = f"The runner at {t_s:.1f} s, with the measured lines."
    img = jpeg_img(frames[i], "the runner")
    return [f"<figure>{img}<figcaption>{_e(caption)}</figcaption></figure>"]


def jpeg_img(rgb: np.ndarray, alt: str = "key frame") -> str:
    """An `<img>` of `rgb` `(h, w, 3)`, at most the thumbnail width, as an inline JPEG."""
    scale = min(1.0, _THUMB_WIDTH_PX / rgb.shape[1])
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    ok, jpeg = cv2.imencode(
        ".jpg", cv2.cvtColor(small, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 82]
    )
    data = base64.b64encode(jpeg.tobytes()).decode("ascii") if ok else ""
    return f'<img alt="{_e(alt)}" width="{small.shape[1]}" src="data:image/jpeg;base64,{data}">'


_STRIDE_WORDS = {"start_s": "from (s)", "end_s": "to (s)", "view": "view"}


def _stride_table(strides: list[dict[str, Any]]) -> str:
    """One row per stride, columns named in words; a view that never changes is said once
    above the table, so the table fits a phone's width."""
    if not strides:
        return "<p class='muted'>No full strides were found.</p>"
    columns = [k for k in strides[0] if any(s.get(k) is not None for s in strides)]
    views = {s.get("view") for s in strides}
    intro = f"<p class='muted'>{len(strides)} strides"
    if "view" in columns and len(views) == 1:
        columns.remove("view")
        intro += f", all in {_e(next(iter(views)))} view"
    head = "".join(f"<th>{_e(_column_title(c))}</th>" for c in columns)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_cell(s.get(c), c)}</td>" for c in columns) + "</tr>"
        for s in strides
    )
    return f'{intro}.</p><table class="strides"><tr>{head}</tr>{rows}</table>'


def _column_title(column: str) -> str:
    spec = METRICS.get(column)
    if spec is None:
        return _STRIDE_WORDS.get(column, column.replace("_", " "))
    title = _bare_title(spec.id)
    return f"{title} ({spec.unit})" if spec.unit else title


def _bare_title(metric_id: str) -> str:
    """The metric's title without a trailing `(unit)` (the plots and columns add the unit)."""
    spec = METRICS[metric_id]
    return spec.title.removesuffix(f" ({spec.unit})")


def _cell(value: Any, column: str = "") -> str:
    """A table cell: a metric with its own digits (`METRICS[...].format`, no unit), else 3
    significant digits (a ratio of 0.388 stays 0.388, 165.8 spm is 166)."""
    spec = METRICS.get(column)
    if isinstance(value, int | float) and np.isfinite(value):
        if spec is not None or column.endswith("_s"):
            digits = 0 if abs(value) >= 100 else spec.digits if spec else 1
            return f"{value:.{digits}f}"
        return f"{value:.3g}"
    return _fmt(value)


def _settings_table(settings: dict[str, Any]) -> str:
    """The settings as a two-column table, a heading row per section, keys in words."""
    rows = []
    for section, values in settings.items():
        if not isinstance(values, dict):
            values = {"": values}
        rows.append(f'<tr><th colspan="2">{_e(section.replace("_", " "))}</th></tr>')
        rows += [
            f"<tr><td>{_e(k.replace('_', ' '))}</td><td>{_e(_setting(v))}</td></tr>"
            for k, v in values.items()
        ]
    return f'<table class="facts">{"".join(rows)}</table>'


def _setting(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


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
    rows = f'<table class="facts">{rows}</table>'
    warnings = report.get("capture", {}).get("warnings", []) + report.get("notes", [])
    notes = "".join(f'<p class="warn">{_e(w)}</p>' for w in warnings)
    return f"{rows}{notes or '<p>No problems with the capture.</p>'}"


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
    """The page's first line: what to fix first, that the form is good on the rules judged,
    or that nothing could be judged (never "good form" without evidence)."""
    if result.report.status != "analysed":
        return "No runner found in enough frames to analyse."
    flagged = result.flagged
    if not flagged:
        judged = sum(r.status in LEVELS for r in result.rules)
        if not judged:
            return "Nothing judged: no rule could be judged on this clip (each rule says why)."
        return f"Good form: no rule flagged ({judged} of {len(result.rules)} rules judged)."
    first = flagged[0]
    more = f" ({len(flagged) - 1} more below)" if len(flagged) > 1 else ""
    e = first.worst
    when = f", {episode_text(first, e)}" if e is not None else ""
    return f"Fix first: {first.title.lower()}{when}. {first.cue}.{more}"


def _video_section(video: str | None) -> list[str]:
    if not video:
        return []
    return [
        "<h2>Annotated video</h2>",
        f'<video controls preload="metadata" src="{_e(video)}"></video>',
        f'<p class="muted"><a href="{_e(video)}">Open {_e(video)}</a>; every time above '
        "opens it at that moment.</p>",
    ]


def render_html(
    result: ClipResult,
    key_frames: dict[int, np.ndarray] | None = None,
    *,
    video: str | None = None,
) -> str:
    """The whole page as a string; `key_frames` are annotated frames by index (from the
    annotated-video pass, `picture_indices`), None or empty for none; `video` is the
    annotated video's address relative to the page, None when there is none."""
    report = result.report.to_dict()
    analysis = result.analysis
    frames = key_frames or {}
    body = [
        f"<h1>Running posture: {_e(Path(report['input']['path']).name)}</h1>",
        f"<p><b>{_e(verdict_line(result))}</b></p>",
        # flagged rules first (full width, with advice), the rest as compact cards
        '<div class="rules">'
        f"{''.join(_rule_card(r, video) for r in _flagged_first(result.rules))}</div>",
    ]
    if analysis is not None:
        keys = _key_frames(result, frames, video)
        if keys:
            body += ["<h2>Key moments</h2>", *keys]
        else:
            body += _runner_picture(result, frames)
        body += _video_section(video)
        body += ["<h2>Over time</h2>", *_plots(analysis, result.rules)]
        body += ["<h2>Per stride</h2>", _stride_table(report.get("strides") or [])]
    body += ["<h2>Capture</h2>", _capture(report)]
    body += ["<h2>Settings</h2>", _settings_table(report["settings"])]
    tool = report["tool"]
    body.append(f"<p class='muted'>{_e(tool['name'])} {_e(tool['version'])}</p>")
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>posture: {_e(Path(report['input']['path']).name)}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(body)}</body></html>"
    )


def write_html(
    result: ClipResult,
    path: Path,
    *,
    key_frames: dict[int, np.ndarray] | None = None,
    video: Path | None = None,
) -> Path:
    """Write the page atomically; returns `path`. `video`: the annotated video (linked by
    its name when it sits next to the page, else by its absolute address)."""
    link = None
    if video is not None:
        link = video.name if video.parent == path.parent else video.resolve().as_uri()
    return write_atomic(path, render_html(result, key_frames, video=link))
