"""Messages through boto3: send, receive, visibility, redrive, FIFO, delays, retention, batches.

Time-dependent behaviour runs on the cloud's ManualClock (``clock.advance``), never on sleeps.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gearbox.clock import ManualClock
from tests.functional.sqs_helpers import arn_of, counts, error_code


def make_queue(sqs: Any, name: str = "q", **attributes: str) -> str:
    return str(sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"])


def receive(sqs: Any, url: str, count: int = 10, **kwargs: Any) -> list[dict[str, Any]]:
    return list(
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=count, **kwargs).get("Messages", [])
    )


def test_send_and_receive_with_md5s_checked_by_boto3(sqs: Any) -> None:
    url = make_queue(sqs)
    attributes = {
        "text": {"DataType": "String", "StringValue": "héllo"},
        "count": {"DataType": "Number", "StringValue": "42"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
        "custom": {"DataType": "String.custom", "StringValue": "x"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="body ✓", MessageAttributes=attributes)
    # boto3 verifies both digests itself and raises on a mismatch; check them here too.
    assert sent["MD5OfMessageBody"] == hashlib.md5("body ✓".encode()).hexdigest()
    assert len(sent["MD5OfMessageAttributes"]) == 32
    [message] = receive(sqs, url, MessageAttributeNames=["All"])
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "body ✓"
    assert message["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert message["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\xff"
    assert message["MessageAttributes"]["count"] == {"DataType": "Number", "StringValue": "42"}


def test_md5_of_message_attributes_matches_aws_sample(sqs: Any) -> None:
    # Digest from AWS's documented algorithm, computed independently of Gearbox's code.
    url = make_queue(sqs)
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="x",
        MessageAttributes={"a": {"DataType": "String", "StringValue": "b"}},
    )
    encoded = b"\x00\x00\x00\x01a" + b"\x00\x00\x00\x06String" + b"\x01" + b"\x00\x00\x00\x01b"
    assert sent["MD5OfMessageAttributes"] == hashlib.md5(encoded).hexdigest()


def test_attribute_name_filters(sqs: Any) -> None:
    url = make_queue(sqs)
    sqs.send_message(
        QueueUrl=url,
        MessageBody="x",
        MessageAttributes={
            "order.id": {"DataType": "String", "StringValue": "1"},
            "order.kind": {"DataType": "String", "StringValue": "a"},
            "other": {"DataType": "String", "StringValue": "z"},
        },
    )
    [message] = receive(sqs, url, MessageAttributeNames=["order.*"])
    assert set(message["MessageAttributes"]) == {"order.id", "order.kind"}
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    [message] = receive(sqs, url)
    assert "MessageAttributes" not in message and "MD5OfMessageAttributes" not in message


def test_system_attributes(sqs: Any, clock: ManualClock) -> None:
    url = make_queue(sqs)
    sqs.send_message(
        QueueUrl=url,
        MessageBody="x",
        MessageSystemAttributes={
            "AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988-bd862e3fe"}
        },
    )
    sent_at = clock.now()
    clock.advance(5)
    [message] = receive(sqs, url, MessageSystemAttributeNames=["All"])
    attributes = message["Attributes"]
    assert attributes["SentTimestamp"] == str(int(sent_at * 1000))
    assert attributes["ApproximateFirstReceiveTimestamp"] == str(int((sent_at + 5) * 1000))
    assert attributes["ApproximateReceiveCount"] == "1"
    assert attributes["SenderId"] == "AKIDGEARBOXTEST"
    assert attributes["AWSTraceHeader"] == "Root=1-5759e988-bd862e3fe"
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    [again] = receive(sqs, url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert again["Attributes"] == {"ApproximateReceiveCount": "2"}


def test_visibility_timeout_hides_then_returns_message(sqs: Any, clock: ManualClock) -> None:
    url = make_queue(sqs, VisibilityTimeout="30")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [first] = receive(sqs, url)
    assert receive(sqs, url) == []
    assert counts(sqs, url) == (0, 1, 0)
    clock.advance(29.9)
    assert receive(sqs, url) == []
    clock.advance(0.2)
    [second] = receive(sqs, url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"


def test_receive_visibility_timeout_overrides_queue(sqs: Any, clock: ManualClock) -> None:
    url = make_queue(sqs, VisibilityTimeout="300")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    receive(sqs, url, VisibilityTimeout=10)
    clock.advance(10)
    assert len(receive(sqs, url)) == 1


def test_change_message_visibility(sqs: Any, clock: ManualClock) -> None:
    url = make_queue(sqs, VisibilityTimeout="30")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [message] = receive(sqs, url)
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=120
    )
    clock.advance(60)
    assert receive(sqs, url) == []
    clock.advance(61)
    assert len(receive(sqs, url)) == 1


def test_change_visibility_of_expired_message_is_not_in_flight(
    sqs: Any, clock: ManualClock
) -> None:
    url = make_queue(sqs, VisibilityTimeout="10")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [message] = receive(sqs, url)
    clock.advance(11)
    with pytest.raises(ClientError) as excinfo:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=5
        )
    assert error_code(excinfo) == "AWS.SimpleQueueService.MessageNotInflight"


def test_delete_message(sqs: Any, clock: ManualClock) -> None:
    url = make_queue(sqs, VisibilityTimeout="10")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [message] = receive(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])  # idempotent
    clock.advance(11)
    assert receive(sqs, url) == []
    assert counts(sqs, url) == (0, 0, 0)


def test_delete_with_an_older_receipt_handle_does_not_delete(sqs: Any, clock: ManualClock) -> None:
    """AWS: you must give the most recent receipt handle, or the request succeeds but the
    message is not deleted."""
    url = make_queue(sqs, VisibilityTimeout="10")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [old] = receive(sqs, url)
    clock.advance(11)
    [new] = receive(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=old["ReceiptHandle"])
    assert counts(sqs, url) == (0, 1, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=new["ReceiptHandle"])
    assert counts(sqs, url) == (0, 0, 0)


def test_invalid_receipt_handle(sqs: Any) -> None:
    url = make_queue(sqs)
    with pytest.raises(ClientError) as excinfo:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-handle")
    assert error_code(excinfo) == "ReceiptHandleIsInvalid"
    other = make_queue(sqs, "other")
    sqs.send_message(QueueUrl=other, MessageBody="x")
    [message] = receive(sqs, other)
    with pytest.raises(ClientError) as excinfo:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert error_code(excinfo) == "ReceiptHandleIsInvalid"


def test_redrive_after_exactly_max_receive_count(sqs: Any, clock: ManualClock) -> None:
    dlq = make_queue(sqs, "dlq")
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 3})
    url = make_queue(sqs, "work", VisibilityTimeout="5", RedrivePolicy=policy)
    sent = sqs.send_message(QueueUrl=url, MessageBody="poison")
    for attempt in range(1, 4):
        [message] = receive(sqs, url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
        assert message["Attributes"]["ApproximateReceiveCount"] == str(attempt)
        clock.advance(6)
    assert receive(sqs, url) == []  # the 4th receive moves it instead of returning it
    [dead] = receive(sqs, dlq, MessageSystemAttributeNames=["All"])
    assert dead["MessageId"] == sent["MessageId"]
    assert dead["Body"] == "poison"
    assert dead["Attributes"]["DeadLetterQueueSourceArn"] == arn_of(sqs, url)
    assert counts(sqs, url) == (0, 0, 0)


def test_redrive_keeps_other_messages_flowing(sqs: Any, clock: ManualClock) -> None:
    dlq = make_queue(sqs, "dlq")
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 1})
    url = make_queue(sqs, "work", VisibilityTimeout="5", RedrivePolicy=policy)
    sqs.send_message(QueueUrl=url, MessageBody="bad")
    receive(sqs, url)
    clock.advance(6)
    sqs.send_message(QueueUrl=url, MessageBody="good")
    assert [m["Body"] for m in receive(sqs, url)] == ["good"]
    assert [m["Body"] for m in receive(sqs, dlq)] == ["bad"]


def test_dead_letter_redrive_back_to_source(sqs: Any, clock: ManualClock) -> None:
    dlq = make_queue(sqs, "dlq")
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 1})
    url = make_queue(sqs, "work", VisibilityTimeout="5", RedrivePolicy=policy)
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    receive(sqs, url)
    clock.advance(6)
    assert receive(sqs, url) == []
    assert counts(sqs, dlq)[0] == 3
    handle = sqs.start_message_move_task(SourceArn=arn_of(sqs, dlq))["TaskHandle"]
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        [task] = sqs.list_message_move_tasks(SourceArn=arn_of(sqs, dlq))["Results"]
        if task["Status"] == "COMPLETED":
            break
        time.sleep(0.02)
    assert task["Status"] == "COMPLETED"
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    assert "TaskHandle" not in task and handle
    moved = receive(sqs, url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert sorted(m["Body"] for m in moved) == ["m0", "m1", "m2"]
    assert {m["Attributes"]["ApproximateReceiveCount"] for m in moved} == {"1"}
    assert counts(sqs, dlq) == (0, 0, 0)


def test_move_task_needs_a_dead_letter_queue(sqs: Any) -> None:
    plain = make_queue(sqs, "plain")
    with pytest.raises(ClientError) as excinfo:
        sqs.start_message_move_task(SourceArn=arn_of(sqs, plain))
    assert error_code(excinfo) == "InvalidParameterValue"


def test_delay_seconds_per_message_and_per_queue(sqs: Any, clock: ManualClock) -> None:
    url = make_queue(sqs, DelaySeconds="10")
    sqs.send_message(QueueUrl=url, MessageBody="queue-delay")
    sqs.send_message(QueueUrl=url, MessageBody="own-delay", DelaySeconds=20)
    sqs.send_message(QueueUrl=url, MessageBody="no-delay", DelaySeconds=0)
    assert [m["Body"] for m in receive(sqs, url)] == ["no-delay"]
    assert counts(sqs, url) == (0, 1, 2)
    clock.advance(10)
    assert [m["Body"] for m in receive(sqs, url)] == ["queue-delay"]
    clock.advance(10)
    assert [m["Body"] for m in receive(sqs, url)] == ["own-delay"]


def test_delay_seconds_out_of_range(sqs: Any) -> None:
    url = make_queue(sqs)
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=901)
    assert error_code(excinfo) == "InvalidParameterValue"


def test_retention_drops_old_messages(sqs: Any, clock: ManualClock) -> None:
    url = make_queue(sqs, MessageRetentionPeriod="60")
    sqs.send_message(QueueUrl=url, MessageBody="old")
    clock.advance(30)
    sqs.send_message(QueueUrl=url, MessageBody="new")
    clock.advance(31)
    assert [m["Body"] for m in receive(sqs, url)] == ["new"]


def test_purge_queue_and_its_cooldown(sqs: Any, clock: ManualClock) -> None:
    url = make_queue(sqs)
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=str(i))
    sqs.purge_queue(QueueUrl=url)
    assert counts(sqs, url) == (0, 0, 0)
    with pytest.raises(ClientError) as excinfo:
        sqs.purge_queue(QueueUrl=url)
    assert error_code(excinfo) == "AWS.SimpleQueueService.PurgeQueueInProgress"
    clock.advance(61)
    sqs.purge_queue(QueueUrl=url)


def test_fifo_order_within_groups_and_group_blocking(sqs: Any, clock: ManualClock) -> None:
    url = make_queue(
        sqs, "q.fifo", FifoQueue="true", ContentBasedDeduplication="true", VisibilityTimeout="10"
    )
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"a{i}", MessageGroupId="A")
        sqs.send_message(QueueUrl=url, MessageBody=f"b{i}", MessageGroupId="B")
    first = receive(sqs, url, count=2)
    assert [m["Body"] for m in first] == ["a0", "a1"]  # a group's messages come together
    second = receive(sqs, url, count=10)
    assert [m["Body"] for m in second] == ["b0", "b1", "b2"]  # A is blocked while in flight
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    assert receive(sqs, url) == []  # a1 still in flight
    clock.advance(11)
    bodies = [m["Body"] for m in receive(sqs, url)]
    assert sorted(bodies) == ["a1", "a2", "b0", "b1", "b2"]
    assert [b for b in bodies if b[0] == "a"] == ["a1", "a2"]  # order across groups is free,
    assert [b for b in bodies if b[0] == "b"] == ["b0", "b1", "b2"]  # within a group it is not


def test_fifo_sequence_numbers_increase(sqs: Any) -> None:
    url = make_queue(sqs, "q.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    numbers = [
        int(
            sqs.send_message(QueueUrl=url, MessageBody=str(i), MessageGroupId="g")["SequenceNumber"]
        )
        for i in range(3)
    ]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    messages = receive(sqs, url, MessageSystemAttributeNames=["All"])
    assert [int(m["Attributes"]["SequenceNumber"]) for m in messages] == numbers
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {"g"}


def test_fifo_deduplication_by_id_and_by_content(sqs: Any, clock: ManualClock) -> None:
    url = make_queue(sqs, "q.fifo", FifoQueue="true")
    one = sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="d1"
    )
    two = sqs.send_message(
        QueueUrl=url, MessageBody="y", MessageGroupId="g", MessageDeduplicationId="d1"
    )
    assert two["MessageId"] == one["MessageId"]
    assert counts(sqs, url)[0] == 1
    clock.advance(301)  # the 5-minute window has passed
    sqs.send_message(QueueUrl=url, MessageBody="z", MessageGroupId="g", MessageDeduplicationId="d1")
    assert counts(sqs, url)[0] == 2

    content = make_queue(sqs, "c.fifo", FifoQueue="true", ContentBasedDeduplication="true")
    a = sqs.send_message(QueueUrl=content, MessageBody="same", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=content, MessageBody="same", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"]
    [message] = receive(sqs, content, MessageSystemAttributeNames=["MessageDeduplicationId"])
    assert message["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()


def test_fifo_deduplication_scope_message_group(sqs: Any) -> None:
    url = make_queue(
        sqs,
        "q.fifo",
        FifoQueue="true",
        DeduplicationScope="messageGroup",
        FifoThroughputLimit="perMessageGroupId",
    )
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="a", MessageDeduplicationId="d")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="b", MessageDeduplicationId="d")
    assert counts(sqs, url)[0] == 2


def test_fifo_send_rules(sqs: Any) -> None:
    url = make_queue(sqs, "q.fifo", FifoQueue="true")
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert error_code(excinfo) == "MissingParameter"
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert error_code(excinfo) == "InvalidParameterValue"  # no dedup id, no content dedup
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageGroupId="g",
            MessageDeduplicationId="d",
            DelaySeconds=5,
        )
    assert error_code(excinfo) == "InvalidParameterValue"
    standard = make_queue(sqs, "standard")
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=standard, MessageBody="x", MessageDeduplicationId="d")
    assert error_code(excinfo) == "InvalidParameterValue"


def test_fifo_redrive_to_fifo_dlq(sqs: Any, clock: ManualClock) -> None:
    dlq = make_queue(sqs, "dlq.fifo", FifoQueue="true")
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 1})
    url = make_queue(
        sqs,
        "q.fifo",
        FifoQueue="true",
        ContentBasedDeduplication="true",
        VisibilityTimeout="5",
        RedrivePolicy=policy,
    )
    sqs.send_message(QueueUrl=url, MessageBody="first", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="second", MessageGroupId="g")
    [m] = receive(sqs, url, count=1)
    assert m["Body"] == "first"
    clock.advance(6)
    assert [x["Body"] for x in receive(sqs, url)] == ["second"]
    assert [x["Body"] for x in receive(sqs, dlq)] == ["first"]
    standard_dlq = make_queue(sqs, "std-dlq")
    with pytest.raises(ClientError):
        make_queue(
            sqs,
            "other.fifo",
            FifoQueue="true",
            RedrivePolicy=json.dumps(
                {"deadLetterTargetArn": arn_of(sqs, standard_dlq), "maxReceiveCount": 1}
            ),
        )


def test_long_polling_returns_when_a_message_arrives(sqs: Any, client: Any) -> None:
    url = make_queue(sqs)
    sender = client("sqs")

    def send_later() -> None:
        time.sleep(0.3)
        sender.send_message(QueueUrl=url, MessageBody="late")

    thread = threading.Thread(target=send_later)
    started = time.monotonic()
    thread.start()
    messages = receive(sqs, url, WaitTimeSeconds=10)
    thread.join()
    assert [m["Body"] for m in messages] == ["late"]
    assert time.monotonic() - started < 9  # woke on the send, not at the end of the wait


def test_long_polling_times_out_empty(sqs: Any) -> None:
    url = make_queue(sqs, ReceiveMessageWaitTimeSeconds="1")
    started = time.monotonic()
    assert receive(sqs, url) == []
    assert time.monotonic() - started >= 0.9  # the queue's own wait time applied


def test_wait_time_out_of_range(sqs: Any) -> None:
    url = make_queue(sqs)
    with pytest.raises(ClientError) as excinfo:
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=21)
    assert error_code(excinfo) == "InvalidParameterValue"


@pytest.mark.parametrize("count", [0, 11])
def test_max_number_of_messages_out_of_range(sqs: Any, count: int) -> None:
    url = make_queue(sqs)
    with pytest.raises(ClientError) as excinfo:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=count)
    assert error_code(excinfo) == "InvalidParameterValue"


def test_receive_returns_at_most_ten(sqs: Any) -> None:
    url = make_queue(sqs)
    for start in range(0, 25, 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "MessageBody": str(i)} for i in range(start, min(start + 10, 25))
            ],
        )
    assert len(receive(sqs, url, count=10)) == 10
    assert len(receive(sqs, url, count=10)) == 10
    assert len(receive(sqs, url, count=10)) == 5


def test_send_message_batch_with_partial_failure(sqs: Any) -> None:
    url = make_queue(sqs)
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "MessageBody": "fine"},
            {"Id": "bad", "MessageBody": "x", "DelaySeconds": 1000},
            {"Id": "badchar", "MessageBody": "\x00"},
        ],
    )
    assert [s["Id"] for s in result["Successful"]] == ["ok"]
    failed = {f["Id"]: f for f in result["Failed"]}
    assert failed["bad"]["Code"] == "InvalidParameterValue" and failed["bad"]["SenderFault"]
    assert failed["badchar"]["Code"] == "InvalidMessageContents"
    assert [m["Body"] for m in receive(sqs, url)] == ["fine"]


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        (
            [{"Id": str(i), "MessageBody": "x"} for i in range(11)],
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        ),
        (
            [{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}],
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        ),
        ([{"Id": "bad id!", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        (
            [{"Id": str(i), "MessageBody": "x" * 200_000} for i in range(6)],
            "AWS.SimpleQueueService.BatchRequestTooLong",
        ),
    ],
)
def test_batch_request_errors_send_nothing(sqs: Any, entries: list[Any], code: str) -> None:
    url = make_queue(sqs)
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert error_code(excinfo) == code
    assert counts(sqs, url) == (0, 0, 0)


def test_delete_and_change_visibility_batches(sqs: Any, clock: ManualClock) -> None:
    url = make_queue(sqs, VisibilityTimeout="30")
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(4)]
    )
    messages = receive(sqs, url)
    changed = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "m0", "ReceiptHandle": messages[0]["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 0},
        ],
    )
    assert [s["Id"] for s in changed["Successful"]] == ["m0"]
    assert changed["Failed"][0]["Id"] == "bad"
    assert changed["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    deleted = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages[1:])
        ],
    )
    assert len(deleted["Successful"]) == 3 and deleted["Failed"] == []
    assert counts(sqs, url) == (1, 0, 0)


def test_message_size_limit(sqs: Any) -> None:
    url = make_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_576)
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1_048_577)
    assert error_code(excinfo) == "InvalidParameterValue"
    small = make_queue(sqs, "small", MaximumMessageSize="1024")
    with pytest.raises(ClientError):
        sqs.send_message(
            QueueUrl=small,
            MessageBody="x" * 1000,
            MessageAttributes={"a": {"DataType": "String", "StringValue": "y" * 30}},
        )


def test_invalid_characters_in_body(sqs: Any) -> None:
    url = make_queue(sqs)
    for body in ["\x00", "a\x08b", "\ufffe"]:
        with pytest.raises(ClientError) as excinfo:
            sqs.send_message(QueueUrl=url, MessageBody=body)
        assert error_code(excinfo) == "InvalidMessageContents"
    sqs.send_message(QueueUrl=url, MessageBody="tab\tnewline\n emoji 🎉")


@pytest.mark.parametrize(
    "attributes",
    [
        {"a": {"DataType": "String", "StringValue": ""}},
        {"a": {"DataType": "Number", "StringValue": "not-a-number"}},
        {"a": {"DataType": "Date", "StringValue": "x"}},
        {"AWS.reserved": {"DataType": "String", "StringValue": "x"}},
        {"bad name!": {"DataType": "String", "StringValue": "x"}},
        {f"k{i}": {"DataType": "String", "StringValue": "x"} for i in range(11)},
    ],
)
def test_invalid_message_attributes(sqs: Any, attributes: dict[str, Any]) -> None:
    url = make_queue(sqs)
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attributes)
    assert error_code(excinfo) == "InvalidParameterValue"


def test_binary_attribute_roundtrip_in_wire_base64(sqs: Any) -> None:
    url = make_queue(sqs)
    payload = bytes(range(256))
    sqs.send_message(
        QueueUrl=url,
        MessageBody="x",
        MessageAttributes={"bin": {"DataType": "Binary.gz", "BinaryValue": payload}},
    )
    [message] = receive(sqs, url, MessageAttributeNames=["bin"])
    assert message["MessageAttributes"]["bin"]["BinaryValue"] == payload
    assert base64.b64encode(payload)  # the wire carried it as base64; boto3 decoded it
