"""Body segment dimensions as fractions of standing height.

Lengths follow the Drillis & Contini segment ratios tabulated by Winter (Biomechanics and Motor
Control of Human Movement): shoulder 0.818 H, elbow 0.630 H, wrist 0.485 H, hip (greater
trochanter) 0.530 H, knee 0.285 H, ankle 0.039 H, foot length 0.152 H, head (chin to vertex)
0.130 H. Widths and girths are typical adult values expressed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BodyDims:
    """Segment lengths and radii of the figure, all in cm.

    Attributes:
        height_cm: standing height, floor to vertex.
        thigh_cm / shank_cm: hip->knee and knee->ankle joint distances.
        upper_arm_cm / forearm_cm / hand_cm: shoulder->elbow, elbow->wrist, wrist->fist end.
        trunk_cm: hip-joint midpoint -> shoulder-joint midpoint, standing neutral.
        shoulder_ear_cm: shoulder-joint midpoint -> ear (tragion) midpoint, standing neutral.
        ankle_height_cm: floor -> ankle joint, foot flat.
        foot_cm: heel -> toe tip.
        hip_half_cm / shoulder_half_cm: half the distance between the two joint centres.
        pelvis_half_cm / chest_half_cm / waist_half_cm: half widths of the trunk outline.
        chest_depth_cm: front-to-back depth of the chest.
    """

    height_cm: float
    thigh_cm: float
    shank_cm: float
    upper_arm_cm: float
    forearm_cm: float
    hand_cm: float
    trunk_cm: float
    shoulder_ear_cm: float
    ankle_height_cm: float
    foot_cm: float
    hip_half_cm: float
    shoulder_half_cm: float
    pelvis_half_cm: float
    chest_half_cm: float
    waist_half_cm: float
    chest_depth_cm: float

    @classmethod
    def from_height(cls, height_cm: float) -> BodyDims:
        """Scale the standard ratios to `height_cm`."""
        h = height_cm
        return cls(
            height_cm=h,
            thigh_cm=(0.530 - 0.285) * h,
            shank_cm=(0.285 - 0.039) * h,
            upper_arm_cm=(0.818 - 0.630) * h,
            forearm_cm=(0.630 - 0.485) * h,
            hand_cm=0.108 * h * 0.6,  # a loose running fist, not an open hand
            trunk_cm=(0.818 - 0.530) * h,
            shoulder_ear_cm=(0.925 - 0.818) * h,  # tragion sits about 0.925 H
            ankle_height_cm=0.039 * h,
            foot_cm=0.152 * h,
            hip_half_cm=0.050 * h,
            shoulder_half_cm=0.105 * h,
            pelvis_half_cm=0.095 * h,
            chest_half_cm=0.095 * h,
            waist_half_cm=0.080 * h,
            chest_depth_cm=0.125 * h,
        )

    @property
    def leg_cm(self) -> float:
        """Hip joint -> ankle joint with the knee straight."""
        return self.thigh_cm + self.shank_cm

    @property
    def hip_height_cm(self) -> float:
        """Hip-joint height above the floor standing."""
        return self.leg_cm + self.ankle_height_cm
