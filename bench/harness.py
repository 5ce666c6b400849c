"""Shared pieces of Gearbox's benchmarks (``bench/sqs.py``, ``bench/backend.py``,
``bench/lambda_invoke.py``).

- The machine the numbers were measured on, printed at the top of every table.
- Servers as separate processes on 127.0.0.1, as a user runs them: ``gearbox up`` with a
  fresh temporary state dir, moto's standalone ``moto_server``, or any command. Each runs in
  its own session (process group), is waited for with a deadline, and is stopped by its
  process id in a ``finally`` (SIGTERM, then SIGKILL after a grace period).
- One boto3 client configuration shared by every target, so only the server differs.
- Timing samples (median, p90) and a plain-text table.

Not a test helper: nothing here asserts; benchmarks print ratios measured in the same run.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HOST = "127.0.0.1"
REGION = "us-east-1"
START_TIMEOUT = 90.0
STOP_GRACE = 10.0

_GEARBOX_READY = re.compile(r"gearbox local cloud on (http://\S+)")


def log(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the tables."""
    print(message, file=sys.stderr, flush=True)


# the machine


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or "unknown"


def package_version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def machine_lines(extra: Sequence[str] = ()) -> list[str]:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    lines = [
        f"machine: nproc={usable}, cpu={cpu_model()!r}, {platform.system()} {platform.release()}",
        f"python: {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable})",
        f"client: boto3 {package_version('boto3')}, botocore {package_version('botocore')}; "
        f"moto {package_version('moto')}; gearbox {package_version('gearbox-serverless')}",
    ]
    lines.extend(extra)
    return lines


# servers


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the server binds it moments later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


@dataclass
class Server:
    """A server process started by a benchmark, and where it answers."""

    name: str
    endpoint: str
    process: subprocess.Popen[bytes]
    log_path: Path


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Stop a process this benchmark started (and its process group) by its id."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_GRACE)


@contextlib.contextmanager
def serve(
    name: str,
    argv: Sequence[str],
    ready: Callable[[Path], str | None],
    env: dict[str, str] | None = None,
    timeout: float = START_TIMEOUT,
) -> Iterator[Server]:
    """Run ``argv`` until the ``with`` block ends; ``ready(log)`` returns the endpoint once up."""
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        log_path = Path(tmp) / "server.log"
        with log_path.open("wb") as out:
            process = subprocess.Popen(
                [str(a) for a in argv],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                cwd=tmp,
                start_new_session=True,
            )
        try:
            endpoint = _wait_ready(name, process, log_path, ready, timeout)
            log(f"[{name}] up at {endpoint} (pid {process.pid})")
            yield Server(name=name, endpoint=endpoint, process=process, log_path=log_path)
        finally:
            stop_process(process)


def _wait_ready(
    name: str,
    process: subprocess.Popen[bytes],
    log_path: Path,
    ready: Callable[[Path], str | None],
    timeout: float,
) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(
                f"{name} exited with {process.returncode} before it was ready:\n{tail}"
            )
        endpoint = ready(log_path)
        if endpoint is not None:
            return endpoint
        time.sleep(0.05)
    raise RuntimeError(f"{name} was not ready within {timeout:.0f} s (log: {log_path})")


@contextlib.contextmanager
def gearbox_server() -> Iterator[Server]:
    """``gearbox up`` on an ephemeral port with a fresh state dir, as a user starts it."""
    with tempfile.TemporaryDirectory(prefix="bench-gearbox-state-") as state:

        def ready(log_path: Path) -> str | None:
            found = _GEARBOX_READY.search(log_path.read_text(errors="replace"))
            if found is None:
                return None
            port = int(found.group(1).rsplit(":", 1)[1])
            return found.group(1) if port_open(port) else None

        argv = [VENV_BIN / "gearbox", "up", "--port", "0", "--state-dir", Path(state) / "state"]
        with serve("gearbox", [str(a) for a in argv], ready) as server:
            yield server


@contextlib.contextmanager
def moto_server() -> Iterator[Server]:
    """moto's own standalone server (werkzeug, threaded), as ``moto_server`` starts it."""
    port = free_port()

    def ready(_log: Path) -> str | None:
        return f"http://{HOST}:{port}" if port_open(port) else None

    with serve("moto", [str(VENV_BIN / "moto_server"), "-H", HOST, "-p", str(port)], ready) as srv:
        yield srv


# clients


def client_config() -> Any:
    """The one boto3 configuration every target gets: no retries (an error is an error),
    keep-alive connections, path-style S3 addressing (the endpoint is an IP address)."""
    from botocore.config import Config

    return Config(
        region_name=REGION,
        retries={"total_max_attempts": 1},
        connect_timeout=10,
        read_timeout=120,
        max_pool_connections=4,
        s3={"addressing_style": "path"},
    )


def make_client(service: str, endpoint: str) -> Any:
    import boto3

    session = boto3.session.Session()
    return session.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=client_config(),
    )


def wait_until_answers(
    call: Callable[[], object], what: str, timeout: float = START_TIMEOUT
) -> None:
    """Call ``call`` until it succeeds (a server can accept before it serves)."""
    from botocore.exceptions import BotoCoreError, ClientError

    deadline = time.monotonic() + timeout
    while True:
        try:
            call()
            return
        except (BotoCoreError, ClientError, OSError) as exc:
            if time.monotonic() >= deadline:
                raise RuntimeError(f"{what} did not answer within {timeout:.0f} s") from exc
            time.sleep(0.1)


# samples and tables


@dataclass
class Samples:
    """Durations of one operation, in seconds."""

    values: list[float] = field(default_factory=list)

    def add(self, seconds: float) -> None:
        self.values.append(seconds)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.values) * 1000

    @property
    def p90_ms(self) -> float:
        if len(self.values) < 2:
            return self.median_ms
        return statistics.quantiles(self.values, n=10, method="inclusive")[8] * 1000

    def __len__(self) -> int:
        return len(self.values)


def timed(call: Callable[[], object], samples: Samples) -> object:
    start = time.perf_counter()
    result = call()
    samples.add(time.perf_counter() - start)
    return result


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[bool]) -> str:
    """A plain-text table; ``right[i]`` right-aligns column ``i``."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        out = [
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def ms(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.2f}" if value < 100 else f"{value:.1f}"


def ratio(value: float) -> str:
    return f"{value:.2f}x" if value < 100 else f"{value:.0f}x"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# the client floor: a canned-response server in its own process

_FLOOR_MARKER = "floor server on "

# A floor server's answer to one request: (request line, headers by lower-case name, body).
Answer = Callable[[str, dict[str, str], bytes], bytes]


class CannedHttp(asyncio.Protocol):
    """HTTP/1.1 keep-alive, one request at a time per connection, each answered at once with
    the bytes ``answer`` gives: the floor servers' protocol."""

    def __init__(self, answer: Answer) -> None:
        self._answer = answer
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while self._transport is not None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            request_line, *lines = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
            headers = {}
            for line in lines:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            total = end + 4 + int(headers.get("content-length", "0"))
            if len(self._buffer) < total:
                return
            body = bytes(self._buffer[end + 4 : total])
            del self._buffer[:total]
            self._transport.write(self._answer(request_line, headers, body))


def run_floor_server(protocol: Callable[[], asyncio.Protocol]) -> None:
    """A floor server's process: listen on an ephemeral port, print it, serve until killed."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(protocol, HOST, 0)
        port = server.sockets[0].getsockname()[1]
        print(f"{_FLOOR_MARKER}http://{HOST}:{port}", flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


@contextlib.contextmanager
def floor_server(name: str, script: Path) -> Iterator[Server]:
    """Run ``script --floor-server`` (which calls ``run_floor_server``) as a server."""

    def ready(log_path: Path) -> str | None:
        text = log_path.read_text(errors="replace")
        if _FLOOR_MARKER not in text:
            return None
        return text.split(_FLOOR_MARKER, 1)[1].split()[0]

    argv = [sys.executable, str(script.resolve()), "--floor-server"]
    with serve(name, argv, ready) as server:
        yield server
