"""Parity with moto's SQS test-suite: FIFO queues, dead-letter queues and message move tasks.

Each test covers one behaviour that moto's ``tests/test_sqs`` checks, asserted as AWS
documents it. Time moves with ``clock.advance``; move tasks run on the server's event loop,
so their tests poll ``ListMessageMoveTasks`` until the task settles.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gearbox.clock import ManualClock
from tests.functional.sqs_helpers import arn_of, error_code, receive_raw

FIFO = {"FifoQueue": "true"}
CONTENT_DEDUP = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}


def visible(sqs: Any, url: str) -> int:
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(got["Attributes"]["ApproximateNumberOfMessages"])


def bodies(sqs: Any, url: str) -> list[str]:
    """Every visible body, leaving the messages visible."""
    return sorted(
        m["Body"] for m in receive_raw(sqs, url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    )


def rejected_entry_code(sqs: Any, url: str, entries: list[dict[str, Any]]) -> str:
    """The error of a batch with one bad entry, whether AWS fails the request or the entry."""
    try:
        response = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    assert len(response["Failed"]) == 1
    return str(response["Failed"][0]["Code"])


# sending to FIFO queues


FIFO_ATTRIBUTE_NAMES = [
    "ApproximateFirstReceiveTimestamp",
    "ApproximateReceiveCount",
    "MessageDeduplicationId",
    "MessageGroupId",
    "SenderId",
    "SentTimestamp",
    "SequenceNumber",
]


@pytest.mark.parametrize("name", ["All", *FIFO_ATTRIBUTE_NAMES])
def test_fifo_attribute_names_select_system_attributes(sqs: Any, name: str) -> None:
    url = sqs.create_queue(QueueName="q.fifo", Attributes=FIFO)["QueueUrl"]
    sent = sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageDeduplicationId="123", MessageGroupId="456"
    )
    message = receive_raw(sqs, url, AttributeNames=[name], MaxNumberOfMessages=2)[0]
    got = message["Attributes"]
    assert set(got) == (set(FIFO_ATTRIBUTE_NAMES) if name == "All" else {name})
    assert "MD5OfMessageAttributes" not in message
    expected = {
        "ApproximateReceiveCount": "1",
        "MessageDeduplicationId": "123",
        "MessageGroupId": "456",
        "SequenceNumber": sent["SequenceNumber"],
    }
    for key, value in expected.items():
        if key in got:
            assert got[key] == value


def test_fifo_send_batch_keeps_each_entry_group_dedup_id_and_attributes(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q.fifo", Attributes=FIFO)["QueueUrl"]
    entries = [
        {
            "Id": f"id_{i}",
            "MessageBody": f"body_{i}",
            "MessageGroupId": f"group_{i}",
            "MessageDeduplicationId": f"dedup_{i}",
            "MessageAttributes": {f"attribute_{i}": {"DataType": "String", "StringValue": "v"}},
        }
        for i in (1, 2)
    ]
    response = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert sorted(e["Id"] for e in response["Successful"]) == ["id_1", "id_2"]
    assert all(e["SequenceNumber"] for e in response["Successful"])
    messages = receive_raw(
        sqs,
        url,
        MaxNumberOfMessages=10,
        MessageAttributeNames=["All"],
        AttributeNames=["MessageDeduplicationId", "MessageGroupId"],
    )
    assert [
        (
            m["Body"],
            m["Attributes"]["MessageGroupId"],
            m["Attributes"]["MessageDeduplicationId"],
            m["MessageAttributes"],
        )
        for m in messages
    ] == [
        (e["MessageBody"], e["MessageGroupId"], e["MessageDeduplicationId"], e["MessageAttributes"])
        for e in entries
    ]


def test_fifo_send_batch_entry_without_a_group_id_is_rejected(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q.fifo", Attributes=CONTENT_DEDUP)["QueueUrl"]
    code = rejected_entry_code(sqs, url, [{"Id": "id_1", "MessageBody": "body_1"}])
    assert code == "MissingParameter"
    assert visible(sqs, url) == 0


def test_fifo_send_batch_entry_without_a_deduplication_id_is_rejected(sqs: Any) -> None:
    """Without ContentBasedDeduplication every entry needs a MessageDeduplicationId."""
    url = sqs.create_queue(QueueName="q.fifo", Attributes=FIFO)["QueueUrl"]
    code = rejected_entry_code(
        sqs,
        url,
        [
            {"Id": "ok", "MessageBody": "a", "MessageGroupId": "g", "MessageDeduplicationId": "d"},
            {"Id": "bad", "MessageBody": "b", "MessageGroupId": "g"},
        ],
    )
    assert code == "InvalidParameterValue"
    assert "b" not in bodies(sqs, url)


@pytest.mark.parametrize("queue_delay", [None, "10"])
def test_fifo_rejects_a_per_message_delay_but_accepts_zero(
    sqs: Any, queue_delay: str | None
) -> None:
    """AWS SendMessage: FIFO queues take no per-message DelaySeconds; moto verified against
    AWS that an explicit 0 is still accepted."""
    given = {**FIFO, "DelaySeconds": queue_delay} if queue_delay else FIFO
    url = sqs.create_queue(QueueName="q.fifo", Attributes=given)["QueueUrl"]
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            DelaySeconds=5,
            MessageGroupId="g",
            MessageDeduplicationId="a",
        )
    assert error_code(excinfo) == "InvalidParameterValue"
    assert excinfo.value.response["Error"]["Message"] == (
        "Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter "
        "that is not valid for this queue type."
    )
    sqs.send_message(
        QueueUrl=url,
        MessageBody="x",
        DelaySeconds=0,
        MessageGroupId="g",
        MessageDeduplicationId="b",
    )
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="c")


# deduplication


@pytest.mark.parametrize(
    ("body_2", "dedup_2", "expected"),
    [("msg1", "2", 2), ("msg2", "1", 1)],
)
def test_an_explicit_deduplication_id_overrides_content_based_deduplication(
    sqs: Any, body_2: str, dedup_2: str, expected: int
) -> None:
    url = sqs.create_queue(QueueName="q.fifo", Attributes=CONTENT_DEDUP)["QueueUrl"]
    sqs.send_message(
        QueueUrl=url, MessageBody="msg1", MessageDeduplicationId="1", MessageGroupId="1"
    )
    sqs.send_message(
        QueueUrl=url, MessageBody=body_2, MessageDeduplicationId=dedup_2, MessageGroupId="2"
    )
    assert len(receive_raw(sqs, url, MaxNumberOfMessages=2)) == expected


def test_an_explicit_id_equal_to_an_earlier_body_hash_is_a_duplicate(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q.fifo", Attributes=CONTENT_DEDUP)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="first", MessageGroupId="1")
    sha256 = hashlib.sha256(b"first").hexdigest()
    sqs.send_message(
        QueueUrl=url, MessageBody="second", MessageGroupId="2", MessageDeduplicationId=sha256
    )
    assert [m["Body"] for m in receive_raw(sqs, url, MaxNumberOfMessages=2)] == ["first"]


# message groups


def fifo_queue(sqs: Any, bodies_by_group: list[tuple[str, str]], **attributes: str) -> str:
    url = sqs.create_queue(
        QueueName="q.fifo", Attributes={**CONTENT_DEDUP, "VisibilityTimeout": "3600", **attributes}
    )["QueueUrl"]
    for body, group in bodies_by_group:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    return url


def test_visibility_zero_gives_the_group_head_back_first(sqs: Any) -> None:
    url = fifo_queue(sqs, [("message-1", "group"), ("message-2", "group")])
    head = receive_raw(sqs, url)[0]
    assert receive_raw(sqs, url, WaitTimeSeconds=0) == []
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=head["ReceiptHandle"], VisibilityTimeout=0
    )
    assert [m["MessageId"] for m in receive_raw(sqs, url)] == [head["MessageId"]]


def test_fifo_change_visibility_batch(sqs: Any, clock: ManualClock) -> None:
    url = fifo_queue(
        sqs, [("msg1", "group1"), ("msg2", "group2"), ("msg3", "group3")], VisibilityTimeout="30"
    )
    clock.advance(60)
    taken = receive_raw(sqs, url, MaxNumberOfMessages=2)
    assert len(taken) == 2
    response = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": f"e{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 43000}
            for i, m in enumerate(taken)
        ],
    )
    assert len(response["Successful"]) == 2
    clock.advance(2 * 3600)
    assert len(receive_raw(sqs, url, MaxNumberOfMessages=3)) == 1
    clock.advance(2 * 3600)
    assert len(receive_raw(sqs, url, MaxNumberOfMessages=3)) == 1
    clock.advance(20 * 3600)
    assert len(receive_raw(sqs, url, MaxNumberOfMessages=3)) == 3


def test_purge_releases_a_group_held_by_an_in_flight_message(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q.fifo", Attributes=FIFO)["QueueUrl"]
    sqs.send_message(
        QueueUrl=url, MessageBody="first", MessageGroupId="test", MessageDeduplicationId="first"
    )
    assert len(receive_raw(sqs, url)) == 1
    sqs.purge_queue(QueueUrl=url)
    sqs.send_message(
        QueueUrl=url, MessageBody="second", MessageGroupId="test", MessageDeduplicationId="second"
    )
    assert [m["Body"] for m in receive_raw(sqs, url)] == ["second"]


# message move tasks (DLQ redrive)


def dlq_pair(
    sqs: Any, *, fifo: bool = False, max_receives: int = 1, **extra: str
) -> tuple[str, str]:
    """(source URL, dead-letter queue URL)."""
    suffix, base = (".fifo", CONTENT_DEDUP) if fifo else ("", {})
    dlq = sqs.create_queue(QueueName=f"dlq{suffix}", Attributes=base)["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": max_receives})
    source = sqs.create_queue(
        QueueName=f"src{suffix}", Attributes={**base, "RedrivePolicy": policy, **extra}
    )["QueueUrl"]
    return source, dlq


def to_dlq(sqs: Any, source: str, items: list[str], **send: Any) -> None:
    """Send, then receive until every message has moved (maxReceiveCount 1)."""
    for body in items:
        sqs.send_message(QueueUrl=source, MessageBody=body, **send)
    for _ in range(len(items) + 1):
        receive_raw(sqs, source, MaxNumberOfMessages=10, VisibilityTimeout=0)


def settled(sqs: Any, source_arn: str) -> dict[str, Any]:
    """The newest task of a source once it is no longer RUNNING."""
    deadline = time.monotonic() + 10
    while True:
        task: dict[str, Any] = sqs.list_message_move_tasks(SourceArn=source_arn)["Results"][0]
        if task["Status"] != "RUNNING" or time.monotonic() > deadline:
            return task
        time.sleep(0.02)


def test_move_task_to_a_custom_destination(sqs: Any) -> None:
    source, dlq = dlq_pair(sqs)
    dlq_arn = arn_of(sqs, dlq)
    destination = sqs.create_queue(QueueName="dest")["QueueUrl"]
    to_dlq(sqs, source, ["message-1", "message-2"])
    assert bodies(sqs, dlq) == ["message-1", "message-2"]
    handle = sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=arn_of(sqs, destination)
    )["TaskHandle"]
    assert handle
    task = settled(sqs, dlq_arn)
    assert bodies(sqs, destination) == ["message-1", "message-2"]
    assert bodies(sqs, dlq) == []
    assert bodies(sqs, source) == []
    assert task["Status"] == "COMPLETED"
    assert task["SourceArn"] == dlq_arn
    assert task["DestinationArn"] == arn_of(sqs, destination)
    assert task["ApproximateNumberOfMessagesMoved"] == 2
    assert task["ApproximateNumberOfMessagesToMove"] == 2
    assert isinstance(task["StartedTimestamp"], int)
    assert not {"TaskHandle", "MaxNumberOfMessagesPerSecond", "FailureReason"} & set(task)


def test_move_task_back_to_the_source_keeps_message_attributes(sqs: Any) -> None:
    source, dlq = dlq_pair(sqs)
    dlq_arn = arn_of(sqs, dlq)
    given = {"attr": {"DataType": "String", "StringValue": "val"}}
    to_dlq(sqs, source, ["message-1"], MessageAttributes=given)
    sqs.start_message_move_task(SourceArn=dlq_arn)
    task = settled(sqs, dlq_arn)
    assert (task["Status"], task["ApproximateNumberOfMessagesMoved"]) == ("COMPLETED", 1)
    assert "DestinationArn" not in task
    messages = receive_raw(
        sqs,
        source,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["ApproximateReceiveCount"],
    )
    assert [m["Body"] for m in messages] == ["message-1"]
    assert messages[0]["MessageAttributes"] == given
    assert messages[0]["Attributes"]["ApproximateReceiveCount"] == "1"


def test_move_task_returns_messages_to_each_of_several_sources(sqs: Any) -> None:
    source_1, dlq = dlq_pair(sqs)
    dlq_arn = arn_of(sqs, dlq)
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})
    source_2 = sqs.create_queue(QueueName="src2", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    to_dlq(sqs, source_1, ["m-1-1", "m-1-2"])
    to_dlq(sqs, source_2, ["m-2-1", "m-2-2"])
    sqs.start_message_move_task(SourceArn=dlq_arn)
    task = settled(sqs, dlq_arn)
    assert bodies(sqs, source_1) == ["m-1-1", "m-1-2"]
    assert bodies(sqs, source_2) == ["m-2-1", "m-2-2"]
    assert bodies(sqs, dlq) == []
    assert task["ApproximateNumberOfMessagesMoved"] == 4
    assert task["ApproximateNumberOfMessagesToMove"] == 4


def test_fifo_move_task_keeps_the_message_group(sqs: Any) -> None:
    source, dlq = dlq_pair(sqs, fifo=True)
    dlq_arn = arn_of(sqs, dlq)
    to_dlq(sqs, source, ["message-1"], MessageGroupId="group-1")
    assert bodies(sqs, source) == []
    sqs.start_message_move_task(SourceArn=dlq_arn)
    assert settled(sqs, dlq_arn)["Status"] == "COMPLETED"
    messages = receive_raw(sqs, source, MessageSystemAttributeNames=["MessageGroupId"])
    assert [(m["Body"], m["Attributes"]["MessageGroupId"]) for m in messages] == [
        ("message-1", "group-1")
    ]


def test_move_task_fails_for_a_message_with_no_known_source(sqs: Any) -> None:
    _, dlq = dlq_pair(sqs)
    dlq_arn = arn_of(sqs, dlq)
    sqs.send_message(QueueUrl=dlq, MessageBody="direct")
    sqs.start_message_move_task(SourceArn=dlq_arn)
    task = settled(sqs, dlq_arn)
    assert task["Status"] == "FAILED"
    assert task["FailureReason"]
    assert task["ApproximateNumberOfMessagesMoved"] == 0
    assert bodies(sqs, dlq) == ["direct"]


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("missing-source", "ResourceNotFoundException"),
        ("missing-destination", "ResourceNotFoundException"),
        ("rate-0", "InvalidParameterValue"),
        ("rate-501", "InvalidParameterValue"),
    ],
)
def test_start_message_move_task_errors(sqs: Any, case: str, code: str) -> None:
    _, dlq = dlq_pair(sqs)
    dlq_arn = arn_of(sqs, dlq)
    kwargs: dict[str, Any] = {
        "missing-source": {"SourceArn": dlq_arn + "-unknown"},
        "missing-destination": {"SourceArn": dlq_arn, "DestinationArn": dlq_arn + "x"},
        "rate-0": {"SourceArn": dlq_arn, "MaxNumberOfMessagesPerSecond": 0},
        "rate-501": {"SourceArn": dlq_arn, "MaxNumberOfMessagesPerSecond": 501},
    }[case]
    with pytest.raises(ClientError) as excinfo:
        sqs.start_message_move_task(**kwargs)
    assert error_code(excinfo) == code


def test_list_message_move_tasks_returns_the_newest_first(sqs: Any) -> None:
    source, dlq = dlq_pair(sqs)
    dlq_arn = arn_of(sqs, dlq)
    assert sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"] == []
    for rate in [1, 2, 3]:
        to_dlq(sqs, source, [f"message-{rate}"])
        sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=rate)
        assert settled(sqs, dlq_arn)["Status"] == "COMPLETED"
    newest = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert [r["MaxNumberOfMessagesPerSecond"] for r in newest] == [3]
    every = sqs.list_message_move_tasks(SourceArn=dlq_arn, MaxResults=10)["Results"]
    assert [r["MaxNumberOfMessagesPerSecond"] for r in every] == [3, 2, 1]


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("missing-source", "ResourceNotFoundException"),
        ("max-results-0", "InvalidParameterValue"),
        ("max-results-11", "InvalidParameterValue"),
    ],
)
def test_list_message_move_tasks_errors(sqs: Any, case: str, code: str) -> None:
    _, dlq = dlq_pair(sqs)
    dlq_arn = arn_of(sqs, dlq)
    kwargs: dict[str, Any] = {
        "missing-source": {"SourceArn": dlq_arn + "x"},
        "max-results-0": {"SourceArn": dlq_arn, "MaxResults": 0},
        "max-results-11": {"SourceArn": dlq_arn, "MaxResults": 11},
    }[case]
    with pytest.raises(ClientError) as excinfo:
        sqs.list_message_move_tasks(**kwargs)
    assert error_code(excinfo) == code


def test_cancel_needs_the_handle_of_a_running_task(sqs: Any) -> None:
    """AWS: "A message movement can only be cancelled when the current status is RUNNING"."""
    _, dlq = dlq_pair(sqs)
    dlq_arn = arn_of(sqs, dlq)
    with pytest.raises(ClientError):
        sqs.cancel_message_move_task(TaskHandle="foobared")
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    assert settled(sqs, dlq_arn)["Status"] == "COMPLETED"
    with pytest.raises(ClientError) as excinfo:
        sqs.cancel_message_move_task(TaskHandle=handle)
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_one_running_task_per_source_and_cancel_stops_it(sqs: Any) -> None:
    source, dlq = dlq_pair(sqs)
    dlq_arn = arn_of(sqs, dlq)
    to_dlq(sqs, source, ["m1", "m2", "m3", "m4"])
    handle = sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)[
        "TaskHandle"
    ]
    running = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    assert running["Status"] == "RUNNING"
    assert running["TaskHandle"] == handle
    assert running["ApproximateNumberOfMessagesToMove"] == 4
    assert running["MaxNumberOfMessagesPerSecond"] == 1
    with pytest.raises(ClientError):
        sqs.start_message_move_task(SourceArn=dlq_arn)
    moved = sqs.cancel_message_move_task(TaskHandle=handle)["ApproximateNumberOfMessagesMoved"]
    task = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    assert task["Status"] in ("CANCELLING", "CANCELLED")
    assert "TaskHandle" not in task
    assert moved < 4
    assert len(bodies(sqs, source)) == moved
    assert len(bodies(sqs, dlq)) == 4 - moved


def test_move_task_fails_when_its_destination_is_deleted(sqs: Any) -> None:
    source, dlq = dlq_pair(sqs)
    dlq_arn = arn_of(sqs, dlq)
    destination = sqs.create_queue(QueueName="dest")["QueueUrl"]
    to_dlq(sqs, source, ["m1", "m2", "m3"])
    sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=arn_of(sqs, destination), MaxNumberOfMessagesPerSecond=1
    )
    sqs.delete_queue(QueueUrl=destination)
    task = settled(sqs, dlq_arn)
    assert task["Status"] == "FAILED"
    assert task["FailureReason"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert len(bodies(sqs, dlq)) == 3 - task["ApproximateNumberOfMessagesMoved"]
