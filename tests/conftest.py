"""Shared fixtures: real footage from ../shared/samples (skipped when absent) and the model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_SAMPLES = ROOT.parent / "shared" / "samples"

# Tests never reach a host other than PyPI: the model comes from a file or the PyPI build.
os.environ.setdefault("POSTURE_MODEL_SOURCES", "file,pypi")


def shared_clip(name: str) -> Path:
    """A clip from ../shared/samples, or skip the test saying why."""
    path = SHARED_SAMPLES / name
    if not path.is_file():
        pytest.skip(f"real footage {path} is absent (it is only in the project's workspace)")
    return path


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The full pose model, built from PyPI into models/ on first use."""
    from posture.modelstore import ensure_model

    return ensure_model("full")
