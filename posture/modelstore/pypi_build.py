"""Build `pose_landmarker_full.task` offline from the TFLite files in an old mediapipe wheel.

Old `mediapipe` wheels on PyPI (e.g. 0.10.21) carry the pose detector and the full landmark
model as bare TFLite files. A `.task` bundle is a stored (uncompressed) zip of the two models
with TFLite metadata attached; we download the wheel with pip (PyPI is reachable where
Google's model storage is not), extract the two members, attach metadata and zip them with
fixed timestamps and order so every build gives the same bytes.
"""

from __future__ import annotations

import hashlib
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from posture.errors import ModelUnavailableError
from posture.modelstore.files import ProgressFn
from posture.modelstore.registry import PypiSource
from posture.modelstore.tflite_metadata import DETECTOR_SPEC, LANDMARKS_SPEC, add_metadata

DETECTOR_ENTRY = "pose_detector.tflite"
LANDMARKS_ENTRY = "pose_landmarks_detector.tflite"
# The zip epoch: any fixed stamp makes the archive reproducible; this is the earliest legal.
_ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)
# rw-r--r-- regular file, in the high 16 bits as zip stores Unix modes.
_ZIP_FILE_MODE = 0o100644 << 16
# Member data alignment; TFLite wants >= 16 for zero-copy weights, 64 covers SIMD loads too.
DATA_ALIGN_BYTES = 64
_LOCAL_HEADER_BYTES = 30
# zipalign's extra-field id; the field holds a 2-byte alignment value then zero padding.
_ALIGN_EXTRA_ID = 0xD935
_ALIGN_FIELD_BYTES = 6
_PIP_TIMEOUT_S = 600
_PIP_SOCKET_TIMEOUT_S = 30


def build_bundle(source: PypiSource, dest: Path, progress: ProgressFn | None = None) -> None:
    """Download the wheel named by `source`, build the bundle and write it to `dest`.

    The wheel goes to a private temp folder that is removed afterwards; `dest` is written
    directly, so callers pass a temp path and move it into place themselves.

    Args:
        source: which wheel and members to use (from the registry).
        dest: file to write the `.task` zip to.
        progress: optional callback for coarse progress (pip reports no byte counts).

    Raises:
        ModelUnavailableError: pip failed, a member is missing or has the wrong digest.
    """
    with tempfile.TemporaryDirectory(prefix="posture-wheel-") as tmp:
        wheel = download_wheel(source, Path(tmp), progress)
        detector, landmarks = extract_members(source, wheel)
        wheel.unlink()
    write_bundle(detector, landmarks, dest)


def download_wheel(source: PypiSource, folder: Path, progress: ProgressFn | None = None) -> Path:
    """Run `python -m pip download` for the exact wheel; return the wheel's path.

    Raises:
        ModelUnavailableError: pip failed or produced no wheel.
    """
    label = f"pip download {source.requirement} (~{source.wheel_size_mb:.0f} MB)"
    total_bytes = int(source.wheel_size_mb * 1e6) or None
    if progress is not None:
        progress(0, total_bytes, label)
    command = [
        sys.executable, "-m", "pip", "download", source.requirement,
        "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "--no-input",
        "--quiet", f"--timeout={_PIP_SOCKET_TIMEOUT_S}",
        "--python-version", source.python_version, "--platform", source.platform,
        "--dest", str(folder),
    ]  # fmt: skip
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=_PIP_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ModelUnavailableError(f"pip download {source.requirement} failed: {exc}") from exc
    wheels = sorted(folder.glob("*.whl"))
    if result.returncode != 0 or not wheels:
        raise ModelUnavailableError(
            f"pip download {source.requirement} failed: {_last_line(result.stderr)}"
        )
    if progress is not None:
        size = wheels[0].stat().st_size
        progress(size, size, label)
    return wheels[0]


def extract_members(source: PypiSource, wheel: Path) -> tuple[bytes, bytes]:
    """Read the detector and landmark TFLite files from the wheel, checking their digests.

    Returns:
        (detector bytes, landmark model bytes).

    Raises:
        ModelUnavailableError: the wheel is unreadable, a member is missing or differs.
    """
    members = (
        (source.detector_member, source.detector_sha256),
        (source.landmarks_member, source.landmarks_sha256),
    )
    found: list[bytes] = []
    try:
        with zipfile.ZipFile(wheel) as archive:
            for member, expected in members:
                data = archive.read(member)
                actual = hashlib.sha256(data).hexdigest()
                if expected and actual != expected:
                    raise ModelUnavailableError(
                        f"{member} in {wheel.name} has sha256 {actual}, expected {expected}"
                    )
                found.append(data)
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ModelUnavailableError(f"cannot read models from {wheel.name}: {exc}") from exc
    return found[0], found[1]


def write_bundle(detector: bytes, landmarks: bytes, dest: Path) -> None:
    """Attach metadata to both models and write them as a reproducible `.task` zip.

    Each member's data starts on a 64-byte boundary of the file, so when MediaPipe maps the
    bundle its TFLite weights are aligned and need no copy (it warns otherwise).
    """
    entries = (
        (DETECTOR_ENTRY, add_metadata(detector, DETECTOR_SPEC)),
        (LANDMARKS_ENTRY, add_metadata(landmarks, LANDMARKS_SPEC)),
    )
    with dest.open("wb") as handle, zipfile.ZipFile(handle, "w") as archive:
        for name, data in entries:
            archive.writestr(_member_info(name, handle.tell()), data)


def _member_info(name: str, header_offset: int) -> zipfile.ZipInfo:
    """A stored-member header with fixed metadata, padded so its data is aligned."""
    info = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = _ZIP_FILE_MODE
    # Pin the creator so the central directory does not depend on the host OS.
    info.create_system = 3
    # Padding goes in an extra field as Android's zipalign does: id, size, alignment, zeros.
    data_offset = header_offset + _LOCAL_HEADER_BYTES + len(name.encode()) + _ALIGN_FIELD_BYTES
    padding = -data_offset % DATA_ALIGN_BYTES
    info.extra = struct.pack(
        "<HHH", _ALIGN_EXTRA_ID, _ALIGN_FIELD_BYTES - 4 + padding, DATA_ALIGN_BYTES
    ) + bytes(padding)
    return info


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no error output"
