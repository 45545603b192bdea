"""Where bundles live and how they are written: directory resolution, atomic writes,
sha256 and the small JSON sidecar that records which origin made a bundle."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from posture.atomic import atomic_path
from posture.errors import ModelUnavailableError

MODEL_DIR_ENV = "POSTURE_MODEL_DIR"
TEMP_SUFFIX = ".tmp"  # what posture.atomic names its temp files
SIDECAR_SUFFIX = ".json"
_CHUNK_BYTES = 1 << 20


class ProgressFn(Protocol):
    """Progress callback: `done_bytes` of `total_bytes` (None when unknown) for `label`."""

    # Positional-only so any plain function or lambda of the right shape qualifies.
    def __call__(self, done_bytes: int, total_bytes: int | None, label: str, /) -> None:
        """Report progress; must be cheap, it is called once per downloaded chunk."""


@dataclass(frozen=True)
class Provenance:
    """What the sidecar `<bundle>.json` records about a bundle.

    Attributes:
        sha256: hex digest of the bundle when it was written.
        origin: `url`, `pypi` or `manual` (found in place, made by someone else).
        created: ISO-8601 UTC time the bundle was recorded.
        detail: where exactly it came from (the URL or the pip requirement).
    """

    sha256: str
    origin: str
    created: str
    detail: str = ""


def source_checkout_models_dir() -> Path:
    """The `models/` folder of the source checkout this package runs from."""
    return Path(__file__).resolve().parents[2] / "models"


def user_cache_models_dir() -> Path:
    """`$XDG_CACHE_HOME/posture/models`, defaulting to `~/.cache/posture/models`."""
    cache_root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_root) / "posture" / "models"


def resolve_model_dir(model_dir: Path | None = None) -> Path:
    """Pick the bundle folder: argument, `$POSTURE_MODEL_DIR`, checkout `models/`, user cache.

    The checkout folder is used only when it exists and is writable, so an installed
    package (whose `parents[2]` is site-packages' parent) falls through to the user cache.

    Args:
        model_dir: an explicit folder (e.g. the `--model-dir` option), or None.

    Returns:
        The folder (not created here).
    """
    if model_dir is not None:
        return Path(model_dir).expanduser()
    from_env = os.environ.get(MODEL_DIR_ENV)
    if from_env:
        return Path(from_env).expanduser()
    checkout = source_checkout_models_dir()
    if checkout.is_dir() and os.access(checkout, os.W_OK):
        return checkout
    return user_cache_models_dir()


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def sidecar_path(bundle: Path) -> Path:
    """`pose_landmarker_full.task` -> `pose_landmarker_full.task.json`."""
    return bundle.with_name(bundle.name + SIDECAR_SUFFIX)


def read_provenance(bundle: Path) -> Provenance | None:
    """The bundle's sidecar, or None when it is absent or unreadable (treated as unknown)."""
    try:
        data = json.loads(sidecar_path(bundle).read_text(encoding="utf-8"))
        return Provenance(**data)
    except (OSError, ValueError, TypeError):
        return None


def write_provenance(bundle: Path, origin: str, sha256: str, detail: str = "") -> Provenance:
    """Record who made `bundle` in its sidecar (atomically); return the record."""
    created = datetime.now(UTC).replace(microsecond=0).isoformat()
    record = Provenance(sha256=sha256, origin=origin, created=created, detail=detail)
    text = json.dumps(asdict(record), indent=2) + "\n"
    with atomic_path(sidecar_path(bundle)) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return record


def ensure_dir(folder: Path) -> None:
    """Create `folder` (and parents) or raise a one-line error saying what to do.

    Raises:
        ModelUnavailableError: the folder cannot be created or is not writable.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ModelUnavailableError(
            f"cannot create model folder {folder}: {exc.strerror or exc}; "
            f"pass --model-dir or set {MODEL_DIR_ENV} to a writable folder"
        ) from exc
    if not os.access(folder, os.W_OK):
        raise ModelUnavailableError(
            f"model folder {folder} is not writable; "
            f"pass --model-dir or set {MODEL_DIR_ENV} to a writable folder"
        )
