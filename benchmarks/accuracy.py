"""Accuracy suite: the same as `posture validate` (see docs/ACCURACY.md).

python benchmarks/accuracy.py --grid full --jobs 2 --write-doc docs/ACCURACY.md
"""

from __future__ import annotations

from posture.cli.validate import main

if __name__ == "__main__":  # the suite's worker processes re-import this file
    main()
