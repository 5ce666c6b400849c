"""One execution environment: a process running awslambdaric, and its Runtime API.

Lifecycle, as on Lambda: ``start`` launches the process (the pool's ``launch.Launcher``:
forked from the zygote, ``zygote.py``, or spawned plainly, ``launch.py``); the first ``invoke``
waits for the Init phase to end, which is when the runtime first asks for an event (Init
Duration is measured from the process's start until then), then runs the invocation.
Later invocations reuse the process, so module globals and the environment's ``/tmp``
persist. One invocation runs at a time.

What ends an environment, and what the invocation gets (``report.py`` words it as Lambda):

- a failed init (import error, missing handler, syntax error, an exception at import): the
  error awslambdaric posted to ``/init/error``;
- the timeout: the process group is killed (SIGKILL) and the result is ``Sandbox.Timedout``;
  the init does not count against it;
- the process ending (``sys.exit``, ``os._exit``, a crash): ``Runtime.ExitError``;
- memory: ``Runtime.ExitError`` with ``signal: killed``, as when Lambda's kernel kills a
  function over its memory size.

Differences from AWS:

- Init is limited to 10 s plus the function's timeout. Lambda limits it to 10 s and then
  starts the init again inside the first invocation, under the function's timeout; here the
  same init just gets that long.
- Memory. Lambda's limit is the cgroup's resident memory; here it is the process's peak
  resident memory (``VmHWM``), checked every 100 ms while the environment works and after each
  invocation, and the process is killed once it is over the memory size. Between checks a
  function can go over for up to 100 ms. A hard ``RLIMIT_DATA`` of the memory size plus 1 GiB
  stops a runaway allocation at once; Python raises ``MemoryError`` there, which is reported as
  the same kill when the handler lets it escape (a handler that catches it goes on, where on
  Lambda it would have been killed). Processes the function starts are not counted, and
  "Max Memory Used" is the runtime process's own peak (clamped to the memory size after a
  kill, as Lambda shows it). A process forked from the zygote starts with the zygote's pages
  resident, shared until written, and they count as its own: about what a fresh process has
  once it has imported the same modules. Without ``/proc`` (not Linux) nothing is checked
  and memory used reads 0.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
import shutil
import signal
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gearbox.local.functions.model import FunctionSpec, Invocation, InvokeResult
from gearbox.local.runtime import report
from gearbox.local.runtime.api import Event, Reply, RuntimeApi
from gearbox.local.runtime.launch import (
    Launch,
    Launcher,
    PeakMemory,
    RuntimeProcess,
    kill_group,
    lambda_environment,
    log_stream_name,
)
from gearbox.local.runtime.output import Output

INIT_LIMIT_S = 10.0
_MEMORY_POLL_S = 0.1


@dataclass(frozen=True)
class Places:
    """What every environment of a pool shares."""

    tmp_root: Path  # each environment's /tmp is a fresh folder in here
    provided: Path  # provided.provided_dir
    endpoint_url: str  # the local cloud, as AWS_ENDPOINT_URL
    launcher: Launcher  # starts the processes


class Environment:
    def __init__(self, spec: FunctionSpec, places: Places) -> None:
        self.spec = spec
        self.idle_since = time.monotonic()
        self._places = places
        self._api: RuntimeApi | None = None
        self._output: Output | None = None
        self._process: RuntimeProcess | None = None
        self._exited: asyncio.Future[int] | None = None
        self._memory: PeakMemory | None = None
        self._tmp: Path | None = None
        self._started = 0.0
        self._initialized = False
        self._peak_mb = 0
        self._stopping: asyncio.Task[None] | None = None
        self._killed = False

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    @property
    def usable(self) -> bool:
        return self._stopping is None and self._exited is not None and not self._exited.done()

    async def start(self) -> None:
        """Launch the process; the init runs meanwhile (the first ``invoke`` waits for it)."""
        self._api = RuntimeApi()
        address = await self._api.start()
        self._places.tmp_root.mkdir(parents=True, exist_ok=True)
        self._tmp = Path(tempfile.mkdtemp(prefix="tmp-", dir=self._places.tmp_root))
        launch = Launch(address, self._tmp, self._places.provided, self._places.endpoint_url)
        env = lambda_environment(self.spec, launch, log_stream_name())
        self._output = Output()
        self._started = time.perf_counter()
        try:
            self._process = await self._places.launcher.launch(
                self.spec, env, self._output.write_fd
            )
        finally:
            self._output.child_started()
        self._exited = asyncio.ensure_future(self._process.wait())
        self._memory = PeakMemory(self._process.pid)
        if self._stopping is not None:  # stopped (pool closed) while this was starting
            await self._stop()  # again, now that there is a process to kill
            raise RuntimeError("the environment was stopped while it started")

    async def invoke(self, invocation: Invocation) -> InvokeResult:
        if self._api is None or self._output is None or not self.usable:
            raise RuntimeError("the environment is not running")
        init_ms: float | None = None
        init_lines: tuple[str, ...] = ()
        if not self._initialized:
            failed = await self._watch(self._api.initialized, self._started + self._init_limit())
            init_ms = (time.perf_counter() - self._started) * 1000
            if failed is not None:
                return await self._end(failed, invocation, init_ms, None, ())
            self._initialized = True
            init_lines = tuple(self._output.take())
        start = time.perf_counter()
        reply = self._api.deliver(self._event(invocation))
        outcome = await self._watch(reply, start + self.spec.timeout)
        duration_ms = (time.perf_counter() - start) * 1000
        if outcome is None:
            outcome = self._checked(reply.result())
        return await self._end(outcome, invocation, duration_ms, init_ms, init_lines)

    def stop(self) -> asyncio.Task[None]:
        """Kill the process group and clean up (once); await the task to wait for it."""
        if self._stopping is None:
            self._stopping = asyncio.ensure_future(self._stop())
        return self._stopping

    # the parts of an invocation

    def _init_limit(self) -> float:
        return INIT_LIMIT_S + self.spec.timeout

    async def _watch(self, wanted: asyncio.Future[Any], deadline: float) -> report.Outcome | None:
        """Wait for ``wanted``; or say why it will not come (init failed, exit, time, memory)."""
        assert self._api is not None and self._exited is not None
        watched = (wanted, self._api.init_failed, self._exited)
        while not wanted.done():
            if self._api.init_failed.done():
                return report.InitFailed(self._api.init_failed.result())
            if self._exited.done():
                return report.Exited(self._exited.result())
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                return report.TimedOut()
            if not await _any_done(watched, min(remaining, _MEMORY_POLL_S)) and self._over_memory():
                return report.Exited(-signal.SIGKILL, out_of_memory=True)
        return None

    def _checked(self, reply: Reply) -> report.Outcome:
        """The reply, unless the process went over its memory getting there."""
        if self._over_memory() or (reply.is_error and _error_type(reply.body) == "MemoryError"):
            return report.Exited(-signal.SIGKILL, out_of_memory=True)
        return reply

    def _over_memory(self) -> bool:
        peak = None if self._memory is None else self._memory.read_mb()
        if peak is not None:
            self._peak_mb = peak
        return self._peak_mb > self.spec.memory_mb

    async def _end(
        self,
        outcome: report.Outcome,
        invocation: Invocation,
        duration_ms: float,
        init_ms: float | None,
        init_lines: tuple[str, ...],
    ) -> InvokeResult:
        assert self._output is not None
        if not isinstance(outcome, Reply):
            self._over_memory()  # reads the peak while the process may still be there
            await self.stop()
            if isinstance(outcome, report.Exited) and outcome.out_of_memory:
                self._peak_mb = self.spec.memory_mb
        lines = tuple(self._output.take())
        if not self._initialized:  # the init failed: what it printed comes before START
            init_lines, lines = lines, ()
        measures = report.Measures(
            request_id=invocation.request_id,
            duration_ms=duration_ms,
            memory_size_mb=self.spec.memory_mb,
            max_memory_mb=min(self._peak_mb, self.spec.memory_mb),
            timeout_s=self.spec.timeout,
            init_ms=init_ms,
            init_failed=not self._initialized,
            init_lines=init_lines,
            lines=lines,
        )
        self.idle_since = time.monotonic()
        return report.result(outcome, measures)

    def _event(self, invocation: Invocation) -> Event:
        return Event(
            request_id=invocation.request_id,
            payload=invocation.payload,
            deadline_ms=int(time.time() * 1000) + self.spec.timeout * 1000,
            function_arn=self.spec.arn,
            trace_id=_header_value(invocation.trace_id) or _new_trace_id(),
            client_context=_client_context(invocation.client_context),
        )

    async def _stop(self) -> None:
        """Idempotent: every step can run again, and kills a process group only once."""
        if self._process is not None and not self._killed:
            self._killed = True
            kill_group(self._process.pid)
        if self._exited is not None:
            await asyncio.shield(self._exited)
        if self._api is not None:
            await self._api.close()
        if self._output is not None:
            self._output.close()  # keeps what was left in the pipe for take()
        if self._memory is not None:
            self._memory.close()
        if self._tmp is not None:
            await asyncio.to_thread(shutil.rmtree, self._tmp, True)


async def _any_done(futures: tuple[asyncio.Future[Any], ...], timeout: float) -> bool:
    """Wait until one of ``futures`` is done (True) or ``timeout`` seconds pass (False).

    ``asyncio.wait`` without its task and set bookkeeping: this is on every invocation's path.
    """
    loop = asyncio.get_running_loop()
    waiter: asyncio.Future[bool] = loop.create_future()

    def wake(_: object) -> None:
        if not waiter.done():
            waiter.set_result(True)

    def expire() -> None:
        if not waiter.done():
            waiter.set_result(False)

    for future in futures:
        future.add_done_callback(wake)
    timer = loop.call_later(timeout, expire)
    try:
        return await waiter
    finally:
        timer.cancel()
        for future in futures:
            future.remove_done_callback(wake)


def _error_type(body: bytes) -> str | None:
    try:
        value = json.loads(body).get("errorType")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _header_value(value: str | None) -> str | None:
    return None if value is None else value.replace("\r", "").replace("\n", "")


def _new_trace_id() -> str:
    """A trace header as Lambda makes one when the caller sent none (not sampled)."""
    root = f"1-{int(time.time()):08x}-{os.urandom(12).hex()}"
    return f"Root={root};Parent={os.urandom(8).hex()};Sampled=0"


def _client_context(encoded: str | None) -> str | None:
    """X-Amz-Client-Context is base64 JSON; the runtime gets the JSON itself, on one line."""
    if not encoded:
        return None
    try:
        return json.dumps(
            json.loads(base64.b64decode(encoded, validate=True)), separators=(",", ":")
        )
    except (ValueError, binascii.Error):
        return None
