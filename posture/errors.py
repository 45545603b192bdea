"""Domain errors. Each carries the exit code the CLI maps it to and a message that says
what was wrong and what to do about it; the CLI prints the message on one line."""

from __future__ import annotations


class PostureError(Exception):
    """Base of every error a user can cause or fix. `exit_code` is what the CLI returns."""

    exit_code: int = 2


class BadInputError(PostureError):
    """The input cannot be read as a video (missing, unreadable, not a video, no frames)."""

    exit_code = 2


class UsageError(PostureError):
    """An option or settings value is out of range or unknown."""

    exit_code = 2


class ModelUnavailableError(PostureError):
    """No source could provide the pose model bundle."""

    exit_code = 5


class NoRunnerError(PostureError):
    """Pose estimation found a person in too few frames to analyse."""

    exit_code = 3


class OutputError(PostureError):
    """An output file could not be written (read-only folder, full disk)."""

    exit_code = 6


class WorkerError(PostureError):
    """A worker process sharing the work of one clip died or failed (`posture.workers`)."""

    exit_code = 2
