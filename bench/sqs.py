"""SQS per-operation cost: Gearbox against moto, MiniStack and boto3's own floor.

What is measured, per target and queue depth, over many repetitions (median and p90, ms):

- ``send``: one ``SendMessage`` call;
- ``recv+del``: one ``ReceiveMessage(MaxNumberOfMessages=10)`` plus one ``DeleteMessageBatch``
  of what it returned, counted as one operation.

How: every target is a separate process on 127.0.0.1, started and stopped by this script,
all driven by boto3 clients with the same settings (``harness.client_config``):

- Gearbox: ``gearbox up`` with a fresh temporary state dir;
- moto: moto's own standalone ``moto_server`` (depths 10 and 1,000 only: its receive and
  delete scan the queue);
- MiniStack: the PyPI package ``ministack`` (pinned below), installed by this script into its
  own virtualenv ``.bench-venv`` (never into ``.venv``) and started as
  ``BIND_HOST=127.0.0.1 GATEWAY_PORT=<port> LAMBDA_EXECUTOR=local ministack``;
- floor: a tiny asyncio server run from this file (``--floor-server``) that answers every
  request at once with a canned, valid SQS JSON-protocol response (a SendMessage answer with
  the right MD5OfMessageBody, ten received messages whose MD5OfBody match, a
  DeleteMessageBatch with every entry successful). What it costs is what boto3 itself costs.

Each (target, depth) pair is a lane: its own queue, filled to the depth with
SendMessageBatch (10 per call) before anything is measured. A round sends 10 messages one by
one and then receives and deletes 10, so the depth stays where it was. Lanes are measured
interleaved, one round each in turn (the first lane rotating), so that load on the machine
that comes and goes (a shared 2-core box) falls on every target and depth alike; idle
servers cost nothing measurable meanwhile. A few warm-up rounds per lane are not counted. A
lane stops after ``rounds`` rounds, or once it has spent its time budget and has at least
``min_rounds``; slow lanes (moto at 1,000, MiniStack at 100,000) so get fewer rounds. The
client floor is one lane, compared with Gearbox at every depth.

Prints the machine, one table, and the issue's targets with PASS/FAIL. ``--quick`` measures
depths 10 and 1,000 only, with fewer rounds (a smoke test). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import (
    HOST,
    ROOT,
    CannedHttp,
    Samples,
    Server,
    floor_server,
    free_port,
    gearbox_server,
    log,
    machine_lines,
    make_client,
    moto_server,
    ms,
    ratio,
    run_floor_server,
    serve,
    table,
    timed,
    verdict,
    wait_until_answers,
)

MINISTACK_VERSION = "1.5.33"
BENCH_VENV = ROOT / ".bench-venv"

FULL_DEPTHS = (10, 1_000, 100_000)
QUICK_DEPTHS = (10, 1_000)
MOTO_MAX_DEPTH = 1_000
BATCH = 10
FULL_ROUNDS = 300
QUICK_ROUNDS = 40
WARMUP_ROUNDS = 20
QUICK_WARMUP_ROUNDS = 5
MIN_ROUNDS = 30
QUICK_MIN_ROUNDS = 10
ROUND_BUDGET_SECONDS = 45.0
QUICK_ROUND_BUDGET_SECONDS = 10.0
WARMUP_BUDGET_SECONDS = 5.0

BODY = json.dumps({"bench": "gearbox", "kind": "sqs", "payload": "x" * 160})
QUEUE = "bench-sqs"

FLOOR = "floor"
GEARBOX = "Gearbox"
MOTO = "moto"
MINISTACK = "MiniStack"

# Targets from the issue.
DEPTH_GROWTH_LIMIT = 1.2
FLOOR_LIMIT = 2.0
MOTO_SPEEDUP = 10.0
MOTO_COMPARE_DEPTH = 1_000


@dataclass
class Result:
    send: Samples = field(default_factory=Samples)
    pair: Samples = field(default_factory=Samples)
    received: int = 0
    fill_seconds: float = 0.0


@dataclass(frozen=True)
class Plan:
    depths: tuple[int, ...]
    rounds: int
    min_rounds: int
    warmup: int
    budget: float


# the client side


def fill(client: Any, url: str, depth: int) -> float:
    """SendMessageBatch (10 a call) until the empty queue at ``url`` holds ``depth`` messages."""
    start = time.perf_counter()
    entries = [{"Id": str(i), "MessageBody": BODY} for i in range(BATCH)]
    for _ in range(depth // BATCH):
        response = client.send_message_batch(QueueUrl=url, Entries=entries)
        if response.get("Failed"):
            raise RuntimeError(f"SendMessageBatch failed: {response['Failed'][:1]}")
    return time.perf_counter() - start


def one_round(client: Any, url: str, result: Result) -> None:
    """Send 10 messages one by one, then receive 10 and delete them: the depth is unchanged."""
    for _ in range(BATCH):
        timed(lambda: client.send_message(QueueUrl=url, MessageBody=BODY), result.send)

    def receive_and_delete() -> int:
        messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=BATCH).get(
            "Messages", []
        )
        if messages:
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ]
            response = client.delete_message_batch(QueueUrl=url, Entries=entries)
            if response.get("Failed"):
                raise RuntimeError(f"DeleteMessageBatch failed: {response['Failed'][:1]}")
        return len(messages)

    start = time.perf_counter()
    got = receive_and_delete()
    result.pair.add(time.perf_counter() - start)
    result.received += got


@dataclass
class Lane:
    """One queue at one depth on one target, measured in turn with all the others."""

    target: str
    depth: int
    client: Any
    url: str
    result: Result = field(default_factory=Result)
    busy: float = 0.0

    def done(self, plan: Plan) -> bool:
        rounds = len(self.result.pair)
        return rounds >= plan.rounds or (rounds >= plan.min_rounds and self.busy > plan.budget)


def open_lanes(name: str, endpoint: str, depths: Sequence[int]) -> list[Lane]:
    """A client for ``endpoint`` and one queue per depth, filled to that depth."""
    client = make_client("sqs", endpoint)
    wait_until_answers(client.list_queues, name)
    lanes = []
    for depth in depths:
        url = client.create_queue(QueueName=f"{QUEUE}-{depth}")["QueueUrl"]
        lane = Lane(name, depth, client, url)
        lane.result.fill_seconds = fill(client, url, depth)
        log(
            f"[{name}] depth {depth:,}: filled in {lane.result.fill_seconds:.1f} s "
            f"(ApproximateNumberOfMessages={approximate_depth(client, url)})"
        )
        lanes.append(lane)
    return lanes


def interleave(lanes: Sequence[Lane], plan: Plan) -> None:
    """Round-robin one round per lane per cycle (rotating who goes first), so load on the
    machine that comes and goes falls on every target alike; a lane leaves once it has its
    rounds, or its time budget and its minimum."""
    for lane in lanes:
        warm_until = time.monotonic() + WARMUP_BUDGET_SECONDS
        for done in range(plan.warmup):
            if done >= 2 and time.monotonic() > warm_until:
                break
            one_round(lane.client, lane.url, Result())
    active = list(lanes)
    started = time.monotonic()
    for cycle in range(plan.rounds):
        if not active:
            break
        first = cycle % len(active)
        for lane in active[first:] + active[:first]:
            start = time.perf_counter()
            one_round(lane.client, lane.url, lane.result)
            lane.busy += time.perf_counter() - start
        for lane in active:
            if lane.done(plan):
                log(
                    f"[{lane.target}] depth {lane.depth:,}: {len(lane.result.pair)} rounds "
                    f"(after {time.monotonic() - started:.0f} s), "
                    f"send {ms(lane.result.send.median_ms)} ms, "
                    f"recv+del {ms(lane.result.pair.median_ms)} ms, "
                    f"{lane.result.received / len(lane.result.pair):.1f} messages per receive"
                )
        active = [lane for lane in active if not lane.done(plan)]


def approximate_depth(client: Any, url: str) -> str:
    attributes = client.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    ).get("Attributes", {})
    return str(attributes.get("ApproximateNumberOfMessages", "?"))


# MiniStack, in its own virtualenv


def ensure_bench_venv() -> Path:
    """Create ``.bench-venv`` with ministack==MINISTACK_VERSION if it is not there yet."""
    python = BENCH_VENV / "bin" / "python"
    probe = "import importlib.metadata as m; print(m.version('ministack'))"
    if python.exists():
        found = subprocess.run(
            [str(python), "-c", probe], capture_output=True, text=True, check=False
        )
        if found.returncode == 0 and found.stdout.strip() == MINISTACK_VERSION:
            return BENCH_VENV / "bin" / "ministack"
    log(f"creating {BENCH_VENV} with ministack=={MINISTACK_VERSION}")
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(BENCH_VENV)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"ministack=={MINISTACK_VERSION}"],
        check=True,
    )
    return BENCH_VENV / "bin" / "ministack"


@contextlib.contextmanager
def ministack_server() -> Iterator[Server]:
    command = ensure_bench_venv()
    port = free_port()
    health = f"http://{HOST}:{port}/_ministack/health"

    def ready(_log: Path) -> str | None:
        try:
            with urllib.request.urlopen(health, timeout=1) as response:  # loopback only
                return f"http://{HOST}:{port}" if response.status == 200 else None
        except OSError:
            return None

    env = {"BIND_HOST": HOST, "GATEWAY_PORT": str(port), "LAMBDA_EXECUTOR": "local"}
    with serve(MINISTACK, [str(command)], ready, env=env) as server:
        yield server


# the floor: boto3 against a server that does nothing


def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _floor_answer(target: str, body: bytes, host: str) -> bytes:
    operation = target.rpartition(".")[2]
    params: dict[str, Any] = json.loads(body) if body else {}
    answer: dict[str, Any]
    if operation == "SendMessage":
        answer = {
            "MessageId": "00000000-0000-4000-8000-000000000000",
            "MD5OfMessageBody": _md5(str(params["MessageBody"])),
        }
    elif operation == "SendMessageBatch":
        answer = {
            "Successful": [
                {
                    "Id": e["Id"],
                    "MessageId": f"00000000-0000-4000-8000-{i:012d}",
                    "MD5OfMessageBody": _md5(str(e["MessageBody"])),
                }
                for i, e in enumerate(params["Entries"])
            ],
            "Failed": [],
        }
    elif operation == "ReceiveMessage":
        answer = _FLOOR_RECEIVE
    elif operation == "DeleteMessageBatch":
        answer = {"Successful": [{"Id": e["Id"]} for e in params["Entries"]], "Failed": []}
    elif operation in ("CreateQueue", "GetQueueUrl"):
        answer = {"QueueUrl": f"http://{host}/123456789012/{params.get('QueueName', QUEUE)}"}
    elif operation == "GetQueueAttributes":
        answer = {"Attributes": {"ApproximateNumberOfMessages": "0"}}
    else:
        answer = {}
    payload = json.dumps(answer, separators=(",", ":")).encode()
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: application/x-amz-json-1.0\r\n"
        "x-amzn-RequestId: 00000000-0000-4000-8000-000000000000\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode("latin-1") + payload


_FLOOR_RECEIVE: dict[str, Any] = {
    "Messages": [
        {
            "MessageId": f"00000000-0000-4000-8000-{i:012d}",
            "ReceiptHandle": f"floor-receipt-{i:04d}-" + "r" * 160,
            "MD5OfBody": _md5(BODY),
            "Body": BODY,
        }
        for i in range(BATCH)
    ]
}


def _floor_request(request_line: str, headers: dict[str, str], body: bytes) -> bytes:
    return _floor_answer(headers.get("x-amz-target", ""), body, headers.get("host", HOST))


# the report


def _pair(a: float, b: float) -> str:
    return f"{ratio(a)} / {ratio(b)}"


def _row(
    target: str,
    depth: str,
    result: Result,
    *,
    vs_floor: str = "",
    vs_ten: str = "",
    vs_gearbox: str = "",
) -> list[str]:
    return [
        target,
        depth,
        ms(result.send.median_ms),
        ms(result.send.p90_ms),
        ms(result.pair.median_ms),
        ms(result.pair.p90_ms),
        vs_floor,
        vs_ten,
        vs_gearbox,
    ]


def report(results: dict[str, dict[int, Result]], depths: Sequence[int]) -> tuple[str, list[str]]:
    floor = results[FLOOR][0]
    gearbox = results[GEARBOX]
    ten = gearbox[depths[0]]
    rows = [_row("client floor", "-", floor, vs_floor="1.00x / 1.00x")]
    for depth in depths:
        g = gearbox[depth]
        rows.append(
            _row(
                GEARBOX,
                f"{depth:,}",
                g,
                vs_floor=_pair(
                    g.send.median_ms / floor.send.median_ms, g.pair.median_ms / floor.pair.median_ms
                ),
                vs_ten=_pair(
                    g.send.median_ms / ten.send.median_ms, g.pair.median_ms / ten.pair.median_ms
                ),
            )
        )
    for other in (MOTO, MINISTACK):
        for depth, r in results[other].items():
            g = gearbox[depth]
            rows.append(
                _row(
                    other,
                    f"{depth:,}",
                    r,
                    vs_gearbox=_pair(
                        r.send.median_ms / g.send.median_ms, r.pair.median_ms / g.pair.median_ms
                    ),
                )
            )
    headers = [
        "target",
        "depth",
        "send ms",
        "send p90",
        "recv+del ms",
        "recv+del p90",
        "Gearbox/floor",
        "Gearbox/Gearbox@10",
        "other/Gearbox",
    ]
    text = table(headers, rows, [False, True, True, True, True, True, True, True, True])
    return text, targets(results, depths)


def targets(results: dict[str, dict[int, Result]], depths: Sequence[int]) -> list[str]:
    floor = results[FLOOR][0]
    gearbox = results[GEARBOX]
    lines = []

    deep, shallow = gearbox[depths[-1]], gearbox[depths[0]]
    growth = (
        deep.send.median_ms / shallow.send.median_ms,
        deep.pair.median_ms / shallow.pair.median_ms,
    )
    lines.append(
        f"{verdict(max(growth) <= DEPTH_GROWTH_LIMIT)}  Gearbox at depth {depths[-1]:,} within "
        f"{DEPTH_GROWTH_LIMIT}x of its cost at {depths[0]:,}: send {ratio(growth[0])}, "
        f"recv+del {ratio(growth[1])}"
    )

    over_floor = max(
        [(gearbox[d].send.median_ms / floor.send.median_ms, "send", d) for d in depths]
        + [(gearbox[d].pair.median_ms / floor.pair.median_ms, "recv+del", d) for d in depths]
    )
    lines.append(
        f"{verdict(over_floor[0] <= FLOOR_LIMIT)}  Gearbox within {FLOOR_LIMIT}x of the client "
        f"floor at every depth: worst is {over_floor[1]} at {over_floor[2]:,}, "
        f"{ratio(over_floor[0])}"
    )

    moto = results[MOTO].get(MOTO_COMPARE_DEPTH)
    if moto is not None:
        g = gearbox[MOTO_COMPARE_DEPTH]
        speedup = (moto.send.median_ms / g.send.median_ms, moto.pair.median_ms / g.pair.median_ms)
        lines.append(
            f"{verdict(min(speedup) >= MOTO_SPEEDUP)}  Gearbox at depth {MOTO_COMPARE_DEPTH:,} "
            f"at least {MOTO_SPEEDUP:.0f}x faster than moto: send {ratio(speedup[0])}, "
            f"recv+del {ratio(speedup[1])}"
        )

    ministack = results[MINISTACK]
    slowest = min(
        [(ministack[d].send.median_ms / gearbox[d].send.median_ms, "send", d) for d in ministack]
        + [
            (ministack[d].pair.median_ms / gearbox[d].pair.median_ms, "recv+del", d)
            for d in ministack
        ]
    )
    lines.append(
        f"{verdict(slowest[0] >= 1.0)}  Gearbox at no depth slower than MiniStack: closest is "
        f"{slowest[1]} at {slowest[2]:,}, MiniStack/Gearbox {ratio(slowest[0])}"
    )
    return lines


# main


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="depths 10 and 1,000, fewer rounds")
    parser.add_argument("--floor-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.floor_server:
        run_floor_server(lambda: CannedHttp(_floor_request))
        return 0

    plan = (
        Plan(
            QUICK_DEPTHS,
            QUICK_ROUNDS,
            QUICK_MIN_ROUNDS,
            QUICK_WARMUP_ROUNDS,
            QUICK_ROUND_BUDGET_SECONDS,
        )
        if args.quick
        else Plan(FULL_DEPTHS, FULL_ROUNDS, MIN_ROUNDS, WARMUP_ROUNDS, ROUND_BUDGET_SECONDS)
    )
    ensure_bench_venv()
    started = time.perf_counter()
    moto_depths = [d for d in plan.depths if d <= MOTO_MAX_DEPTH]
    with contextlib.ExitStack() as servers:
        lanes: list[Lane] = []
        for name, server, depths in (
            (FLOOR, floor_server(FLOOR, Path(__file__)), [0]),
            (GEARBOX, gearbox_server(), list(plan.depths)),
            (MOTO, moto_server(), moto_depths),
            (MINISTACK, ministack_server(), list(plan.depths)),
        ):
            lanes += open_lanes(name, servers.enter_context(server).endpoint, depths)
        log(f"measuring {len(lanes)} lanes, interleaved")
        interleave(lanes, plan)
        for lane in lanes:
            lane.client.close()
    results: dict[str, dict[int, Result]] = {}
    for lane in lanes:
        results.setdefault(lane.target, {})[lane.depth] = lane.result

    text, verdicts = report(results, plan.depths)
    extra = [
        f"ministack {MINISTACK_VERSION} (in {BENCH_VENV.name}); "
        f"run: {'--quick' if args.quick else 'full'}, up to {plan.rounds} rounds per depth "
        f"(10 x send + 1 x recv+del each) after {plan.warmup} warm-up rounds; "
        f"wall time {time.perf_counter() - started:.0f} s",
    ]
    print("\n".join(machine_lines(extra)))
    print()
    print("SQS per-operation cost, median and p90 in ms; ratios are of medians, send / recv+del")
    print(text)
    print()
    print("Targets (from the issue):")
    for line in verdicts:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
