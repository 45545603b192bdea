"""The suite's tables as Markdown: printed by `posture validate`, written to docs/ACCURACY.md."""

from __future__ import annotations

import math
from pathlib import Path

from posture.atomic import write_atomic
from posture.validate.landmarks import LandmarkBias
from posture.validate.suite import SuiteResult
from posture.validate.targets import MetricRow
from posture.validate.verdicts import RuleRow, SampleRow

GOOD_FORM_SAMPLE = "good_form_side"


def _n(x: float, digits: int = 2) -> str:
    return "—" if not math.isfinite(x) else f"{x:.{digits}f}"


def _result(row: MetricRow) -> str:
    missing = f"; {row.n_missing} not measured" if row.n_missing else ""
    if row.target is None:
        return f"no target{missing}"
    if row.met:
        return "met"
    return f"**NOT MET**: max {_n(row.max_abs)} {row.unit}, {row.n_beyond} clip(s) beyond{missing}"


def metric_table(rows: tuple[MetricRow, ...]) -> list[str]:
    lines = [
        "| metric | unit | clips | mean abs error | max abs error | bias (mean signed) "
        "| worst clip | target | result |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        target = r.target.describe(r.unit) if r.target else "—"
        lines.append(
            f"| `{r.metric}` | {r.unit} | {r.n} | {_n(r.mean_abs)} | {_n(r.max_abs)} "
            f"| {_n(r.bias):s} | {r.worst or '—'} | {target} | {_result(r)} |"
        )
    return lines


def rule_table(rows: tuple[RuleRow, ...]) -> list[str]:
    lines = [
        "| rule | clips | right | right or said unsure | false flags | missed flags "
        "| wrong level | not measured | judged off-truth | confusion (true -> given: clips) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        cells = ", ".join(f"{t}->{g}: {c}" for (t, g), c in sorted(r.confusion.items()))
        lines.append(
            f"| `{r.rule}` | {r.n} | {r.right} | {r.honest} | {r.false_flags} | {r.missed} "
            f"| {r.wrong_level} | {r.not_measured} | {r.unexpected} | {cells or '—'} |"
        )
    return lines


def landmark_table(bias: LandmarkBias) -> list[str]:
    axis = "forward" if bias.view == "side" else "image right"
    lines = [
        f"| {bias.view} view ({bias.n_frames} frames) | median distance | median {axis} "
        "| median up |",
        "|---|---|---|---|",
    ]
    for i, name in enumerate(bias.names):
        lines.append(
            f"| {name} | {_n(bias.median_abs_pct[i], 1)} | {bias.median_forward_pct[i]:+.1f} "
            f"| {bias.median_up_pct[i]:+.1f} |"
        )
    return lines


def _flags(flags: dict[str, str]) -> str:
    return ", ".join(f"{k} ({v})" for k, v in flags.items()) or "none"


def sample_table(rows: tuple[SampleRow, ...]) -> list[str]:
    lines = [
        "| sample | expected flags (truth) | flags given | every verdict right | wrong verdicts |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| `{r.name}` | {_flags(r.expected)} | {_flags(r.given)} "
            f"| {'yes' if r.right else '**no**'} | {'; '.join(r.details) or '—'} |"
        )
    return lines


#: Verdict targets (issue 12): (rule, count low-confidence / not-measured wrong verdicts as
#: honest, % of grid clips).
VERDICT_TARGETS = (("head_down", False, 90.0), ("shoulder_hunch", True, 90.0))


def target_summary(result: SuiteResult) -> list[str]:
    """One line per target (issues 4 and 12), met or not, with the number reached."""
    lines = []
    for r in result.metrics:
        if r.target is not None:
            state = "met" if r.met else "NOT MET"
            lines.append(
                f"- `{r.metric}` {r.target.describe(r.unit)}: {state} "
                f"(max {_n(r.max_abs)} {r.unit}, "
                f"mean {_n(r.mean_abs)}, {r.n_beyond} of {r.n} clips beyond"
                + (f", {r.n_missing} not measured" if r.n_missing else "")
                + ")"
            )
    for rule, honest, goal in VERDICT_TARGETS:
        row = next((r for r in result.rules if r.rule == rule), None)
        if row is None or not row.n:
            continue
        got = row.honest if honest else row.right
        share = 100.0 * got / row.n
        what = "right or said unsure (low confidence, not measured)" if honest else "right"
        state = "met" if share >= goal else "NOT MET"
        lines.append(
            f"- `{rule}` verdict {what} on >= {goal:g} % of grid clips: {state} "
            f"({got} of {row.n}, {share:.0f} %)"
        )
    if result.samples:
        right = sum(s.right for s in result.samples)
        state = "met" if right == len(result.samples) else "NOT MET"
        lines.append(
            f"- every rule's verdict right on the samples/ clips: {state} "
            f"({right} of {len(result.samples)} samples right)"
        )
    good = [s for s in result.samples if s.name == GOOD_FORM_SAMPLE]
    if good:
        state = "met" if not good[0].given else "NOT MET"
        lines.append(
            f"- no flags on samples/{GOOD_FORM_SAMPLE}.mp4: {state} "
            f"(flags given: {_flags(good[0].given)})"
        )
    return lines


def render(result: SuiteResult) -> str:
    """The whole report as Markdown."""
    m = result.meta
    v_ok, v_n = result.view_right
    f_ok, f_n = result.facing_right
    out = [
        f"Command: `{m.get('command', '')}` · date {m.get('date', '')} · commit "
        f"{m.get('commit', '')} · model {m.get('model', '')} · grid `{result.grid}`: "
        f"{len(result.grid_records)} clips · samples: {len(result.sample_records)} clips",
        "",
        "### Targets",
        "",
        *target_summary(result),
        "",
        f"### Metric errors (grid clips; view detected right {v_ok}/{v_n}, "
        f"facing right {f_ok}/{f_n})",
        "",
        *metric_table(result.metrics),
        "",
        "### Rule verdicts against the truth (grid clips)",
        "",
        *rule_table(result.rules),
        "",
        "### Samples: verdicts against the truth",
        "",
        *sample_table(result.samples),
        "",
        "### MediaPipe landmarks against the figure's true joints (% of torso length)",
        "",
    ]
    for bias in result.landmarks:
        out += [*landmark_table(bias), ""]
    return "\n".join(out)


DOC_MARKER = "<!-- posture validate writes everything below this line -->"


def write_doc(result: SuiteResult, path: Path, preamble: str) -> None:
    """Write `preamble`, a marker line, and the rendered tables to `path` (atomically).

    An existing file keeps its text above the marker, so hand-written explanations survive
    a regeneration.
    """
    head = preamble
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        if DOC_MARKER in text:
            head = text.split(DOC_MARKER, 1)[0].rstrip("\n")
    write_atomic(path, f"{head}\n\n{DOC_MARKER}\n\n{render(result)}")
