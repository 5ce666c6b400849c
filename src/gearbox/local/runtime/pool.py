"""Execution environments per function: cold and warm starts, concurrency, retiring, reaping.

``EnvironmentPool.invoke`` runs an invocation in an idle environment of the same function and
the same code and configuration if there is one (a warm start), else in a new one (a cold
start). Each environment runs one invocation at a time, so a function's concurrency is its
number of busy environments; past ``reserved_concurrency`` (or the pool's default) an invoke
raises ``Throttled``, as Lambda answers 429. An environment that failed (init error, timeout,
exit, memory) is gone; the next invocation starts a new one, and no other is affected. A warm
environment whose process dies while idle is dropped as soon as the event loop sees it end
(within a millisecond or so); an invocation handed to it in that instant gets
``Runtime.ExitError``.

An environment idle for ``idle_seconds`` (real time) is stopped; ``retire(name)`` stops a
function's idle environments at once and its busy ones when their invocation ends (the
code or configuration changed, or the function was deleted). ``close`` kills them all.

Processes are forked from the pool's zygote (``zygote.py``), which the first cold start
starts; ``EnvironmentPool(..., zygote=False)`` spawns each one plainly instead
(``python -S -m awslambdaric``, as Lambda does). ``close`` ends the zygote too.

The pool lives on the edge's event loop and never blocks it: processes are asyncio
subprocesses or the zygote's children, and the one slow step (building the provided folder)
runs on a thread.

Differences from AWS: the default limit is per function (Lambda's is the account's 1,000,
shared by the functions without reserved concurrency, minus what they reserve); there is no
burst limit or scaling rate, and no provisioned concurrency. Environments are forked from a
pre-started interpreter that has imported awslambdaric's dependencies, where Lambda starts a
fresh process (``zygote_main.py`` says what differs).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from gearbox.local.functions.model import FunctionSpec, Invocation, InvokeResult, Throttled
from gearbox.local.runtime.environment import Environment, Places
from gearbox.local.runtime.launch import Launcher, PlainLauncher
from gearbox.local.runtime.provided import provided_dir
from gearbox.local.runtime.zygote import ZygoteLauncher

RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_LIMIT = "ConcurrentInvocationLimitExceeded"
_REAP_EVERY_MAX_S = 10.0


@dataclass
class _Function:
    idle: list[Environment] = field(default_factory=list)  # most recently used last
    busy: set[Environment] = field(default_factory=set)
    retiring: set[Environment] = field(default_factory=set)  # stop when done


class EnvironmentPool:
    """Every function's execution environments; create and use it on the edge's event loop.

    ``endpoint_url`` is the local cloud (the functions' ``AWS_ENDPOINT_URL``); ``work_dir``
    holds the provided folder and the environments' ``/tmp`` folders; ``on_log(name, log)``
    gets each invocation's log, START to REPORT. ``zygote=False`` spawns every process
    plainly rather than forking it from a zygote.
    """

    def __init__(
        self,
        endpoint_url: str,
        work_dir: Path,
        on_log: Callable[[str, str], None] | None = None,
        idle_seconds: float = 300,
        default_concurrency: int = 10,
        *,
        zygote: bool = True,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._work_dir = work_dir
        self._on_log = on_log
        self._idle_seconds = idle_seconds
        self._default_concurrency = default_concurrency
        self._zygote = zygote
        self._functions: dict[str, _Function] = {}
        self._places: Places | None = None
        self._places_lock = asyncio.Lock()
        self._stopping: set[asyncio.Task[None]] = set()
        self._reaper: asyncio.Task[None] | None = None
        self._closed = False

    async def invoke(self, spec: FunctionSpec, invocation: Invocation) -> InvokeResult:
        """Run one invocation; raises ``Throttled`` at the function's concurrency limit."""
        places = await self._ensure_places()
        function = self._functions.setdefault(spec.name, _Function())
        environment, cold = self._reserve(function, spec, places)
        try:
            if cold:
                await environment.start()
            result = await environment.invoke(invocation)
        finally:
            self._release(function, environment)
        if self._on_log is not None:
            self._on_log(spec.name, result.log)
        return result

    def retire(self, function_name: str) -> None:
        """Stop the function's environments: idle ones now, busy ones when they finish."""
        function = self._functions.get(function_name)
        if function is None:
            return
        for environment in function.idle:
            self._stop(environment)
        function.idle.clear()
        function.retiring |= function.busy

    async def close(self) -> None:
        """Kill every environment and wait for it to go. In-flight invocations end with
        ``Runtime.ExitError``, or ``RuntimeError`` for one still starting its environment."""
        self._closed = True
        if self._reaper is not None:
            self._reaper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reaper
        for function in self._functions.values():
            for environment in [*function.idle, *function.busy]:
                self._stop(environment)
            function.idle.clear()
        while any(function.busy for function in self._functions.values()):
            await asyncio.sleep(0.01)  # in-flight invocations end as their processes die
        while self._stopping:
            await asyncio.gather(*self._stopping, return_exceptions=True)
        if self._places is not None:
            await self._places.launcher.close()
            await asyncio.to_thread(shutil.rmtree, self._places.tmp_root, True)

    def pids(self) -> set[int]:
        """Process ids of the running environments (for tests and diagnostics)."""
        return {
            e.pid for f in self._functions.values() for e in (*f.idle, *f.busy) if e.pid is not None
        }

    # internals

    def _reserve(
        self, function: _Function, spec: FunctionSpec, places: Places
    ) -> tuple[Environment, bool]:
        """A warm environment, or a new one (cold); synchronous, so the limit holds."""
        if self._closed:
            raise RuntimeError("the environment pool is closed")
        limit = spec.reserved_concurrency
        if limit is None:
            limit = self._default_concurrency
        if len(function.busy) >= limit:
            raise Throttled(ACCOUNT_LIMIT if spec.reserved_concurrency is None else RESERVED_LIMIT)
        for stale in [e for e in function.idle if not (e.usable and same_config(e.spec, spec))]:
            function.idle.remove(stale)
            self._stop(stale)
        cold = not function.idle
        environment = Environment(spec, places) if cold else function.idle.pop()
        function.busy.add(environment)
        return environment, cold

    def _release(self, function: _Function, environment: Environment) -> None:
        function.busy.discard(environment)
        if environment.usable and environment not in function.retiring and not self._closed:
            function.idle.append(environment)
        else:
            function.retiring.discard(environment)
            self._stop(environment)

    def _stop(self, environment: Environment) -> None:
        task = environment.stop()
        self._stopping.add(task)
        task.add_done_callback(self._stopping.discard)

    async def _ensure_places(self) -> Places:
        if self._places is None:
            async with self._places_lock:
                if self._places is None:
                    self._places = await asyncio.to_thread(self._make_places)
                    self._reaper = asyncio.ensure_future(self._reap())
        return self._places

    def _make_places(self) -> Places:
        self._work_dir.mkdir(parents=True, exist_ok=True)
        provided = provided_dir(self._work_dir)
        tmp_root = Path(tempfile.mkdtemp(prefix="environments-", dir=self._work_dir))
        launcher: Launcher = ZygoteLauncher(provided) if self._zygote else PlainLauncher()
        return Places(tmp_root, provided, self._endpoint_url, launcher)

    async def _reap(self) -> None:
        every = min(max(self._idle_seconds / 4, 0.05), _REAP_EVERY_MAX_S)
        while True:
            await asyncio.sleep(every)
            now = time.monotonic()
            for function in self._functions.values():
                for environment in list(function.idle):
                    if now - environment.idle_since >= self._idle_seconds:
                        function.idle.remove(environment)
                        self._stop(environment)


_CONFIG_FIELDS = tuple(
    f.name for f in dataclasses.fields(FunctionSpec) if f.name != "reserved_concurrency"
)


def same_config(a: FunctionSpec, b: FunctionSpec) -> bool:
    """Whether an environment made for ``a`` may run ``b``: all but the concurrency match."""
    return a is b or all(getattr(a, name) == getattr(b, name) for name in _CONFIG_FIELDS)
