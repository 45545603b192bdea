"""Shared fixtures: real footage from ../shared/samples (skipped when absent) and the model."""

from __future__ import annotations

# OpenCV before PyAV in every test process (test modules import `av` directly): loaded
# first, PyAV's own libxcb makes OpenCV's windows hang as they open (posture/io/video_writer.py).
import cv2  # noqa: F401

# isort: split
import fcntl
import hashlib
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# ../shared/samples beside the clone; a checkout elsewhere (a git worktree) may name it.
SHARED_SAMPLES = Path(os.environ.get("POSTURE_SHARED_SAMPLES", ROOT.parent / "shared" / "samples"))

# Tests never reach a host other than PyPI: the model comes from a file or the PyPI build.
os.environ.setdefault("POSTURE_MODEL_SOURCES", "file,pypi")


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist (`-n auto`, pyproject's default), each test worker runs on a core of
    its own: `posture` then sees one usable core and does not split clips over processes that
    would only contend with the other worker's (tests of splitting ask for jobs=2 outright)."""
    worker = getattr(config, "workerinput", {}).get("workerid", "")
    if worker.startswith("gw") and hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[int(worker[2:]) % len(cores)]})


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


#: The cores of the machine the tests stand for (CI's): `pose_track` splits a clip as `posture
#: check` does there, whatever this test worker may use.
CHECK_CORES = 2


@pytest.fixture(scope="session")
def pose_track(tmp_path_factory: pytest.TempPathFactory, model_path: Path):  # type: ignore[no-untyped-def]
    """A function: (video path, jobs) -> its saved pose track (`.pose.npz`), estimated once per
    test session, so tests that re-analyse one clip pay for MediaPipe once. `jobs` None: as
    `posture check` estimates it on a 2-core machine (split from 4 s); 1: one landmarker
    through the clip, as live mode and `check --jobs 1` do."""
    from posture.pipeline import clip_stem, run_pose
    from posture.pose.parallel import auto_jobs
    from posture.settings import Settings
    from posture.source import probe

    # One folder for the whole run, shared by pytest-xdist's workers (their base folders are
    # siblings): a clip's track is estimated by whichever worker asks first, the other waits.
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "tracks"
    folder.mkdir(exist_ok=True)
    known: dict[tuple[Path, int], Path] = {}
    split: dict[Path, int] = {}  # video -> the jobs `check` gives it on CHECK_CORES

    def check_jobs(video: Path) -> int:
        if video not in split:
            split[video] = auto_jobs(probe(video), cores=CHECK_CORES)
        return split[video]

    # A developer re-running footage tests may point this at tracks saved by `check` from the
    # same pose code (`<stem>.pose.npz`); CI never sets it, so there every track is estimated.
    reuse = os.environ.get("POSTURE_TEST_TRACKS")
    if reuse:
        for saved in Path(reuse).glob("*.pose.npz"):
            for ext in (".mp4", ".avi"):
                video = SHARED_SAMPLES / f"{saved.name[: -len('.pose.npz')]}{ext}"
                if video.is_file():
                    known[video, check_jobs(video)] = saved

    def get(video: Path, jobs: int | None = None) -> Path:
        jobs = jobs or check_jobs(video)
        if (video, jobs) in known:
            return known[video, jobs]
        # `<stem>.pose.npz` (outputs made from a track are named after it), in a folder of
        # its own per clip path and jobs
        where = hashlib.sha1(f"{video.resolve()}:{jobs}".encode()).hexdigest()[:12]
        path = folder / where / f"{clip_stem(video)}.pose.npz"
        path.parent.mkdir(exist_ok=True)
        with open(path.parent / "lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.is_file():
                track, _ = run_pose(video, Settings().with_pose(jobs=jobs))
                track.save(path)
        known[video, jobs] = path
        return path

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
