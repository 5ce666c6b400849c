"""Starting an execution environment's process: its command, environment and limits.

The process is ``<Gearbox's python> -S -m awslambdaric <handler>`` (``command``), in its own
session (so its whole process group can be killed), with the working directory at the
function's code, stdin ``/dev/null``, stdout and stderr on the environment's pipe, a hard
``RLIMIT_DATA`` (``data_limit``) and a clean environment that holds what Lambda defines
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime)
plus ``AWS_ENDPOINT_URL``, so the SDK in the function reaches the local cloud. The function's
own variables win, except the reserved ones Lambda does not let a function set.

A ``Launcher`` starts it: ``PlainLauncher`` here (``spawn``), or ``zygote.ZygoteLauncher``,
which forks it from a pre-started interpreter; either gives a ``RuntimeProcess`` (a pid that
leads its own process group, and its exit status).

Differences from AWS:

- ``/tmp`` is not the function's own: each environment gets a fresh temporary folder as
  ``TMPDIR`` (``tempfile`` uses it), but a literal ``/tmp`` path is the machine's, shared.
  Isolating ``/tmp`` itself would need mount namespaces.
- ``LAMBDA_TASK_ROOT`` is the code folder itself, not ``/var/task``; ``LAMBDA_RUNTIME_DIR``
  is the provided folder (``provided.py``); layers are not merged into ``/opt``.
- No ``AWS_SESSION_TOKEN``: the function's credentials are a plain access key pair, which is
  how the edge knows which function calls.
- Added: ``AWS_ENDPOINT_URL`` (the local cloud), and ``AWS_CONFIG_FILE`` and
  ``AWS_SHARED_CREDENTIALS_FILE`` pointing at the null device, so that the developer's
  ``~/.aws`` files do not reach the function (Lambda has none). A function may override them.
- The memory limit is checked on the process alone, not on processes it starts (see
  ``environment.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from gearbox.local.functions.model import FunctionSpec
from gearbox.local.runtime.provided import python_path

RESERVED = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_DEFAULT_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_LAMBDA_RUNTIME_API",
        "AWS_REGION",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "LAMBDA_RUNTIME_DIR",
        "LAMBDA_TASK_ROOT",
        "TZ",
    }
)
DEFAULT_LANG = "en_US.UTF-8"
SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
# Room above the memory size for what the kernel counts as data but a function rarely
# touches (each thread's stack counts 8 MB); the real limit is checked on resident memory.
_DATA_HEADROOM_MB = 1024


class RuntimeProcess(Protocol):
    """An environment's process: it leads its own process group, ``wait`` gives its exit
    status (negative: killed by that signal). ``asyncio.subprocess.Process`` is one."""

    @property
    def pid(self) -> int: ...

    async def wait(self) -> int: ...


class Launcher(Protocol):
    """Starts environments' processes; ``close`` after the last one has ended."""

    async def launch(self, spec: FunctionSpec, env: dict[str, str], output: int) -> RuntimeProcess:
        """Start ``command(spec)`` with ``env``; stdout and stderr go to the ``output`` fd."""
        ...

    async def close(self) -> None: ...


class PlainLauncher:
    """Each process is a fresh ``python -S -m awslambdaric``, as on Lambda."""

    async def launch(self, spec: FunctionSpec, env: dict[str, str], output: int) -> RuntimeProcess:
        return await spawn(spec, env, output)

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class Launch:
    """Where one environment runs: its Runtime API, its /tmp, the provided folder."""

    runtime_api: str  # host:port
    tmp_dir: Path
    provided: Path
    endpoint_url: str


def log_stream_name() -> str:
    """``2026/01/01/[$LATEST]<32 hex digits>``, as Lambda names an environment's stream."""
    return time.strftime("%Y/%m/%d/", time.gmtime()) + "[$LATEST]" + uuid.uuid4().hex


def lambda_environment(spec: FunctionSpec, launch: Launch, stream: str) -> dict[str, str]:
    """The process environment: Lambda's variables, then the function's own (not reserved)."""
    layer_bins = [str(layer / "bin") for layer in spec.layers]
    layer_libs = [str(layer / "lib") for layer in spec.layers]
    env = {
        "LANG": DEFAULT_LANG,
        "PATH": os.pathsep.join([*SYSTEM_PATH, *layer_bins]),
        "LD_LIBRARY_PATH": os.pathsep.join(
            [str(spec.code_dir), str(spec.code_dir / "lib"), *layer_libs]
        ),
        "PYTHONPATH": python_path(spec, launch.provided),
        "TMPDIR": str(launch.tmp_dir),
        "AWS_ENDPOINT_URL": launch.endpoint_url,
        # Lambda has no ~/.aws files; the developer's must not reach the function's SDK.
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    env.update(spec.environment)
    env.update(
        {
            "_HANDLER": spec.handler,
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "LAMBDA_RUNTIME_DIR": str(launch.provided),
            "AWS_LAMBDA_RUNTIME_API": launch.runtime_api,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_ACCESS_KEY": spec.access_key,
            "AWS_ACCESS_KEY_ID": spec.access_key,
            "AWS_SECRET_ACCESS_KEY": spec.secret_key,
        }
    )
    return env


def command(spec: FunctionSpec) -> list[str]:
    """The runtime's command line: Gearbox's interpreter, without site-packages."""
    return [sys.executable, "-S", "-m", "awslambdaric", spec.handler]


def data_limit(spec: FunctionSpec) -> int:
    """The hard ``RLIMIT_DATA``, in bytes: a backstop far above the memory size."""
    return (spec.memory_mb + _DATA_HEADROOM_MB) * 1024 * 1024


async def spawn(spec: FunctionSpec, env: dict[str, str], output: int) -> asyncio.subprocess.Process:
    """Start the runtime in its own session; stdout and stderr go to the ``output`` fd."""
    program, *args = command(spec)
    process = await asyncio.create_subprocess_exec(
        program,
        *args,
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        env=env,
        cwd=spec.code_dir,
        start_new_session=True,
    )
    limit = data_limit(spec)
    with contextlib.suppress(OSError, ValueError, AttributeError):  # not Linux, or exited
        resource.prlimit(process.pid, resource.RLIMIT_DATA, (limit, limit))
    return process


def kill_group(pid: int) -> None:
    """SIGKILL the process group that ``pid`` leads, or ``pid`` alone while it has none yet
    (a forked child makes its group first thing, but may not have yet)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    except PermissionError:
        pass


class PeakMemory:
    """A process's peak resident memory (VmHWM) in MB, rounded up; None when unknown.

    The ``/proc/<pid>/status`` file stays open, and each reading is one ``pread``.
    """

    def __init__(self, pid: int) -> None:
        try:
            self._fd: int | None = os.open(f"/proc/{pid}/status", os.O_RDONLY)
        except OSError:  # not Linux, or gone already
            self._fd = None

    def read_mb(self) -> int | None:
        if self._fd is None:
            return None
        try:
            status = os.pread(self._fd, 8192, 0)
            at = status.index(b"VmHWM:")
            return -(-int(status[at + 6 : status.index(b"kB", at)]) // 1024)
        except (OSError, ValueError):  # exited, or a zombie (no Vm lines)
            return None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
