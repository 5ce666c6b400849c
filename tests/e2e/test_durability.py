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
    for sender in senders:
        sender.start()
    deadline = time.monotonic() + 10
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        time.sleep(0.01)
    running.process.kill()  # SIGKILL while both senders are mid-stream
    running.process.wait(timeout=10)
    stop.set()
    for sender in senders:
        sender.join(timeout=30)
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
