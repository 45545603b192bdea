"""docs/ACCURACY.md: a fixed explanation, then the tables `posture validate` printed."""

from __future__ import annotations

from pathlib import Path

from posture.validate.suite import SuiteResult
from posture.validate.table import write_doc

PREAMBLE = """\
# Accuracy

How close `posture`'s numbers are to the truth, measured by `posture validate` (also
`python benchmarks/accuracy.py`): it renders synthetic runners with known posture
(`posture.synth`) over a grid of true values and views, runs the full pipeline on them
(MediaPipe pose -> metrics -> rules, default settings as `posture check` uses them), and
compares every clip's reported value with the value the generator drew. It also judges
the committed clips in `samples/` and measures where MediaPipe puts its landmarks on the
figure. Regenerate this file with the command shown below (the text above the marker line
is kept).

**How the truth is made.** Angles and the pelvis path come from the generator's 3D
skeleton (`samples/README.md`, `posture/synth/truth.py`), never from the metric code. Each
compared value is the statistic the report gives: the clip median over frames (lean, head
pitch, neck flexion, ratios), over complete steps (bounce, cadence = median of 60 / step
interval), over complete strides (sway, head-yaw range), or the clip value (cadence
variability). Ratios (`ear_shoulder_over_torso`, `shoulder_rounding_pct_torso`) are taken
on the true landmark positions in the image; the true `shoulder_hunch_pct` is how much
shorter the ear-shoulder distance is than in the same clip rendered with neutral
shoulders. `vertical_bounce_cm` is measured with `--height-cm` set to the runner's true
stature (the cm target assumes it is known); `vertical_bounce_cm@estimated_height` is the
same with the stature the pipeline estimates, as `posture check` runs by default, and
`height_cm@estimated` is that estimate's error.

**True verdicts** apply each rule's limits from `posture/rules/rules.toml` (views,
`combine`, `min_samples`) to the true values. The rule tables count, per rule, clips where
the verdict given equals the true one, false flags (truth ok, flagged), missed flags,
warn/fail mix-ups, clips the pipeline left `not_measured` although the truth is judged,
and clips it judged although the truth is not (wrong view, too few steps).

**Landmark bias** is MediaPipe's point minus the figure's true joint, in % of the true
torso length, pooled over the grid's frames (median distance and median signed offsets).
In side views `near` is the side facing the camera; MediaPipe's own left/right labels are
used, so left/right swaps show in the single points, not in the midpoints the metrics use.
A bias here is a property of MediaPipe on this figure, not something the generator was
tuned to hide.

**Targets** (issue 4): torso lean <= 2 deg, head angles <= 4 deg, bounce <= 1 cm or 10 %,
cadence <= 2 spm on every grid clip; every rule's verdict right on the samples; no flags
on `samples/good_form_side.mp4`. A target that is not met says so with the number reached.
`tests/test_accuracy.py` runs the small grid and fails when an error grows past
max(target, committed baseline + margin) (`tests/accuracy_baseline.json`)."""


def write_accuracy_doc(result: SuiteResult, path: Path) -> None:
    """Write (or regenerate) the accuracy document at `path`."""
    write_doc(result, path, PREAMBLE)
