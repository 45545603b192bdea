"""Report stage: the analysed clip as JSON, terminal summary (and later HTML, video)."""

from posture.report.model import SCHEMA_VERSION, Report

__all__ = ["SCHEMA_VERSION", "Report"]
