"""`posture synth`: render a synthetic runner clip with known posture, plus its truth file.

Register with `app.command("synth")(synth)`; also runnable as `python -m posture.cli.synth`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from posture.cli.common import exit_with, interruptible
from posture.errors import PostureError

_D = "posture.synth.SynthParams"  # every default below mirrors this dataclass's defaults


#: Options that shape only a runner, and only a drill: given with the other kind they would be
#: silently ignored, so they are refused.
RUNNER_ONLY = ("view", "torso_lean", "torso_lean_osc", "head_pitch", "neck_flexion",
               "shoulder_elevation", "shoulder_rounding", "bounce", "lateral_sway", "trunk_roll",
               "head_yaw_amp", "overstride", "strike_knee", "cadence", "cadence_cv", "speed",
               "duration", "subject_frac")  # fmt: skip
DRILL_ONLY = ("reps", "peak", "hold", "knee", "facing", "rise", "rest")


def _options_given(ctx: typer.Context, names: tuple[str, ...]) -> list[str]:
    """The `names` set on the command line, as the user typed them (`--torso-lean`)."""
    sources = {n: ctx.get_parameter_source(n) for n in names}
    given = [n for n, src in sources.items() if getattr(src, "name", "") == "COMMANDLINE"]
    return ["--" + n.replace("_", "-") for n in given]


def synth(
    ctx: typer.Context,
    out: Annotated[Path, typer.Argument(help="Output .mp4; <name>.truth.json goes next to it.")],
    view: Annotated[str, typer.Option(help="side_left, side_right, front or rear.")] = "side_left",
    height_cm: Annotated[float, typer.Option("--height-cm", help="Body height, cm.")] = 175.0,
    torso_lean: Annotated[
        float, typer.Option("--torso-lean", help="Trunk lean from vertical, deg, + forward.")
    ] = 5.0,
    torso_lean_osc: Annotated[
        float, typer.Option("--torso-lean-osc", help="Trunk pitch wobble amplitude, deg.")
    ] = 1.0,
    head_pitch: Annotated[
        float, typer.Option("--head-pitch", help="Head pitch, deg, + chin down, 0 eyes level.")
    ] = 0.0,
    neck_flexion: Annotated[
        float, typer.Option("--neck-flexion", help="Neck forward of the trunk line, deg.")
    ] = 0.0,
    shoulder_elevation: Annotated[
        float, typer.Option("--shoulder-elevation", help="Shrug toward the ears, cm.")
    ] = 0.0,
    shoulder_rounding: Annotated[
        float, typer.Option("--shoulder-rounding", help="Shoulders forward of the trunk, cm.")
    ] = 0.0,
    bounce: Annotated[
        float, typer.Option("--bounce", help="Pelvis vertical peak-to-trough per step, cm.")
    ] = 7.0,
    lateral_sway: Annotated[
        float, typer.Option("--lateral-sway", help="Pelvis side-to-side per stride, cm.")
    ] = 4.0,
    trunk_roll: Annotated[
        float, typer.Option("--trunk-roll", help="Trunk side-to-side roll per stride, deg.")
    ] = 0.0,
    head_yaw_amp: Annotated[
        float, typer.Option("--head-yaw-amp", help="Head shake amplitude, +/- deg.")
    ] = 3.0,
    overstride: Annotated[
        float,
        typer.Option(
            "--overstride",
            help="Foot lands this much further ahead of the hips (and pushes off as much less "
            "far behind: less hip extension), cm.",
        ),
    ] = 0.0,
    strike_knee: Annotated[
        float, typer.Option("--strike-knee", help="Knee flexion at foot strike, deg.")
    ] = 15.0,
    cadence: Annotated[float, typer.Option("--cadence", help="Steps per minute.")] = 170.0,
    cadence_cv: Annotated[
        float, typer.Option("--cadence-cv", help="Step-interval variation, % (CV).")
    ] = 2.0,
    speed: Annotated[float, typer.Option("--speed", help="Treadmill belt speed, m/s.")] = 3.2,
    width: Annotated[
        int | None, typer.Option("--width", help="Frame width, px (even); 480, drills 640.")
    ] = None,
    height: Annotated[
        int | None, typer.Option("--height", help="Frame height, px (even); 640, drills 360.")
    ] = None,
    fps: Annotated[float, typer.Option("--fps", help="Frames per second.")] = 30.0,
    duration: Annotated[float, typer.Option("--duration", help="Clip length, s.")] = 5.0,
    seed: Annotated[int, typer.Option("--seed", help="Step timing, outfit, noise.")] = 0,
    background: Annotated[
        bool, typer.Option("--background/--plain", help="Textured wall and treadmill.")
    ] = True,
    noise: Annotated[float, typer.Option("--noise", help="Camera noise std, grey levels.")] = 2.0,
    subject_frac: Annotated[
        float, typer.Option("--subject-frac", help="Body height / frame height.")
    ] = 0.72,
    supersample: Annotated[int, typer.Option("--supersample", help="Anti-aliasing factor.")] = 2,
    crf: Annotated[float, typer.Option("--crf", help="libx264 quality (lower = better).")] = 26.0,
    drill: Annotated[
        str | None,
        typer.Option(
            "--drill",
            help="Render a core exercise instead of a runner: mini_crunch (crunch), "
            "lying_leg_raise (leg_raise) or prone_back_extension (back_extension). "
            "The running options above are then refused.",
        ),
    ] = None,
    reps: Annotated[int, typer.Option("--reps", help="Drill: number of reps.")] = 5,
    peak: Annotated[
        str | None,
        typer.Option("--peak", help="Drill: peak angle(s), deg, comma list cycled over reps."),
    ] = None,
    hold: Annotated[
        str | None,
        typer.Option("--hold", help="Drill: pause at the peak, s, comma list cycled over reps."),
    ] = None,
    knee: Annotated[
        float | None, typer.Option("--knee", help="Drill: knee angle, deg (180 straight).")
    ] = None,
    facing: Annotated[
        str, typer.Option("--facing", help="Drill: head_left or head_right of the hips.")
    ] = "head_left",
    rise: Annotated[float, typer.Option("--rise", help="Drill: floor -> peak time, s.")] = 0.8,
    rest: Annotated[float, typer.Option("--rest", help="Drill: rest between reps, s.")] = 0.8,
) -> None:
    """Render a synthetic runner with known posture to OUT (.mp4) and OUT's .truth.json;
    with --drill, a lying figure doing a core exercise with known reps, peaks, holds, faults."""
    from posture.errors import UsageError
    from posture.synth import SynthParams, render_clip, truth_path_for

    wrong = _options_given(ctx, RUNNER_ONLY if drill is not None else DRILL_ONLY)
    if wrong:
        kind = "a runner's, not used with --drill" if drill else "for --drill only"
        exit_with(UsageError(f"{', '.join(wrong)}: {kind}"))
    if drill is not None:
        _drill(out, drill, reps=reps, peak=peak, hold=hold, knee=knee, facing=facing,
               rise=rise, rest=rest, height_cm=height_cm, width=width or 640,
               height=height or 360, fps=fps, seed=seed, background=background, noise=noise,
               supersample=supersample, crf=crf)  # fmt: skip
        return
    width, height = width or 480, height or 640
    try:
        params = SynthParams(
            view=view, height_cm=height_cm, torso_lean_deg=torso_lean,
            torso_lean_osc_deg=torso_lean_osc, head_pitch_deg=head_pitch,
            neck_flexion_deg=neck_flexion, shoulder_elevation_cm=shoulder_elevation,
            shoulder_rounding_cm=shoulder_rounding, bounce_cm=bounce,
            lateral_sway_cm=lateral_sway, trunk_roll_deg=trunk_roll,
            head_yaw_amp_deg=head_yaw_amp, overstride_cm=overstride,
            strike_knee_deg=strike_knee, cadence_spm=cadence,
            cadence_cv_pct=cadence_cv, speed_mps=speed, resolution_wh=(width, height), fps=fps,
            duration_s=duration, seed=seed, background=background, noise_level=noise,
            subject_frac=subject_frac, supersample=supersample, crf=crf,
        )  # fmt: skip
        with interruptible():
            truth = render_clip(params, out)
    except PostureError as exc:
        exit_with(exc)
    cadence = truth.clip["cadence_spm"]
    typer.echo(
        f"wrote {out} and {truth_path_for(out).name}: {params.n_frames} frames, "
        f"{truth.clip['n_steps']} steps"
        + (f", cadence {cadence:.1f} spm" if cadence is not None else ""),
        err=True,
    )


#: Per drill: (peak angle, pause at the peak) when --peak / --hold are not given.
DRILL_DEFAULTS = {"mini_crunch": ("45", "0.3"), "lying_leg_raise": ("90", "0.3"),
                  "prone_back_extension": ("30", "1.0")}  # fmt: skip


def _floats(text: str, what: str) -> tuple[float, ...]:
    from posture.errors import UsageError

    try:
        values = tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise UsageError(f"{what} must be numbers separated by commas, got {text!r}") from None
    if not values:
        raise UsageError(f"{what} needs at least one number")
    return values


def _drill(out: Path, name: str, *, reps: int, peak: str | None, hold: str | None,
           knee: float | None, facing: str, rise: float, rest: float, height_cm: float,
           width: int, height: int, fps: float, seed: int, background: bool, noise: float,
           supersample: int, crf: float) -> None:  # fmt: skip
    from posture.drills import load_drills
    from posture.errors import UsageError
    from posture.synth import truth_path_for
    from posture.synth.drill import DRILLS, DrillParams
    from posture.synth.drill_clip import render_drill_clip

    try:
        exercise = load_drills().find(name)
        if exercise is None or exercise.id not in DRILLS:
            raise UsageError(f"--drill must be one of {', '.join(DRILLS)}, got {name!r}")
        peak_d, hold_d = DRILL_DEFAULTS[exercise.id]
        params = DrillParams(
            exercise=exercise.id, reps=reps, peaks_deg=_floats(peak or peak_d, "--peak"),
            plateau_s=_floats(hold or hold_d, "--hold"), knee_deg=knee, facing=facing,
            rise_s=rise, rest_s=rest, height_cm=height_cm, resolution_wh=(width, height),
            fps=fps, seed=seed, background=background, noise_level=noise,
            supersample=supersample, crf=crf,
        )  # fmt: skip
        with interruptible():
            truth = render_drill_clip(params, exercise, out)
    except PostureError as exc:
        exit_with(exc)
    faults = ", ".join(truth["faults"]) or "none"
    typer.echo(
        f"wrote {out} and {truth_path_for(out).name}: {params.n_frames} frames, "
        f"{truth['n_reps']} reps of {exercise.id}, faults: {faults}",
        err=True,
    )


def main() -> None:
    """Run `synth` as a stand-alone command."""
    typer.run(synth)


if __name__ == "__main__":
    main()
