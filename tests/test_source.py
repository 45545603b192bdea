"""Frame source: container facts, rotation metadata, container timestamps, bad files."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from posture.errors import BadInputError
from posture.source import open_video, probe
from tests.media import marker_frame, set_mp4_rotation, write_clip


@pytest.fixture(scope="module")
def plain_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("clips") / "plain.mp4"
    return write_clip(path, [marker_frame()] * 12, fps=30)


def test_probe_reports_container_facts(plain_clip: Path) -> None:
    info = probe(plain_clip)
    assert (info.width, info.height) == (64, 48)
    assert info.fps == pytest.approx(30, abs=0.5)
    assert info.frame_count == 12
    assert info.rotation_deg == 0
    assert info.duration_s == pytest.approx(0.4, abs=0.02)


def _bright_corner(rgb: np.ndarray) -> str:
    h, w = rgb.shape[:2]
    corners = {
        "top-left": rgb[: h // 8, : w // 8],
        "top-right": rgb[: h // 8, -w // 8 :],
        "bottom-left": rgb[-h // 8 :, : w // 8],
        "bottom-right": rgb[-h // 8 :, -w // 8 :],
    }
    return max(corners, key=lambda k: float(corners[k].mean()))


@pytest.mark.parametrize(
    ("rotation_deg", "size_wh", "corner"),
    [
        (0, (64, 48), "top-left"),
        (90, (48, 64), "top-right"),
        (180, (64, 48), "bottom-right"),
        (270, (48, 64), "bottom-left"),
    ],
)
def test_rotation_metadata_is_applied(
    plain_clip: Path, tmp_path: Path, rotation_deg: int, size_wh: tuple[int, int], corner: str
) -> None:
    clip = set_mp4_rotation(plain_clip, tmp_path / f"rot{rotation_deg}.mp4", rotation_deg)
    source = open_video(clip)
    assert source.info.rotation_deg == rotation_deg
    assert source.info.resolution_wh == size_wh
    _, first = next(iter(source))
    assert first.shape == (size_wh[1], size_wh[0], 3)
    assert _bright_corner(first) == corner


def test_variable_frame_rate_uses_container_timestamps(tmp_path: Path) -> None:
    pts = [0, 33, 66, 150, 183, 300, 333, 366, 500, 533]
    clip = write_clip(tmp_path / "vfr.mp4", [marker_frame()] * len(pts), pts_ms=pts)
    times = [t for t, _ in open_video(clip)]
    assert times == pytest.approx(pts, abs=1.0)


def test_frames_are_rgb_in_order(tmp_path: Path) -> None:
    red = np.zeros((48, 64, 3), np.uint8)
    red[..., 0] = 220
    clip = write_clip(tmp_path / "red.mp4", [red] * 5)
    frames = list(open_video(clip))
    assert len(frames) == 5
    assert all(b > a for (a, _), (b, _) in itertools.pairwise(frames))
    rgb = frames[0][1]
    assert rgb[..., 0].mean() > 150 > rgb[..., 2].mean()


def test_consumer_stopping_early_releases_the_decoder(plain_clip: Path) -> None:
    source = open_video(plain_clip, prefetch=1)
    for _ in zip(range(2), source, strict=False):
        pass
    assert len(list(source)) == 12  # a fresh iteration starts again from the first frame


def test_large_frames_queue_fewer_ahead(plain_clip: Path) -> None:
    import dataclasses

    from posture.source.video import VideoSource, probe

    info = probe(plain_clip)
    assert VideoSource(info).prefetch_frames == 8  # small frames: the usual queue
    hd = dataclasses.replace(info, width=1920, height=1080)
    assert VideoSource(hd).prefetch_frames == 2  # 6 MB each: no more than 16 MB waiting
    assert VideoSource(hd, prefetch=1).prefetch_frames == 1
    assert len(list(VideoSource(info, prefetch=1))) == 12


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.mp4", "no such file"),
        (lambda d: d, "is a folder"),
        (lambda d: _write(d / "empty.mp4", b""), "empty"),
        (lambda d: _write(d / "notes.mp4", b"just some text\n" * 50), "not a video"),
        (lambda d: _write(d / "noise.mp4", np.random.default_rng(0).bytes(20000)), "not a video"),
    ],
)
def test_bad_files_raise_one_clear_error(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(BadInputError, match=message):
        probe(make(tmp_path))


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
