"""AWS's success/failure table for SQS batches (services-sqs-errorhandling.html), and the
record shape compared with AWS's sample event (``samples/sqs_event.json``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gearbox.local.functions.model import InvokeResult
from gearbox.local.sources.outcomes import decide
from gearbox.local.sources.sqs_poller import record_of

IDS = ["a", "b", "c"]
SAMPLES = Path(__file__).parent / "samples"


def result(payload: bytes, error: str | None = None) -> InvokeResult:
    return InvokeResult("r", payload, error, "", 1.0, 1, 128)


def test_function_error_returns_the_whole_batch_with_or_without_the_setting() -> None:
    failed = result(b'{"errorMessage": "x", "errorType": "E"}', "Unhandled")
    for report in (True, False):
        outcome = decide(failed, IDS, report)
        assert outcome.delete == () and outcome.retry == tuple(IDS)


@pytest.mark.parametrize(
    "payload",
    [b'{"batchItemFailures": [{"itemIdentifier": "b"}]}', b"not json", b"[]", b'"x"', b""],
)
def test_without_the_setting_the_response_is_ignored(payload: bytes) -> None:
    assert decide(result(payload), IDS, False).delete == tuple(IDS)


@pytest.mark.parametrize(
    "payload",
    [
        b'{"batchItemFailures": []}',  # empty list
        b'{"batchItemFailures": null}',  # null list
        b"{}",  # empty EventResponse
        b"null",  # null EventResponse
        b"",
        b'{"other": 1}',
    ],
)
def test_complete_success(payload: bytes) -> None:
    outcome = decide(result(payload), IDS, True)
    assert outcome.delete == tuple(IDS) and outcome.retry == ()


def test_only_the_reported_items_are_retried() -> None:
    payload = b'{"batchItemFailures": [{"itemIdentifier": "b"}, {"itemIdentifier": "c"}]}'
    outcome = decide(result(payload), IDS, True)
    assert outcome.delete == ("a",) and outcome.retry == ("b", "c")


@pytest.mark.parametrize(
    "payload",
    [
        b'{"batchItemFailures": [{"itemIdentifier": ""}]}',  # empty string
        b'{"batchItemFailures": [{"itemIdentifier": null}]}',  # null
        b'{"batchItemFailures": [{}]}',  # missing
        b'{"batchItemFailures": [{"itemIdentifier": "zzz"}]}',  # not in the batch
        b'{"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "zzz"}]}',
        b"{not json",  # invalid JSON
        b"[1, 2]",  # not an object
        b'"text"',
        b'{"batchItemFailures": "b"}',
        b'{"batchItemFailures": ["b"]}',
    ],
)
def test_complete_failure(payload: bytes) -> None:
    outcome = decide(result(payload), IDS, True)
    assert outcome.delete == () and outcome.retry == tuple(IDS)


def test_record_has_the_shape_of_aws_sample() -> None:
    [sample] = json.loads((SAMPLES / "sqs_event.json").read_text())["Records"]
    message = {
        "MessageId": sample["messageId"],
        "ReceiptHandle": sample["receiptHandle"],
        "Body": sample["body"],
        "MD5OfBody": sample["md5OfBody"],
        "Attributes": dict(sample["attributes"]),
        "MessageAttributes": {"myAttribute": {"StringValue": "myValue", "DataType": "String"}},
    }
    record = record_of(message, sample["eventSourceARN"])
    assert record == sample
    assert list(record) == list(sample)


def test_binary_attributes_are_base64_and_md5_of_attributes_is_kept() -> None:
    record = record_of(
        {
            "MessageId": "m",
            "ReceiptHandle": "h",
            "Body": "b",
            "MD5OfBody": "x",
            "MD5OfMessageAttributes": "y",
            "MessageAttributes": {"bin": {"BinaryValue": b"\x00\x01", "DataType": "Binary"}},
        },
        "arn:aws:sqs:us-east-1:123456789012:q",
    )
    assert record["messageAttributes"]["bin"] == {
        "binaryValue": "AAE=",
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": "Binary",
    }
    assert record["md5OfMessageAttributes"] == "y"
    assert record["awsRegion"] == "us-east-1"
