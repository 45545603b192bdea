"""The model registry: which pose bundle variants exist and where each can come from.

The data lives in a commented TOML (`models/registry.toml` in a source checkout,
`posture/modelstore/registry.toml` inside an installed wheel); this module only parses and
validates it into frozen dataclasses.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from posture.errors import ModelUnavailableError

REGISTRY_FILENAME = "registry.toml"
_SHA256_HEX_LEN = 64


@dataclass(frozen=True)
class UrlSource:
    """The official download of one bundle.

    Attributes:
        url: HTTPS address of the `.task` file.
        sha256: expected hex digest, or "" when unknown (then only a load check is done).
    """

    url: str
    sha256: str = ""


@dataclass(frozen=True)
class PypiSource:
    """A bundle built from the TFLite files inside a wheel on PyPI.

    Attributes:
        package: distribution name on PyPI, e.g. `mediapipe`.
        version: exact version to download.
        python_version: `--python-version` passed to pip (the wheel tag to pick).
        platform: `--platform` passed to pip.
        wheel_size_mb: approximate wheel size, for progress messages.
        detector_member: path of the person-detector TFLite inside the wheel.
        detector_sha256: its expected digest ("" to skip the check).
        landmarks_member: path of the landmark TFLite inside the wheel.
        landmarks_sha256: its expected digest ("" to skip the check).
        sha256: expected digest of the built bundle ("" when not recorded yet).
    """

    package: str
    version: str
    python_version: str
    platform: str
    detector_member: str
    landmarks_member: str
    wheel_size_mb: float = 0.0
    detector_sha256: str = ""
    landmarks_sha256: str = ""
    sha256: str = ""

    @property
    def requirement(self) -> str:
        """The pip requirement string, e.g. `mediapipe==0.10.21`."""
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class VariantEntry:
    """Everything known about one variant (`lite`, `full`, `heavy`).

    Attributes:
        variant: the variant name.
        size_mb: approximate bundle size in MB.
        url: the official download, if any.
        pypi: the PyPI build recipe, if any.
    """

    variant: str
    size_mb: float
    url: UrlSource | None = None
    pypi: PypiSource | None = None

    @property
    def filename(self) -> str:
        """The bundle's file name, `pose_landmarker_{variant}.task`."""
        return f"pose_landmarker_{self.variant}.task"

    def expected_sha256(self, origin: str | None) -> str:
        """The recorded digest for bundles made by `origin` (`url`/`pypi`), or ""."""
        if origin == "url" and self.url is not None:
            return self.url.sha256
        if origin == "pypi" and self.pypi is not None:
            return self.pypi.sha256
        return ""

    @property
    def origins(self) -> tuple[str, ...]:
        """The remote origins this variant can be obtained from, in registry order."""
        found = (("url", self.url), ("pypi", self.pypi))
        return tuple(name for name, source in found if source is not None)


@dataclass(frozen=True)
class Registry:
    """All variants, keyed by name; `path` says which file they were read from."""

    variants: dict[str, VariantEntry]
    path: Path

    def get(self, variant: str) -> VariantEntry:
        """Return the entry for `variant`.

        Raises:
            ModelUnavailableError: the variant is not in the registry.
        """
        try:
            return self.variants[variant]
        except KeyError:
            known = ", ".join(sorted(self.variants))
            raise ModelUnavailableError(
                f"unknown pose model variant {variant!r}; known variants: {known} "
                f"(from {self.path})"
            ) from None


def default_registry_path() -> Path:
    """Locate registry.toml: next to this module in a wheel, else in the checkout's models/.

    Raises:
        ModelUnavailableError: neither file exists.
    """
    candidates = (
        Path(__file__).resolve().parent / REGISTRY_FILENAME,
        Path(__file__).resolve().parents[2] / "models" / REGISTRY_FILENAME,
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    tried = ", ".join(str(c) for c in candidates)
    raise ModelUnavailableError(f"model registry not found (looked at {tried}); reinstall posture")


def load_registry(path: Path | None = None) -> Registry:
    """Parse and validate the registry TOML.

    Args:
        path: file to read; None means `default_registry_path()`.

    Returns:
        The registry.

    Raises:
        ModelUnavailableError: the file is missing, not TOML, or has unknown/missing keys.
    """
    path = path or default_registry_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ModelUnavailableError(f"cannot read model registry {path}: {exc}") from exc
    _check_keys(data, {"schema_version", "variants"}, str(path))
    variants = {
        name: _parse_variant(name, table, f"{path} [variants.{name}]")
        for name, table in data.get("variants", {}).items()
    }
    return Registry(variants=variants, path=path)


def _parse_variant(name: str, table: dict[str, Any], where: str) -> VariantEntry:
    _check_keys(table, {"size_mb", "url", "pypi"}, where)
    url = table.get("url")
    pypi = table.get("pypi")
    return VariantEntry(
        variant=name,
        size_mb=float(table.get("size_mb", 0.0)),
        url=_build(UrlSource, url, f"{where}.url") if url is not None else None,
        pypi=_build(PypiSource, pypi, f"{where}.pypi") if pypi is not None else None,
    )


_Entry = TypeVar("_Entry", UrlSource, PypiSource)


def _build(cls: type[_Entry], table: dict[str, Any], where: str) -> _Entry:
    fields = set(cls.__dataclass_fields__)
    _check_keys(table, fields, where)
    try:
        entry = cls(**table)
    except TypeError as exc:
        raise ModelUnavailableError(f"bad model registry entry {where}: {exc}") from exc
    for key, value in table.items():
        if key.endswith("sha256") and value and len(value) != _SHA256_HEX_LEN:
            raise ModelUnavailableError(
                f"bad model registry entry {where}: {key} must be 64 hex digits, got {value!r}"
            )
    return entry


def _check_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ModelUnavailableError(
            f"unknown key(s) {', '.join(unknown)} in model registry {where}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
