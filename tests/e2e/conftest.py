"""``gearbox up`` as a user runs it: a separate process, on a port, with a state dir."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.conftest import CREDENTIALS

GEARBOX = str(Path(sys.executable).parent / "gearbox")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Running:
    process: subprocess.Popen[str]
    port: int
    banner: str

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=self.endpoint_url, region_name="us-east-1", **CREDENTIALS
        )

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=20)


def run_gearbox(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GEARBOX, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


@pytest.fixture
def start_up() -> Iterator[Callable[..., Running]]:
    """``start_up(state_dir)``: start ``gearbox up`` and wait until it serves."""
    started: list[Running] = []

    def start(state_dir: Path, port: int | None = None, cwd: Path | None = None) -> Running:
        port = port or free_port()
        process = subprocess.Popen(
            [GEARBOX, "up", "--port", str(port), "--state-dir", str(state_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
        )
        assert process.stdout is not None
        banner = process.stdout.readline()
        running = Running(process, port, banner)
        started.append(running)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"gearbox up exited: {process.stderr.read()}")  # type: ignore[union-attr]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return running
            except OSError:
                time.sleep(0.05)
        raise AssertionError("gearbox up did not start listening")

    yield start
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait(timeout=10)
