"""Regenerate the committed synthetic sample clips, their truth files and README.md.

Usage (from the repository root):
    python samples/make_samples.py            # all samples
    python samples/make_samples.py bouncy_side  # only the named ones

Each sample is defined once below, as `posture synth` options; the same table writes the
README's command lines, so the commands there always reproduce the committed files.
"""

from __future__ import annotations

import sys
from pathlib import Path

from posture.synth import SynthParams, render_clip

HERE = Path(__file__).resolve().parent
#: CLI option -> SynthParams field.
OPTION_FIELDS = {
    "--view": "view", "--torso-lean": "torso_lean_deg", "--head-pitch": "head_pitch_deg",
    "--neck-flexion": "neck_flexion_deg", "--shoulder-elevation": "shoulder_elevation_cm",
    "--shoulder-rounding": "shoulder_rounding_cm", "--bounce": "bounce_cm",
    "--lateral-sway": "lateral_sway_cm", "--head-yaw-amp": "head_yaw_amp_deg",
    "--cadence": "cadence_spm", "--cadence-cv": "cadence_cv_pct", "--duration": "duration_s",
    "--seed": "seed",
}  # fmt: skip
#: name -> (what it shows, `posture synth` options). 480x640 portrait, 30 fps, 5 s.
SAMPLES: dict[str, tuple[str, dict[str, str]]] = {
    "good_form_side": ("upright ~4 deg lean, head neutral, bounce 7 cm, 170 spm",
                       {"--view": "side_left", "--torso-lean": "4", "--seed": "11"}),
    "forward_lean_side": ("trunk leaning 18 deg forward",
                          {"--view": "side_right", "--torso-lean": "18", "--seed": "12"}),
    "head_down_side": ("head pitched 35 deg chin-down, neck 20 deg forward",
                       {"--view": "side_left", "--torso-lean": "4", "--head-pitch": "35",
                        "--neck-flexion": "20", "--seed": "13"}),
    "hunched_side": ("shoulders shrugged 5 cm and rounded 4 cm forward",
                     {"--view": "side_right", "--torso-lean": "4", "--shoulder-elevation": "5",
                      "--shoulder-rounding": "4", "--seed": "14"}),
    "bouncy_side": ("pelvis bouncing 13 cm per step",
                    {"--view": "side_left", "--torso-lean": "4", "--bounce": "13",
                     "--seed": "15"}),
    "sway_shake_front": ("front view, pelvis sway 12.9 cm (15 % of leg), head yaw +/-25 deg",
                         {"--view": "front", "--torso-lean": "4", "--lateral-sway": "12.9",
                          "--head-yaw-amp": "25", "--seed": "16"}),
    "uneven_cadence_side": ("step intervals varying with a 12 % CV",
                            {"--view": "side_right", "--torso-lean": "4", "--cadence-cv": "12",
                             "--seed": "17"}),
    "good_form_rear": ("rear view of good form",
                       {"--view": "rear", "--torso-lean": "4", "--seed": "18"}),
}  # fmt: skip


def params_for(name: str) -> SynthParams:
    """The `SynthParams` of sample `name` (CLI defaults for everything not listed)."""
    _, options = SAMPLES[name]
    kwargs: dict[str, object] = {}
    for option, value in options.items():
        field = OPTION_FIELDS[option]
        kwargs[field] = (
            value if field == "view" else int(value) if field == "seed" else float(value)
        )
    return SynthParams(**kwargs)  # type: ignore[arg-type]


def command_for(name: str) -> str:
    """The `posture synth` command line that writes sample `name`."""
    options = " ".join(f"{k} {v}" for k, v in SAMPLES[name][1].items())
    return f"posture synth samples/{name}.mp4 {options}"


def write_readme() -> None:
    lines = [
        "# Synthetic sample clips",
        "",
        "Rendered by `posture.synth` (a 3D runner with anthropometric proportions on a",
        "treadmill, drawn with OpenCV, H.264 via PyAV). Each `<name>.truth.json` holds the",
        "true values the figure was drawn with: per-frame torso lean, head pitch, neck",
        "flexion, ear-shoulder distance, pelvis path, head yaw and 33 landmark pixel",
        "positions; per-step strike times and bounce; per-stride sway; clip cadence.",
        "",
        "All clips: 480x640 (portrait), 30 fps, 5 s, 175 cm runner, 3.2 m/s belt,",
        "170 spm unless stated. Regenerate all with `python samples/make_samples.py`,",
        "or one with its command below (`python -m posture.cli.synth` works the same).",
        "",
        "| file | shows | command |",
        "|---|---|---|",
    ]
    for name, (what, _) in SAMPLES.items():
        lines.append(f"| `{name}.mp4` | {what} | `{command_for(name)}` |")
    lines += [
        "",
        "`torso_lean_deg` in the truth is the hip-joint-midpoint -> shoulder-joint-midpoint",
        "line; `trunk_lean_deg` is the spine line the generator was asked for. They differ only",
        "when shoulders are rounded (`hunched_side`). See `posture/synth/truth.py` for every",
        "field.",
        "",
    ]
    (HERE / "README.md").write_text("\n".join(lines), encoding="utf-8")


def main(names: list[str]) -> None:
    unknown = [n for n in names if n not in SAMPLES]
    if unknown:
        sys.exit(f"unknown sample(s): {', '.join(unknown)}; known: {', '.join(SAMPLES)}")
    for name in names or list(SAMPLES):
        truth = render_clip(params_for(name), HERE / f"{name}.mp4")
        size_kb = (HERE / f"{name}.mp4").stat().st_size / 1024
        print(f"{name}: {size_kb:.0f} KB, cadence {truth.clip['cadence_spm']:.1f} spm")
    write_readme()


if __name__ == "__main__":
    main(sys.argv[1:])
