"""Per-frame posture geometry on landmark arrays; the same functions serve files and live.

Every function takes image landmarks `lm` of shape `(..., 33, C)` with C >= 2 (x_px, y_px
first; image y points DOWN) and returns one value per frame `(...)`, NaN where the inputs are
NaN. `forward` `(...)` is +1 when the runner travels toward +x (faces right on screen) and -1
when toward -x, so signed angles mean the same whichever way the runner faces.

Only midpoints of left/right pairs and left/right-pooled quantities are used, so a MediaPipe
left/right label swap cannot change any value here.
"""

from __future__ import annotations

import numpy as np

from posture.pose.landmarks import LM


def midpoint(lm: np.ndarray, left: int, right: int) -> np.ndarray:
    """`(..., 2)` image midpoint of landmarks `left` and `right` in pixels."""
    return 0.5 * (lm[..., left, :2] + lm[..., right, :2])


def hip_mid(lm: np.ndarray) -> np.ndarray:
    return midpoint(lm, LM.LEFT_HIP, LM.RIGHT_HIP)


def shoulder_mid(lm: np.ndarray) -> np.ndarray:
    return midpoint(lm, LM.LEFT_SHOULDER, LM.RIGHT_SHOULDER)


def ear_mid(lm: np.ndarray) -> np.ndarray:
    return midpoint(lm, LM.LEFT_EAR, LM.RIGHT_EAR)


def from_vertical_deg(v: np.ndarray, forward: np.ndarray | float) -> np.ndarray:
    """Angle of image vectors `v` `(..., 2)` from image-up, + toward travel, in degrees."""
    return np.degrees(np.arctan2(forward * v[..., 0], -v[..., 1]))


def wrap_deg(a: np.ndarray) -> np.ndarray:
    """Angles wrapped into [-180, 180)."""
    return (a + 180.0) % 360.0 - 180.0


def torso_lean_deg(lm: np.ndarray, forward: np.ndarray | float) -> np.ndarray:
    """Hip-mid -> shoulder-mid angle from image vertical; + leaning toward travel."""
    return from_vertical_deg(shoulder_mid(lm) - hip_mid(lm), forward)


def eye_mid(lm: np.ndarray) -> np.ndarray:
    return midpoint(lm, LM.LEFT_EYE, LM.RIGHT_EYE)


def mouth_mid(lm: np.ndarray) -> np.ndarray:
    return midpoint(lm, LM.MOUTH_LEFT, LM.MOUTH_RIGHT)


def below_horizontal_deg(v: np.ndarray, forward: np.ndarray | float) -> np.ndarray:
    """Angle of image vectors `v` `(..., 2)` below the horizontal toward travel, degrees."""
    return np.degrees(np.arctan2(v[..., 1], forward * v[..., 0]))


#: The face lines head pitch reads: (name, from point, to point). A chin-down nod of theta
#: turns every one of them by +theta below the horizontal, whichever way the runner faces.
FACE_LINES = (
    ("ear_nose", ear_mid, lambda lm: lm[..., LM.NOSE, :2]),
    ("ear_eye", ear_mid, eye_mid),
    ("ear_mouth", ear_mid, mouth_mid),
    ("eye_mouth", eye_mid, mouth_mid),
)


def face_line_angles_deg(lm: np.ndarray, forward: np.ndarray | float) -> np.ndarray:
    """`(..., 4)` angle of each of `FACE_LINES` below horizontal toward travel, degrees."""
    return np.stack(
        [below_horizontal_deg(b(lm) - a(lm), forward) for _, a, b in FACE_LINES], axis=-1
    )


def head_pitch_deg(
    lm: np.ndarray,
    forward: np.ndarray | float,
    neutral_deg: tuple[float, ...],
    offset_deg: float = 0.0,
) -> np.ndarray:
    """Chin-down head rotation from a level gaze, degrees; + looking down.

    Each face line's angle minus its neutral (`neutral_deg`, one per `FACE_LINES` entry) is
    one reading of the nod; the median of the readings present is the pitch, so one badly
    placed point (a mouth corner in shadow, an inferred far ear) cannot decide it.
    `offset_deg` is a runner's own level gaze (live calibration), 0 by default.
    """
    readings = face_line_angles_deg(lm, forward) - np.asarray(neutral_deg, np.float64)
    readings = wrap_deg(readings)
    ok = np.isfinite(readings).any(axis=-1)
    out = np.full(ok.shape, np.nan)
    out[ok] = np.nanmedian(readings[ok], axis=-1)
    return out - offset_deg


def neck_flexion_deg(lm: np.ndarray, forward: np.ndarray | float) -> np.ndarray:
    """Shoulder-mid -> ear-mid line against the torso line; + ear ahead (head carried forward)."""
    sm = shoulder_mid(lm)
    neck = from_vertical_deg(ear_mid(lm) - sm, forward)
    torso = from_vertical_deg(sm - hip_mid(lm), forward)
    return wrap_deg(neck - torso)


def torso_length_px(lm: np.ndarray) -> np.ndarray:
    """|shoulder-mid -> hip-mid| in pixels."""
    return np.linalg.norm(shoulder_mid(lm) - hip_mid(lm), axis=-1)


def ear_shoulder_over_torso(lm: np.ndarray) -> np.ndarray:
    """r = |ear-mid -> shoulder-mid| / |shoulder-mid -> hip-mid| (image pixels)."""
    neck = np.linalg.norm(ear_mid(lm) - shoulder_mid(lm), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return neck / torso_length_px(lm)


def shoulder_hunch_pct(r: np.ndarray, r_neutral: float) -> np.ndarray:
    """How much shorter the ear -> shoulder distance is than neutral, % (+ = shrugged)."""
    return (r_neutral - r) / r_neutral * 100.0


def shoulder_rounding_pct_torso(lm: np.ndarray, forward: np.ndarray | float) -> np.ndarray:
    """Signed distance of shoulder-mid from the hip-mid -> ear-mid line, % torso; + ahead."""
    h, s, e = hip_mid(lm), shoulder_mid(lm), ear_mid(lm)
    axis = e - h
    rel = s - h
    cross = axis[..., 0] * rel[..., 1] - axis[..., 1] * rel[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        dist = cross / np.linalg.norm(axis, axis=-1)
    # With image y down and the axis pointing up, a point toward +x gives a positive cross.
    return forward * dist / torso_length_px(lm) * 100.0


def head_yaw_deg(lm: np.ndarray, depth_over_half_width: float) -> np.ndarray:
    """Head yaw in front/rear views from the nose offset between the ears, degrees.

    For a rigid head with ears at +/-w and the nose tip a depth d ahead, yaw theta projects
    to nose offset d*sin(theta) and half ear spacing w*cos(theta), so
    theta = atan(offset / (d/w * half spacing)). The sign depends on the view; only the
    per-stride range is reported.
    """
    offset = lm[..., LM.NOSE, 0] - ear_mid(lm)[..., 0]
    half = 0.5 * np.abs(lm[..., LM.LEFT_EAR, 0] - lm[..., LM.RIGHT_EAR, 0])
    return np.degrees(np.arctan2(offset, depth_over_half_width * half))


def segment_lengths_px(lm: np.ndarray, ndim: int = 2) -> dict[str, np.ndarray]:
    """Lengths `(..., 2)` (left, right) of thighs and shanks using the first `ndim`
    coordinates (2: image pixels; 3 for world landmarks in metres)."""

    def seg(a: tuple[int, int], b: tuple[int, int]) -> np.ndarray:
        return np.linalg.norm(lm[..., list(a), :ndim] - lm[..., list(b), :ndim], axis=-1)

    hips, knees, ankles = (
        (LM.LEFT_HIP, LM.RIGHT_HIP),
        (LM.LEFT_KNEE, LM.RIGHT_KNEE),
        (LM.LEFT_ANKLE, LM.RIGHT_ANKLE),
    )
    return {"thigh": seg(hips, knees), "shank": seg(knees, ankles)}


def width_ratio(lm: np.ndarray) -> np.ndarray:
    """(shoulder width + hip width) / (2 x torso length), image x only: ~0 side, ~0.6 front."""
    sw = np.abs(lm[..., LM.LEFT_SHOULDER, 0] - lm[..., LM.RIGHT_SHOULDER, 0])
    hw = np.abs(lm[..., LM.LEFT_HIP, 0] - lm[..., LM.RIGHT_HIP, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        return (sw + hw) / (2.0 * torso_length_px(lm))


def trunk_roll_deg(lm: np.ndarray) -> np.ndarray:
    """Front/rear view: hip-mid -> shoulder-mid from vertical in the image, + toward image +x."""
    return from_vertical_deg(shoulder_mid(lm) - hip_mid(lm), 1.0)


#: A frame's shoulder line is read only when the shoulders are at least this many torso
#: lengths apart in the image (front/rear views: ~0.8).
SHOULDER_LINE_MIN_TORSO = 0.4


def shoulder_tilt_deg(lm: np.ndarray) -> np.ndarray:
    """Front/rear view: the shoulder line from horizontal, + the image-right shoulder higher.

    Measured from the shoulder on the image's left to the one on its right, so the sign does
    not depend on which way the runner faces or on MediaPipe's left/right labels.
    """
    ls, rs = lm[..., LM.LEFT_SHOULDER, :2], lm[..., LM.RIGHT_SHOULDER, :2]
    left_first = ls[..., 0] <= rs[..., 0]
    a = np.where(left_first[..., None], ls, rs)
    b = np.where(left_first[..., None], rs, ls)
    d = b - a
    tilt = np.degrees(np.arctan2(-d[..., 1], d[..., 0]))
    # Shoulders drawn together on screen (MediaPipe placing both on one side, a runner turned
    # away) leave the line's direction to noise: such frames carry no tilt. Facing the camera
    # or away, the shoulders are ~0.8 torso lengths apart (biacromial ~40 cm, torso ~50 cm).
    with np.errstate(invalid="ignore"):
        apart = np.hypot(d[..., 0], d[..., 1]) >= SHOULDER_LINE_MIN_TORSO * torso_length_px(lm)
    return np.where(apart, tilt, np.nan)


def arm_crossing_pct_shoulder(lm: np.ndarray) -> np.ndarray:
    """Front/rear view: how far the wrist that reaches furthest passes the body's midline.

    Each wrist's distance past the shoulder-mid -> hip-mid midline toward the other side, in %
    of shoulder width; 0 or below means neither wrist crosses. The larger of the two.
    """
    mid_x = (shoulder_mid(lm)[..., 0] + hip_mid(lm)[..., 0]) / 2.0
    ls_x, rs_x = lm[..., LM.LEFT_SHOULDER, 0], lm[..., LM.RIGHT_SHOULDER, 0]
    width = np.abs(rs_x - ls_x)
    with np.errstate(invalid="ignore", divide="ignore"):
        own_l = np.sign(ls_x - mid_x)  # the side the left arm belongs to
        cross_l = (mid_x - lm[..., LM.LEFT_WRIST, 0]) * own_l
        cross_r = (mid_x - lm[..., LM.RIGHT_WRIST, 0]) * -own_l
        return np.fmax(cross_l, cross_r) / width * 100.0
