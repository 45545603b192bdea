"""`posture batch`: check many recorded clips, in local worker processes or on Ray.

Layout of the batch folder (`--out DIR`):

- `<name>.report.json`, `<name>.pose.npz` (and any other file `posture check` writes, e.g.
  `<name>.report.html`): one set per clip. `<name>` is `<stem>-<hash8>`, hash8 being the first
  8 hex digits of the SHA-256 of the clip's absolute path, so two folders' `run.mp4` never
  collide and a re-run finds its earlier reports (`inputs.output_name`).
- `<name>.batch.json`: the clip's "finished" mark (input SHA-256, settings digest), written
  after its files; resume skips a clip only when it matches (`resume`).
- `summary.csv`, `summary.json`, `index.html`: one row per input, rewritten as clips finish.

Isolation: every clip runs in a worker process (local engine) or a Ray task; the task hands
its files back as bytes and only the driver writes the folder, so a crashed or killed worker
costs its clip and leaves nothing half-written.

Exit codes of `posture batch`: 0 every input analysed (`ok` or `no_runner`); 1 some input
errored (the summary says which and why); 4 with `--fail-on warn|fail` when a clip has a rule
at that level or worse (`no_runner` clips have no verdicts and never trip it); 2 bad usage;
5 no pose model; 6 the folder cannot be written; 130 interrupted.

On a Ray cluster: install posture (with the `ray` extra) on every node, put the clips on
storage every node mounts at the same path, start the cluster (`ray start --head` on one
node, `ray start --address=<head>:6379` on the others), then on the head node run
`posture batch /shared/clips --out results --engine ray --ray-address auto`. Each node
fetches the pose model on first use (or set `--model-dir` to a shared folder holding it);
the outputs are written by the driver, so `results` may be a local folder.
"""

from posture.batch.inputs import VIDEO_EXTENSIONS, ClipJob, expand_inputs, output_name
from posture.batch.runner import BatchOptions, BatchOutcome, default_workers, run_batch
from posture.batch.summary import Row

__all__ = [
    "VIDEO_EXTENSIONS",
    "BatchOptions",
    "BatchOutcome",
    "ClipJob",
    "Row",
    "default_workers",
    "expand_inputs",
    "output_name",
    "run_batch",
]
