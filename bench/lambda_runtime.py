"""Lambda execution environments: warm invoke and cold start, against their floors.

What is measured (median and p90, ms), in one process, on one asyncio event loop:

- ``warm``: one ``EnvironmentPool.invoke`` of a function whose environment is warm (a process
  running awslambdaric against Gearbox's Runtime API): event out, handler, response back,
  log assembled. Baselines: a direct in-process call of the same handler function; and the
  floor, awslambdaric running the same handler against the least a Runtime API can be
  (``FloorApi``: a canned event, no bookkeeping), measured in rounds alternating with the
  pool's.
- ``cold``: one ``EnvironmentPool.invoke`` of a function with no environment (a new name
  each time): Runtime API listener, process start, Python and awslambdaric start, the
  handler module's import, the invocation, the response. Twice: ``forked`` (the default:
  the process is forked from the pool's zygote, an interpreter that has imported
  awslambdaric's dependencies, see ``gearbox.local.runtime.zygote``) and ``plain``
  (``EnvironmentPool(zygote=False)``: a fresh ``python -S -m awslambdaric``, as Lambda
  starts one), from two pools, the first invoke of each (which starts the zygote) not
  counted. Baseline: the same interpreter
  running ``python -c "import <handler module>"`` in the code folder (process start to
  exit, the exit being ``os._exit`` so that the interpreter's finalization is not counted),
  that is the bare interpreter importing the handler. A second reference, the runtime's
  floor: ``python -S -c "import awslambdaric.__main__, <handler module>"`` with the
  environment's PYTHONPATH, what Lambda's runtime imports before it can serve, without
  serving. Forked and plain cold starts and references alternate. Each environment is retired
  after its cold start, so processes do not pile up.

Two handlers: ``tiny`` (returns its event; imports nothing) and ``boto3`` (creates an SQS
client at import, as most functions do). The pool's endpoint is a closed port: nothing here
calls AWS. Not yet measured: the Lambda API on the edge in front of the pool.

Prints the machine, one table, and the targets with PASS/FAIL (the cold start target is the
default, forked launch's; the plain launch's ratio is printed beside it). ``--quick`` takes
fewer samples. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import HOST, REGION, Samples, free_port, log, machine_lines, ms, ratio, table, verdict

from gearbox.local.functions.model import FunctionSpec, Invocation, InvokeResult
from gearbox.local.runtime import EnvironmentPool

HANDLERS = {
    "tiny": "def handler(event, context):\n    return {'ok': True, 'echo': event}\n",
    "boto3": (
        "import boto3\n\nsqs = boto3.client('sqs')\n\n\n"
        "def handler(event, context):\n    return {'ok': True, 'echo': event}\n"
    ),
}
EVENT = {"bench": "gearbox", "kind": "lambda", "payload": "x" * 160}

WARM_ROUND = 100
LAUNCHES = ("forked", "plain")  # EnvironmentPool(zygote=True), EnvironmentPool(zygote=False)

# Targets from the issue.
WARM_LIMIT_MS = 1.0
COLD_LIMIT = 1.5


@dataclass(frozen=True)
class Plan:
    warm: int
    warmup: int
    cold: dict[str, int]


FULL = Plan(warm=2_000, warmup=200, cold={"tiny": 30, "boto3": 12})
QUICK = Plan(warm=300, warmup=50, cold={"tiny": 8, "boto3": 4})


@dataclass
class Results:
    warm: Samples = field(default_factory=Samples)
    floor_warm: Samples = field(default_factory=Samples)
    direct: Samples = field(default_factory=Samples)
    cold: dict[tuple[str, str], Samples] = field(default_factory=dict)  # (launch, handler)
    init: dict[tuple[str, str], Samples] = field(default_factory=dict)
    bare: dict[str, Samples] = field(default_factory=dict)
    floor: dict[str, Samples] = field(default_factory=dict)


def spec_for(code: Path, name: str) -> FunctionSpec:
    return FunctionSpec(
        name=name,
        handler="app.handler",
        code_dir=code,
        code_sha256="bench",
        region=REGION,
        account="123456789012",
        access_key="AKIDBENCH",
        secret_key="bench",
        timeout=30,
    )


def write_code(root: Path) -> dict[str, Path]:
    folders = {}
    for name, text in HANDLERS.items():
        folder = root / name
        folder.mkdir()
        (folder / "app.py").write_text(text)
        folders[name] = folder
    return folders


def load_handler(code: Path) -> Callable[[Any, Any], Any]:
    module_spec = importlib.util.spec_from_file_location(f"bench_{code.name}", code / "app.py")
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    handler: Callable[[Any, Any], Any] = module.handler
    return handler


def check(result: InvokeResult) -> InvokeResult:
    if result.function_error is not None:
        raise RuntimeError(f"the handler failed: {result.payload!r}\n{result.log}")
    return result


class FloorApi(asyncio.Protocol):
    """The least a Runtime API can be: a canned event for every ``/next``, 202 for every post.

    No request ids, no deadlines to keep, no logs, no memory readings: what is left of a warm
    invoke is awslambdaric's own work and the two HTTP exchanges on loopback.
    """

    waiting: FloorApi | None = None  # the connection parked on /next
    queued: bytes | None = None  # an event no /next has asked for yet
    done: asyncio.Future[None] | None = None

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, _, rest = self.buffer.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if len(rest) < length:
                return
            self.buffer = rest[length:]
            if not head.startswith(b"GET"):
                assert self.transport is not None and FloorApi.done is not None
                self.transport.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
                FloorApi.done.set_result(None)
            elif FloorApi.queued is not None:
                self.send(FloorApi.queued)
                FloorApi.queued = None
            else:
                FloorApi.waiting = self

    def send(self, payload: bytes) -> None:
        assert self.transport is not None
        deadline = int(time.time() * 1000) + 30_000
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Lambda-Runtime-Aws-Request-Id: r\r\nLambda-Runtime-Deadline-Ms: %d\r\n"
            b"Lambda-Runtime-Invoked-Function-Arn: arn\r\nLambda-Runtime-Trace-Id: t\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (deadline, len(payload), payload)
        )

    @classmethod
    async def invoke(cls, payload: bytes) -> None:
        cls.done = asyncio.get_running_loop().create_future()
        if cls.waiting is not None:
            connection, cls.waiting = cls.waiting, None
            connection.send(payload)
        else:
            cls.queued = payload
        await cls.done


async def floor_runtime(code: Path, provided: Path) -> asyncio.subprocess.Process:
    """awslambdaric running ``code`` against a ``FloorApi`` on 127.0.0.1."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind((HOST, 0))
    await asyncio.get_running_loop().create_server(FloorApi, sock=sock)
    env = {
        "AWS_LAMBDA_RUNTIME_API": f"{HOST}:{sock.getsockname()[1]}",
        "PYTHONPATH": f"{code}{os.pathsep}{provided}",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-S", "-m", "awslambdaric", "app.handler", cwd=code, env=env
    )


async def measure_warm(
    pool: EnvironmentPool, code: Path, provided: Path, plan: Plan, results: Results
) -> None:
    """Pool and floor in alternating rounds, so that load that comes and goes hits both."""
    spec = spec_for(code, "warm")
    payload = json.dumps(EVENT).encode()
    floor = await floor_runtime(code, provided)
    try:
        for _ in range(plan.warmup):
            check(await pool.invoke(spec, Invocation(str(uuid.uuid4()), payload)))
            await FloorApi.invoke(payload)
        for _ in range(plan.warm // WARM_ROUND):
            for _ in range(WARM_ROUND):
                start = time.perf_counter()
                check(await pool.invoke(spec, Invocation(str(uuid.uuid4()), payload)))
                results.warm.add(time.perf_counter() - start)
            for _ in range(WARM_ROUND):
                start = time.perf_counter()
                await FloorApi.invoke(payload)
                results.floor_warm.add(time.perf_counter() - start)
    finally:
        floor.kill()
        await floor.wait()
    handler = load_handler(code)
    for _ in range(plan.warmup + plan.warm):
        start = time.perf_counter()
        handler(json.loads(payload), None)
        results.direct.add(time.perf_counter() - start)


# Leave without the interpreter's finalization (tens of ms once boto3 is loaded): a cold
# start ends at its first response, not at an exit.
_EXIT = "; import os; os._exit(0)"


async def timed_python(code: Path, *args: str, **env: str) -> float:
    """Wall time of ``python <args>`` in ``code``, process start to exit."""
    environ = {**os.environ, "AWS_DEFAULT_REGION": REGION, **env}
    start = time.perf_counter()
    process = await asyncio.create_subprocess_exec(sys.executable, *args, cwd=code, env=environ)
    if await process.wait() != 0:
        raise RuntimeError(f"python {' '.join(args)} failed in {code}")
    return time.perf_counter() - start


async def references(code: Path, provided: Path, results: Results, name: str) -> None:
    bare = await timed_python(code, "-c", f"import app{_EXIT}")
    results.bare.setdefault(name, Samples()).add(bare)
    path = f"{code}{os.pathsep}{provided}"
    floor = await timed_python(
        code, "-S", "-c", f"import awslambdaric.__main__, app{_EXIT}", PYTHONPATH=path
    )
    results.floor.setdefault(name, Samples()).add(floor)


def provided_folder(code: Path) -> Path:
    """The pool's provided folder (``work_dir`` is next to the code folders)."""
    return next((code.parent / "work").glob("provided-*"))


async def cold_start(
    pool: EnvironmentPool, code: Path, function: str, cold: Samples, init: Samples
) -> None:
    payload = json.dumps(EVENT).encode()
    start = time.perf_counter()
    result = check(await pool.invoke(spec_for(code, function), Invocation("r", payload)))
    cold.add(time.perf_counter() - start)
    init.add((result.init_ms or 0.0) / 1000)
    pool.retire(function)


async def measure_cold(
    pools: dict[str, EnvironmentPool], name: str, code: Path, samples: int, results: Results
) -> None:
    provided = provided_folder(code)
    await references(code, provided, Results(), name)  # file caches and .pyc files, for all
    for launch in LAUNCHES:
        results.cold[launch, name], results.init[launch, name] = Samples(), Samples()
    for i in range(samples):
        if i % 2:
            await references(code, provided, results, name)
        for launch in LAUNCHES if i % 2 else LAUNCHES[::-1]:
            cold, init = results.cold[launch, name], results.init[launch, name]
            await cold_start(pools[launch], code, f"cold-{name}-{i}", cold, init)
        if not i % 2:
            await references(code, provided, results, name)


async def run(plan: Plan) -> Results:
    results = Results()
    with tempfile.TemporaryDirectory(prefix="bench-lambda-") as tmp:
        folders = write_code(Path(tmp))
        endpoint = f"http://{HOST}:{free_port()}"  # nothing listens: no AWS calls here
        pools = {
            launch: EnvironmentPool(
                endpoint, Path(tmp) / "work", default_concurrency=100, zygote=launch == "forked"
            )
            for launch in LAUNCHES
        }
        try:
            for launch, pool in pools.items():  # the provided folder; the zygote starts
                first = spec_for(folders["tiny"], f"first-{launch}")
                check(await pool.invoke(first, Invocation("r", b"{}")))
            log(f"warm: {plan.warm} invokes after {plan.warmup} warm-up, and as many on the floor")
            provided = provided_folder(folders["tiny"])
            await measure_warm(pools["forked"], folders["tiny"], provided, plan, results)
            for name, samples in plan.cold.items():
                log(
                    f"cold: {samples} forked and {samples} plain cold starts of {name!r}, "
                    "alternating with bare imports"
                )
                await measure_cold(pools, name, folders[name], samples, results)
        finally:
            for pool in pools.values():
                await pool.close()
    return results


def report(results: Results) -> tuple[str, list[str]]:
    warm = results.warm
    rows = [
        [
            "warm invoke", "tiny", ms(warm.median_ms), ms(warm.p90_ms),
            "direct in-process call", f"{results.direct.median_ms * 1000:.2f} us",
            ratio(warm.median_ms / results.direct.median_ms), "-",
        ],
        [
            "warm invoke", "tiny", ms(warm.median_ms), ms(warm.p90_ms),
            "floor: bare Runtime API + awslambdaric", f"{ms(results.floor_warm.median_ms)} ms",
            ratio(warm.median_ms / results.floor_warm.median_ms), "-",
        ],
    ]  # fmt: skip
    for (launch, name), cold in results.cold.items():
        init = ms(results.init[launch, name].median_ms)
        for label, reference in (
            ("python -c 'import app'", results.bare[name]),
            ("runtime floor (-S, awslambdaric)", results.floor[name]),
        ):
            rows.append([
                f"cold start, {launch}", name, ms(cold.median_ms), ms(cold.p90_ms), label,
                f"{ms(reference.median_ms)} ms", ratio(cold.median_ms / reference.median_ms), init,
            ])  # fmt: skip
    headers = [
        "measure", "handler", "Gearbox ms", "p90 ms", "baseline", "baseline median",
        "Gearbox/baseline", "Init Duration ms",
    ]  # fmt: skip
    text = table(headers, rows, [False, False, True, True, False, True, True, True])
    warm_ms = results.warm.median_ms
    lines = [
        f"{verdict(warm_ms < WARM_LIMIT_MS)}  warm invoke round trip under {WARM_LIMIT_MS:.0f} ms: "
        f"{ms(warm_ms)} ms (median), {ms(results.warm.p90_ms)} ms (p90)"
    ]
    for name in results.bare:
        bare = results.bare[name].median_ms
        factor = results.cold["forked", name].median_ms / bare
        plain = results.cold["plain", name].median_ms / bare
        lines.append(
            f"{verdict(factor <= COLD_LIMIT)}  cold start of {name!r} within {COLD_LIMIT}x of the "
            f"bare interpreter importing it: {ratio(factor)} (plain launch: {ratio(plain)})"
        )
    return text, lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer samples")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    started = time.perf_counter()
    results = asyncio.run(run(plan))
    text, verdicts = report(results)
    extra = [
        f"run: {'--quick' if args.quick else 'full'}; warm: {plan.warm} invokes after "
        f"{plan.warmup} warm-up; cold, each launch: "
        f"{', '.join(f'{n} x {k}' for k, n in plan.cold.items())}; "
        f"wall time {time.perf_counter() - started:.0f} s",
    ]
    print("\n".join(machine_lines(extra)))
    print()
    print("Lambda execution environments, median and p90 in ms; ratios are of medians")
    print(text)
    print()
    print("Targets (from the issue):")
    for line in verdicts:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
