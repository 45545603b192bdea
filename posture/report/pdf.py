"""`<stem>.report.pdf`: the HTML report printed to PDF by a headless Chromium, for coaches who
file or print reports.

Why Chromium and not a Python PDF library: the page is HTML with inline SVG plots and
JPEG key frames; Chromium prints exactly what the browser shows, offline, with no new Python
dependency (Debian's `chromium` package; the tests already use it). WeasyPrint would need
Pango and renders SVG text differently; ReportLab would need a second layout of every
section. Without Chromium, `--pdf` is refused before any clip is analysed.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from posture.atomic import atomic_path
from posture.errors import OutputError, UsageError

_BROWSERS = ("chromium", "chromium-browser", "google-chrome")
_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--no-pdf-header-footer",
)  # fmt: skip
TIMEOUT_S = 120.0


def find_browser() -> str:
    """The Chromium to print with.

    Raises:
        UsageError: none installed (the message says how to get one).
    """
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise UsageError(
        "--pdf needs Chromium to print the report (apt-get install chromium); "
        "the HTML report prints from any browser too"
    )


def print_pdf(page: Path, pdf: Path) -> Path:
    """Print the HTML `page` to `pdf` (written atomically); returns `pdf`.

    Raises:
        UsageError: no Chromium. OutputError: printing failed or timed out.
    """
    browser = find_browser()
    with tempfile.TemporaryDirectory(prefix="posture-pdf-") as profile, atomic_path(pdf) as tmp:
        try:
            done = subprocess.run(
                [browser, *_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={tmp}",
                 page.resolve().as_uri()],
                capture_output=True, timeout=TIMEOUT_S, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise OutputError(f"{pdf}: printing the report took over {TIMEOUT_S:g} s") from exc
        if done.returncode != 0 or not tmp.is_file() or tmp.stat().st_size == 0:
            raise OutputError(f"{pdf}: Chromium could not print the report")
    return pdf
