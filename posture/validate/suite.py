"""The accuracy suite: grid clips and committed samples -> pipeline -> errors vs truth."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from posture.rules import load_rules
from posture.settings import Settings
from posture.synth import truth_path_for
from posture.validate.grid import build_grid
from posture.validate.landmarks import VIEW_GROUPS, LandmarkBias, pool_bias
from posture.validate.records import ClipRecord, build_record
from posture.validate.run import ClipJob, Prepared, prepare_all, track_name
from posture.validate.targets import MetricRow, metric_rows
from posture.validate.verdicts import RuleRow, SampleRow, rule_rows, sample_row

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "samples"


@dataclass(frozen=True)
class SuiteResult:
    """Everything the suite measured.

    Attributes:
        grid: grid name.
        grid_records: one record per grid clip; sample_records: one per committed sample.
        metrics: per-metric error rows (grid clips).
        rules: per-rule confusion rows (grid clips).
        samples: per-sample verdict rows.
        landmarks: pooled landmark bias per view group (grid clips).
        meta: command, date, commit, model, clip counts.
    """

    grid: str
    grid_records: tuple[ClipRecord, ...]
    sample_records: tuple[ClipRecord, ...]
    metrics: tuple[MetricRow, ...]
    rules: tuple[RuleRow, ...]
    samples: tuple[SampleRow, ...]
    landmarks: tuple[LandmarkBias, ...]
    meta: dict[str, str] = field(default_factory=dict)

    @property
    def view_right(self) -> tuple[int, int]:
        """(grid clips whose view was detected right, grid clips)."""
        recs = self.grid_records
        return sum(r.view == r.true.view for r in recs), len(recs)

    @property
    def facing_right(self) -> tuple[int, int]:
        """(side clips whose facing was detected right, side clips)."""
        side = [r for r in self.grid_records if r.true.view == "side"]
        return sum(r.facing == r.true.facing for r in side), len(side)


def grid_jobs(grid: str, cache_dir: Path, settings: Settings) -> list[ClipJob]:
    """Jobs of the grid's clips, cached under `cache_dir` by params hash."""
    jobs = []
    for case in build_grid(grid):
        track = cache_dir / track_name(case.key, settings)
        jobs.append(ClipJob(case.name, cache_dir / f"{case.key}.mp4", case.params, track))
    return jobs


def sample_jobs(samples_dir: Path, cache_dir: Path, settings: Settings) -> list[ClipJob]:
    """Jobs of the committed samples (every `<name>.mp4` with a truth file), keyed by the
    video's content hash."""
    jobs = []
    for video in sorted(samples_dir.glob("*.mp4")):
        if not truth_path_for(video).is_file():
            continue
        key = hashlib.sha256(video.read_bytes()).hexdigest()[:16]
        jobs.append(ClipJob(video.stem, video, None, cache_dir / track_name(key, settings)))
    return jobs


def git_commit(repo: Path) -> str:
    """Short commit of `repo` (with `+dirty` when it has changes), or `unknown`."""
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, check=True, timeout=10,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def run_suite(
    grid: str,
    cache_dir: Path,
    *,
    settings: Settings | None = None,
    jobs: int = 1,
    samples_dir: Path | None = SAMPLES_DIR,
    command: str = "",
    on_clip: Callable[[Prepared, int, int], None] | None = None,
) -> SuiteResult:
    """Render (cached), track (cached) and analyse the grid and the samples; compare.

    Args:
        grid: `small` or `full`.
        cache_dir: where clips and pose tracks are cached.
        settings: pipeline settings (defaults: what `posture check` uses).
        jobs: worker processes for rendering and pose estimation.
        samples_dir: committed samples to judge (None: skip them).
        command: the command line, for the report.
        on_clip: progress callback (result, done, total).
    """
    from posture.modelstore import ensure_model

    settings = settings or Settings()
    rules = load_rules(settings.analysis.rules_path)
    ensure_model(settings.pose.model_variant, settings.pose.model_dir)  # once, not per worker
    g_jobs = grid_jobs(grid, cache_dir, settings)
    s_jobs = sample_jobs(samples_dir, cache_dir, settings) if samples_dir else []
    prepare_all([*g_jobs, *s_jobs], settings, jobs, on_clip)

    def record(j: ClipJob) -> ClipRecord:
        return build_record(j.name, j.truth, j.track, rules, settings)

    grid_records = tuple(record(j) for j in g_jobs)
    sample_records = tuple(record(j) for j in s_jobs)
    rule_metric = {r.id: r.metric for r in rules.rules}
    bias = [pool_bias([r.landmarks for r in grid_records], v) for v in VIEW_GROUPS]
    meta = {
        "command": command or f"posture validate --grid {grid}",
        "date": dt.date.today().isoformat(),
        "commit": git_commit(Path(__file__).resolve().parents[2]),
        "model": f"pose_landmarker_{settings.pose.model_variant}",
    }
    return SuiteResult(
        grid=grid,
        grid_records=grid_records,
        sample_records=sample_records,
        metrics=tuple(metric_rows(grid_records)),
        rules=tuple(rule_rows(grid_records)),
        samples=tuple(sample_row(r, rule_metric) for r in sample_records),
        landmarks=tuple(b for b in bias if b is not None),
        meta=meta,
    )
