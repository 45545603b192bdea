"""The pose model store: find, download or build MediaPipe PoseLandmarker `.task` bundles.

Bundles are named `pose_landmarker_{variant}.task` and live in the folder chosen by
`resolve_model_dir` (argument, `$POSTURE_MODEL_DIR`, the checkout's `models/`, or
`~/.cache/posture/models`). `ensure_model` tries the sources `file`, `url` and `pypi` in
the order given by `$POSTURE_MODEL_SOURCES`; only `full` can be built from PyPI.

This package does no terminal output; front ends pass a `ProgressFn` to show progress.

Example:
    >>> from posture.modelstore import ensure_model
    >>> ensure_model("full")  # doctest: +SKIP
    PosixPath('.../models/pose_landmarker_full.task')
"""

from __future__ import annotations

from posture.modelstore.files import MODEL_DIR_ENV, ProgressFn, resolve_model_dir
from posture.modelstore.registry import load_registry
from posture.modelstore.store import (
    SOURCES,
    SOURCES_ENV,
    ModelStatus,
    default_sources,
    ensure_model,
    list_models,
)

__all__ = [
    "MODEL_DIR_ENV",
    "SOURCES",
    "SOURCES_ENV",
    "ModelStatus",
    "ProgressFn",
    "default_sources",
    "ensure_model",
    "list_models",
    "load_registry",
    "resolve_model_dir",
]
