"""Shared fixtures: real footage from ../shared/samples (skipped when absent) and the model."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# ../shared/samples beside the clone; a checkout elsewhere (a git worktree) may name it.
SHARED_SAMPLES = Path(os.environ.get("POSTURE_SHARED_SAMPLES", ROOT.parent / "shared" / "samples"))

# Tests never reach a host other than PyPI: the model comes from a file or the PyPI build.
os.environ.setdefault("POSTURE_MODEL_SOURCES", "file,pypi")


@pytest.fixture(autouse=True)
def _private_history(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Runs of `posture check` in tests never touch the user's history database."""
    if "POSTURE_HISTORY_DB" not in os.environ:
        db = tmp_path_factory.getbasetemp() / "history.sqlite"
        monkeypatch.setenv("POSTURE_HISTORY_DB", str(db))


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


@pytest.fixture(scope="session")
def pose_track(tmp_path_factory: pytest.TempPathFactory, model_path: Path):  # type: ignore[no-untyped-def]
    """A function: video path -> its saved pose track (`.pose.npz`), estimated once per test
    session, so tests that re-analyse one clip pay for MediaPipe once."""
    from posture.pipeline import clip_stem, run_pose
    from posture.settings import Settings

    folder = tmp_path_factory.mktemp("tracks")
    cache: dict[Path, Path] = {}
    # A developer re-running footage tests may point this at tracks saved from the same
    # pose code (`<stem>.pose.npz`); CI never sets it, so there every track is estimated.
    reuse = os.environ.get("POSTURE_TEST_TRACKS")
    if reuse:
        cache.update(
            {SHARED_SAMPLES / f"{p.name[: -len('.pose.npz')]}{ext}": p
             for p in Path(reuse).glob("*.pose.npz") for ext in (".mp4", ".avi")}
        )  # fmt: skip

    def get(video: Path) -> Path:
        if video not in cache:
            track, _ = run_pose(video, Settings())
            cache[video] = track.save(folder / f"{clip_stem(video)}.pose.npz")
        return cache[video]

    return get


@pytest.fixture(scope="session")
def zygote():
    """A warm interpreter that runs `posture` command lines in forked children (fast)."""
    from tests.cli_zygote import Zygote

    z = Zygote()
    yield z
    z.close()


@pytest.fixture(scope="session")
def saved(tmp_path_factory: pytest.TempPathFactory, model_path: Path):
    """samples/good_form_side.mp4 analysed once per session: its track and report."""
    from tests.hostile import make_saved

    return make_saved(tmp_path_factory.mktemp("saved"))
