"""Environments forked from the pool's zygote: the same world as a fresh process, isolation
between functions, and what happens when the zygote dies or the pool closes.

Each test drives an ``EnvironmentPool`` as ``test_runtime.py`` does; the zygote is found as
the parent of a forked environment's process.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

from gearbox.local.cloud import LocalCloud
from gearbox.local.functions.model import InvokeResult
from gearbox.local.runtime import EnvironmentPool
from tests.functional.test_runtime import (
    SLEEPY,
    alive,
    body,
    invocation,
    running_in,
    spec_for,
    with_pool,
    write,
)

# What an environment can see of its process: compared between a forked and a fresh one.
WORLD = """
import os, resource, signal, sys

def fds():
    found = []
    for fd in sorted(os.listdir("/proc/self/fd"), key=int):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        found.append(target.split(":")[0])
    return found

def handler(event, context):
    main = sys.modules["__main__"]
    return {
        "modules": sorted(sys.modules),
        "path": sys.path,
        "argv": sys.argv,
        "orig_argv": sys.orig_argv,
        "main": sorted(vars(main)),
        "main_file": main.__file__,
        "flags": str(sys.flags),
        "env": dict(os.environ),
        "env_order": list(os.environ),
        "posix_environ": sorted(k.decode() for k in sys.modules["posix"].environ),
        "cwd": os.getcwd(),
        "fds": fds(),
        "signals": {str(n): repr(signal.getsignal(n)) for n in sorted(signal.valid_signals())
                    if n not in (signal.SIGKILL, signal.SIGSTOP)},
        "group": os.getpgid(0) == os.getpid() == os.getsid(0),
        "data_limit": resource.getrlimit(resource.RLIMIT_DATA),
        "stdio": [(getattr(s, "stream", s).encoding, getattr(s, "stream", s).errors)
                  for s in (sys.stdin, sys.stdout, sys.stderr)],
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "command": open("/proc/self/cmdline").read().split("\\0")[:4],
    }
"""
PER_ENVIRONMENT = ("AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_LOG_STREAM_NAME", "TMPDIR")
PER_INVOCATION = ("_X_AMZN_TRACE_ID",)


def ppid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    raise AssertionError(f"no PPid for {pid}")


def children_of_this_process() -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and alive(int(entry.name)):
            try:
                if ppid(int(entry.name)) == os.getpid():
                    found.add(int(entry.name))
            except (OSError, AssertionError):
                continue
    return found


def forked(world: dict[str, Any]) -> bool:
    """Run as the zygote's child, not exec'd: the command line is the zygote's."""
    return bool(world["command"][2] == "-c")


def test_a_forked_environment_sees_what_a_fresh_process_sees(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    spec = spec_for(write(tmp_path / "code", app=WORLD), memory_mb=256)

    def world(zygote: bool) -> dict[str, Any]:
        async def scenario(pool: EnvironmentPool) -> InvokeResult:
            return await pool.invoke(spec, invocation())

        result = with_pool(cloud, tmp_path, scenario, zygote=zygote)
        assert result.function_error is None, result.payload
        return dict(body(result))

    fresh, fork = world(zygote=False), world(zygote=True)
    assert fresh["ppid"] == os.getpid() and not forked(fresh)
    assert fork["ppid"] != os.getpid() and forked(fork)
    assert fork["group"] and fresh["group"]
    assert fork["data_limit"] == fresh["data_limit"] == [(256 + 1024) * 1024 * 1024] * 2
    for name in PER_ENVIRONMENT + PER_INVOCATION:
        assert fork["env"].pop(name) != fresh["env"].pop(name)
    assert fork.pop("env") == fresh.pop("env")
    for key in ("pid", "ppid", "command"):
        del fork[key], fresh[key]
    assert fork == fresh  # modules, path, argv, __main__, flags, variables, fds, signals...


ISOLATED_A = """
import os, sys
import only_a

def handler(event, context):
    import boto3  # from the provided folder, in this environment only
    os.environ["SET_BY_A"] = "1"
    return {"secret": os.environ["A_SECRET"], "seen": scan()}

SCAN = '''
import os, re

def scan():
    pattern = re.compile(rb"ZYGOTE-LEAK-[0-9a-f]{32}")
    found = set()
    fd = os.open("/proc/self/mem", os.O_RDONLY)
    try:
        for line in open("/proc/self/maps"):
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if "r" not in fields[1] or fields[-1].startswith("[v"):
                continue
            try:
                found.update(m.group().decode() for m in pattern.finditer(
                    os.pread(fd, end - start, start)))
            except OSError:
                continue
    finally:
        os.close(fd)
    return sorted(found)
'''
exec(SCAN)
"""
ISOLATED_B = """
import importlib.util, os, sys

def handler(event, context):
    scan = {}
    exec(event["scan"], scan)
    return {
        "modules": [m for m in ("only_a", "boto3", "botocore") if m in sys.modules],
        "find_only_a": importlib.util.find_spec("only_a") is not None,
        "variables": [v for v in ("A_SECRET", "SET_BY_A") if v in os.environ],
        "seen": scan["scan"](),
        "ppid": os.getppid(),
    }
"""


def test_functions_do_not_see_each_others_modules_variables_or_memory(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    secret = "ZYGOTE-LEAK-" + os.urandom(16).hex()
    code_a = write(tmp_path / "a", app=ISOLATED_A, only_a="X = 1\n")
    code_b = write(tmp_path / "b", app=ISOLATED_B)
    spec_a = spec_for(code_a, name="a", timeout=10, environment={"A_SECRET": secret})
    spec_b = spec_for(code_b, name="b", timeout=10)
    scan = ISOLATED_A.split("SCAN = '''")[1].split("'''", maxsplit=1)[0]

    async def scenario(pool: EnvironmentPool) -> tuple[Any, Any, Any]:
        a = body(await pool.invoke(spec_a, invocation()))
        b = body(await pool.invoke(spec_b, invocation({"scan": scan})))
        a_again = body(await pool.invoke(spec_a, invocation()))  # A's environment, warm
        return a, b, a_again

    a, b, a_again = with_pool(cloud, tmp_path, scenario)
    assert a["secret"] == secret and secret in a["seen"]  # the scan finds what is there
    assert b["ppid"] != os.getpid()  # forked from the zygote, after A
    assert b["modules"] == [] and not b["find_only_a"]
    assert b["variables"] == []
    assert b["seen"] == []  # not even in memory the zygote left behind
    assert a_again["secret"] == secret


SHADOWING = """
import os, sys, tokenize

def handler(event, context):
    return {"where": tokenize.WHERE, "command": open("/proc/self/cmdline").read().split("\\0")[:4],
            "ppid": os.getppid(), "hash_randomization": sys.flags.hash_randomization}
"""


def test_what_a_fork_cannot_reproduce_gets_a_fresh_process(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    """A module of the code with a preloaded module's name, a variable read at start, a
    library in LD_LIBRARY_PATH: the child execs the plain command, as Lambda would run it.
    Variables too large for a request to the zygote: the process is spawned plainly."""
    # tokenize: preloaded (linecache imports it), and only used to show a traceback's source
    shadowing = write(tmp_path / "shadowing", app=SHADOWING, tokenize="WHERE = 'code'\n")
    plain = write(tmp_path / "plain", app=SHADOWING.replace("tokenize.WHERE", "'stdlib'"))
    library = write(tmp_path / "library", app=SHADOWING.replace("tokenize.WHERE", "'lib'"))
    write(library / "lib").joinpath("libnothing.so.1").write_bytes(b"")
    specs = [
        spec_for(shadowing, name="shadowing"),
        spec_for(plain, name="hashseed", environment={"PYTHONHASHSEED": "0"}),
        spec_for(library, name="library"),
        spec_for(plain, name="large", environment={"LARGE": "x" * 70_000}),
        spec_for(plain, name="forked"),
    ]

    async def scenario(pool: EnvironmentPool) -> list[Any]:
        return [body(await pool.invoke(spec, invocation())) for spec in specs]

    shadowed, seeded, with_library, large, forked_one = with_pool(cloud, tmp_path, scenario)
    assert large["ppid"] == os.getpid()  # too large a request for the zygote: spawned plainly
    assert shadowed["where"] == "code"  # as a fresh process imports it: the code comes first
    assert seeded["hash_randomization"] == 0
    for exec_d in (shadowed, seeded, with_library):
        assert exec_d["command"][1:4] == ["-S", "-m", "awslambdaric"]
        assert exec_d["ppid"] == forked_one["ppid"] != os.getpid()  # still the zygote's child
    assert forked_one["command"][2] == "-c" and forked_one["hash_randomization"] == 1


def test_a_killed_zygote_is_replaced_and_its_environments_end(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    code = write(tmp_path / "code", app=SLEEPY)

    async def scenario(pool: EnvironmentPool) -> None:
        first = body(await pool.invoke(spec_for(code, name="first"), invocation()))["pid"]
        zygote = ppid(first)
        os.kill(zygote, signal.SIGKILL)
        await asyncio.sleep(0.2)
        assert not alive(zygote) and not alive(first)  # nothing would report its exit
        result = await pool.invoke(spec_for(code, name="second"), invocation())
        assert result.function_error is None and result.init_ms is not None
        second = body(result)["pid"]
        replacement = ppid(second)
        assert replacement not in (zygote, os.getpid()) and alive(replacement)
        busy = asyncio.ensure_future(pool.invoke(spec_for(code), invocation({"sleep": 5})))
        await asyncio.sleep(0.3)
        os.kill(replacement, signal.SIGKILL)
        assert (await busy).error_type == "Runtime.ExitError"
        await pool.close()
        assert not any(alive(pid) for pid in (zygote, first, second, replacement))

    with_pool(cloud, tmp_path, scenario)
    assert running_in(code) == []


def test_without_a_zygote_cold_starts_spawn_plainly(
    cloud: LocalCloud, tmp_path: Path, monkeypatch: Any
) -> None:
    """A zygote that cannot start (here: its program fails) leaves plain launches."""
    from gearbox.local.runtime import zygote

    broken = tmp_path / "broken.py"
    broken.write_text("raise SystemExit(3)\n")
    monkeypatch.setattr(zygote, "_PROGRAM", broken)
    code = write(tmp_path / "code", app=SLEEPY)

    async def scenario(pool: EnvironmentPool) -> list[int]:
        results = [await pool.invoke(spec_for(code, name=f"f{i}"), invocation()) for i in range(3)]
        return [ppid(body(result)["pid"]) for result in results]

    assert with_pool(cloud, tmp_path, scenario) == [os.getpid()] * 3


def test_close_leaves_no_zygote(cloud: LocalCloud, tmp_path: Path) -> None:
    code = write(tmp_path / "code", app=SLEEPY)
    before = children_of_this_process()
    found: list[int] = []

    async def scenario(pool: EnvironmentPool) -> None:
        pid = body(await pool.invoke(spec_for(code), invocation()))["pid"]
        found.extend([pid, ppid(pid)])
        busy = asyncio.ensure_future(pool.invoke(spec_for(code), invocation({"sleep": 30})))
        await asyncio.sleep(0.3)
        await pool.close()
        assert (await busy).error_type == "Runtime.ExitError"

    with_pool(cloud, tmp_path, scenario)
    assert len(found) == 2 and found[1] != os.getpid()
    assert not any(alive(pid) for pid in found)
    assert children_of_this_process() <= before
