"""Queues and IAM survive a restart of ``gearbox up`` and a crash (SIGKILL) with nothing lost."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.conftest import Running


def drain(sqs: Any, url: str, delete: bool = False) -> list[dict[str, Any]]:
    """Receive until the queue answers empty; ``delete`` each batch (a FIFO group stays
    blocked while any of its messages is in flight)."""
    found: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=300,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        if not batch:
            return found
        found.extend(batch)
        if delete:
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)
                ],
            )


def kill_mid_stream(
    running: Running,
    writers: list[threading.Thread],
    stop: threading.Event,
    enough: Callable[[], bool],
) -> None:
    """Start ``writers``; SIGKILL the cloud once ``enough()`` (or after 10 s), while they are
    mid-stream; then stop them."""
    for writer in writers:
        writer.start()
    deadline = time.monotonic() + 10
    while not enough() and time.monotonic() < deadline:
        time.sleep(0.01)
    running.process.kill()
    running.process.wait(timeout=10)
    stop.set()
    for writer in writers:
        writer.join(timeout=30)


def test_restart_keeps_every_message_and_its_receive_count(
    tmp_path: Path, start_up: Callable[..., Running]
) -> None:
    state = tmp_path / "state"
    running = start_up(state)
    sqs = running.client("sqs")
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    fifo = sqs.create_queue(
        QueueName="jobs.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    for i in range(20):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
        sqs.send_message(QueueUrl=fifo, MessageBody=f"f{i}", MessageGroupId="g")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5)["Messages"]
    assert len(received) == 5
    assert running.stop(signal.SIGTERM) == 0

    running = start_up(state)
    sqs = running.client("sqs")
    assert sqs.get_queue_url(QueueName="jobs")["QueueUrl"].endswith("/jobs")
    time.sleep(1.1)  # the 1 s visibility timeout of the 5 received messages runs out
    messages = drain(sqs, url)
    assert sorted(m["Body"] for m in messages) == sorted(f"m{i}" for i in range(20))
    counts = {m["Body"]: m["Attributes"]["ApproximateReceiveCount"] for m in messages}
    twice = {r["Body"] for r in received}
    assert {b for b, c in counts.items() if c == "2"} == twice
    assert [m["Body"] for m in drain(sqs, fifo, delete=True)] == [f"f{i}" for i in range(20)]
    sqs.send_message(QueueUrl=fifo, MessageBody="f0", MessageGroupId="g")
    assert drain(sqs, fifo) == []  # the dedup window survived the restart: no new message


def test_sigkill_loses_no_acknowledged_message(
    tmp_path: Path, start_up: Callable[..., Running]
) -> None:
    state = tmp_path / "state"
    running = start_up(state)
    url = running.client("sqs").create_queue(QueueName="crash")["QueueUrl"]
    acknowledged: list[str] = []
    stop = threading.Event()

    def send_until_killed() -> None:
        sqs = running.client("sqs")
        i = 0
        while not stop.is_set() and i < 100_000:
            try:
                sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
            except Exception:  # the server died mid-request: that send was not acknowledged
                return
            acknowledged.append(f"m{i}")
            i += 1

    senders = [threading.Thread(target=send_until_killed) for _ in range(2)]
    kill_mid_stream(running, senders, stop, lambda: len(acknowledged) >= 300)
    assert len(acknowledged) >= 300

    running = start_up(state)
    bodies = [m["Body"] for m in drain(running.client("sqs"), url)]
    missing = set(acknowledged) - set(bodies)
    assert not missing, f"{len(missing)} acknowledged messages lost"


def test_iam_survives_a_crash(tmp_path: Path, start_up: Callable[..., Running]) -> None:
    state = tmp_path / "state"
    running = start_up(state)
    iam = running.client("iam")
    trust = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}'  # noqa: E501
    document = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}'  # noqa: E501
    iam.create_role(RoleName="kept", AssumeRolePolicyDocument=trust)
    iam.put_role_policy(RoleName="kept", PolicyName="send", PolicyDocument=document)
    running.process.kill()  # SIGKILL right after the answer
    running.process.wait(timeout=10)

    iam = start_up(state).client("iam")
    kept = iam.get_role_policy(RoleName="kept", PolicyName="send")["PolicyDocument"]
    assert kept["Statement"][0]["Action"] == "sqs:SendMessage"


def test_s3_and_dynamodb_lose_no_acknowledged_write_on_sigkill(
    tmp_path: Path, start_up: Callable[..., Running]
) -> None:
    """moto's state: each write is logged before its answer, and replayed after a crash.
    A counter raised by UpdateItem ADD shows no write is applied twice on replay."""
    state = tmp_path / "state"
    running = start_up(state)
    s3, dynamodb = running.client("s3"), running.client("dynamodb")
    s3.create_bucket(Bucket="kept")
    dynamodb.create_table(
        TableName="kept",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    objects: list[str] = []
    items: list[str] = []
    added = 0
    stop = threading.Event()

    def put_objects() -> None:
        client = running.client("s3")
        for i in range(100_000):
            if stop.is_set():
                return
            try:
                client.put_object(Bucket="kept", Key=f"o{i}", Body=f"body {i}".encode())
            except Exception:  # the server died mid-request: not acknowledged
                return
            objects.append(f"o{i}")

    def put_items() -> None:
        nonlocal added
        client = running.client("dynamodb")
        for i in range(100_000):
            if stop.is_set():
                return
            try:
                client.put_item(TableName="kept", Item={"pk": {"S": f"i{i}"}})
                items.append(f"i{i}")
                client.update_item(
                    TableName="kept",
                    Key={"pk": {"S": "counter"}},
                    UpdateExpression="ADD n :one",
                    ExpressionAttributeValues={":one": {"N": "1"}},
                )
                added += 1
            except Exception:  # the server died mid-request: not acknowledged
                return

    writers = [threading.Thread(target=put_objects), threading.Thread(target=put_items)]
    kill_mid_stream(running, writers, stop, lambda: len(objects) >= 200 and added >= 100)
    assert len(objects) >= 200 and added >= 100

    running = start_up(state)
    assert running.process.stdout is not None
    said = running.process.stdout.readline()
    assert "the last run did not stop cleanly" in said and "replayed from the log" in said
    s3, dynamodb = running.client("s3"), running.client("dynamodb")
    listed = {
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket="kept")
        for o in page.get("Contents", [])
    }
    assert not set(objects) - listed, "acknowledged PutObjects lost"
    last = objects[-1]
    assert s3.get_object(Bucket="kept", Key=last)["Body"].read() == f"body {last[1:]}".encode()
    stored = {
        item["pk"]["S"]
        for page in dynamodb.get_paginator("scan").paginate(TableName="kept")
        for item in page["Items"]
    }
    assert not set(items) - stored, "acknowledged PutItems lost"
    counter = dynamodb.get_item(TableName="kept", Key={"pk": {"S": "counter"}})["Item"]
    # the write the kill interrupted may have been logged before its answer was sent
    assert int(counter["n"]["N"]) in (added, added + 1)

    # the replayed writes went into a snapshot: a clean restart has nothing to replay
    assert running.stop(signal.SIGTERM) == 0
    running = start_up(state)
    assert (
        running.client("dynamodb").get_item(TableName="kept", Key={"pk": {"S": "counter"}})["Item"]
        == counter
    )


def test_ids_later_calls_name_survive_a_crash(
    tmp_path: Path, start_up: Callable[..., Running]
) -> None:
    """A table's stream ARN and an upload id are generated, and later calls name them: the
    write that made them asks for a snapshot, so a crash after it does not change them."""
    from gearbox.local.backend.durable import MotoState

    state = tmp_path / "state"
    running = start_up(state)
    s3, dynamodb = running.client("s3"), running.client("dynamodb")
    stream = dynamodb.create_table(
        TableName="streamed",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    s3.create_bucket(Bucket="uploads")
    upload = s3.create_multipart_upload(Bucket="uploads", Key="big")["UploadId"]
    deadline = time.monotonic() + 10
    while MotoState.logged_in(state) and time.monotonic() < deadline:
        time.sleep(0.02)  # the snapshot those writes asked for
    assert MotoState.logged_in(state) == []
    part = s3.upload_part(Bucket="uploads", Key="big", UploadId=upload, PartNumber=1, Body=b"p")
    running.process.kill()
    running.process.wait(timeout=10)

    running = start_up(state)
    s3, dynamodb = running.client("s3"), running.client("dynamodb")
    table = dynamodb.describe_table(TableName="streamed")["Table"]
    assert table["LatestStreamArn"] == stream
    s3.complete_multipart_upload(  # the part was replayed from the log, under the same id
        Bucket="uploads",
        Key="big",
        UploadId=upload,
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    assert s3.get_object(Bucket="uploads", Key="big")["Body"].read() == b"p"
