"""Resume: which clips a re-run can skip, and the marker that says a clip is finished.

A clip is finished when its sidecar `DIR/<name>.batch.json` exists. The sidecar is written
last, after every output file of the clip is in place (each written atomically), so a run
killed at any moment leaves either a finished clip or one that is redone. A re-run skips a
clip when its sidecar records the same input SHA-256, the same settings digest and files that
are all still present.

The settings digest covers every setting that can change a report (not `model_dir`, which
says where the model is, not which), the content of a custom rules file, and the posture
version.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from posture import __version__
from posture.atomic import write_atomic
from posture.errors import BadInputError
from posture.gate.files import OWN_JSON, read_text
from posture.pipeline import settings_section
from posture.settings import Settings

SIDECAR_SUFFIX = ".batch.json"
SIDECAR_SCHEMA = 1
_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Sidecar:
    """What a finished clip recorded about itself.

    Attributes:
        input_path: the clip, as analysed.
        input_sha256: SHA-256 of the clip's bytes.
        settings_sha256: `settings_digest` of the settings used.
        status: the report's status (`ok` or `no_runner`).
        elapsed_s: wall time the analysis took.
        files: suffixes of the clip's output files (`.report.json`, `.pose.npz`, ...).
    """

    input_path: str
    input_sha256: str
    settings_sha256: str
    status: str
    elapsed_s: float
    files: tuple[str, ...]


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes.

    Raises:
        BadInputError: the file cannot be read.
    """
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(_CHUNK_BYTES):
                digest.update(chunk)
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read it ({exc.strerror})") from exc
    return digest.hexdigest()


def settings_digest(settings: Settings) -> str:
    """Hex SHA-256 of everything in `settings` that can change a report."""
    data: dict[str, Any] = settings_section(settings)
    data["pose"].pop("model_dir", None)
    rules = settings.analysis.rules_path
    data["rules_sha256"] = file_sha256(rules) if rules is not None else None
    data["posture_version"] = __version__
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()


def sidecar_path(out_dir: Path, name: str) -> Path:
    return out_dir / f"{name}{SIDECAR_SUFFIX}"


def write_sidecar(out_dir: Path, name: str, sidecar: Sidecar) -> Path:
    """Mark a clip finished (atomically); call only after all its files are written."""
    data = {"schema": SIDECAR_SCHEMA, **asdict(sidecar), "finished_unix_s": round(time.time())}
    return write_atomic(sidecar_path(out_dir, name), json.dumps(data, indent=2) + "\n")


def read_sidecar(out_dir: Path, name: str) -> Sidecar | None:
    """The clip's sidecar, or None when absent or unreadable (the clip is then redone)."""
    path = sidecar_path(out_dir, name)
    try:
        data = json.loads(read_text(path, OWN_JSON))  # never blocks on a FIFO placed there
        if data.get("schema") != SIDECAR_SCHEMA:
            return None
        return Sidecar(
            input_path=str(data["input_path"]),
            input_sha256=str(data["input_sha256"]),
            settings_sha256=str(data["settings_sha256"]),
            status=str(data["status"]),
            elapsed_s=float(data["elapsed_s"]),
            files=tuple(data["files"]),
        )
    except BadInputError:
        return None  # absent, or not a regular file (a FIFO placed there): the clip is redone
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        # A damaged marker only costs a re-analysis, which also rewrites it.
        return None


def finished(out_dir: Path, name: str, clip: Path, digest: str) -> Sidecar | None:
    """The sidecar of a clip a re-run may skip, else None.

    Hashes the clip only when a sidecar with the same settings digest exists.
    """
    sidecar = read_sidecar(out_dir, name)
    if sidecar is None or sidecar.settings_sha256 != digest:
        return None
    if not all((out_dir / f"{name}{suffix}").is_file() for suffix in sidecar.files):
        return None
    try:
        same_input = file_sha256(clip) == sidecar.input_sha256
    except BadInputError:
        return None
    return sidecar if same_input else None


def forget(out_dir: Path, name: str) -> None:
    """Drop a clip's finished marker (its outputs are stale or about to be replaced)."""
    sidecar_path(out_dir, name).unlink(missing_ok=True)


def remove_stale_temp_files(out_dir: Path) -> list[Path]:
    """Delete temp files a killed run left in `out_dir` (`.<name>.<random>.tmp`).

    Only safe while holding the batch lock: no other writer can own them.
    """
    removed = []
    for entry in os.scandir(out_dir):
        if entry.name.startswith(".") and entry.name.endswith(".tmp") and entry.is_file():
            Path(entry.path).unlink(missing_ok=True)
            removed.append(Path(entry.path))
    return removed
