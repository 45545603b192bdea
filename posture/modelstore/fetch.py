"""Download a bundle from its official URL with a short connect timeout and progress."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from posture import __version__
from posture.errors import ModelUnavailableError
from posture.modelstore.files import ProgressFn

# Unreachable hosts should fail fast; a slow but live transfer is fine (this bounds each
# read, not the whole download).
CONNECT_TIMEOUT_S = 10.0
_CHUNK_BYTES = 256 * 1024


def download(url: str, dest: Path, progress: ProgressFn | None = None) -> None:
    """Stream `url` into `dest`, reporting bytes as they arrive.

    `dest` is written directly; callers pass a temp path and move it into place.

    Args:
        url: HTTP(S) address.
        dest: file to write.
        progress: optional callback `(done_bytes, total_bytes, label)`.

    Raises:
        ModelUnavailableError: the host is unreachable, answered an error, or the transfer
            was cut short.
    """
    host = urlsplit(url).hostname or url
    label = f"download {Path(urlsplit(url).path).name}"
    request = urllib.request.Request(url, headers={"User-Agent": f"posture/{__version__}"})
    try:
        with (
            urllib.request.urlopen(request, timeout=CONNECT_TIMEOUT_S) as response,
            dest.open("wb") as out,
        ):
            length = response.headers.get("Content-Length")
            total_bytes = int(length) if length and length.isdigit() else None
            done_bytes = 0
            if progress is not None:
                progress(0, total_bytes, label)
            while chunk := response.read(_CHUNK_BYTES):
                out.write(chunk)
                done_bytes += len(chunk)
                if progress is not None:
                    progress(done_bytes, total_bytes, label)
    except urllib.error.HTTPError as exc:
        raise ModelUnavailableError(f"{host} answered HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise ModelUnavailableError(f"cannot reach {host} ({_reason(exc.reason)})") from exc
    except OSError as exc:  # includes TimeoutError and ConnectionResetError mid-transfer
        raise ModelUnavailableError(f"download from {host} failed ({_reason(exc)})") from exc
    if total_bytes is not None and done_bytes != total_bytes:
        raise ModelUnavailableError(
            f"download from {host} stopped at {done_bytes} of {total_bytes} bytes"
        )


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__
