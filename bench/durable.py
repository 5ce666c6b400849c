"""What keeping moto's state costs (``gearbox.local.backend.durable``): per write, at a
snapshot, and at a start.

What is measured, in this process, on Gearbox's moto backend (``MotoBackend``) called directly
with requests boto3 signed (captured before sending, so no HTTP is in the figures):

1. **per write**: S3 ``PutObject`` (1 KiB) and DynamoDB ``PutItem`` (about 1 KiB) on one
   backend that keeps its state, each sent either as a write (logged before the call
   returns; a snapshot, in the background, whenever the log outgrows the last one) or
   without logging (the baseline: moto's answer alone), in alternating blocks of ``BLOCK``
   calls, ``CALLS`` of each per round, so machine noise falls on both.
2. **at scale**, for N objects and N items: the time to write them, the snapshot's time and
   size, and three starts: over an empty state dir (the baseline), after a clean stop (the
   snapshot loaded) and after a crash with every write still in the log (all replayed).

The same writes are also timed through ``gearbox up`` over HTTP (boto3), the cost a user
sees. Prints the machine and two tables. Targets: keeping state (logging, plus the
snapshots' cost spread over the writes) adds at most 10% to a write through the endpoint,
and a start from the snapshot is faster than replaying the writes (what a snapshot is for).
``--quick`` runs fewer calls and a smaller N.
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
from harness import gearbox_server, log, machine_lines, make_client, ms, ratio, table, verdict

from gearbox.local.backend import MotoBackend, durable
from gearbox.local.backend.durable import MotoState
from gearbox.local.edge.messages import Request, Response

CALLS = 2000
ROUNDS = 4
BLOCK = 100
SCALES = (1_000, 10_000)
QUICK_CALLS = 300
QUICK_SCALES = (1_000,)
KEYS = 100
OBJECT = b"g" * 1024
ITEM_DATA = "d" * 1000
BUCKET = "bench-durable"
TABLE = "bench-durable"
WRITE_TARGET = 0.1
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


def send(
    backend: MotoBackend, request: Request, operation: str, *, logged: bool = True
) -> Response:
    """``request`` to moto: as a write (logged before this returns), or without logging."""
    service = "s3" if operation.endswith("Object") or operation == "CreateBucket" else "dynamodb"
    response = backend.call(request, (service, operation) if logged else None)
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
    """(operation, variant) -> per-call microseconds of each block. One backend keeping its
    state; each write is sent either as a write (logged) or as a call moto answers without
    logging it (the baseline), in alternating blocks of ``BLOCK`` calls."""
    found: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp, backend_in(Path(tmp)) as backend:
        send(backend, requests.create_bucket, "CreateBucket")
        send(backend, requests.create_table, "CreateTable")
        for r in range(rounds):
            for operation, batch in (
                ("PutObject", requests.put_objects),
                ("PutItem", requests.put_items),
            ):
                variants = ("kept", "memory") if r % 2 == 0 else ("memory", "kept")
                for start in range(0, calls, BLOCK):
                    for variant in variants:
                        logged = variant == "kept"
                        started = time.perf_counter()
                        for i in range(start, start + BLOCK):
                            send(backend, batch[i % KEYS], operation, logged=logged)
                        elapsed = time.perf_counter() - started
                        found.setdefault((operation, variant), []).append(elapsed / BLOCK * 1e6)
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


def through_endpoint(calls: int) -> dict[str, float]:
    """Median ms of PutObject and PutItem through ``gearbox up`` (which keeps its state)."""
    medians: dict[str, float] = {}
    with gearbox_server() as server:
        s3, dynamodb = make_client("s3", server.endpoint), make_client("dynamodb", server.endpoint)
        s3.create_bucket(Bucket=BUCKET)
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for operation, call in (
            ("PutObject", lambda i: s3.put_object(Bucket=BUCKET, Key=f"k{i % KEYS}", Body=OBJECT)),
            (
                "PutItem",
                lambda i: dynamodb.put_item(
                    TableName=TABLE, Item={"pk": {"S": f"k{i % KEYS}"}, "data": {"S": ITEM_DATA}}
                ),
            ),
        ):
            samples = []
            for i in range(calls + 50):
                started = time.perf_counter()
                call(i)
                if i >= 50:
                    samples.append(time.perf_counter() - started)
            medians[operation] = statistics.median(samples) * 1000
    return medians


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls, a smaller N")
    quick = parser.parse_args(argv).quick
    calls, scales = (QUICK_CALLS, QUICK_SCALES) if quick else (CALLS, SCALES)
    begun = time.monotonic()
    requests = Requests()
    writes = per_write(requests, calls, ROUNDS)
    log("through the endpoint")
    endpoint = through_endpoint(calls // 4)
    scale_rows = []
    starts: list[tuple[float, float]] = []
    f: dict[str, float] = {}
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
                    f"rounds in blocks of {BLOCK} alternating, "
                    f"N in {', '.join(f'{n:,}' for n in scales)}; "
                    f"wall time {time.monotonic() - begun:.0f} s",
                ]
            )
        )
    )
    print()
    print(
        "Per write (in-process, medians of the blocks, us): kept = logged before it returns, "
        "memory = the same call not logged; + snapshots = kept plus the snapshots' cost spread "
        "over the writes between two of them (from the largest N below); endpoint = the "
        "median of the same write through `gearbox up` (boto3 over HTTP)"
    )
    # the snapshot of the largest N, spread over the writes that bring the next one about
    snapshot_us_per_byte = f["snapshot"] * 1e6 / (durable.LOG_TO_SNAPSHOT * f["bytes"])
    samples = {"PutObject": requests.put_objects[0], "PutItem": requests.put_items[0]}
    rows = []
    worst = 0.0
    for operation, sample in samples.items():
        kept = statistics.median(writes[(operation, "kept")])
        memory = statistics.median(writes[(operation, "memory")])
        spread = sorted(writes[(operation, "kept")])
        with_snapshots = kept + snapshot_us_per_byte * (len(sample.body) + durable.ROW_COST)
        added = (with_snapshots - memory) / 1000
        share = added / endpoint[operation]
        worst = max(worst, share)
        rows.append(
            [
                operation,
                f"{memory:.0f}",
                f"{kept:.0f}",
                f"{spread[len(spread) // 10]:.0f} / {spread[len(spread) * 9 // 10]:.0f}",
                f"{kept - memory:.0f}",
                f"{with_snapshots:.0f}",
                ratio(with_snapshots / memory),
                ms(endpoint[operation]),
                f"{share:.1%}",
            ]
        )
    print(
        table(
            [
                "operation",
                "memory us",
                "kept us",
                "kept p10 / p90",
                "added us",
                "+ snapshots us",
                "x memory",
                "endpoint ms",
                "added/endpoint",
            ],
            rows,
            [False, True, True, True, True, True, True, True, True],
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
    print(
        f"Targets (a snapshot is due at {durable.SNAPSHOT_AFTER >> 20} MiB of log, "
        f"or at {durable.LOG_TO_SNAPSHOT}x the size of the last snapshot):"
    )
    print(
        f"  {verdict(worst <= WRITE_TARGET)}  keeping state (logging, and a share of the "
        f"snapshots) adds at most {WRITE_TARGET:.0%} to a write through the endpoint: worst "
        f"{worst:.1%}"
    )
    print(
        f"  {verdict(all(start < replay for start, replay in starts))}  a clean start (the "
        "snapshot) is faster than replaying the writes, at every N"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
