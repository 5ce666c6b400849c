"""Forking environments from a pre-started interpreter (the zygote), for faster cold starts.

A plain cold start spends most of its time starting Python and importing awslambdaric's
dependencies, the same for every function. ``ZygoteLauncher`` starts one interpreter per
pool (``zygote_main.py`` is its program: same interpreter, ``-S``, the provided folder) that
has imported them once, and asks it to fork each environment; the child sets up the
function's world as a fresh process has it (``zygote_main.become``) and runs awslambdaric.

What Gearbox sees is the same as with ``launch.spawn``: a pid that leads its own process
group (killed with ``killpg``, read in ``/proc/<pid>/status`` for memory) and an exit status,
which the zygote reports since the child is its own. Requests and answers go over one
SOCK_SEQPACKET socket pair, the environment's output pipe attached to each request.

The first cold start starts the zygote and waits for it. If the zygote dies, the next cold
start starts a new one (at most ``MAX_ZYGOTES`` per pool); a cold start for which there is
no zygote (it cannot start, or the pool has used up its zygotes) or whose fork is refused is
spawned plainly (``launch.spawn``). Environments forked from a zygote that died are killed:
nothing would report their exit any more. ``close`` (after the pool's environments are gone)
closes the socket, on which the zygote kills any child left and exits; so does Gearbox's
exit, however it ends.

Differences from AWS: Lambda starts a fresh process for each environment; here environments
are forked from a pre-started interpreter that has imported awslambdaric's dependencies
(``zygote_main.py`` lists what differs from a fresh process, and when the child ``exec``s the
plain command instead).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import errno
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from gearbox.local.functions.model import FunctionSpec
from gearbox.local.runtime.launch import (
    DEFAULT_LANG,
    SYSTEM_PATH,
    RuntimeProcess,
    command,
    data_limit,
    kill_group,
    spawn,
)
from gearbox.local.runtime.zygote_main import REQUEST_MAX

MAX_ZYGOTES = 4
START_LIMIT_S = 30.0
CLOSE_LIMIT_S = 5.0
_PROGRAM = Path(__file__).with_name("zygote_main.py")
# Runs the program as __main__ with its own file name in tracebacks; imports nothing.
_BOOTSTRAP = "import sys; exec(compile(open(sys.argv[1]).read(), sys.argv[1], 'exec'))"


class ZygoteError(Exception):
    """The zygote did not fork: it is gone, not started, or refused the request."""


class ForkedProcess:
    """An environment's process forked by the zygote (a ``launch.RuntimeProcess``)."""

    def __init__(self, pid: int, exited: asyncio.Future[int]) -> None:
        self._pid = pid
        self._exited = exited

    @property
    def pid(self) -> int:
        return self._pid

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)


class Zygote:
    """One zygote process and its control socket; use it on one event loop."""

    def __init__(self, provided: Path) -> None:
        self._provided = provided
        self._loop = asyncio.get_running_loop()
        self._process: asyncio.subprocess.Process | None = None
        self._socket: socket.socket | None = None
        self._ready: asyncio.Future[None] = self._loop.create_future()
        self._forks: collections.deque[asyncio.Future[ForkedProcess]] = collections.deque()
        self._children: dict[int, asyncio.Future[int]] = {}

    @property
    def alive(self) -> bool:
        return self._socket is not None and self._ready.done()

    async def start(self) -> None:
        """Start the zygote and wait until it has preloaded; raises ``ZygoteError``."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = zygote_environment(self._provided)
        try:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-S",
                "-c",
                _BOOTSTRAP,
                str(_PROGRAM),
                str(theirs.fileno()),
                ",".join(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
                cwd="/",
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        except OSError as exc:
            ours.close()
            raise ZygoteError(f"the zygote did not start: {exc}") from exc
        finally:
            theirs.close()
        ours.setblocking(False)
        self._socket = ours
        self._loop.add_reader(ours.fileno(), self._read)
        try:
            await asyncio.wait_for(asyncio.shield(self._ready), START_LIMIT_S)
        except TimeoutError as exc:
            raise ZygoteError("the zygote did not get ready in time") from exc

    async def fork(self, request: bytes, output: int) -> ForkedProcess:
        """Have the zygote fork an environment for ``request``; ``output`` is its stdout."""
        if len(request) > REQUEST_MAX:
            raise ZygoteError("the request is too large")
        while True:
            if not self.alive:
                raise ZygoteError("the zygote is gone")
            forked = self._send(request, output)
            if forked is not None:
                return await forked
            await self._writable()

    async def close(self) -> None:
        """Kill what is left of its children, end the zygote and wait for it."""
        for pid in list(self._children):
            kill_group(pid)
        self._lost("the zygote was closed")
        if self._process is None:
            return
        try:
            await asyncio.wait_for(self._process.wait(), CLOSE_LIMIT_S)
        except TimeoutError:
            kill_group(self._process.pid)
            await self._process.wait()

    # the control socket

    def _send(self, request: bytes, output: int) -> asyncio.Future[ForkedProcess] | None:
        """Send, and queue the answer's future in the same step, so answers match in order."""
        assert self._socket is not None
        try:
            socket.send_fds(self._socket, [request], [output])
        except BlockingIOError:
            return None
        except OSError as exc:
            if exc.errno != errno.EMSGSIZE:
                self._lost(f"the zygote is gone: {exc}")
            raise ZygoteError(str(exc)) from exc
        forked: asyncio.Future[ForkedProcess] = self._loop.create_future()
        self._forks.append(forked)
        return forked

    async def _writable(self) -> None:
        assert self._socket is not None
        fd = self._socket.fileno()
        ready: asyncio.Future[None] = self._loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(None)

        self._loop.add_writer(fd, wake)
        try:
            await ready
        finally:
            self._loop.remove_writer(fd)

    def _read(self) -> None:
        while self._socket is not None:
            try:
                message = self._socket.recv(512)
            except BlockingIOError:
                return
            except OSError:
                message = b""
            if not message:
                self._lost("the zygote ended")
                return
            self._answer(message)

    def _answer(self, message: bytes) -> None:
        kind, _, rest = message.partition(b" ")
        if kind == b"exit":
            pid, returncode = (int(part) for part in rest.split())
            exited = self._children.pop(pid, None)
            if exited is not None and not exited.done():
                exited.set_result(returncode)
        elif kind == b"pid":
            pid = int(rest)
            self._children[pid] = self._loop.create_future()
            forked = self._forks.popleft()
            if forked.done():  # its launch was cancelled: nobody will stop it
                kill_group(pid)
            else:
                forked.set_result(ForkedProcess(pid, self._children[pid]))
        elif kind == b"error":
            forked = self._forks.popleft()
            if not forked.done():
                forked.set_exception(ZygoteError(rest.decode(errors="replace")))
        elif kind == b"ready" and not self._ready.done():
            self._ready.set_result(None)

    def _lost(self, reason: str) -> None:
        """The socket is closed: whatever waits on the zygote gets its answer now."""
        if self._socket is not None:
            self._loop.remove_reader(self._socket.fileno())
            self._socket.close()
            self._socket = None
        if not self._ready.done():
            self._ready.set_exception(ZygoteError(reason))
            self._ready.exception()  # retrieved: start() may be gone
        while self._forks:
            forked = self._forks.popleft()
            if not forked.done():
                forked.set_exception(ZygoteError(reason))
        for pid, exited in self._children.items():
            kill_group(pid)  # no exit status would come for it any more
            if not exited.done():
                exited.set_result(-signal.SIGKILL)
        self._children.clear()


class ZygoteLauncher:
    """A ``launch.Launcher`` that forks environments from a zygote, or spawns them plainly
    when there is none; starts the zygote on the first launch."""

    def __init__(self, provided: Path) -> None:
        self._provided = provided
        self._zygote: Zygote | None = None
        self._starting: asyncio.Future[Zygote | None] | None = None
        self._started = 0
        self._closed = False

    async def launch(self, spec: FunctionSpec, env: dict[str, str], output: int) -> RuntimeProcess:
        zygote = await self._running()
        if zygote is not None:
            with contextlib.suppress(ZygoteError):
                return await zygote.fork(fork_request(spec, env), output)
        if self._closed:
            raise RuntimeError("the environment pool is closed")
        return await spawn(spec, env, output)

    async def close(self) -> None:
        self._closed = True
        if self._starting is not None:
            await asyncio.gather(self._starting, return_exceptions=True)
        if self._zygote is not None:
            await self._zygote.close()

    async def _running(self) -> Zygote | None:
        if self._zygote is not None and self._zygote.alive:
            return self._zygote
        if self._closed or (self._starting is None and self._started >= MAX_ZYGOTES):
            return None
        if self._starting is None:
            self._started += 1
            self._starting = asyncio.ensure_future(self._start())
        return await asyncio.shield(self._starting)

    async def _start(self) -> Zygote | None:
        try:
            if self._zygote is not None:
                await self._zygote.close()  # the one that died
                self._zygote = None
            zygote = Zygote(self._provided)
            try:
                await zygote.start()
            except (ZygoteError, OSError):
                await zygote.close()
                return None
            self._zygote = zygote
            return zygote
        finally:
            self._starting = None


def zygote_environment(provided: Path) -> dict[str, str]:
    """The zygote's variables: those of ``launch.lambda_environment`` that a process reads
    as it starts, with the values every function gets unless it sets its own."""
    return {
        "LANG": DEFAULT_LANG,
        "PATH": os.pathsep.join(SYSTEM_PATH),
        "PYTHONPATH": str(provided),
        "TZ": ":UTC",
    }


def fork_request(spec: FunctionSpec, env: dict[str, str]) -> bytes:
    """What the zygote's child needs to become the environment (``zygote_main.become``)."""
    request = {
        "argv": command(spec),
        "env": env,
        "cwd": str(spec.code_dir),
        "data_limit": data_limit(spec),
    }
    return json.dumps(request).encode()
