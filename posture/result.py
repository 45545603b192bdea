"""`ClipResult`: everything one analysed clip produced, typed, as every renderer takes it.

The report JSON, HTML page, CSV, annotated video, terminal summary and history row are all
written from one `ClipResult`, so each shows the values computed once by the metrics and rules
stages; dicts appear only where JSON or CSV is written or read.
"""

from __future__ import annotations

from dataclasses import dataclass

from posture.metrics import Analysis
from posture.pose.track import PoseTrack
from posture.report.model import Report
from posture.rules import RuleResult
from posture.source import VideoInfo


@dataclass(frozen=True)
class ClipResult:
    """One analysed clip.

    Attributes:
        report: the JSON-ready report (what `<stem>.report.json` holds).
        track: the pose track the analysis was made on.
        info: the source's container facts (size, timing, rotation).
        analysis: the metrics, None when the clip had no runner to measure.
        rules: every rule's verdict, in the rule file's order (empty without a runner).
    """

    report: Report
    track: PoseTrack
    info: VideoInfo
    analysis: Analysis | None
    rules: tuple[RuleResult, ...] = ()

    @property
    def flagged(self) -> tuple[RuleResult, ...]:
        """Rules at warn or fail, fails first, then the rule file's order."""
        fails = tuple(r for r in self.rules if r.status == "fail")
        return fails + tuple(r for r in self.rules if r.status == "warn")
