"""`posture drill`: count and check the source text's core-training exercises.

Exercises are data (`drills.toml`, loaded by `load_drills`); the angles are functions on
pose-track arrays (`angles`); `RepCounter` and `DrillTracker` (`counter`) are stateful stages,
`update(...) -> event | None` with no I/O, that serve a recording and a live camera alike.
"""

from posture.drills.loader import load_drills
from posture.drills.model import DrillBook, Exercise, Rep, RepCycle

__all__ = ["DrillBook", "Exercise", "Rep", "RepCycle", "load_drills"]
