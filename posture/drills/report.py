"""The drill report: JSON, a self-contained HTML page (per-rep table, the angle over time with
the target band) and the terminal summary. Typed result in, strings or files out."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from posture import __version__
from posture.atomic import write_atomic
from posture.drills.analysis import DrillResult
from posture.drills.model import Rep
from posture.gate.text import rich_safe
from posture.report.svg import PLOT_MARGIN_CSS, Band, line_plot

REPORT_KIND = "drill"


def _r(value: float, digits: int = 1) -> float | None:
    return round(float(value), digits) if np.isfinite(value) else None


def dose_text(result: DrillResult) -> str:
    """`2 sets (15, 12 reps) against the dose 3-5 sets of 15-20: 1 more set, 3 more reps`."""
    dose = result.exercise.dose
    counts = [len(s) for s in result.sets]
    done = f"{len(counts)} set{'s' if len(counts) != 1 else ''}"
    if counts:
        done += f" ({', '.join(map(str, counts))} reps)"
    full = sum(1 for c in counts if c >= dose.reps_min)
    short = [c for c in counts if c < dose.reps_min]
    todo = []
    if full < dose.sets_min:
        todo.append(
            f"{dose.sets_min - full} more full set{'s' if dose.sets_min - full > 1 else ''}"
        )
    if short:
        todo.append(f"sets under {dose.reps_min} reps: {len(short)}")
    verdict = "dose reached" if not todo else "; ".join(todo)
    return f"{done} against the dose {dose.text}: {verdict}"


def _rep_dict(rep: Rep) -> dict[str, Any]:
    c = rep.cycle
    return {
        "number": rep.number,
        "set": rep.set_number,
        "number_in_set": rep.number_in_set,
        "start_s": _r(c.start_s, 2),
        "end_s": _r(c.end_s, 2),
        "duration_s": _r(c.duration_s, 2),
        "peak_s": _r(c.peak_s, 2),
        "peak_deg": _r(c.peak_deg),
        "hold_s": _r(c.hold_s, 2),
        "checks": {k: {"status": v, "value": _r(rep.values[k], 2)} for k, v in rep.checks.items()},
        "faults": list(rep.faults),
    }


def report_dict(result: DrillResult, source: dict[str, Any]) -> dict[str, Any]:
    """The report as JSON-ready data; `source` is the clip's `input` section."""
    ex = result.exercise
    lo, hi = ex.band_deg
    peaks = np.array([r.cycle.peak_deg for r in result.reps])
    faults = {c.id: sum(c.id in r.faults for r in result.reps) for c in ex.checks}
    return {
        "kind": REPORT_KIND,
        "tool": {"name": "posture", "version": __version__},
        "status": "mismatch" if result.mismatches else "analysed",
        "input": source,
        "exercise": {
            "id": ex.id,
            "name": ex.name,
            "how": ex.how,
            "angle": ex.angle,
            "target_deg": ex.target_deg,
            "band_deg": [lo, hi],
            "dose": ex.dose.text,
        },
        "reps": len(result.reps),
        "sets": [len(s) for s in result.sets],
        "dose": dose_text(result),
        "on_target": int(((peaks >= lo) & (peaks <= hi)).sum()) if peaks.size else 0,
        "peak_deg": {"median": _r(float(np.median(peaks))) if peaks.size else None},
        "faults": faults,
        "checks": [
            {
                "id": c.id,
                "fault": c.fault,
                "signal": c.signal,
                "stat": c.stat,
                "min": c.bound.min,
                "max": c.bound.max,
            }
            for c in ex.checks
        ],
        "per_rep": [_rep_dict(r) for r in result.reps],
        "mismatches": list(result.mismatches),
        "match_values": {k: _r(v, 2) for k, v in result.match_values.items()},
        "notes": list(result.notes),
        "detection": result.detection.to_dict(),
        "facing": "head right" if result.head > 0 else "head left",
    }


def history_dict(report: dict[str, Any]) -> dict[str, Any]:
    """The report in the shape `posture.report.history.record_run` stores (status `drill`):
    reps and peak as metrics, each form check as a rule (fail when a rep had the fault)."""
    ex = report["exercise"]["id"]
    peak = report["peak_deg"]["median"]
    return {
        "input": report["input"],
        "status": REPORT_KIND,
        "view": "side",
        "tool": report["tool"],
        "metrics": {
            f"drill_{ex}_reps": {"unit": "reps", "median": report["reps"], "n": report["reps"]},
            f"drill_{ex}_peak_deg": {"unit": "deg", "median": peak, "n": report["reps"]},
        },
        "rules": [
            {"id": f"drill_{ex}_{k}", "status": "fail" if n else "ok", "typical": n, "unit": "reps"}
            for k, n in report["faults"].items()
        ],
    }


def headline(report: dict[str, Any]) -> str:
    """One line: `mini crunch: 14 reps in 1 set, 12 on target (33-57 deg); 2 with faults`."""
    ex = report["exercise"]
    n, sets = report["reps"], report["sets"]
    lo, hi = ex["band_deg"]
    line = f"{ex['name']}: {n} rep{'s' if n != 1 else ''} in {len(sets)} set"
    line += "s" if len(sets) != 1 else ""
    line += f", {report['on_target']} on target ({lo:g}-{hi:g} deg)"
    bad = sum(1 for r in report["per_rep"] if r["faults"])
    if bad:
        line += f"; {bad} with a fault"
    return line


def print_drill_summary(report: dict[str, Any], console: Console, *, path: str = "") -> None:
    """The terminal summary: headline, dose, per-rep table, mismatches and notes."""
    table = Table(title=rich_safe(headline(report)), title_justify="left")
    for column in ("rep", "set", "time", "peak", "hold", "faults"):
        table.add_column(column)
    fault_text = {c["id"]: c["fault"] for c in report["checks"]}
    for rep in report["per_rep"]:
        faults = "; ".join(fault_text[f] for f in rep["faults"])
        table.add_row(
            str(rep["number"]), str(rep["set"]), f"{rep['start_s']:.1f}-{rep['end_s']:.1f} s",
            f"{rep['peak_deg']:.0f} deg", f"{rep['hold_s']:.1f} s",
            f"[red]{rich_safe(faults)}[/red]" if faults else "[green]ok[/green]",
        )  # fmt: skip
    if report["per_rep"]:
        console.print(table)
    else:
        console.print(f"[bold]{rich_safe(headline(report))}[/bold]")
    console.print(f"dose: {rich_safe(report['dose'])}")
    for message in report["mismatches"]:
        console.print(f"[red]not this exercise:[/red] {rich_safe(message)}")
    for note in report["notes"]:
        console.print(f"[cyan]note:[/cyan] {rich_safe(note)}")
    det = report["detection"]
    console.print(
        f"pose found in {det['pose_share']:.0%} of frames, used {det['usable_share']:.0%}; "
        f"landmark jitter {det['jitter_px']} px"
    )
    if path:
        console.print(f"report: {rich_safe(path)}", soft_wrap=True)


_CSS = (
    "body{font-family:sans-serif;max-width:780px;margin:1.5em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;font-size:14px}td,th{border-bottom:1px solid #ddd;"
    "padding:3px 8px;text-align:right}th{background:#f3f3f3}.bad{color:#b3261e}"
    ".ok{color:#2e7d32}.muted{color:#777;font-size:13px}" + PLOT_MARGIN_CSS
)


def _e(text: Any) -> str:
    return html.escape(str(text))


def _plot(result: DrillResult) -> str:
    ex = result.exercise
    bands = [
        Band(c.bound.max, c.bound.max + 1e-6, "above")
        for c in ex.checks
        if c.signal == ex.angle and c.bound.max is not None
    ]
    spans = [(r.cycle.start_s, r.cycle.end_s) for r in result.reps if r.faults]
    return line_plot(
        result.t_s, result.angle_deg, title=ex.angle, unit="deg", bands=bands, spans_s=spans,
        target=ex.band_deg,
    )  # fmt: skip


def _frames_html(frames: list[tuple[str, np.ndarray]]) -> list[str]:
    if not frames:
        return []
    from posture.report.html import jpeg_img

    cells = "".join(f"<figure>{jpeg_img(rgb)}<figcaption>{_e(label)}</figcaption></figure>"
                    for label, rgb in frames)  # fmt: skip
    return ["<h2>The worst rep</h2>", f"<div style='display:flex;gap:8px'>{cells}</div>"]


def render_html(
    result: DrillResult, report: dict[str, Any], frames: list[tuple[str, np.ndarray]] | None = None
) -> str:
    """The whole page: headline, dose, the angle plot, the worst rep's frames, the per-rep
    table, notes."""
    fault_text = {c["id"]: c["fault"] for c in report["checks"]}
    rows = []
    for rep in report["per_rep"]:
        faults = "; ".join(fault_text[f] for f in rep["faults"])
        cell = f"<td class='bad'>{_e(faults)}</td>" if faults else "<td class='ok'>ok</td>"
        rows.append(
            f"<tr><td>{rep['number']}</td><td>{rep['set']}</td>"
            f"<td>{rep['start_s']:.1f}-{rep['end_s']:.1f}</td><td>{rep['peak_deg']:.0f}</td>"
            f"<td>{rep['hold_s']:.2f}</td><td>{rep['duration_s']:.1f}</td>{cell}</tr>"
        )
    ex = report["exercise"]
    name = Path(str(report["input"].get("path", ""))).name
    body = [
        f"<h1>{_e(ex['name'])}: {_e(name)}</h1>",
        f"<p><b>{_e(headline(report))}</b></p>",
        f"<p>{_e(report['dose'])}</p>",
        f"<p class='muted'>{_e(ex['how'])}</p>",
        *(f"<p class='bad'>Not this exercise: {_e(m)}</p>" for m in report["mismatches"]),
        *(f"<p>Note: {_e(n)}</p>" for n in report["notes"]),
        f"<h2>{_e(ex['angle'])} over time</h2>",
        "<p class='muted'>green: the target band; red dashes: reps with a fault</p>",
        _plot(result),
        *_frames_html(frames or []),
        "<h2>Per rep</h2><table><tr><th>rep</th><th>set</th><th>time s</th><th>peak deg</th>"
        f"<th>hold s</th><th>duration s</th><th>form</th></tr>{''.join(rows)}</table>",
        "<h2>Pose detection</h2>",
        f"<pre>{_e(json.dumps(report['detection'], indent=2))}</pre>",
        f"<p class='muted'>posture {_e(report['tool']['version'])}</p>",
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>posture drill: {_e(name)}</title><style>{_CSS}</style></head>"
        f"<body>{''.join(body)}</body></html>"
    )


def write_drill_outputs(
    result: DrillResult,
    report: dict[str, Any],
    out_dir: Path,
    stem: str,
    *,
    html_page: bool,
    frames: list[tuple[str, np.ndarray]] | None = None,
) -> dict[str, Path]:
    """Write OUT/<stem>.drill.json (and .drill.html), each atomically; the JSON last."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if html_page:
        written["html"] = write_atomic(
            out_dir / f"{stem}.drill.html", render_html(result, report, frames)
        )
    text = json.dumps(report, indent=2, allow_nan=False) + "\n"
    written["json"] = write_atomic(out_dir / f"{stem}.drill.json", text)
    return written
