"""Step timing and the whole-body oscillations that follow it (pelvis, trunk, head, arms).

Time is split into steps: step `k` runs from foot strike `k` to foot strike `k + 1`, and `s` in
[0, 1) is the phase within it. The stance foot of step `k` is in contact for the first
`CONTACT_FRAC` of the step; the rest is the flight phase. Every oscillation below is written so
that it is continuous across step boundaries even when step durations vary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posture.synth.params import SynthParams

#: Contact time as a fraction of the step (duty factor 0.3 of the stride: a running gait).
CONTACT_FRAC = 0.6
#: Phase of the lowest pelvis (mid-stance) and the highest (mid-flight).
TROUGH_S = CONTACT_FRAC / 2.0
PELVIS_YAW_AMP_DEG = 6.0
THORAX_YAW_GAIN = -0.8  # the thorax counter-rotates against the pelvis
ARM_SWING_MEAN_DEG = -8.0
ARM_SWING_AMP_DEG = 30.0
ELBOW_MEAN_DEG = 90.0
ELBOW_AMP_DEG = 12.0
#: Steps simulated before the clip starts and after it ends, so every frame has neighbours.
MARGIN_STEPS = 6
#: Steps never shorter/longer than this fraction of the mean step time, however large the CV.
STEP_CLIP = (0.6, 1.4)


@dataclass(frozen=True)
class StepSchedule:
    """Foot-strike times of the whole simulated span.

    Attributes:
        strikes_s: `(m,)` increasing strike times in seconds; the clip covers [0, duration_s].
        left_foot: `(m,)` bool, True where strike `k` is by the runner's left foot.
    """

    strikes_s: np.ndarray
    left_foot: np.ndarray

    @classmethod
    def from_params(cls, params: SynthParams) -> StepSchedule:
        """Draw step durations (mean `60 / cadence`, CV `cadence_cv_pct`) from `params.seed`."""
        rng = np.random.default_rng([params.seed, 1])
        mean_step_s = 60.0 / params.cadence_spm
        n = int(params.duration_s / mean_step_s / STEP_CLIP[0]) + 2 * MARGIN_STEPS + 2
        z = np.clip(rng.standard_normal(n), -2.5, 2.5)
        steps_s = mean_step_s * np.clip(1.0 + params.cadence_cv_pct / 100.0 * z, *STEP_CLIP)
        start_s = -float(np.sum(steps_s[:MARGIN_STEPS])) - rng.uniform(0.0, mean_step_s)
        strikes_s = start_s + np.concatenate([[0.0], np.cumsum(steps_s)])
        first_left = bool(rng.integers(0, 2))
        left_foot = (np.arange(strikes_s.size) % 2 == 0) == first_left
        return cls(strikes_s=strikes_s, left_foot=left_foot)

    def step_at(self, t_s: float) -> tuple[int, float]:
        """Step index `k` and phase `s` in [0, 1) at time `t_s`."""
        k = int(np.searchsorted(self.strikes_s, t_s, side="right")) - 1
        if k < 0 or k >= self.strikes_s.size - 1:
            raise ValueError(f"time {t_s:.3f} s is outside the simulated span")
        t0, t1 = self.strikes_s[k], self.strikes_s[k + 1]
        return k, float((t_s - t0) / (t1 - t0))

    def stance_sign(self, k: int) -> float:
        """+1 when step `k` stands on the left foot, -1 on the right (left is +z)."""
        return 1.0 if self.left_foot[k] else -1.0


@dataclass(frozen=True)
class BodyOscillation:
    """Whole-body values at one instant (cm and degrees)."""

    pelvis_y_cm: float
    pelvis_z_cm: float
    pelvis_yaw_deg: float
    thorax_yaw_deg: float
    trunk_lean_deg: float
    trunk_roll_deg: float  # + tips the trunk toward the body's left (+z)
    head_yaw_deg: float
    arm_fwd_deg: tuple[float, float]  # (left, right) upper arm, relative to the trunk
    elbow_deg: tuple[float, float]


def oscillation(
    params: SynthParams, schedule: StepSchedule, t_s: float, strike_hip_cm: float
) -> BodyOscillation:
    """Body oscillations at `t_s`.

    Args:
        params: clip parameters.
        schedule: step timing.
        t_s: time in seconds.
        strike_hip_cm: pelvis height at foot strike, set by the leg geometry.
    """
    k, s = schedule.step_at(t_s)
    sign = schedule.stance_sign(k)
    half_bounce = params.bounce_cm / 2.0
    mean_y = strike_hip_cm + half_bounce * math.cos(2.0 * math.pi * TROUGH_S)
    # trough at mid-stance, peak at mid-flight; the same at s=0 and s=1, so steps join
    pelvis_y = mean_y - half_bounce * math.cos(2.0 * math.pi * (s - TROUGH_S))
    # half a cosine period per step, flipping with the stance side: over the stance foot
    # at mid-stance, continuous because the sign flips exactly where the cosine does
    pelvis_z = sign * params.lateral_sway_cm / 2.0 * math.cos(math.pi * (s - TROUGH_S))
    pelvis_yaw = -sign * PELVIS_YAW_AMP_DEG * math.cos(math.pi * s)
    swing = -sign * ARM_SWING_AMP_DEG * math.cos(math.pi * s)  # left arm forward at right strike
    elbow = -sign * ELBOW_AMP_DEG * math.cos(math.pi * s)
    lean = params.torso_lean_deg + params.torso_lean_osc_deg * math.cos(
        2.0 * math.pi * (s - TROUGH_S)
    )
    return BodyOscillation(
        pelvis_y_cm=pelvis_y,
        pelvis_z_cm=pelvis_z,
        pelvis_yaw_deg=pelvis_yaw,
        thorax_yaw_deg=THORAX_YAW_GAIN * pelvis_yaw,
        trunk_lean_deg=lean,
        # over the stance foot at mid-stance, like the pelvis sway (left stance: toward +z)
        trunk_roll_deg=sign * params.trunk_roll_deg / 2.0 * math.cos(math.pi * (s - TROUGH_S)),
        head_yaw_deg=sign * params.head_yaw_amp_deg * math.sin(math.pi * (s - TROUGH_S)),
        arm_fwd_deg=(ARM_SWING_MEAN_DEG + swing, ARM_SWING_MEAN_DEG - swing),
        elbow_deg=(ELBOW_MEAN_DEG + elbow, ELBOW_MEAN_DEG - elbow),
    )
