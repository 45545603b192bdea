"""`posture validate`: the accuracy suite on synthetic clips with known posture.

Register with `app.command("validate")(validate)`; also runnable as
`python -m posture.cli.validate`.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from posture.atomic import write_atomic
from posture.cli.common import exit_with, interruptible
from posture.errors import PostureError, UsageError

EXIT_TARGETS_NOT_MET = 1


def validate(
    grid: Annotated[str, typer.Option(help="Grid of generated clips: small or full.")] = "small",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for accuracy.md and accuracy.json of this run."),
    ] = None,
    cache: Annotated[
        Path | None,
        typer.Option(
            "--cache", help="Cache of rendered clips and pose tracks (default ~/.cache/posture)."
        ),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", help="Worker processes for render + pose.")] = 1,
    write_doc: Annotated[
        Path | None,
        typer.Option("--write-doc", help="Write the tables into this Markdown file."),
    ] = None,
    write_baseline: Annotated[
        Path | None,
        typer.Option("--write-baseline", help="Write the errors as a baseline JSON here."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when a metric misses its accuracy target.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
    drills: Annotated[
        bool,
        typer.Option(
            "--drills",
            help="Run the drill section instead: rendered core exercises through "
            "`posture drill` (reps, peaks, holds, faults); --write-doc updates its section.",
        ),
    ] = False,
) -> None:
    """Measure the pipeline's accuracy on generated clips and the committed samples."""
    if drills:
        _validate_drills(out, cache, write_doc, strict, quiet)
        return
    from posture.validate import (
        all_targets_met,
        default_cache_dir,
        render,
        run_suite,
        save_baseline,
        save_json,
    )
    from posture.validate.docs import write_accuracy_doc

    command = _command(grid, jobs, write_doc)
    with _one_line_errors():
        if jobs < 1:
            raise UsageError(f"--jobs must be at least 1, got {jobs}")
        with interruptible():
            result = run_suite(
                grid,
                cache or default_cache_dir(),
                jobs=jobs,
                command=command,
                on_clip=None if quiet else _progress,
            )
        text = render(result)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            write_atomic(out / "accuracy.md", text + "\n")
            save_json(result, out / "accuracy.json")
        if write_doc is not None:
            write_accuracy_doc(result, write_doc)
        if write_baseline is not None:
            save_baseline(result, write_baseline)
    typer.echo(text)
    if strict and not all_targets_met(result):
        raise typer.Exit(EXIT_TARGETS_NOT_MET)


def _validate_drills(
    out: Path | None, cache: Path | None, write_doc: Path | None, strict: bool, quiet: bool
) -> None:
    import json

    from posture.validate import default_cache_dir
    from posture.validate.drills import (
        render_drills,
        run_drill_suite,
        targets_met,
        to_json,
        write_drill_section,
    )

    parts = ["posture", "validate", "--drills"]
    if write_doc is not None:
        parts += ["--write-doc", str(write_doc)]

    def progress(name: str, seconds: float, done: int, total: int) -> None:
        typer.echo(f"[{done}/{total}] {name}: {seconds:.0f} s", err=True)

    with _one_line_errors():
        with interruptible():
            suite = run_drill_suite(cache or default_cache_dir(), command=shlex.join(parts),
                                    on_clip=None if quiet else progress)  # fmt: skip
        text = render_drills(suite)
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
            write_atomic(out / "drills.md", text + "\n")
            data = json.dumps(to_json(suite), indent=1, default=str)
            write_atomic(out / "drills.json", data + "\n")
        if write_doc is not None:
            write_drill_section(suite, write_doc)
    typer.echo(text)
    if strict and not targets_met(suite):
        raise typer.Exit(EXIT_TARGETS_NOT_MET)


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Bad input and an unwritable output end the command with one line, not a traceback."""
    try:
        yield
    except PostureError as exc:
        exit_with(exc)
    except OSError as exc:
        typer.echo(f"posture: error: cannot write output: {exc}", err=True)
        raise typer.Exit(6) from exc


def _command(grid: str, jobs: int, write_doc: Path | None) -> str:
    """The command line that reproduces the tables (cache and output folders left out)."""
    parts = ["posture", "validate", "--grid", grid, "--jobs", str(jobs)]
    if write_doc is not None:
        parts += ["--write-doc", str(write_doc)]
    return shlex.join(parts)


def _progress(result: object, done: int, total: int) -> None:
    from posture.validate.run import Prepared

    if isinstance(result, Prepared):
        how = "cached" if result.cached else f"{result.seconds:.0f} s"
        typer.echo(f"[{done}/{total}] {result.job.name}: {how}", err=True)


def main() -> None:
    """Run `validate` as a stand-alone command."""
    typer.run(validate)


if __name__ == "__main__":
    main()
