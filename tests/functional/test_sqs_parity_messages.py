"""Parity with moto's SQS test-suite: message behaviours of standard queues.

Each test covers one behaviour that moto's ``tests/test_sqs`` checks, asserted as AWS
documents it. Time moves with ``clock.advance``; the only real waits are long polls, whose
``WaitTimeSeconds`` is real time by design (see ``gearbox.clock``).
"""

from __future__ import annotations

import hashlib
import struct
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gearbox.clock import ManualClock
from tests.functional.sqs_helpers import counts, error_code, receive_raw


def md5_of_attributes(attributes: dict[str, dict[str, Any]]) -> str:
    """MD5OfMessageAttributes as the SQS developer guide describes it, written independently."""
    digest = hashlib.md5(usedforsecurity=False)

    def add(data: bytes) -> None:
        digest.update(struct.pack(">I", len(data)) + data)

    for name in sorted(attributes):
        value = attributes[name]
        add(name.encode())
        add(value["DataType"].encode())
        if "BinaryValue" in value:
            digest.update(b"\x02")
            add(value["BinaryValue"])
        else:
            digest.update(b"\x01")
            add(value["StringValue"].encode())
    return digest.hexdigest()


# sending and the checksums


def test_send_without_attributes_returns_only_the_body_checksum(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sent = sqs.send_message(QueueUrl=url, MessageBody="derp")
    assert sent["MD5OfMessageBody"] == hashlib.md5(b"derp", usedforsecurity=False).hexdigest()
    assert "MD5OfMessageAttributes" not in sent
    assert sent["MessageId"].strip() == sent["MessageId"]
    message = receive_raw(sqs, url)[0]
    assert "MD5OfMessageAttributes" not in message
    assert "Attributes" not in message
    assert "MessageAttributes" not in message


def test_attribute_checksum_covers_custom_type_labels(sqs: Any) -> None:
    """``Number.java.lang.Long``-style labels are part of the digest, on send and receive."""
    given = {
        "id": {"DataType": "String", "StringValue": "2018fc74-4f77-1a5a-1be0-c2d037d5052b"},
        "contentType": {"DataType": "String.json", "StringValue": "application/json"},
        "timestamp": {"DataType": "Number.java.lang.Long", "StringValue": "1602845432024"},
    }
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sent = sqs.send_message(QueueUrl=url, MessageBody="derp", MessageAttributes=given)
    assert sent["MD5OfMessageAttributes"] == md5_of_attributes(given)
    message = receive_raw(sqs, url, MessageAttributeNames=["All"])[0]
    assert message["MessageAttributes"] == given
    assert message["MD5OfMessageAttributes"] == md5_of_attributes(given)


@pytest.mark.parametrize(
    "body",
    ["< & >", '<?xml version="1.0" encoding="UTF-8"?><feed/>', "Héllo!😀", "content:\rline"],
    ids=["xml-characters", "xml-document", "unicode", "carriage-return"],
)
def test_bodies_round_trip_unchanged(sqs: Any, body: str) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=body)
    assert receive_raw(sqs, url)[0]["Body"] == body


def test_xml_in_a_string_attribute_round_trips(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    payload = '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>'
    given = {"Payload": {"DataType": "String", "StringValue": payload}}
    sqs.send_message(QueueUrl=url, MessageBody="feed", MessageAttributes=given)
    message = receive_raw(sqs, url, MessageAttributeNames=["Payload"])[0]
    assert message["MessageAttributes"] == given


def test_message_group_id_is_accepted_on_a_standard_queue(sqs: Any) -> None:
    """AWS: in standard queues MessageGroupId enables fair queues (moto still rejects it)."""
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="tenant-1")
    message = receive_raw(sqs, url, MessageSystemAttributeNames=["MessageGroupId"])[0]
    assert message["Attributes"] == {"MessageGroupId": "tenant-1"}


# retention


def test_retention_counts_from_the_send_not_from_queue_creation(
    sqs: Any, clock: ManualClock
) -> None:
    url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
    clock.advance(120)
    sqs.send_message(QueueUrl=url, MessageBody="fresh")
    assert len(receive_raw(sqs, url)) == 1


# receive parameters and the attributes it returns


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"MessageAttributeNames": ["Custom.one"]}, {"Custom.one"}),
        ({"MessageAttributeNames": ["All"]}, {"Custom.one", "Custom.two", "Other"}),
        ({"MessageAttributeNames": [".*"]}, {"Custom.one", "Custom.two", "Other"}),
        ({"MessageAttributeNames": ["Absent"]}, None),
    ],
    ids=["one-name", "All", "dot-star", "absent"],
)
def test_message_attribute_names_select_what_a_receive_returns(
    sqs: Any, kwargs: dict[str, Any], expected: set[str] | None
) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    given = {
        name: {"DataType": "String", "StringValue": name.lower()}
        for name in ["Custom.one", "Custom.two", "Other"]
    }
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=given)
    message = receive_raw(sqs, url, **kwargs)[0]
    if expected is None:
        assert "MessageAttributes" not in message
        assert "MD5OfMessageAttributes" not in message
        return
    chosen = {name: given[name] for name in expected}
    assert message["MessageAttributes"] == chosen
    assert message["MD5OfMessageAttributes"] == md5_of_attributes(chosen)


def test_receiving_some_attributes_keeps_the_others(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    given = {
        "Custom1": {"DataType": "String", "StringValue": "one"},
        "Custom2": {"DataType": "String", "StringValue": "two"},
    }
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=given)
    first = receive_raw(sqs, url, MessageAttributeNames=["Custom1"], VisibilityTimeout=0)[0]
    assert set(first["MessageAttributes"]) == {"Custom1"}
    again = receive_raw(sqs, url, MessageAttributeNames=["All"])[0]
    assert again["MessageAttributes"] == given


def test_all_attributes_without_user_attributes_returns_no_message_attributes(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    message = receive_raw(sqs, url, AttributeNames=["All"], MessageAttributeNames=["All"])[0]
    assert {
        "SenderId",
        "SentTimestamp",
        "ApproximateReceiveCount",
        "ApproximateFirstReceiveTimestamp",
    } <= set(message["Attributes"])
    assert message.get("MessageAttributes", {}) == {}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "All",
            {
                "SenderId",
                "SentTimestamp",
                "ApproximateReceiveCount",
                "ApproximateFirstReceiveTimestamp",
            },
        ),
        ("ApproximateFirstReceiveTimestamp", {"ApproximateFirstReceiveTimestamp"}),
        ("ApproximateReceiveCount", {"ApproximateReceiveCount"}),
        ("SenderId", {"SenderId"}),
        ("SentTimestamp", {"SentTimestamp"}),
    ],
)
def test_attribute_names_select_system_attributes(sqs: Any, name: str, expected: set[str]) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="one")
    sqs.send_message(QueueUrl=url, MessageBody="two")
    messages = receive_raw(sqs, url, AttributeNames=[name], MaxNumberOfMessages=2)
    assert [m["Body"] for m in messages] == ["one", "two"]
    for message in messages:
        assert set(message["Attributes"]) == expected
        assert "MD5OfMessageAttributes" not in message
        if "ApproximateReceiveCount" in expected:
            assert message["Attributes"]["ApproximateReceiveCount"] == "1"


def test_trace_header_is_returned_only_when_asked_for(sqs: Any) -> None:
    """AWS returns AWSTraceHeader in the message's Attributes, not as MessageSystemAttributes."""
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    header = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="x",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": header}},
    )
    assert "MD5OfMessageSystemAttributes" in sent
    plain = receive_raw(sqs, url, VisibilityTimeout=0)[0]
    assert "Attributes" not in plain
    other = receive_raw(sqs, url, MessageSystemAttributeNames=["SenderId"], VisibilityTimeout=0)[0]
    assert "AWSTraceHeader" not in other["Attributes"]
    asked = receive_raw(
        sqs, url, MessageSystemAttributeNames=["AWSTraceHeader"], VisibilityTimeout=0
    )
    assert asked[0]["Attributes"] == {"AWSTraceHeader": header}
    every = receive_raw(sqs, url, AttributeNames=["All"], MessageAttributeNames=["All"])[0]
    assert every["Attributes"]["AWSTraceHeader"] == header


def test_negative_wait_time_seconds_is_rejected(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError) as excinfo:
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=-1)
    assert error_code(excinfo) == "InvalidParameterValue"


# long polling (real seconds)


def timed(call: Callable[[], list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], float]:
    began = time.monotonic()
    result = call()
    return result, time.monotonic() - began


def test_receive_with_zero_wait_on_an_empty_queue_returns_at_once(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q", Attributes={"ReceiveMessageWaitTimeSeconds": "20"})[
        "QueueUrl"
    ]
    messages, took = timed(lambda: receive_raw(sqs, url, WaitTimeSeconds=0))
    assert messages == []
    assert took < 2


def test_long_poll_returns_a_message_whose_visibility_expires_while_waiting(
    sqs: Any, clock: ManualClock
) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="back")
    handle = receive_raw(sqs, url)[0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=1)
    timer = threading.Timer(0.3, clock.advance, args=(1,))
    timer.start()
    try:
        messages, took = timed(lambda: receive_raw(sqs, url, WaitTimeSeconds=10))
    finally:
        timer.join()
    assert [m["Body"] for m in messages] == ["back"]
    assert took < 5


# visibility


def test_change_message_visibility_sets_a_new_timeout_from_now(
    sqs: Any, clock: ManualClock
) -> None:
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "2"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = receive_raw(sqs, url)[0]["ReceiptHandle"]
    clock.advance(1)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=2)
    clock.advance(1.5)
    assert counts(sqs, url) == (0, 1, 0)  # the queue's 2 s alone would have ended
    clock.advance(0.5)
    assert counts(sqs, url) == (1, 0, 0)
    again = receive_raw(sqs, url)[0]["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again)
    assert counts(sqs, url) == (0, 0, 0)


def test_visibility_cannot_be_extended_past_12_hours_from_the_receive_raw(
    sqs: Any, clock: ManualClock
) -> None:
    """AWS: "If you try to extend the visibility timeout beyond 12 hours, your request is
    rejected" -- 12 hours counted from the receive, not from the ChangeMessageVisibility."""
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = receive_raw(sqs, url)[0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=360)
    clock.advance(300)
    with pytest.raises(ClientError) as excinfo:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43200)
    assert error_code(excinfo) == "InvalidParameterValue"
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=42900)


def test_change_visibility_with_an_unknown_receipt_handle(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError) as excinfo:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle="unknown-stuff", VisibilityTimeout=432
        )
    assert error_code(excinfo) == "ReceiptHandleIsInvalid"


def test_change_visibility_with_a_superseded_receipt_handle_changes_nothing(
    sqs: Any, clock: ManualClock
) -> None:
    """Only the latest receive's handle controls the message (moto lets an old one win)."""
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    old = receive_raw(sqs, url)[0]["ReceiptHandle"]
    clock.advance(30)
    new = receive_raw(sqs, url)[0]["ReceiptHandle"]
    assert new != old
    with pytest.raises(ClientError) as excinfo:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=old, VisibilityTimeout=100)
    assert error_code(excinfo) == "InvalidParameterValue"
    batch = sqs.change_message_visibility_batch(
        QueueUrl=url, Entries=[{"Id": "old", "ReceiptHandle": old, "VisibilityTimeout": 100}]
    )
    assert [f["Id"] for f in batch["Failed"]] == ["old"]
    clock.advance(30)
    assert len(receive_raw(sqs, url)) == 1  # back after the new handle's 30 s, not 100 s


# deleting


def test_delete_with_the_latest_handle_after_the_timeout_still_deletes(
    sqs: Any, clock: ManualClock
) -> None:
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "1"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = receive_raw(sqs, url)[0]["ReceiptHandle"]
    clock.advance(2)
    assert counts(sqs, url) == (1, 0, 0)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert counts(sqs, url) == (0, 0, 0)


def test_delete_message_batch_with_repeated_ids_deletes_nothing(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    message = receive_raw(sqs, url, VisibilityTimeout=0)[0]
    entry = {"Id": message["MessageId"], "ReceiptHandle": message["ReceiptHandle"]}
    with pytest.raises(ClientError) as excinfo:
        sqs.delete_message_batch(QueueUrl=url, Entries=[entry, entry])
    assert error_code(excinfo) == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
    assert counts(sqs, url) == (1, 0, 0)


def test_delete_message_batch_reports_invalid_handles_per_entry(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    message = receive_raw(sqs, url, VisibilityTimeout=0)[0]
    response = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "fake-1", "ReceiptHandle": "fake-receipt-handle-1"},
            {"Id": "real", "ReceiptHandle": message["ReceiptHandle"]},
            {"Id": "fake-2", "ReceiptHandle": "fake-receipt-handle-2"},
        ],
    )
    assert response["Successful"] == [{"Id": "real"}]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in response["Failed"]] == [
        ("fake-1", "ReceiptHandleIsInvalid", True),
        ("fake-2", "ReceiptHandleIsInvalid", True),
    ]
    assert counts(sqs, url) == (0, 0, 0)


# send batches


@pytest.mark.parametrize(
    "entry_id", ["", ".!@#$%^&*()+=", "i" * 81], ids=["empty", "punctuation", "81-characters"]
)
def test_send_message_batch_entry_ids_are_checked(sqs: Any, entry_id: str) -> None:
    """Ids: up to 80 alphanumeric characters, hyphens and underscores."""
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError) as excinfo:
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": "fine", "MessageBody": "a"}, {"Id": entry_id, "MessageBody": "b"}],
        )
    assert error_code(excinfo) == "AWS.SimpleQueueService.InvalidBatchEntryId"
    assert counts(sqs, url) == (0, 0, 0)
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "i" * 80, "MessageBody": "a"}])
