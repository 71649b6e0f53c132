"""`mangxanh run` in a process of its own, as a department runs it, for the tests that need a real server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def mangxanh_run(*, cwd: Path, env: dict[str, str]) -> Iterator[str]:
    """Serve on ``env["MANGXANH_PORT"]`` until the block ends; yields the base URL.

    The server's output goes to a file (a pipe nobody reads would fill and stall it), and a
    traceback in it, or a server that does not stop when asked, fails the test.
    """
    log = cwd / f"server-{env['MANGXANH_PORT']}.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "mangxanh.cli", "run"], cwd=cwd, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{env['MANGXANH_PORT']}"
    stopped = True
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(f"`mangxanh run` did not start:\n{log.read_text(errors='replace')[-3000:]}")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            stopped = False
    output = log.read_text(errors="replace")
    assert stopped and "Traceback" not in output, output[-4000:]
