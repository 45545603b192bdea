"""The report's JSON schema, with every metric list derived from the metric registry.

`report.schema.json` is the published schema. Its metric id lists (the `metrics` section's
keys, the per-stride columns, the metrics a rule or an episode can name) are not kept by hand:
`report_schema()` fills them from the registry, and `python -m posture.report.schema` writes
the file again after a metric was added (a test fails while the two differ).
"""

from __future__ import annotations

import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from posture.metrics import metric_ids

SCHEMA_FILE = "report.schema.json"
_NUMBER_OR_NULL = {"type": ["number", "null"]}


def report_schema() -> dict[str, Any]:
    """The schema of `<stem>.report.json` for the metrics registered now."""
    text = resources.files("posture.report").joinpath(SCHEMA_FILE).read_text("utf-8")
    doc = json.loads(text)
    ids = list(metric_ids())
    props = doc["properties"]
    props["metrics"]["propertyNames"]["enum"] = ids
    row = props["strides"]["items"]["properties"]
    for key in [k for k in row if k not in ("start_s", "end_s", "view")]:
        del row[key]
    row.update({k: dict(_NUMBER_OR_NULL) for k in ids})
    rule = doc["$defs"]["rule"]["properties"]
    rule["limits"]["properties"]["metric"]["enum"] = ids
    doc["$defs"]["episode"]["properties"]["metric"]["enum"] = ids
    return doc


def write_schema(path: Path) -> None:
    """Write the schema for the registered metrics to `path` (the published file)."""
    path.write_text(json.dumps(report_schema(), indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover - a maintainer's tool
    target = Path(__file__).with_name(SCHEMA_FILE)
    write_schema(Path(sys.argv[1]) if len(sys.argv) > 1 else target)
    print(f"wrote {target}")
