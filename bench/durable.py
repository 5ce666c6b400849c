"""What keeping moto's state costs (``gearbox.local.backend.durable``): per write, at a
snapshot, and at a start.

What is measured, in this process, on Gearbox's moto backend (``MotoBackend``) called directly
with requests boto3 signed (captured before sending, so no HTTP is in the figures):

1. **per write**: S3 ``PutObject`` (1 KiB) and DynamoDB ``PutItem`` (about 1 KiB), each
   ``CALLS`` calls, on a backend that keeps its state (every write logged in ``moto.db``
   before it returns; a snapshot, in the background, when the log outgrows the last one)
   against the same backend without a state dir (the baseline: moto alone, as before).
   Rounds alternate the two, a new backend each round, so machine noise falls on both.
2. **at scale**, for N objects and N items: the time to write them, the snapshot's time and
   size, and three starts: over an empty state dir (the baseline), after a clean stop (the
   snapshot loaded) and after a crash with every write still in the log (all replayed).

Prints the machine and two tables. Targets: a write costs at most 1.5x the write without
state, and a start from the snapshot is faster than replaying the writes (what a snapshot is
for). ``--quick`` runs fewer calls and a smaller N.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from harness import log, machine_lines, ms, ratio, table, verdict

from gearbox.local.backend import MotoBackend, durable
from gearbox.local.backend.durable import MotoState
from gearbox.local.edge.messages import Request, Response

CALLS = 2000
ROUNDS = 4
SCALES = (1_000, 10_000)
QUICK_CALLS = 300
QUICK_SCALES = (1_000,)
KEYS = 100
OBJECT = b"g" * 1024
ITEM_DATA = "d" * 1000
BUCKET = "bench-durable"
TABLE = "bench-durable"
WRITE_TARGET = 1.5
HOST = "127.0.0.1"
PORT = 4566


class Captured(Exception):
    """Raised by the capture hook: the request boto3 was about to send."""

    def __init__(self, request: Request) -> None:
        super().__init__()
        self.request = request


def capturing_client(service: str) -> Any:
    """A boto3 client whose calls raise ``Captured`` with the signed request instead of
    sending it."""
    client = boto3.client(
        service,
        endpoint_url=f"http://{HOST}:{PORT}",
        region_name="us-east-1",
        aws_access_key_id="AKIDBENCHDURABLE",
        aws_secret_access_key="secret",
    )

    def capture(request: Any, **_: Any) -> None:
        path, _, query = request.url.partition("://")[2].partition("/")[2].partition("?")
        body = request.body or b""
        if hasattr(body, "read"):  # a streamed body (aws-chunked, with its checksum)
            body = body.read()
        raise Captured(
            Request(
                method=request.method,
                path="/" + path,
                query_string=query,
                headers=(
                    ("Host", f"{HOST}:{PORT}"),  # the HTTP client adds it when sending
                    *(
                        (k, v.decode() if isinstance(v, bytes) else v)
                        for k, v in request.headers.items()
                    ),
                ),
                body=body.encode() if isinstance(body, str) else bytes(body),
            )
        )

    client.meta.events.register("before-send", capture)
    return client


def signed(call: Callable[[], object]) -> Request:
    try:
        call()
    except Captured as captured:
        return captured.request
    raise RuntimeError("the call was not captured")


class Requests:
    """The signed requests of the benchmark, made once."""

    def __init__(self) -> None:
        s3, dynamodb = capturing_client("s3"), capturing_client("dynamodb")
        self.create_bucket = signed(lambda: s3.create_bucket(Bucket=BUCKET))
        self.create_table = signed(
            lambda: dynamodb.create_table(
                TableName=TABLE,
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        )
        self._s3, self._dynamodb = s3, dynamodb
        self.put_objects = [self.put_object(f"k{i}") for i in range(KEYS)]
        self.put_items = [self.put_item(f"k{i}") for i in range(KEYS)]

    def put_object(self, key: str) -> Request:
        return signed(lambda: self._s3.put_object(Bucket=BUCKET, Key=key, Body=OBJECT))

    def put_item(self, key: str) -> Request:
        item = {"pk": {"S": key}, "data": {"S": ITEM_DATA}}
        return signed(lambda: self._dynamodb.put_item(TableName=TABLE, Item=item))


def send(backend: MotoBackend, request: Request, operation: str) -> Response:
    service = "s3" if operation.endswith("Object") or operation == "CreateBucket" else "dynamodb"
    response = backend.call(request, (service, operation))
    if not 200 <= response.status < 300:
        raise RuntimeError(f"{operation}: {response.status} {response.body[:200]!r}")
    return response


@contextmanager
def backend_in(state_dir: Path | None) -> Iterator[MotoBackend]:
    state = MotoState(state_dir) if state_dir is not None else None
    backend = MotoBackend(HOST, PORT, state=state)
    try:
        yield backend
    finally:
        backend.close()


def per_write(requests: Requests, calls: int, rounds: int) -> dict[tuple[str, str], list[float]]:
    """(operation, variant) -> per-call microseconds of each round."""
    found: dict[tuple[str, str], list[float]] = {}
    for r in range(rounds):
        variants = ("kept", "memory") if r % 2 == 0 else ("memory", "kept")
        for variant in variants:
            with (
                tempfile.TemporaryDirectory() as tmp,
                backend_in(Path(tmp) if variant == "kept" else None) as backend,
            ):
                send(backend, requests.create_bucket, "CreateBucket")
                send(backend, requests.create_table, "CreateTable")
                for operation, batch in (
                    ("PutObject", requests.put_objects),
                    ("PutItem", requests.put_items),
                ):
                    started = time.perf_counter()
                    for i in range(calls):
                        send(backend, batch[i % KEYS], operation)
                    elapsed = time.perf_counter() - started
                    found.setdefault((operation, variant), []).append(elapsed / calls * 1e6)
        log(f"per write: round {r + 1} of {rounds}")
    return found


def at_scale(requests: Requests, n: int) -> dict[str, float]:
    """Seconds and bytes for N objects and N items: write, snapshot, clean start, replay."""
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        kept, crashed = Path(tmp) / "kept", Path(tmp) / "crashed"
        kept.mkdir()
        crashed.mkdir()
        objects = [requests.put_object(f"o{i}") for i in range(n)]
        items = [requests.put_item(f"i{i}") for i in range(n)]
        saved = durable.SNAPSHOT_AFTER
        durable.SNAPSHOT_AFTER = 1 << 62  # no snapshot while writing: the log keeps all
        try:
            with backend_in(kept) as backend:
                send(backend, requests.create_bucket, "CreateBucket")
                send(backend, requests.create_table, "CreateTable")
                started = time.perf_counter()
                for request in objects:
                    send(backend, request, "PutObject")
                for request in items:
                    send(backend, request, "PutItem")
                figures["write"] = time.perf_counter() - started
                # what a crash now leaves: the log of every write, and no snapshot
                with sqlite3.connect(kept / "moto.db") as source:
                    target = sqlite3.connect(crashed / "moto.db")
                    source.backup(target)
                    target.close()
                for written in kept.glob("moto-writes.*.log"):
                    shutil.copy(written, crashed / written.name)
                started = time.perf_counter()
                figures["bytes"] = snapshot_now(backend, kept)
                figures["snapshot"] = time.perf_counter() - started
        finally:
            durable.SNAPSHOT_AFTER = saved
        empty = Path(tmp) / "empty"
        empty.mkdir()
        started = time.perf_counter()
        with backend_in(empty):
            figures["empty"] = time.perf_counter() - started
        started = time.perf_counter()
        with backend_in(kept):
            figures["start"] = time.perf_counter() - started
        started = time.perf_counter()
        with backend_in(crashed) as backend:
            figures["replay"] = time.perf_counter() - started
            check = backend.call(requests.put_object("o0"), None)
            if check.status != 200:
                raise RuntimeError("the replayed backend does not answer")
        shutil.rmtree(crashed)
    return figures


def snapshot_now(backend: MotoBackend, state_dir: Path) -> float:
    """Snapshot now; the snapshot's size in bytes."""
    backend.snapshot()
    with sqlite3.connect(state_dir / "moto.db") as db:
        return float(db.execute("SELECT SUM(LENGTH(data)) FROM snapshot").fetchone()[0])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, a smaller N")
    quick = parser.parse_args(argv).quick
    calls, scales = (QUICK_CALLS, QUICK_SCALES) if quick else (CALLS, SCALES)
    begun = time.monotonic()
    requests = Requests()
    writes = per_write(requests, calls, ROUNDS)
    scale_rows = []
    starts: list[tuple[float, float]] = []
    for n in scales:
        log(f"at scale: N={n:,}")
        f = at_scale(requests, n)
        starts.append((f["start"], f["replay"]))
        scale_rows.append(
            [
                f"{n:,}",
                ms(f["write"] * 1000),
                ms(f["snapshot"] * 1000),
                f"{f['bytes'] / 1e6:.1f}",
                ms(f["empty"] * 1000),
                ms(f["start"] * 1000),
                ms(f["replay"] * 1000),
                ratio(f["replay"] / f["start"]),
            ]
        )
    print(
        "\n".join(
            machine_lines(
                [
                    f"run: {'quick' if quick else 'full'}, {calls} calls per round, {ROUNDS} "
                    f"rounds alternating, N in {', '.join(f'{n:,}' for n in scales)}; "
                    f"wall time {time.monotonic() - begun:.0f} s",
                ]
            )
        )
    )
    print()
    print("Per write (in-process, medians of the rounds, us): kept = logged before it returns")
    rows = []
    worst = 0.0
    for operation in ("PutObject", "PutItem"):
        kept = statistics.median(writes[(operation, "kept")])
        memory = statistics.median(writes[(operation, "memory")])
        worst = max(worst, kept / memory)
        rounds_text = " ".join(f"{v:.0f}" for v in writes[(operation, "kept")])
        rows.append(
            [
                operation,
                f"{memory:.0f}",
                f"{kept:.0f}",
                f"{kept - memory:.0f}",
                ratio(kept / memory),
                rounds_text,
            ]
        )
    print(
        table(
            ["operation", "memory only us", "kept us", "added us", "kept/memory", "kept by round"],
            rows,
            [False, True, True, True, True, False],
        )
    )
    print()
    print(
        "At scale: N objects of 1 KiB and N items of 1 KiB, in ms. write = the 2N writes "
        "(logged); empty start = a backend over an empty state dir; clean start = after a "
        "stop (the snapshot loaded); start after crash = the 2N writes replayed from the log"
    )
    print(
        table(
            [
                "N",
                "write ms",
                "snapshot ms",
                "snapshot MB",
                "empty start ms",
                "clean start ms",
                "start after crash ms",
                "crash/clean",
            ],
            scale_rows,
            [True] * 8,
        )
    )
    print()
    print("Targets:")
    print(
        f"  {verdict(worst <= WRITE_TARGET)}  a kept write costs at most {WRITE_TARGET}x one in "
        f"memory: worst {ratio(worst)}"
    )
    print(
        f"  {verdict(all(start < replay for start, replay in starts))}  a clean start (the "
        "snapshot) is faster than replaying the writes, at every N"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
