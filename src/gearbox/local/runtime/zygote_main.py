"""The zygote's own program: a pre-started interpreter that forks execution environments.

Standard library only. ``zygote.py`` runs it as ``__main__`` with
``python -S -c <exec of this file> <this file> <control fd> <names of its variables>``, the
working directory ``/`` and PYTHONPATH the provided folder: the same interpreter, flags and
provided modules as an environment, and none of Gearbox's packages.

The zygote first imports ``PRELOAD``: what every environment imports before the function's
code and whose import reads nothing of the function. Of awslambdaric that is all but
``bootstrap`` (reads ``AWS_LAMBDA_LOG_FORMAT`` and ``AWS_LAMBDA_LOG_LEVEL`` at import),
``lambda_runtime_client`` (its marshaller, a class attribute, reads ``AWS_EXECUTION_ENV``)
and the ``runtime_client`` extension (a C++ static initializer reads
``AWS_LAMBDA_RUNTIME_API`` when the library is loaded); the child imports those. The zygote
also loads the C++ libraries ``runtime_client`` links to, so the child does not. It never
imports anything of a function: its path is the provided folder and the standard library.

Then it serves its control socket (SOCK_SEQPACKET, one message each):

- from Gearbox, a request: JSON ``{"argv", "env", "cwd", "data_limit"}``, with the
  environment's output pipe attached (SCM_RIGHTS);
- to Gearbox: ``ready`` once; per request, in order, ``pid <pid>`` or ``error <reason>``;
  and ``exit <pid> <returncode>`` when a child ends (negative: killed by that signal).

The zygote does not read a request: it receives it into one buffer, forks, and zeroes the
buffer; only the child decodes it (and frees the buffer), so no function's variables are in
the memory that the next child inherits. It runs one thread (it checks before each fork), so
no lock is held by another thread at the fork. When Gearbox's end of the socket closes, it
kills its children's process groups and exits.

The child (``become``) sets up what a fresh ``python -S -m awslambdaric <handler>`` process
would have: its own session and process group; stdout and stderr on the pipe, stdin
``/dev/null``, no other descriptor; the working directory; the ``RLIMIT_DATA`` backstop;
signal dispositions as the interpreter sets them; ``os.environ`` replaced by Lambda's
variables (plus what the interpreter added at start, e.g. the coerced ``LC_CTYPE``);
``sys.path`` rebuilt as PYTHONPATH gives it; ``sys.argv`` and ``sys.orig_argv`` of ``-m``;
``sys.modules`` back to the interpreter's own and ``PRELOAD``'s; a fresh ``__main__``. Then it
runs awslambdaric's ``__main__`` as ``-m`` does, and exits as the interpreter does (atexit,
threads joined, the exit status of ``SystemExit``).

Where a fork cannot look like a fresh process, the child ``exec``s the plain command instead
(same pid, group, descriptors, directory and limits): the function's variables differ in one
the interpreter or the C library reads only at start (``PYTHON*`` other than PYTHONPATH,
``LANG``, ``LC_*``, ``LD_*`` other than LD_LIBRARY_PATH, ``MALLOC_*``, ``GLIBC_*``); PYTHONPATH
does not end with the zygote's; the code or a layer holds a module of the same top-level name
as a preloaded one (a fresh process would import the function's); or a LD_LIBRARY_PATH folder
holds a shared library (the dynamic loader read that variable when the zygote started).

Differences from a fresh process that remain: the hash seed (``hash()`` of a str) is the
zygote's, the same in every forked environment; ``/proc/<pid>/cmdline`` and
``/proc/<pid>/environ`` are the zygote's (``os.environ`` and ``posix.environ`` are the
function's); the parent process is the zygote; the libraries above are mapped before
``runtime_client`` is imported.
"""

from __future__ import annotations

import sys

# Nothing else at the top: what is imported before main() counts as the interpreter's own.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PRELOAD = (
    "runpy",  # what -m runs
    "awslambdaric",
    "awslambdaric.lambda_config",
    "awslambdaric.lambda_context",
    "awslambdaric.lambda_runtime_exception",
    "awslambdaric.lambda_runtime_log_utils",
    "awslambdaric.lambda_runtime_marshaller",  # simplejson, decimal
)
_LIBRARIES = ("libstdc++.so.6", "libgcc_s.so.1")  # what runtime_client links to
REQUEST_MAX = 1 << 16  # Lambda allows 4 KB of variables; larger ones are spawned plainly
_START_PREFIXES = ("PYTHON", "LC_", "LD_", "MALLOC_", "GLIBC_")
_START_HANDLED = frozenset({"PYTHONPATH", "LD_LIBRARY_PATH"})


def main() -> dict[str, Any] | None:
    """The zygote: preload, then serve. Returns only in a forked child, with its request."""
    del sys.path[0]  # -c put the working directory first; an environment's path has no such
    keep = set(sys.modules)
    for name in PRELOAD:
        __import__(name)
    keep |= set(sys.modules)
    _load_libraries()
    zygote = Zygote(int(sys.argv[2]), [n for n in sys.argv[3].split(",") if n], keep)
    try:
        return zygote.serve()
    except BaseException:
        zygote.shutdown()  # no child outlives the zygote
        raise


class Zygote:
    """What the zygote keeps between forks; nothing in here comes from a request."""

    def __init__(self, control_fd: int, names: list[str], keep: set[str]) -> None:
        import os
        import resource  # noqa: F401  # loaded once here rather than in each child
        import signal
        import socket

        ours = _entries(os.environ.get("PYTHONPATH", ""))
        self.world = {
            "keep": keep,
            "roots": preloaded_roots(keep),
            "tail": sys.path[len(ours) :],  # the standard library's folders
            "initial": {name: os.environ[name] for name in names if name in os.environ},
            "added": {k: v for k, v in os.environ.items() if k not in names},  # e.g. LC_CTYPE
        }
        self.control = socket.socket(fileno=control_fd)
        self.buffer = bytearray(REQUEST_MAX)
        self.children: set[int] = set()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.set_wakeup_fd(self.wake_w)
        self.sigchld = signal.signal(signal.SIGCHLD, _wake)

    def serve(self) -> dict[str, Any] | None:
        """Fork on each request; returns in a child (its request), or None when Gearbox ends."""
        import select

        control = self.control.fileno()
        self.control.send(b"ready")
        while True:
            ready, _, _ = select.select([control, self.wake_r], [], [])
            if self.wake_r in ready:
                self.reap()
            if control in ready:
                received = self.receive()
                if received is None:
                    self.shutdown()
                    return None
                if received and self.fork(*received) == 0:
                    return self.child(*received)

    def receive(self) -> tuple[int, int] | tuple[()] | None:
        """(size, output fd) of the next request; () for one refused; None at the end."""
        import array
        import socket

        fds = array.array("i")
        size, ancillary, flags, _ = self.control.recvmsg_into(
            [self.buffer], socket.CMSG_SPACE(4 * fds.itemsize)
        )
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
        if size == 0 and not fds:
            return None
        if len(fds) != 1 or flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC):
            self.refuse(size, list(fds), "malformed request")
            return ()
        return size, fds[0]

    def fork(self, size: int, output: int) -> int | None:
        """The child's pid in the zygote, 0 in the child, None when it could not fork."""
        import os

        if _threads() != 1:  # fork copies only the calling thread: locks could stay held
            self.refuse(size, [output], "the zygote is not single-threaded")
            return None
        try:
            pid = os.fork()
        except OSError as exc:
            self.refuse(size, [output], f"fork: {exc}")
            return None
        if pid:
            os.close(output)
            self.buffer[:size] = bytes(size)
            self.children.add(pid)
            self.control.send(b"pid %d" % pid)
        return pid

    def refuse(self, size: int, fds: list[int], reason: str) -> None:
        import os

        for fd in fds:
            os.close(fd)
        self.buffer[:size] = bytes(size)
        self.control.send(f"error {reason}".encode())

    def child(self, size: int, output: int) -> dict[str, Any]:
        """In the child: its own session, the request decoded, the zygote's things let go."""
        import os

        try:
            os.setsid()
            import json
            import signal

            request: dict[str, Any] = json.loads(bytes(self.buffer[:size]))
            del self.buffer
            self.children.clear()
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, self.sigchld)
            self.control.close()
            os.close(self.wake_r)
            os.close(self.wake_w)
            os.dup2(output, 1)
            os.dup2(output, 2)
            if output > 2:
                os.close(output)
            _close_from(3)  # anything else the zygote might have had open
            request.update(self.world)
            return request
        except BaseException:  # never back into the zygote's loop
            os._exit(70)

    def reap(self) -> None:
        import os

        try:
            while os.read(self.wake_r, 512):
                pass
        except BlockingIOError:
            pass
        while self.children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            self.children.discard(pid)
            self.control.send(b"exit %d %d" % (pid, os.waitstatus_to_exitcode(status)))

    def shutdown(self) -> None:
        """Gearbox is gone or done: kill the children's process groups, then reap them."""
        import os
        import signal

        for pid in self.children:
            _kill_group(pid, signal.SIGKILL)
        for pid in self.children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                continue
        self.children.clear()
        self.control.close()


def become(request: dict[str, Any]) -> None:
    """In the child: set up the function's world as a fresh process has it, then run -m."""
    import os

    argv: list[str] = request["argv"]
    env: dict[str, str] = request["env"]
    os.chdir(request["cwd"])
    _limit_data(request["data_limit"])
    if fresh_process_needed(env, request["initial"], request["roots"]) is not None:
        import signal

        for signum in (signal.SIGPIPE, signal.SIGXFSZ):  # as subprocess leaves them for exec
            signal.signal(signum, signal.SIG_DFL)
        os.execve(argv[0], argv, env)
    env = {**env, **{k: v for k, v in request["added"].items() if k not in env}}
    os.environ.clear()
    os.environ.update(env)
    posix = sys.modules["posix"]  # the environment as the process started: os.environ's source
    posix.environ.clear()
    posix.environ.update({os.fsencode(k): os.fsencode(v) for k, v in env.items()})
    _set_world(argv, request["initial"], request["tail"], request["keep"])
    sys.modules["runpy"]._run_module_as_main(argv[3])


def fresh_process_needed(
    env: dict[str, str], initial: dict[str, str], roots: set[str]
) -> str | None:
    """Why a fresh process would differ from a fork in ``env``; None when they agree."""
    if start_variables(env) != start_variables(initial):
        return "a variable read at process start differs"
    ours = _entries(initial.get("PYTHONPATH", ""))
    theirs = _entries(env.get("PYTHONPATH", ""))
    if len(theirs) < len(ours) or theirs[len(theirs) - len(ours) :] != ours:
        return "PYTHONPATH does not end with the zygote's"
    for folder in dict.fromkeys(added_path(theirs[: len(theirs) - len(ours)])):
        shadowing = {name.partition(".")[0] for name in _names(folder)} & roots
        if shadowing:
            return f"{folder} has {', '.join(sorted(shadowing))}"
    for folder in _entries(env.get("LD_LIBRARY_PATH", "")):
        if any(shared_library(name) for name in _names(folder)):
            return f"{folder} has shared libraries"
    return None


def start_variables(env: dict[str, str]) -> dict[str, str]:
    """The variables only a process's start reads (interpreter, C library, dynamic loader)."""
    return {
        k: v
        for k, v in env.items()
        if (k == "LANG" or k.startswith(_START_PREFIXES)) and k not in _START_HANDLED
    }


def added_path(pythonpath: list[str]) -> list[str]:
    """What comes before the zygote's path under ``-m``: the working directory, PYTHONPATH."""
    import os

    return [os.getcwd(), *(os.path.abspath(entry) for entry in pythonpath)]


def shared_library(name: str) -> bool:
    """A shared object the dynamic loader may look up by name: not a Python extension named
    as one (a bare ``x.so`` counts, as it may be either)."""
    from importlib.machinery import EXTENSION_SUFFIXES

    tagged = tuple(suffix for suffix in EXTENSION_SUFFIXES if suffix != ".so")
    return ".so" in name and not name.endswith(tagged)


def preloaded_roots(names: set[str]) -> set[str]:
    """Top-level names of the loaded modules that came from a folder on the path."""
    roots = set()
    for name in names:
        spec = getattr(sys.modules.get(name), "__spec__", None)
        if spec is not None and spec.origin not in (None, "built-in", "frozen"):
            roots.add(name.partition(".")[0])
    return roots


def _set_world(argv: list[str], initial: dict[str, str], tail: list[str], keep: set[str]) -> None:
    import logging
    import os
    import time
    import types

    time.tzset()
    logging._startTime = time.time()  # type: ignore[attr-defined]  # as if imported now
    ours = _entries(initial.get("PYTHONPATH", ""))
    theirs = _entries(os.environ.get("PYTHONPATH", ""))
    sys.path[:] = [*added_path(theirs[: len(theirs) - len(ours)]), *ours, *tail]
    for entry in [e for e in sys.path_importer_cache if e not in sys.path]:
        del sys.path_importer_cache[entry]
    sys.argv[:] = ["-m", *argv[4:]]
    sys.orig_argv[:] = argv
    for name in [n for n in sys.modules if n not in keep]:  # what the zygote used itself
        del sys.modules[name]
        parent, _, child = name.rpartition(".")
        if parent in sys.modules and child in vars(sys.modules[parent]):
            delattr(sys.modules[parent], child)
    main = types.ModuleType("__main__")
    main.__dict__.update(__builtins__=sys.modules["builtins"], __annotations__={})
    sys.modules["__main__"] = main


def _load_libraries() -> None:
    """Load the C++ runtime that awslambdaric's ``runtime_client`` extension links to, so
    that a child's import of it finds the libraries mapped (a function whose LD_LIBRARY_PATH
    holds libraries gets a fresh process, see ``fresh_process_needed``)."""
    import ctypes

    for name in _LIBRARIES:
        try:
            ctypes.CDLL(name)
        except OSError:  # another platform: the child loads what it needs
            continue


def _entries(path: str) -> list[str]:
    return path.split(":") if path else []


def _names(folder: str) -> list[str]:
    import os

    try:
        return os.listdir(folder)
    except OSError:
        return []


def _limit_data(limit: int) -> None:
    import contextlib
    import resource

    with contextlib.suppress(OSError, ValueError):  # above a hard limit set from outside
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _threads() -> int:
    import os
    import threading

    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # not Linux
        return threading.active_count()


def _close_from(lowest: int) -> None:
    """Close every descriptor from ``lowest`` up: those open, as the open-files limit can be
    in the millions and ``closerange`` may close them one by one."""
    import os

    try:
        highest = max(int(name) for name in os.listdir("/proc/self/fd"))
    except (OSError, ValueError):  # not Linux
        highest = os.sysconf("SC_OPEN_MAX") - 1
    os.closerange(lowest, highest + 1)


def _kill_group(pid: int, signum: int) -> None:
    import contextlib
    import os

    try:
        os.killpg(pid, signum)
    except ProcessLookupError:  # not in its own group yet
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)


def _wake(signum: int, frame: object) -> None:
    """SIGCHLD only wakes the loop, through the wakeup fd."""


if __name__ == "__main__":
    _child = main()
    if _child is not None:
        become(_child)
