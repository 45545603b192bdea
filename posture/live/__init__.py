"""Live feedback while running: newest camera frame -> pose -> the same metrics and rules as
`posture check` (run causally) -> ONE cue at a time -> a window or a terminal panel; at the
end, the session's report from the same core as `posture check` plus a `live` section.

Stages with state and no I/O: `LiveFeedback` (`posture.live.feedback`), `RuleMonitor` and
`CueSelector` (`posture.live.cues`), `Calibrator` (`posture.live.calibration`). The I/O is in
`SessionLoop` / `run_live` (`posture.live.session`) and the front ends (`display`, `window`).
"""

from posture.live.calibration import Baselines, CalibrationState, Calibrator
from posture.live.cues import Cue, CueSelector, RuleMonitor
from posture.live.feedback import Feedback, LiveFeedback

__all__ = [
    "Baselines",
    "CalibrationState",
    "Calibrator",
    "Cue",
    "CueSelector",
    "Feedback",
    "LiveFeedback",
    "RuleMonitor",
]
