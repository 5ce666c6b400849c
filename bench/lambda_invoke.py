"""Lambda through the endpoint: warm invoke, cold start and throughput, Gearbox against MiniStack.

What is measured, with boto3 clients of the same settings (``harness.client_config``) against
servers that are separate processes on 127.0.0.1, started and stopped by this script:

- Gearbox: ``gearbox up`` with a fresh temporary state dir;
- MiniStack: the PyPI package ``ministack`` in its own virtualenv ``.bench-venv`` (installed by
  ``sqs.ensure_bench_venv`` if missing), started as
  ``BIND_HOST=127.0.0.1 GATEWAY_PORT=<port> LAMBDA_EXECUTOR=local ministack``;
- floor: a tiny asyncio server run from this file (``--floor-server``) that answers every
  ``POST /2015-03-31/functions/<name>/invocations`` at once with 200, ``{"ok": true}`` and
  ``X-Amz-Executed-Version``: what is left is what boto3 itself costs for an Invoke.

Functions are created on both servers with the same boto3 ``CreateFunction`` call (an
in-memory zip holding ``app.py``, runtime python3.11), and waited for until ``Active``.

1. Warm invoke (median and p90, ms): one ``Invoke`` (RequestResponse, a tiny JSON payload,
   the response body read) of a function whose environment is warm, for two handlers:
   ``quiet`` (returns a constant, prints nothing) and ``print`` (prints one line first).
   Baselines: a direct in-process call of the same handler function (its ``print`` going to
   a line-buffered ``/dev/null``, one write per line as to a pipe), and the client floor.
   Each (target, handler) is a lane; lanes take turns, ``BLOCK`` invokes each (the first lane
   rotating), so that load on the machine that comes and goes (a shared 2-core box) falls on
   every lane alike, until each has its calls or its time budget and its minimum.
2. Cold start (median and p90, ms): the first ``Invoke`` (``LogType=Tail``) after
   ``UpdateFunctionConfiguration`` changed an environment variable, which retires the warm
   environment, so the invoke starts a new one (process, runtime, handler import). Only the
   invoke is timed, once the update has settled (``State`` Active, ``LastUpdateStatus``
   Successful, then ``SETTLE_SECONDS`` for the old environment to go). Baseline: the
   interpreter Gearbox runs environments with, running ``python -c "import app"`` in the
   function's code folder (Gearbox's, from ``GetFunction``), process start to exit, the
   exit being ``os._exit`` so that the interpreter's finalization is not counted; cold starts
   and imports alternate. Also the Init Duration of the REPORT line in the returned log
   tail. Handlers: ``tiny`` (imports nothing) and ``boto3`` (creates an SQS client at import).
   MiniStack is measured for the same handlers where it can run them.
3. Throughput (invokes/s): 1 and 4 concurrent callers (threads, each with its own boto3
   client) invoking ``quiet`` back to back for ``WINDOW_SECONDS``, in windows that alternate
   between targets, after a concurrent warm-up (so each target has its environments).
   The floor's row shows what this one client process (Python threads, one GIL) can issue.

Prints the machine, three tables and the targets with PASS/FAIL: Gearbox faster than
MiniStack on every row that has both; Gearbox's warm round trip minus the client floor (an
estimate of its server-side cost) under 1 ms, the runtime's target (which the in-process
``bench/lambda_runtime.py`` measures without HTTP). ``--quick`` takes fewer samples (a smoke
test). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import io
import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import (
    REGION,
    ROOT,
    VENV_BIN,
    CannedHttp,
    Samples,
    floor_server,
    gearbox_server,
    log,
    machine_lines,
    make_client,
    ms,
    ratio,
    run_floor_server,
    table,
    timed,
    verdict,
    wait_until_answers,
)
from sqs import BENCH_VENV, MINISTACK_VERSION, ensure_bench_venv, ministack_server

ROLE = "arn:aws:iam::123456789012:role/bench-lambda"
RUNTIME = "python3.11"
PAYLOAD = b'{"bench": "gearbox", "n": 1}'
PRINTED = "hello from the handler"

QUIET = "def handler(event, context):\n    return {'ok': True}\n"
PRINTS = f"def handler(event, context):\n    print({PRINTED!r})\n    return {{'ok': True}}\n"
BOTO3 = (
    "import boto3\n\nsqs = boto3.client('sqs')\n\n\n"
    "def handler(event, context):\n    return {'ok': True}\n"
)
WARM_HANDLERS = {"quiet": QUIET, "print": PRINTS}
COLD_HANDLERS = {"tiny": QUIET, "boto3": BOTO3}
THROUGHPUT_FUNCTION = "bench-throughput"

FLOOR = "client floor"
GEARBOX = "Gearbox"
MINISTACK = "MiniStack"

BLOCK = 20
SETTLE_SECONDS = 0.1
READY_TIMEOUT = 60.0
CALLERS = (1, 4)

# Targets.
SERVER_SIDE_LIMIT_MS = 1.0

_INIT_DURATION = re.compile(r"Init Duration: ([0-9.]+) ms")
# Leave without the interpreter's finalization (tens of ms once boto3 is loaded): a cold
# start ends at its first response, not at an exit.
_EXIT = "; import os; os._exit(0)"


@dataclass(frozen=True)
class Plan:
    calls: int  # warm invokes per lane, at most
    min_calls: int
    warmup: int
    budget: float  # seconds per warm lane
    cold: dict[str, int]  # cold starts per handler on Gearbox
    cold_ministack: int  # cold starts per handler on MiniStack (each update waits 0.5 s)
    window: float  # seconds per throughput window
    windows: int  # windows per (target, callers)


FULL = Plan(
    calls=1_000,
    min_calls=100,
    warmup=30,
    budget=20.0,
    cold={"tiny": 20, "boto3": 12},
    cold_ministack=6,
    window=2.0,
    windows=3,
)
QUICK = Plan(
    calls=200,
    min_calls=30,
    warmup=10,
    budget=4.0,
    cold={"tiny": 6, "boto3": 4},
    cold_ministack=2,
    window=1.0,
    windows=1,
)


# functions


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def create_function(client: Any, name: str, code: str) -> None:
    client.create_function(
        FunctionName=name,
        Runtime=RUNTIME,
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_of({"app.py": code})},
        Timeout=30,
    )
    wait_settled(client, name)


def wait_settled(client: Any, name: str) -> None:
    """Until the function is Active and its last update Successful (MiniStack flips both
    half a second after a change; Gearbox answers Active at once)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        found = client.get_function_configuration(FunctionName=name)
        if found.get("State", "Active") == "Active" and found.get(
            "LastUpdateStatus", "Successful"
        ) in ("Successful", None):
            return
        if found.get("State") == "Failed" or found.get("LastUpdateStatus") == "Failed":
            raise RuntimeError(f"{name} failed: {found.get('StateReason')}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} did not become Active within {READY_TIMEOUT:.0f} s")
        time.sleep(0.01)


def invoke(client: Any, name: str, tail: bool = False) -> dict[str, Any]:
    """One RequestResponse Invoke, its body read; an error (of the function or not) raises."""
    extra = {"LogType": "Tail"} if tail else {}
    response: dict[str, Any] = client.invoke(FunctionName=name, Payload=PAYLOAD, **extra)
    body = response["Payload"].read()
    if response.get("FunctionError") or response["StatusCode"] != 200:
        raise RuntimeError(f"{name}: {response.get('FunctionError')} {body[:500]!r}")
    return response


def log_tail(response: dict[str, Any]) -> str:
    return base64.b64decode(response.get("LogResult", "")).decode(errors="replace")


def direct_handler(code: str) -> Callable[[Any, Any], Any]:
    """The handler function of ``code``, as an in-process function object."""
    namespace: dict[str, Any] = {"__name__": "app"}
    exec(compile(code, "app.py", "exec"), namespace)
    handler: Callable[[Any, Any], Any] = namespace["handler"]
    return handler


def code_dir(client: Any, name: str) -> Path:
    """Gearbox's unpacked code folder (``GetFunction``'s ``Code.Location`` is a file URL)."""
    location = str(client.get_function(FunctionName=name)["Code"]["Location"])
    if not location.startswith("file://"):
        raise RuntimeError(f"not a local code folder: {location}")
    return Path(location.removeprefix("file://"))


# 1. warm invoke


@dataclass
class Lane:
    target: str
    handler: str
    call: Callable[[], object]
    samples: Samples = field(default_factory=Samples)
    busy: float = 0.0

    def done(self, plan: Plan) -> bool:
        n = len(self.samples)
        return n >= plan.calls or (n >= plan.min_calls and self.busy >= plan.budget)


def measure_warm(lanes: Sequence[Lane], plan: Plan) -> None:
    """Lanes take turns, ``BLOCK`` calls each (the first lane rotating)."""
    for lane in lanes:
        for _ in range(plan.warmup):
            lane.call()
    active = list(lanes)
    cycle = 0
    while active:
        first = cycle % len(active)
        for lane in active[first:] + active[:first]:
            start = time.perf_counter()
            for _ in range(BLOCK):
                timed(lane.call, lane.samples)
            lane.busy += time.perf_counter() - start
        for lane in active:
            if lane.done(plan):
                log(
                    f"[{lane.target}] warm {lane.handler}: {len(lane.samples)} invokes, "
                    f"{ms(lane.samples.median_ms)} ms"
                )
        active = [lane for lane in active if not lane.done(plan)]
        cycle += 1


def measure_direct(code: str, calls: int) -> Samples:
    """The handler called in-process, ``print`` going to a line-buffered /dev/null."""
    handler = direct_handler(code)
    samples = Samples()
    with (
        open(os.devnull, "w", buffering=1) as null,
        contextlib.redirect_stdout(null),
    ):
        for _ in range(calls):
            event = {"bench": "gearbox", "n": 1}
            start = time.perf_counter()
            handler(event, None)
            samples.add(time.perf_counter() - start)
    return samples


# 2. cold start


@dataclass
class Cold:
    first: Samples = field(default_factory=Samples)
    init: Samples = field(default_factory=Samples)
    bare: Samples = field(default_factory=Samples)
    note: str = ""


def bare_import(folder: Path) -> float:
    """Wall time of ``python -c "import app"`` in ``folder``, process start to exit."""
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    argv = [str(VENV_BIN / "python"), "-c", f"import app{_EXIT}"]
    start = time.perf_counter()
    subprocess.run(argv, cwd=folder, env=env, check=True)
    return time.perf_counter() - start


def cold_start(client: Any, name: str, i: int, result: Cold) -> None:
    """Force a new environment (an environment variable changes), then time the invoke."""
    client.update_function_configuration(
        FunctionName=name, Environment={"Variables": {"BENCH_COLD": str(i)}}
    )
    wait_settled(client, name)
    time.sleep(SETTLE_SECONDS)
    start = time.perf_counter()
    response = invoke(client, name, tail=True)
    result.first.add(time.perf_counter() - start)
    found = _INIT_DURATION.search(log_tail(response))
    if found is not None:
        result.init.add(float(found.group(1)) / 1000)


def measure_cold_gearbox(client: Any, handler: str, samples: int) -> Cold:
    name = f"bench-cold-{handler}"
    create_function(client, name, COLD_HANDLERS[handler])
    invoke(client, name)  # the first start: .pyc files, file caches
    folder = code_dir(client, name)
    bare_import(folder)
    result = Cold()
    for i in range(samples):
        if i % 2:
            result.bare.add(bare_import(folder))
        cold_start(client, name, i, result)
        if not i % 2:
            result.bare.add(bare_import(folder))
    log(
        f"[{GEARBOX}] cold {handler}: {samples} cold starts, {ms(result.first.median_ms)} ms "
        f"(import alone {ms(result.bare.median_ms)} ms)"
    )
    return result


def measure_cold_ministack(client: Any, handler: str, samples: int) -> Cold:
    name = f"bench-cold-{handler}"
    create_function(client, name, COLD_HANDLERS[handler])
    result = Cold()
    try:
        invoke(client, name)
    except RuntimeError as exc:  # e.g. a module its own interpreter does not have
        result.note = str(exc).split("\n")[0][:200]
        log(f"[{MINISTACK}] cold {handler}: cannot run it: {result.note}")
        return result
    for i in range(samples):
        cold_start(client, name, i, result)
    log(f"[{MINISTACK}] cold {handler}: {samples} cold starts, {ms(result.first.median_ms)} ms")
    return result


# 3. throughput


@dataclass
class Throughput:
    calls: int = 0
    seconds: float = 0.0
    latency: Samples = field(default_factory=Samples)

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0


def window(clients: Sequence[Any], name: str, seconds: float, into: Throughput) -> None:
    """Every client invokes ``name`` back to back on its own thread for ``seconds``."""
    barrier = threading.Barrier(len(clients) + 1)
    per_thread = [Samples() for _ in clients]
    errors: list[BaseException] = []
    ends = [0.0]  # set once every thread is waiting at the barrier

    def work(client: Any, samples: Samples) -> None:
        barrier.wait()
        try:
            while time.perf_counter() < ends[0]:
                timed(lambda: invoke(client, name), samples)
        except BaseException as exc:  # reported in the main thread
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(c, s), daemon=True)
        for c, s in zip(clients, per_thread, strict=True)
    ]
    for thread in threads:
        thread.start()
    start = time.perf_counter()
    ends[0] = start + seconds
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise RuntimeError(f"a caller failed: {errors[0]!r}") from errors[0]
    into.seconds += elapsed
    for samples in per_thread:
        into.calls += len(samples)
        into.latency.values.extend(samples.values)


def measure_throughput(
    clients: dict[str, list[Any]], name: str, plan: Plan
) -> dict[tuple[str, int], Throughput]:
    results: dict[tuple[str, int], Throughput] = {}
    for callers in CALLERS:
        targets = list(clients)
        for target in targets:  # warm-up: as many environments as callers
            window(clients[target][:callers], name, 0.3, Throughput())
        for w in range(plan.windows):
            shift = w % len(targets)
            for target in targets[shift:] + targets[:shift]:
                into = results.setdefault((target, callers), Throughput())
                window(clients[target][:callers], name, plan.window, into)
        for target in targets:
            found = results[(target, callers)]
            log(f"[{target}] {callers} caller(s): {found.per_second:.0f} invokes/s")
    return results


# the floor: boto3 against a server that does nothing


_FLOOR_BODY = b'{"ok": true}'
_FLOOR_INVOKE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"x-amzn-RequestId: 00000000-0000-4000-8000-000000000000\r\n"
    b"X-Amz-Executed-Version: $LATEST\r\n"
    b"Content-Length: %d\r\n\r\n%s" % (len(_FLOOR_BODY), _FLOOR_BODY)
)
_FLOOR_OTHER = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
    b"x-amzn-RequestId: 00000000-0000-4000-8000-000000000000\r\n"
    b'Content-Length: 16\r\n\r\n{"Functions":[]}'
)


def _floor_request(request_line: str, headers: dict[str, str], body: bytes) -> bytes:
    """An Invoke gets a canned 200 at once, anything else an empty list."""
    path = request_line.split(" ")[1] if " " in request_line else ""
    return _FLOOR_INVOKE if path.split("?")[0].endswith("/invocations") else _FLOOR_OTHER


# the report


@dataclass
class Results:
    warm: dict[tuple[str, str], Samples] = field(default_factory=dict)
    direct: dict[str, Samples] = field(default_factory=dict)
    cold: dict[tuple[str, str], Cold] = field(default_factory=dict)
    throughput: dict[tuple[str, int], Throughput] = field(default_factory=dict)


def us(milliseconds: float) -> str:
    return f"{milliseconds * 1000:.2f} us"


def warm_table(r: Results) -> str:
    floor = r.warm[(FLOOR, "quiet")]
    rows = [
        [FLOOR, "-", ms(floor.median_ms), ms(floor.p90_ms), str(len(floor)), "-", "-", "-", "-"]
    ]
    for target in (GEARBOX, MINISTACK):
        for handler in WARM_HANDLERS:
            s = r.warm[(target, handler)]
            direct = r.direct[handler].median_ms
            vs_gearbox = (
                ratio(s.median_ms / r.warm[(GEARBOX, handler)].median_ms)
                if target == MINISTACK
                else "-"
            )
            rows.append([
                target, handler, ms(s.median_ms), ms(s.p90_ms), str(len(s)), us(direct),
                ratio(s.median_ms / direct), ms(s.median_ms - floor.median_ms), vs_gearbox,
            ])  # fmt: skip
    headers = [
        "target", "handler", "round trip ms", "p90 ms", "invokes", "direct call",
        "x direct call", "minus floor ms", "MiniStack/Gearbox",
    ]  # fmt: skip
    return table(headers, rows, [False, False, True, True, True, True, True, True, True])


def cold_table(r: Results) -> tuple[str, list[str]]:
    rows, notes = [], []
    for handler in COLD_HANDLERS:
        g = r.cold[(GEARBOX, handler)]
        m = r.cold.get((MINISTACK, handler))
        init = ms(g.init.median_ms) if len(g.init) else "-"
        m_first = ms(m.first.median_ms) if m is not None and len(m.first) else "n/a"
        vs = ratio(m.first.median_ms / g.first.median_ms) if m is not None and len(m.first) else "-"
        if m is not None and m.note:
            notes.append(f"MiniStack cannot run {handler!r}: {m.note}")
        rows.append([
            handler, ms(g.first.median_ms), ms(g.first.p90_ms), str(len(g.first)), init,
            ms(g.bare.median_ms), ratio(g.first.median_ms / g.bare.median_ms), m_first, vs,
        ])  # fmt: skip
    headers = [
        "handler", "Gearbox first invoke ms", "p90 ms", "cold starts", "Init Duration ms",
        "python -c 'import app' ms", "x import", "MiniStack first invoke ms", "MiniStack/Gearbox",
    ]  # fmt: skip
    text = table(headers, rows, [False, True, True, True, True, True, True, True, True])
    return text, notes


def throughput_table(r: Results) -> str:
    rows = []
    for target in (FLOOR, GEARBOX, MINISTACK):
        for callers in CALLERS:
            t = r.throughput[(target, callers)]
            one = r.throughput[(target, CALLERS[0])].per_second
            floor = r.throughput[(FLOOR, callers)].per_second
            vs = (
                ratio(r.throughput[(GEARBOX, callers)].per_second / t.per_second)
                if target == MINISTACK
                else "-"
            )
            rows.append([
                target, str(callers), f"{t.per_second:.0f}", str(t.calls), f"{t.seconds:.1f}",
                ms(t.latency.median_ms), ms(t.latency.p90_ms), ratio(t.per_second / one),
                ratio(t.per_second / floor) if target != FLOOR else "-", vs,
            ])  # fmt: skip
    headers = [
        "target", "callers", "invokes/s", "invokes", "seconds", "median ms", "p90 ms",
        "x 1 caller", "of floor", "Gearbox/MiniStack",
    ]  # fmt: skip
    return table(headers, rows, [False, True, True, True, True, True, True, True, True, True])


def targets(r: Results) -> list[str]:
    lines = []
    floor = r.warm[(FLOOR, "quiet")].median_ms
    for handler in WARM_HANDLERS:
        g, m = r.warm[(GEARBOX, handler)].median_ms, r.warm[(MINISTACK, handler)].median_ms
        lines.append(
            f"{verdict(g < m)}  warm invoke, {handler}: Gearbox faster than MiniStack, "
            f"{ms(g)} ms vs {ms(m)} ms ({ratio(m / g)})"
        )
    for handler in COLD_HANDLERS:
        m_cold = r.cold.get((MINISTACK, handler))
        if m_cold is None or not len(m_cold.first):
            continue
        g, m = r.cold[(GEARBOX, handler)].first.median_ms, m_cold.first.median_ms
        lines.append(
            f"{verdict(g < m)}  cold start, {handler}: Gearbox faster than MiniStack, "
            f"{ms(g)} ms vs {ms(m)} ms ({ratio(m / g)})"
        )
    for callers in CALLERS:
        g_t = r.throughput[(GEARBOX, callers)].per_second
        m_t = r.throughput[(MINISTACK, callers)].per_second
        lines.append(
            f"{verdict(g_t > m_t)}  throughput, {callers} caller(s): Gearbox faster than "
            f"MiniStack, {g_t:.0f}/s vs {m_t:.0f}/s ({ratio(g_t / m_t)})"
        )
    for handler in WARM_HANDLERS:
        over = r.warm[(GEARBOX, handler)].median_ms - floor
        lines.append(
            f"{verdict(over < SERVER_SIDE_LIMIT_MS)}  warm invoke, {handler}: Gearbox's round "
            f"trip minus the client floor under {SERVER_SIDE_LIMIT_MS:.0f} ms "
            f"(server-side estimate): {ms(over)} ms"
        )
    return lines


def source_line() -> str:
    """Which Gearbox was measured: the commit, and whether the Lambda path has local edits."""
    paths = ["src/gearbox/local/runtime", "src/gearbox/local/functions"]

    def git(*args: str) -> str:
        argv = ["git", *args]
        return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False).stdout

    head = git("rev-parse", "--short", "HEAD").strip()
    changed = git("status", "--porcelain", "--", *paths).splitlines()
    edits = ", ".join(line[3:] for line in changed) if changed else "none"
    return f"commit {head or '?'}; uncommitted changes in the Lambda path: {edits}"


# main


def run(plan: Plan) -> Results:
    results = Results()
    with contextlib.ExitStack() as stack:
        floor = stack.enter_context(floor_server("floor", Path(__file__)))
        gearbox = stack.enter_context(gearbox_server())
        ministack = stack.enter_context(ministack_server())
        clients: dict[str, list[Any]] = {}
        for target, server in ((FLOOR, floor), (GEARBOX, gearbox), (MINISTACK, ministack)):
            clients[target] = [make_client("lambda", server.endpoint) for _ in range(max(CALLERS))]
            for client in clients[target]:
                stack.callback(client.close)
            wait_until_answers(clients[target][0].list_functions, target)

        log("creating functions")
        for target in (GEARBOX, MINISTACK):
            for handler, code in WARM_HANDLERS.items():
                create_function(clients[target][0], f"bench-warm-{handler}", code)
            create_function(clients[target][0], THROUGHPUT_FUNCTION, QUIET)

        lanes = [Lane(FLOOR, "quiet", lambda: invoke(clients[FLOOR][0], "bench-warm-quiet"))]
        for target in (GEARBOX, MINISTACK):
            for handler in WARM_HANDLERS:
                client, name = clients[target][0], f"bench-warm-{handler}"
                lanes.append(Lane(target, handler, lambda c=client, n=name: invoke(c, n)))
        log(f"warm: {len(lanes)} lanes, up to {plan.calls} invokes each, interleaved")
        measure_warm(lanes, plan)
        results.warm = {(lane.target, lane.handler): lane.samples for lane in lanes}
        for handler, code in WARM_HANDLERS.items():
            results.direct[handler] = measure_direct(code, plan.calls * 10)

        for handler, samples in plan.cold.items():
            results.cold[(GEARBOX, handler)] = measure_cold_gearbox(
                clients[GEARBOX][0], handler, samples
            )
            results.cold[(MINISTACK, handler)] = measure_cold_ministack(
                clients[MINISTACK][0], handler, plan.cold_ministack
            )

        log(f"throughput: {plan.windows} window(s) of {plan.window:.1f} s per target and callers")
        results.throughput = measure_throughput(clients, THROUGHPUT_FUNCTION, plan)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer samples (a smoke test)")
    parser.add_argument("--floor-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor_server:
        run_floor_server(lambda: CannedHttp(_floor_request))
        return 0

    plan = QUICK if args.quick else FULL
    ensure_bench_venv()
    source = source_line()  # what `gearbox up` loads; others may edit the tree meanwhile
    started = time.perf_counter()
    results = run(plan)
    finish = source_line()
    cold_text, notes = cold_table(results)
    extra = [
        f"gearbox source at start: {source}"
        + ("" if finish == source else f"; at the end (changed during the run): {finish}"),
        f"ministack {MINISTACK_VERSION} (in {BENCH_VENV.name}, LAMBDA_EXECUTOR=local); "
        f"run: {'--quick' if args.quick else 'full'}, finished "
        f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; "
        f"wall time {time.perf_counter() - started:.0f} s",
    ]
    print("\n".join(machine_lines(extra)))
    print()
    print(
        "1. Warm Invoke round trip (RequestResponse, tiny payload) through the endpoint, "
        "median and p90 in ms; ratios are of medians"
    )
    print(warm_table(results))
    print()
    print(
        "2. Cold start: first Invoke after UpdateFunctionConfiguration (new environment), "
        "vs the same interpreter importing the handler"
    )
    print(cold_text)
    for note in notes:
        print(f"   {note}")
    print()
    print(f"3. Throughput: back-to-back Invokes of 'quiet', {plan.windows} x {plan.window:.1f} s")
    print(throughput_table(results))
    print()
    print("Targets:")
    for line in targets(results):
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
