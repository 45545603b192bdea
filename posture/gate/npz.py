"""Reading an `.npz` someone else may have made: members, dtypes and sizes checked first.

`np.load` trusts the archive: an 8 MB file of zeros can declare an array of gigabytes, and a
file that is not a zip at all is tried as a pickle (hence NumPy's `allow_pickle` advice).
Here each member's `.npy` header (shape and dtype, a few hundred bytes at the start of the
member) is read and checked against what the caller expects before a single array is
decompressed, so memory is bounded by what the caller allows.
"""

from __future__ import annotations

import io
import math
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from posture.gate.files import FileKind, read_bounded

_ZIP_MAGIC = b"PK\x03\x04"
_MAX_HEADER_BYTES = 10_000


@dataclass(frozen=True)
class ArraySpec:
    """What one member must be.

    Attributes:
        kinds: allowed dtype kinds (`"f"` float, `"i"` int, `"U"` text, ...); objects never.
        shape: `None` entries are free dimensions, ints are fixed sizes; `n` marks the
            dimension every `n`-array shares (the frame count).
    """

    kinds: str
    shape: tuple[int | str | None, ...]


class NpzProblem(ValueError):
    """What is wrong with the archive, in words (the caller adds the path and the hint)."""


def _header(archive: zipfile.ZipFile, name: str) -> tuple[tuple[int, ...], np.dtype]:
    with archive.open(name) as member:
        try:
            version = npy_format.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = npy_format.read_array_header_1_0(member, _MAX_HEADER_BYTES)
            elif version in ((2, 0), (3, 0)):
                shape, _, dtype = npy_format.read_array_header_2_0(member, _MAX_HEADER_BYTES)
            else:
                raise NpzProblem(f"member {name} has .npy version {version}")
        except (ValueError, SyntaxError, EOFError, TypeError) as exc:
            if isinstance(exc, NpzProblem):
                raise
            raise NpzProblem(f"member {name} is not a NumPy array ({exc})") from exc
    return tuple(int(d) for d in shape), dtype


def _check_member(
    name: str, shape: tuple[int, ...], dtype: np.dtype, spec: ArraySpec, sizes: dict[str, int]
) -> int:
    """Check one header against its spec; returns the array's size in bytes."""
    if dtype.hasobject or dtype.kind not in spec.kinds:
        raise NpzProblem(f"{name} has dtype {dtype}, expected one of kinds {spec.kinds!r}")
    if len(shape) != len(spec.shape):
        raise NpzProblem(f"{name} has {len(shape)} dimensions, expected {len(spec.shape)}")
    for actual, wanted in zip(shape, spec.shape, strict=True):
        if isinstance(wanted, str):
            if sizes.setdefault(wanted, actual) != actual:
                raise NpzProblem(f"{name} has {actual} rows, other arrays have {sizes[wanted]}")
        elif wanted is not None and actual != wanted:
            raise NpzProblem(f"{name} has shape {shape}, expected {spec.shape}")
    return math.prod(shape) * dtype.itemsize


def read_npz(
    path: Path,
    kind: FileKind,
    specs: Mapping[str, ArraySpec],
    max_array_bytes: int,
    *,
    optional: tuple[str, ...] = (),
) -> dict[str, np.ndarray]:
    """Every member of `specs` from the archive at `path`, after checking every header
    (members named in `optional` may be absent and are then left out).

    Raises:
        kind.error: see `read_bounded` (not a regular file, too large).
        NpzProblem: not a zip, a member missing or unexpected, a dtype, shape or declared
            size that is not allowed.
    """
    data = read_bounded(path, kind)
    if not data.startswith(_ZIP_MAGIC):
        raise NpzProblem("not a zip archive")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise NpzProblem(f"damaged zip archive ({exc})") from exc
    with archive:
        members = {n.removesuffix(".npy"): n for n in archive.namelist()}
        missing = sorted(set(specs) - set(members) - set(optional))
        specs = {k: v for k, v in specs.items() if k in members}
        extra = sorted(set(members) - set(specs))
        if missing or extra:
            raise NpzProblem(f"members {missing or extra} {'missing' if missing else 'unknown'}")
        sizes: dict[str, int] = {}
        total = 0
        try:
            for name, spec in specs.items():
                shape, dtype = _header(archive, members[name])
                total += _check_member(name, shape, dtype, spec, sizes)
            if total > max_array_bytes:
                raise NpzProblem(
                    f"its arrays would take {total / 1e6:.0f} MB, more than a pose track "
                    f"can ({max_array_bytes / 1e6:.0f} MB)"
                )
            return {name: _array(archive, members[name]) for name in specs}
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError) as exc:
            raise NpzProblem(f"damaged zip archive ({exc})") from exc


def _array(archive: zipfile.ZipFile, name: str) -> np.ndarray:
    with archive.open(name) as member:
        try:
            return npy_format.read_array(member, allow_pickle=False)
        except ValueError as exc:
            raise NpzProblem(f"member {name} is damaged ({exc})") from exc
