"""MediaPipe BlazePose landmark indices (33 points) and the left/right pairs.

Only names live here, so the metrics stage can use them without importing MediaPipe.
"""

from __future__ import annotations

from enum import IntEnum

N_LANDMARKS = 33


class LM(IntEnum):
    """Landmark index in the second axis of `PoseTrack.landmarks`."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


def _partner(name: str) -> str:
    return name.replace("LEFT", "RIGHT") if "LEFT" in name else name.replace("RIGHT", "LEFT")


#: (left, right) index pairs; swapping them mirrors the body.
LEFT_RIGHT_PAIRS: tuple[tuple[int, int], ...] = tuple(
    (lm.value, LM[_partner(lm.name)].value) for lm in LM if "LEFT" in lm.name
)

#: Permutation that swaps every left landmark with its right partner (nose stays).
MIRROR_PERMUTATION: tuple[int, ...] = tuple(LM[_partner(lm.name)].value for lm in LM)
