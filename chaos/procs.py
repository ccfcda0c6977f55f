"""Every process a scenario starts: each in its own process group, all stopped on exit.

A scenario that ends, fails, times out or is interrupted (Ctrl-C, SIGTERM) leaves nothing
running: `stop_all` runs from `finally` blocks and from `atexit`, and SIGTERM is turned into
SystemExit so that those run.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from bench.common import ROOT

_running: dict[int, subprocess.Popen] = {}


def start(
    args: Sequence[str], env: dict[str, str], log: Path, cwd: Path = ROOT
) -> subprocess.Popen:
    """Start a command in a new process group, output appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _running[process.pid] = process
    return process


def adopt(pid: int) -> None:
    """Take charge of a process group started elsewhere (tools/twilio-mock's setsid)."""
    _running[pid] = _Foreign(pid)  # type: ignore[assignment]


class _Foreign:
    """A process group leader that is not our child: polled with kill(0)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid

    def poll(self) -> int | None:
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return 0
        return None

    def wait(self, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.05)
        return 0


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    """Signal a process group, wait for its leader, and SIGKILL the group if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _killpg(process.pid)
        process.wait(timeout=5)
    # Children that outlived their leader (a gunicorn worker) go with the group.
    _killpg(process.pid)
    _running.pop(process.pid, None)


def _killpg(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def run(args: Sequence[str], env: dict[str, str], log: Path, timeout: float) -> tuple[int, str]:
    """Run a command to completion (killed after `timeout`); return its status and output."""
    log.parent.mkdir(parents=True, exist_ok=True)
    out_path = log.with_suffix(f".{time.monotonic_ns()}.out")
    process = start(args, env, out_path)
    try:
        status = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(process, signal.SIGKILL, timeout=5)
        status = -9
    _running.pop(process.pid, None)
    output = out_path.read_text(encoding="utf-8", errors="replace")
    with log.open("a", encoding="utf-8") as all_out:
        all_out.write(f"$ {' '.join(args)}\n{output}[exit {status}]\n")
    out_path.unlink()
    return status, output


def stop_all() -> None:
    """Stop every process group still running, gently first."""
    for process in list(_running.values()):
        stop(process, signal.SIGTERM, timeout=5)


def install_handlers() -> None:
    """Clean up at exit, and on SIGTERM as on Ctrl-C."""
    atexit.register(stop_all)

    def _terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
