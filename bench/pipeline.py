"""The reference pipeline end to end: S3 upload -> notification -> SQS -> mapping -> Lambda ->
DynamoDB, Gearbox against MiniStack, with the floor of the backend calls it cannot avoid.

The pipeline, built on each server with the same boto3 calls (``harness.client_config``,
servers as separate processes on 127.0.0.1, started and stopped by this script):

- bucket ``uploads`` whose ``s3:ObjectCreated:*`` notifications go to the queue
  ``uploads-events``, whose policy lets S3 send from that bucket, as AWS requires (the
  ``s3:TestEvent`` the configuration sends is consumed first);
- a function ``pipeline-writer`` (python3.11, an in-memory zip) that, for every S3 record of
  every SQS message, writes an item (key, bucket, size, ``written`` = ``time.time()``) with a
  boto3 DynamoDB client to the table ``pipeline-<phase>`` (``<phase>`` is the key's prefix);
- an event source mapping from the queue to the function, ``BatchSize`` 10.

Measured per target (N objects of 100 bytes; 2,000, or 200 with ``--quick``):

0. One upload alone: 200 serial PutObjects to a bucket without notifications, median round
   trip (the live phase's single uploader pays this for every object).
1. Backlog drain: N uploads with no mapping yet; once the queue holds N messages the mapping
   is created, and the time runs from ``CreateEventSourceMapping`` to the last item written.
2. Live: one thread uploads N objects back to back while the pipeline drains concurrently;
   events/s is N over the time from the first ``PutObject`` to the last item written. The
   end is the latest ``written`` stamp (the function's clock, the same machine), checked by
   polling ``Scan Select=COUNT`` once the uploads are done (bounded, with a timeout).
   Latency p50/p99 per event: the item's ``written`` minus the client's ``time.time()``
   right after that object's ``PutObject`` returned.

The floor, measured by this script against Gearbox's endpoint in the same run (a bucket,
queue and table of their own, no notifications, no mapping): one ``PutObject`` + one
``SendMessage`` + a tenth of (``ReceiveMessage`` of 10 + ``DeleteMessageBatch`` of 10) + one
``PutItem``, medians, as ms per event and the events/s that implies (one client, serially).

MiniStack runs functions with its own interpreter (``LAMBDA_EXECUTOR=local``, the
``.bench-venv`` Python), which has no boto3, while AWS's Python runtimes ship it: its
function gets ``PYTHONPATH`` pointing at this project's ``.venv`` site-packages (said in the
output). Any piece MiniStack lacks is named in the output and left out of its rows.

Rounds: a single run of each is not a comparison on a shared 2-core machine (the same target
gives 200/s in one minute and 300/s in the next), so a full run takes 3 rounds (``--rounds``),
each a fresh Gearbox and a fresh MiniStack, one server at a time, the order alternating round by
round; the table shows each target's medians, and a line gives every round's figures.

Prints the machine, one table and the target with PASS/FAIL: Gearbox ahead of MiniStack on
the median live events/s and backlog drain. ``--quick`` takes 200 objects and one round (a
smoke test).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import sysconfig
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness import (
    Samples,
    gearbox_server,
    log,
    machine_lines,
    make_client,
    ms,
    ratio,
    table,
    verdict,
    wait_until_answers,
)
from sqs import BENCH_VENV, MINISTACK_VERSION, ensure_bench_venv, ministack_server

from gearbox.dev.functions import TRUST_POLICY
from gearbox.dev.triggers import s3_queue_policy

ROLE = "arn:aws:iam::123456789012:role/bench-lambda"
RUNTIME = "python3.11"
BUCKET = "uploads"
QUEUE = "uploads-events"
FUNCTION = "pipeline-writer"
PHASES = ("backlog", "live")
BODY = b"x" * 100
BATCH = 10

GEARBOX = "Gearbox"
MINISTACK = "MiniStack"

SETUP_TIMEOUT = 30.0
DRAIN_TIMEOUT = 300.0
POLL_INTERVAL = 0.05

FULL_N = 2_000
QUICK_N = 200
FULL_FLOOR_ROUNDS = 60
QUICK_FLOOR_ROUNDS = 20
FULL_ROUNDS = 3
PROBE_CALLS = 200
QUICK_ROUNDS = 1

WRITER = """import json
import time
import urllib.parse

import boto3

dynamodb = boto3.client("dynamodb")


def handler(event, context):
    for message in event["Records"]:
        for record in json.loads(message["body"]).get("Records", []):
            s3 = record["s3"]
            key = urllib.parse.unquote_plus(s3["object"]["key"])
            dynamodb.put_item(
                TableName="pipeline-" + key.split("/", 1)[0],
                Item={
                    "key": {"S": key},
                    "bucket": {"S": s3["bucket"]["name"]},
                    "size": {"N": str(s3["object"].get("size", 0))},
                    "written": {"N": repr(time.time())},
                },
            )
    return {"batchItemFailures": []}
"""


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def wait_for(condition: Callable[[], Any], what: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what}: not within {timeout:.0f} s")
        time.sleep(POLL_INTERVAL)


@dataclass
class Clients:
    s3: Any
    sqs: Any
    dynamodb: Any
    lam: Any
    iam: Any

    @classmethod
    def of(cls, endpoint: str) -> Clients:
        services = ("s3", "sqs", "dynamodb", "lambda", "iam")
        return cls(*(make_client(s, endpoint) for s in services))

    def close(self) -> None:
        for client in (self.s3, self.sqs, self.dynamodb, self.lam, self.iam):
            client.close()


def queue_arn(sqs: Any, url: str) -> str:
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(got["Attributes"]["QueueArn"])


def depth(sqs: Any, url: str) -> int:
    got = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(got["ApproximateNumberOfMessages"]) + int(
        got["ApproximateNumberOfMessagesNotVisible"]
    )


def count(dynamodb: Any, table_name: str) -> int:
    total, start = 0, None
    for _ in range(1_000):
        extra = {"ExclusiveStartKey": start} if start else {}
        page = dynamodb.scan(TableName=table_name, Select="COUNT", **extra)
        total += int(page["Count"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return total
    raise RuntimeError(f"{table_name}: too many scan pages")


def written(dynamodb: Any, table_name: str) -> dict[str, float]:
    """Every item's key and ``written`` stamp."""
    found: dict[str, float] = {}
    start = None
    for _ in range(1_000):
        extra = {"ExclusiveStartKey": start} if start else {}
        page = dynamodb.scan(TableName=table_name, **extra)
        for item in page["Items"]:
            found[item["key"]["S"]] = float(item["written"]["N"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return found
    raise RuntimeError(f"{table_name}: too many scan pages")


def create_table(dynamodb: Any, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    wait_for(
        lambda: dynamodb.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE",
        f"table {name} active",
        SETUP_TIMEOUT,
    )


# the pipeline


@dataclass
class Run:
    """One round of one target: backlog drain, then live."""

    target: str
    n: int
    notes: list[str] = field(default_factory=list)
    backlog_seconds: float | None = None
    live_seconds: float | None = None
    latency: list[float] = field(default_factory=list)
    upload_seconds: float | None = None
    put_object_ms: float | None = None  # serial PutObject round trip, no notification

    @property
    def backlog_rate(self) -> float | None:
        return self.n / self.backlog_seconds if self.backlog_seconds else None

    @property
    def live_rate(self) -> float | None:
        return self.n / self.live_seconds if self.live_seconds else None


@dataclass
class Rounds:
    """Every round of one target; the table shows medians (latency quantiles over all
    rounds' events together)."""

    target: str
    runs: list[Run] = field(default_factory=list)

    @property
    def notes(self) -> list[str]:
        seen: list[str] = []
        for run in self.runs:
            seen.extend(note for note in run.notes if note not in seen)
        return seen

    def median(self, value: Callable[[Run], float | None]) -> float | None:
        values = [v for v in (value(r) for r in self.runs) if v is not None]
        return statistics.median(values) if values else None

    @property
    def live_rate(self) -> float | None:
        return self.median(lambda r: r.live_rate)

    @property
    def backlog_rate(self) -> float | None:
        return self.median(lambda r: r.backlog_rate)

    @property
    def upload_seconds(self) -> float | None:
        return self.median(lambda r: r.upload_seconds)

    def quantile(self, q: int) -> float | None:
        latency = [x for r in self.runs for x in r.latency]
        if len(latency) < 2:
            return None
        return statistics.quantiles(latency, n=100, method="inclusive")[q - 1] * 1000

    def each(self, value: Callable[[Run], float | None]) -> str:
        return " ".join(rate(value(r)) for r in self.runs)


def setup(c: Clients, target: str, run: Run) -> str | None:
    """Bucket, queue, notification, tables, function; the queue's URL, or None if the
    notification piece is missing (named in ``run.notes``)."""
    c.s3.create_bucket(Bucket=BUCKET)
    url = str(
        c.sqs.create_queue(QueueName=QUEUE, Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    )
    for phase in PHASES:
        create_table(c.dynamodb, f"pipeline-{phase}")
    create_role(c.iam)
    environment: dict[str, str] = {}
    if target == MINISTACK:
        environment["PYTHONPATH"] = sysconfig.get_paths()["purelib"]
    c.lam.create_function(
        FunctionName=FUNCTION,
        Runtime=RUNTIME,
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_of({"app.py": WRITER})},
        Timeout=60,
        MemorySize=256,
        Environment={"Variables": environment},
    )
    wait_for(
        lambda: (
            c.lam.get_function_configuration(FunctionName=FUNCTION).get("State", "Active")
            == "Active"
        ),
        "function active",
        SETUP_TIMEOUT,
    )
    arn = queue_arn(c.sqs, url)
    # the queue policy AWS requires before S3 may notify the queue (Gearbox checks it too)
    policy = s3_queue_policy(arn, [BUCKET], arn.split(":")[4])
    c.sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    try:
        c.s3.put_bucket_notification_configuration(
            Bucket=BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "Id": "to-queue",
                        "QueueArn": arn,
                        "Events": ["s3:ObjectCreated:*"],
                    }
                ]
            },
        )
    except Exception as exc:
        run.notes.append(f"PutBucketNotificationConfiguration (S3 -> SQS) refused: {exc}")
        return None
    # the s3:TestEvent, if the server sends one; then the queue must be empty
    got = c.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    for message in got.get("Messages", []):
        c.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    # one probe object: does a notification arrive at all?
    c.s3.put_object(Bucket=BUCKET, Key="probe/0", Body=BODY)
    try:
        wait_for(lambda: depth(c.sqs, url) >= 1, "probe notification", 10.0)
    except RuntimeError:
        run.notes.append(
            "S3 event notification to SQS: configuration accepted, but PutObject sent no "
            "message to the queue within 10 s"
        )
        return None
    c.sqs.purge_queue(QueueUrl=url)
    wait_for(lambda: depth(c.sqs, url) == 0, "queue purged", SETUP_TIMEOUT)
    return url


def create_role(iam: Any) -> None:
    """The function's role: it may put items into the pipeline's tables, nothing else
    (Gearbox enforces it, as AWS does)."""
    name = ROLE.rpartition("/")[2]
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "dynamodb:PutItem",
                "Resource": "arn:aws:dynamodb:*:*:table/pipeline-*",
            }
        ],
    }
    iam.put_role_policy(RoleName=name, PolicyName="write", PolicyDocument=json.dumps(policy))


def upload(s3: Any, phase: str, n: int) -> dict[str, float]:
    """N PutObjects back to back; each key's wall-clock time right after its return."""
    done: dict[str, float] = {}
    for i in range(n):
        key = f"{phase}/{i:06d}"
        s3.put_object(Bucket=BUCKET, Key=key, Body=BODY)
        done[key] = time.time()
    return done


def wait_items(dynamodb: Any, phase: str, n: int, what: str) -> None:
    seen = [0]

    def full() -> bool:
        seen[0] = count(dynamodb, f"pipeline-{phase}")
        return seen[0] >= n

    try:
        wait_for(full, what, DRAIN_TIMEOUT)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc} ({seen[0]} of {n} items)") from None


def put_object_round_trip(s3: Any, calls: int = PROBE_CALLS) -> float:
    """Median ms of serial PutObjects to a bucket of its own (after a few warm-up calls)."""
    s3.create_bucket(Bucket="round-trip")
    samples = Samples()
    for i in range(calls + 20):
        start = time.perf_counter()
        s3.put_object(Bucket="round-trip", Key=f"k{i}", Body=BODY)
        if i >= 20:
            samples.add(time.perf_counter() - start)
    return samples.median_ms


def measure(c: Clients, target: str, n: int) -> Run:
    run = Run(target, n)
    url = setup(c, target, run)
    if url is None:
        return run
    arn = queue_arn(c.sqs, url)

    # 0. what one upload costs on its own: PutObject to a bucket without notifications
    run.put_object_ms = put_object_round_trip(c.s3)

    # 1. backlog: N messages waiting, then the mapping
    log(f"[{target}] backlog: uploading {n} objects, no mapping yet")
    upload(c.s3, "backlog", n)
    wait_for(lambda: depth(c.sqs, url) >= n, f"{n} messages queued", DRAIN_TIMEOUT)
    start = time.time()
    try:
        c.lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=FUNCTION, BatchSize=BATCH
        )
    except Exception as exc:
        run.notes.append(f"CreateEventSourceMapping (SQS -> Lambda) refused: {exc}")
        return run
    try:
        wait_items(c.dynamodb, "backlog", n, "backlog drained")
    except RuntimeError as exc:
        run.notes.append(f"backlog: {exc}")
        return run
    run.backlog_seconds = max(written(c.dynamodb, "pipeline-backlog").values()) - start
    log(f"[{target}] backlog: {n} in {run.backlog_seconds:.2f} s ({run.backlog_rate:.0f}/s)")

    # 2. live: uploads in one thread while the mapping drains
    log(f"[{target}] live: uploading {n} objects while the pipeline drains")
    first = time.time()
    done = upload(c.s3, "live", n)
    run.upload_seconds = time.time() - first
    try:
        wait_items(c.dynamodb, "live", n, "live drained")
    except RuntimeError as exc:
        run.notes.append(f"live: {exc}")
        return run
    stamps = written(c.dynamodb, "pipeline-live")
    run.live_seconds = max(stamps.values()) - first
    run.latency = [stamps[key] - done[key] for key in done]
    log(
        f"[{target}] live: {n} in {run.live_seconds:.2f} s ({run.live_rate:.0f}/s), "
        f"p50 {statistics.median(run.latency) * 1000:.1f} ms"
    )
    return run


# the floor: the backend calls the path cannot avoid, against Gearbox


@dataclass
class Floor:
    put_object: Samples = field(default_factory=Samples)
    send: Samples = field(default_factory=Samples)
    receive: Samples = field(default_factory=Samples)
    delete: Samples = field(default_factory=Samples)
    put_item: Samples = field(default_factory=Samples)

    @property
    def per_event_ms(self) -> float:
        return (
            self.put_object.median_ms
            + self.send.median_ms
            + (self.receive.median_ms + self.delete.median_ms) / BATCH
            + self.put_item.median_ms
        )


def timed_into(samples: Samples, call: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = call()
    samples.add(time.perf_counter() - start)
    return result


def measure_floor(c: Clients, rounds: int) -> Floor:
    c.s3.create_bucket(Bucket="floor")
    url = c.sqs.create_queue(QueueName="floor")["QueueUrl"]
    create_table(c.dynamodb, "floor")
    floor = Floor()
    for r in range(rounds + 2):  # the first two rounds warm up
        f = Floor() if r < 2 else floor
        for i in range(BATCH):
            key = f"floor/{r}/{i}"
            timed_into(
                f.put_object, lambda k=key: c.s3.put_object(Bucket="floor", Key=k, Body=BODY)
            )
            body = json.dumps({"Records": [{"s3": {"object": {"key": key, "size": len(BODY)}}}]})
            timed_into(f.send, lambda b=body: c.sqs.send_message(QueueUrl=url, MessageBody=b))
        got = timed_into(
            f.receive,
            lambda: c.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=BATCH),
        )
        messages = got.get("Messages", [])
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        if entries:
            timed_into(
                f.delete, lambda e=entries: c.sqs.delete_message_batch(QueueUrl=url, Entries=e)
            )
        for i in range(BATCH):
            item = {
                "key": {"S": f"floor/{r}/{i}"},
                "bucket": {"S": "floor"},
                "size": {"N": str(len(BODY))},
                "written": {"N": repr(time.time())},
            }
            timed_into(f.put_item, lambda it=item: c.dynamodb.put_item(TableName="floor", Item=it))
    log(f"[floor] {rounds} rounds: {floor.per_event_ms:.3f} ms per event")
    return floor


# the report


def rate(value: float | None) -> str:
    return f"{value:.0f}" if value is not None else "n/a"


def report(runs: dict[str, Rounds], floor: Floor) -> str:
    floor_rate = 1000 / floor.per_event_ms
    rows = [[
        "floor (Gearbox endpoint, serial)", f"{floor_rate:.0f}", "-", "-", "-", "-",
        ms(floor.per_event_ms), "1.00x",
    ]]  # fmt: skip
    for target in (GEARBOX, MINISTACK):
        r = runs[target]
        p50, p99, live = r.quantile(50), r.quantile(99), r.live_rate
        per_event = 1000 / live if live else None
        rows.append([
            target, rate(live), rate(r.backlog_rate),
            f"{r.upload_seconds:.2f}" if r.upload_seconds else "n/a",
            ms(p50) if p50 is not None else "n/a", ms(p99) if p99 is not None else "n/a",
            ms(per_event) if per_event is not None else "n/a",
            ratio(per_event / floor.per_event_ms) if per_event is not None else "n/a",
        ])  # fmt: skip
    headers = [
        "target", "live events/s", "backlog drain events/s", "upload s", "latency p50 ms",
        "p99 ms", "ms/event (live)", "x floor",
    ]  # fmt: skip
    return table(headers, rows, [False, True, True, True, True, True, True, True])


def round_lines(runs: dict[str, Rounds]) -> list[str]:
    lines = [
        f"{target} by round: live {runs[target].each(lambda r: r.live_rate)}; "
        f"backlog {runs[target].each(lambda r: r.backlog_rate)} events/s"
        for target in (GEARBOX, MINISTACK)
    ]
    rtt = {t: runs[t].median(lambda r: r.put_object_ms) for t in (GEARBOX, MINISTACK)}
    lines.append(
        "one upload alone (serial PutObject to a bucket without notifications, median ms): "
        + ", ".join(f"{t} {ms(v) if v is not None else 'n/a'}" for t, v in rtt.items())
        + " (the live phase's uploader waits on this, one upload at a time)"
    )
    return lines


def floor_lines(floor: Floor) -> list[str]:
    parts = [
        ("PutObject", floor.put_object, 1.0),
        ("SendMessage", floor.send, 1.0),
        ("ReceiveMessage(10)", floor.receive, 1 / BATCH),
        ("DeleteMessageBatch(10)", floor.delete, 1 / BATCH),
        ("PutItem", floor.put_item, 1.0),
    ]
    text = " + ".join(
        f"{name} {ms(s.median_ms)}" + ("/10" if share < 1 else "") for name, s, share in parts
    )
    return [
        f"floor per event (medians, ms, {len(floor.put_object)} PutObjects): {text} "
        f"= {ms(floor.per_event_ms)} ms -> {1000 / floor.per_event_ms:.0f} events/s"
    ]


def targets(runs: dict[str, Rounds]) -> list[str]:
    g, m = runs[GEARBOX], runs[MINISTACK]
    lines = []
    for what, gv, mv in (
        ("live events/s", g.live_rate, m.live_rate),
        ("backlog drain events/s", g.backlog_rate, m.backlog_rate),
    ):
        if gv is None:
            lines.append(f"FAIL  {what}: Gearbox did not complete the pipeline")
        elif mv is None:
            lines.append(f"PASS  {what}: Gearbox {gv:.0f}/s; MiniStack could not run it")
        else:
            lines.append(
                f"{verdict(gv > mv)}  {what}: Gearbox ahead of MiniStack (medians), "
                f"{gv:.0f}/s vs {mv:.0f}/s ({ratio(gv / mv)})"
            )
    return lines


def run_gearbox(n: int, floor_rounds: int) -> tuple[Run, Floor | None]:
    with contextlib.ExitStack() as stack:
        gearbox = stack.enter_context(gearbox_server())
        g = Clients.of(gearbox.endpoint)
        stack.callback(g.close)
        wait_until_answers(g.sqs.list_queues, GEARBOX)
        floor = measure_floor(g, floor_rounds) if floor_rounds else None
        return measure(g, GEARBOX, n), floor


def run_ministack(n: int) -> Run:
    with contextlib.ExitStack() as stack:
        ministack = stack.enter_context(ministack_server())
        m = Clients.of(ministack.endpoint)
        stack.callback(m.close)
        wait_until_answers(m.sqs.list_queues, MINISTACK)
        try:
            return measure(m, MINISTACK, n)
        except Exception as exc:  # a piece MiniStack lacks: named in the output
            log(f"[{MINISTACK}] stopped: {exc!r}")
            return Run(MINISTACK, n, notes=[f"stopped: {exc!r}"[:300]])


def run_all(n: int, floor_rounds: int, rounds: int) -> tuple[dict[str, Rounds], Floor]:
    """``rounds`` rounds, each a fresh Gearbox and a fresh MiniStack, one server at a time;
    the order alternates (Gearbox first in even rounds), so a slow stretch of the machine
    falls on both alike. The floor is measured in the first round."""
    runs = {GEARBOX: Rounds(GEARBOX), MINISTACK: Rounds(MINISTACK)}
    floor: Floor | None = None
    for number in range(rounds):
        order = (GEARBOX, MINISTACK) if number % 2 == 0 else (MINISTACK, GEARBOX)
        for target in order:
            log(f"round {number + 1} of {rounds}: {target}")
            if target == GEARBOX:
                run, measured = run_gearbox(n, floor_rounds if floor is None else 0)
                floor = floor or measured
            else:
                run = run_ministack(n)
            runs[target].runs.append(run)
    assert floor is not None
    return runs, floor


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_N} objects (a smoke test)")
    parser.add_argument(
        "--rounds",
        type=int,
        help=f"rounds per target (default {FULL_ROUNDS}, or {QUICK_ROUNDS} with --quick)",
    )
    args = parser.parse_args(argv)
    n = QUICK_N if args.quick else FULL_N
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else FULL_ROUNDS)
    ensure_bench_venv()
    started = time.perf_counter()
    runs, floor = run_all(n, QUICK_FLOOR_ROUNDS if args.quick else FULL_FLOOR_ROUNDS, rounds)
    extra = [
        f"ministack {MINISTACK_VERSION} (in {BENCH_VENV.name}, LAMBDA_EXECUTOR=local; its "
        f"function gets PYTHONPATH={sysconfig.get_paths()['purelib']} for boto3)",
        f"run: {'--quick' if args.quick else 'full'}, N={n} objects of {len(BODY)} bytes, "
        f"BatchSize {BATCH}, {rounds} rounds per target (medians); "
        f"finished {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}; "
        f"wall time {time.perf_counter() - started:.0f} s",
    ]
    print("\n".join(machine_lines(extra)))
    print()
    print(
        "PutObject -> S3 notification -> SQS -> event source mapping -> Lambda -> DynamoDB "
        "PutItem; live = uploads in one thread while draining; backlog = N queued, then the "
        "mapping; latency = item's written time - PutObject's return"
    )
    print(report(runs, floor))
    for line in [*round_lines(runs), *floor_lines(floor)]:
        print("   " + line)
    for target in (GEARBOX, MINISTACK):
        for note in runs[target].notes:
            print(f"   {target}: {note}")
    print()
    print("Targets:")
    for line in targets(runs):
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
