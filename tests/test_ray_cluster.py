"""`posture batch --engine ray` on a real two-node Ray cluster on this machine.

Ray's `cluster_utils.Cluster` starts a head node and a second node as separate raylets (each
with its own object store and workers, as on two machines), one CPU each. Clips are ~2 s cuts
of the real treadmill clip (tests/test_batch.py). Checked: clips spread over both nodes, a
node lost mid-batch costs no clip and doubles none, a clip past its time limit is stopped and
recorded, and a driver killed mid-batch is resumed by running it again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from posture.batch.inputs import ClipJob
from posture.settings import Settings
from tests.test_batch import CLI, cut, summary

pytestmark = [pytest.mark.model, pytest.mark.footage]

ray = pytest.importorskip("ray", reason="the Ray engine needs posture[ray]")
cluster_utils = pytest.importorskip("ray.cluster_utils")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> list[Path]:
    folder = tmp_path_factory.mktemp("ray-clips")
    return [cut(folder / f"clip{i}.mp4", 2.0 + 6.0 * i, 2.0) for i in range(3)]


@pytest.fixture
def cluster() -> Iterator[object]:
    """A head node and a worker node, one CPU each; torn down after the test."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    c = cluster_utils.Cluster(
        initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False}
    )
    c.add_node(num_cpus=1)
    c.wait_for_nodes()
    yield c
    if ray.is_initialized():
        ray.shutdown()
    c.shutdown()


def jobs_of(paths: list[Path]) -> list[ClipJob]:
    return [ClipJob(i, p, p.stem) for i, p in enumerate(paths)]


def test_clips_spread_over_both_nodes(cluster, clips: list[Path]) -> None:  # type: ignore[no-untyped-def]
    from posture.batch.ray_engine import RayEngine

    nodes = {n.node_id for n in cluster.list_all_nodes()}
    results = list(RayEngine(1, cluster.address).run(jobs_of(clips[:2]), Settings()))
    assert sorted(r.index for r in results) == [0, 1]
    assert all(r.status == "analysed" for r in results), [r.error for r in results]
    assert {r.node for r in results} == nodes  # one clip on each node: both were used


def test_a_node_lost_mid_batch_costs_no_clip(cluster, clips: list[Path]) -> None:  # type: ignore[no-untyped-def]
    from posture.batch.ray_engine import RayEngine

    worker_node = next(n for n in cluster.list_all_nodes() if not n.head)
    # Each node starts a clip at once (one per CPU in flight); a clip takes several seconds
    # there (model load, pose, outputs), so 2 s in, the second node is mid-clip: kill it.
    killer = threading.Timer(2.0, cluster.remove_node, (worker_node,), {"allow_graceful": False})
    killer.start()
    try:
        results = list(RayEngine(1, cluster.address).run(jobs_of(clips), Settings()))
    finally:
        killer.join()
    assert len(cluster.list_all_nodes()) == 1
    assert sorted(r.index for r in results) == [0, 1, 2]  # each clip once: none lost or doubled
    assert all(r.status == "analysed" for r in results), [r.error for r in results]


def test_a_clip_past_its_time_limit_is_stopped_and_recorded(cluster, clips: list[Path]) -> None:  # type: ignore[no-untyped-def]
    from posture.batch.ray_engine import RayEngine

    start = time.monotonic()
    engine = RayEngine(1, cluster.address, time_limit_s=lambda job: 0.5)
    results = list(engine.run(jobs_of(clips[:2]), Settings()))
    assert sorted(r.index for r in results) == [0, 1]
    assert all(r.status == "error" and "timed out after" in r.error for r in results)
    assert time.monotonic() - start < 30  # not after the whole analysis


def test_a_killed_driver_is_resumed_by_running_it_again(
    cluster, clips: list[Path], tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in"
    src.mkdir()
    for clip in clips:
        (src / clip.name).write_bytes(clip.read_bytes())
    out = tmp_path / "out"
    args = [sys.executable, "-c", CLI, "batch", str(src), "--out", str(out), "--quiet",
            "--engine", "ray", "--ray-address", cluster.address]  # fmt: skip
    driver = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while not list(out.glob("*.batch.json")) and time.monotonic() < deadline:
        assert driver.poll() is None, driver.stderr.read() if driver.stderr else ""
        time.sleep(0.2)
    driver.kill()  # SIGKILL: the driver gets no chance to clean up
    driver.wait()
    first = {p.name for p in out.glob("*.batch.json")}
    assert first, "no clip finished before the kill"

    again = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    rows = summary(out)["rows"]
    assert len(rows) == len({r["name"] for r in rows}) == len(clips)  # each clip once
    assert summary(out)["counts"]["analysed"] == len(clips)
    assert summary(out)["counts"]["resumed"] == len(first)  # finished before the kill: kept
