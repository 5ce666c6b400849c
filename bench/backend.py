"""Services Gearbox hands to moto: Gearbox's endpoint against moto's own standalone server.

What is measured: the per-call cost (median and p90, ms) of

- S3 ``PutObject`` of a 1 KiB object and ``GetObject`` of one (the body read in full);
- DynamoDB ``PutItem`` and ``GetItem`` (consistent read) of a small item (about 1 KiB),

through Gearbox's endpoint (``gearbox up``: the edge parses each request and runs it through
moto's WSGI application in-process) and through moto's own ``moto_server`` (werkzeug), each a
separate process on 127.0.0.1 with a fresh state, started and stopped by this script and
driven by boto3 clients with the same settings (``harness.client_config``).

Both servers run at once and are measured in turns: per operation, ``WARMUP`` uncounted calls
on each, then blocks of ``BLOCK`` calls, Gearbox and moto alternating (and alternating who
goes first), up to ``CALLS`` counted calls each or a time budget, so that load on the machine
that comes and goes (a shared 2-core box) falls on both alike. Keys cycle over ``KEYS``
names, so the stores do not grow.

Prints the machine and one table with the ratio Gearbox/moto per operation, and PASS when
Gearbox is no slower than moto (ratio at most 1.0). ``--quick`` makes fewer calls.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness import (
    Samples,
    gearbox_server,
    log,
    machine_lines,
    make_client,
    moto_server,
    ms,
    ratio,
    table,
    timed,
    verdict,
    wait_until_answers,
)

BUCKET = "bench-backend"
TABLE = "bench-backend"
KEYS = 100
OBJECT = b"g" * 1024
ITEM_DATA = "d" * 1000
CALLS = 500
WARMUP = 50
QUICK_CALLS = 100
QUICK_WARMUP = 10
MIN_CALLS = 50
BLOCK = 25
BUDGET_SECONDS = 60.0
TARGET_RATIO = 1.0

GEARBOX = "Gearbox"
MOTO = "moto"


@dataclass(frozen=True)
class Plan:
    calls: int
    warmup: int
    budget: float


Operation = Callable[[int], object]


def setup(s3: Any, dynamodb: Any) -> None:
    s3.create_bucket(Bucket=BUCKET)
    for i in range(KEYS):
        s3.put_object(Bucket=BUCKET, Key=f"obj-{i}", Body=OBJECT)
    dynamodb.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    deadline = time.monotonic() + 30
    while dynamodb.describe_table(TableName=TABLE)["Table"]["TableStatus"] != "ACTIVE":
        if time.monotonic() > deadline:
            raise RuntimeError("the table did not become ACTIVE within 30 s")
        time.sleep(0.1)
    for i in range(KEYS):
        dynamodb.put_item(TableName=TABLE, Item=_item(i))


def _item(i: int) -> dict[str, Any]:
    return {"pk": {"S": f"item-{i}"}, "n": {"N": str(i)}, "data": {"S": ITEM_DATA}}


def operations(s3: Any, dynamodb: Any) -> dict[str, Operation]:
    def put_object(i: int) -> object:
        return s3.put_object(Bucket=BUCKET, Key=f"obj-{i % KEYS}", Body=OBJECT)

    def get_object(i: int) -> object:
        body = s3.get_object(Bucket=BUCKET, Key=f"obj-{i % KEYS}")["Body"].read()
        if len(body) != len(OBJECT):
            raise RuntimeError(f"GetObject returned {len(body)} bytes, not {len(OBJECT)}")
        return body

    def put_item(i: int) -> object:
        return dynamodb.put_item(TableName=TABLE, Item=_item(i % KEYS))

    def get_item(i: int) -> object:
        item = dynamodb.get_item(
            TableName=TABLE, Key={"pk": {"S": f"item-{i % KEYS}"}}, ConsistentRead=True
        ).get("Item")
        if item is None:
            raise RuntimeError("GetItem found no item")
        return item

    return {
        "S3 PutObject (1 KiB)": put_object,
        "S3 GetObject (1 KiB)": get_object,
        "DynamoDB PutItem": put_item,
        "DynamoDB GetItem": get_item,
    }


@dataclass
class Target:
    name: str
    s3: Any
    dynamodb: Any
    operations: dict[str, Operation] = field(default_factory=dict)
    samples: dict[str, Samples] = field(default_factory=dict)


def open_target(name: str, endpoint: str) -> Target:
    s3 = make_client("s3", endpoint)
    dynamodb = make_client("dynamodb", endpoint)
    wait_until_answers(s3.list_buckets, name)
    setup(s3, dynamodb)
    return Target(name, s3, dynamodb, operations(s3, dynamodb))


def measure(targets: Sequence[Target], label: str, plan: Plan) -> None:
    """``label`` on every target: a warm-up, then blocks of ``BLOCK`` calls taking turns
    (the first target alternating), until ``plan.calls`` calls or the time budget."""
    for target in targets:
        for i in range(plan.warmup):
            target.operations[label](i)
        target.samples[label] = Samples()
    deadline = time.monotonic() + plan.budget
    for block in range(plan.calls // BLOCK):
        if block * BLOCK >= MIN_CALLS and time.monotonic() > deadline:
            break
        order = targets if block % 2 == 0 else list(reversed(targets))
        for target in order:
            operation, samples = target.operations[label], target.samples[label]
            for i in range(block * BLOCK, (block + 1) * BLOCK):
                timed(functools.partial(operation, i), samples)
    for target in targets:
        samples = target.samples[label]
        log(f"[{target.name}] {label}: {len(samples)} calls, {ms(samples.median_ms)} ms")


def report(results: dict[str, dict[str, Samples]]) -> tuple[str, list[str]]:
    rows = []
    verdicts = []
    for label, g in results[GEARBOX].items():
        m = results[MOTO][label]
        r = g.median_ms / m.median_ms
        rows.append(
            [
                label,
                ms(g.median_ms),
                ms(g.p90_ms),
                ms(m.median_ms),
                ms(m.p90_ms),
                ratio(r),
                verdict(r <= TARGET_RATIO),
            ]
        )
        verdicts.append(r <= TARGET_RATIO)
    headers = [
        "operation",
        "Gearbox ms",
        "Gearbox p90",
        "moto ms",
        "moto p90",
        "Gearbox/moto",
        f"<= {TARGET_RATIO}x",
    ]
    text = table(headers, rows, [False, True, True, True, True, True, False])
    passed = sum(verdicts)
    summary = [
        f"{verdict(all(verdicts))}  Gearbox's endpoint no slower than moto's standalone server "
        f"(Gearbox/moto <= {TARGET_RATIO}x): {passed} of {len(verdicts)} operations",
    ]
    return text, summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer calls per operation")
    args = parser.parse_args(argv)
    plan = (
        Plan(QUICK_CALLS, QUICK_WARMUP, BUDGET_SECONDS / 4)
        if args.quick
        else Plan(CALLS, WARMUP, BUDGET_SECONDS)
    )
    started = time.perf_counter()
    with contextlib.ExitStack() as servers:
        targets = [
            open_target(GEARBOX, servers.enter_context(gearbox_server()).endpoint),
            open_target(MOTO, servers.enter_context(moto_server()).endpoint),
        ]
        for label in targets[0].operations:
            measure(targets, label, plan)
        for target in targets:
            target.s3.close()
            target.dynamodb.close()
    results = {target.name: target.samples for target in targets}

    text, summary = report(results)
    extra = [
        f"run: {'--quick' if args.quick else 'full'}, up to {plan.calls} calls per operation "
        f"after {plan.warmup} warm-up calls; wall time {time.perf_counter() - started:.0f} s",
    ]
    print("\n".join(machine_lines(extra)))
    print()
    print("Gearbox's endpoint vs moto's standalone server, median and p90 in ms")
    print(text)
    print()
    print("Target (from the issue):")
    for line in summary:
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
