"""Run `posture` command lines as real processes, fast: forked from a warm interpreter.

Starting Python and importing posture costs ~2.5 s per command; the hostile-input catalogue
has dozens. A zygote process imports `posture.cli` once, then forks one child per command
line. Each child is a real process running the real entry point (`posture.cli.main`) with
its own argv, working folder, environment, stdin (/dev/null), stdout and stderr (files), and
its real exit code; the zygote kills it when it runs past its time limit, so a hang is a
test failure, never a stuck suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

_SERVER = r"""
import json, os, signal, sys, time, traceback
initial = dict(os.environ)
import posture.cli  # paid once; every child starts with it imported
import posture.pipeline
# What the imports put in the environment (FFmpeg's log level) every child keeps.
added = {k: v for k, v in os.environ.items() if k not in initial}

def child(req):
    code = 1
    try:
        os.setsid()
        os.chdir(req["cwd"])
        os.environ.clear()
        os.environ.update({**added, **req["env"]})
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        for fd, name in ((1, "stdout"), (2, "stderr")):
            os.dup2(os.open(req[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False, encoding="utf-8")
        sys.stderr = open(2, "w", closefd=False, encoding="utf-8")
        sys.argv = ["posture", *req["args"]]
        try:
            posture.cli.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        child(req)
    deadline = time.monotonic() + req["timeout_s"]
    hung = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            hung = True
            os.killpg(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.01)
    print(json.dumps({"rc": os.waitstatus_to_exitcode(status), "hung": hung}), flush=True)
"""


@dataclass(frozen=True)
class Completed:
    """One finished command line."""

    returncode: int
    stdout: str
    stderr: str
    hung: bool

    @property
    def stderr_lines(self) -> list[str]:
        return self.stderr.strip().splitlines()


class Zygote:
    """The warm interpreter; `run` executes one command line in a forked child."""

    def __init__(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._dir = Path(tempfile.mkdtemp(prefix="posture-zygote-"))

    def run(self, *args: str, cwd: Path, timeout_s: float = 60.0) -> Completed:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        out, err = self._dir / "stdout", self._dir / "stderr"
        request = {
            "args": list(args),
            "cwd": str(cwd),
            # wide, so Rich tables do not wrap the text the tests look for
            "env": {"COLUMNS": "250", **os.environ},
            "stdout": str(out),
            "stderr": str(err),
            "timeout_s": timeout_s,
        }
        self._proc.stdin.write(json.dumps(request) + "\n")
        self._proc.stdin.flush()
        answer = json.loads(self._proc.stdout.readline())
        return Completed(
            answer["rc"],
            out.read_text(encoding="utf-8", errors="replace"),
            err.read_text(encoding="utf-8", errors="replace"),
            answer["hung"],
        )

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.wait(timeout=30)
        for name in ("stdout", "stderr"):
            (self._dir / name).unlink(missing_ok=True)
        self._dir.rmdir()
