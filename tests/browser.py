"""Pages measured in a real headless Chromium (Debian's `chromium`; `.ci/run` installs it)."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def page_width_px(page: Path, width_px: int, tmp_path: Path) -> tuple[int, int]:
    """(document scroll width, window width) of `page` shown `width_px` wide in headless
    Chromium: the page in an iframe of that width (headless windows are never under 500 px)
    with one line of script that writes both numbers into the outer page's title."""
    measure = (
        "<script>parent.document.title="
        "[document.documentElement.scrollWidth,innerWidth].join(' ')</script>"
    )
    inner = html.escape(page.read_text().replace("</body>", measure + "</body>"), quote=True)
    probe = tmp_path / f"probe-{width_px}.html"
    probe.write_text(
        f'<!DOCTYPE html><html><head><title>-</title></head><body style="margin:0">'
        f'<iframe style="border:0" width="{width_px}" height="800" srcdoc="{inner}"></iframe>'
        "</body></html>"
    )
    result = subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={tmp_path / f'profile-{width_px}'}", "--hide-scrollbars",
            f"--window-size={max(width_px + 20, 800)},900", "--dump-dom", probe.as_uri(),
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    title = re.search(r"<title>(\d+) (\d+)</title>", result.stdout)
    assert title is not None, result.stderr[-2000:]
    return int(title[1]), int(title[2])
