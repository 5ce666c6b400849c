"""Typed event views, read from AWS's documented sample events (tests/unit/samples)."""

from __future__ import annotations

import base64
import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gearbox.app import (
    DynamoDBRecord,
    S3Event,
    S3Object,
    SNSMessage,
    SQSBatch,
    SQSMessage,
    deserialize,
    deserialize_item,
)

SAMPLES = Path(__file__).parent / "samples"

# Amazon S3 User Guide, "Event message structure": the test message S3 sends to a new
# notification destination.
S3_TEST_EVENT = {
    "Service": "Amazon S3",
    "Event": "s3:TestEvent",
    "Time": "2014-10-13T15:57:02.089Z",
    "Bucket": "bucketname",
    "RequestId": "5582815E1AEA5ADF",
    "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YtPEvvG7W/oDmX8Ab4l4tyrZbpBQYjY=",
}


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def in_sqs(*bodies: str) -> dict[str, Any]:
    """An SQS Lambda event (the documented sample's record) carrying ``bodies``."""
    record = sample("sqs_event.json")["Records"][0]
    records = []
    for i, body in enumerate(bodies):
        one = copy.deepcopy(record)
        one["messageId"] = f"id-{i}"
        one["body"] = body
        records.append(one)
    return {"Records": records}


EXPECTED_S3 = S3Object(
    bucket="example-bucket",
    key="test/key",
    size=1024,
    etag="0123456789abcdef0123456789abcdef",
    event_name="ObjectCreated:Put",
    version_id=None,
    sequencer="0A1B2C3D4E5F678901",
)


def test_s3_records_of_a_direct_notification() -> None:
    assert S3Event.records(sample("s3_event_put.json")) == [EXPECTED_S3]


def test_s3_key_is_url_decoded_with_plus_as_space() -> None:
    event = sample("s3_event_put.json")
    obj = event["Records"][0]["s3"]["object"]
    obj["key"] = "photos/my+summer%21+2024.jpg"
    obj["versionId"] = "096fKKXTRTtl3on89fVO.nfljtsv6qko"
    [record] = S3Event.records(event)
    assert record.key == "photos/my summer! 2024.jpg"
    assert record.version_id == "096fKKXTRTtl3on89fVO.nfljtsv6qko"


def test_s3_removal_has_no_size_or_etag() -> None:
    event = sample("s3_event_put.json")
    record = event["Records"][0]
    record["eventName"] = "ObjectRemoved:Delete"
    del record["s3"]["object"]["size"], record["s3"]["object"]["eTag"]
    [obj] = S3Event.records(event)
    assert (obj.size, obj.etag, obj.event_name) == (None, None, "ObjectRemoved:Delete")


def test_s3_records_through_sqs_skip_the_test_event() -> None:
    s3 = json.dumps(sample("s3_event_put.json"))
    event = in_sqs(json.dumps(S3_TEST_EVENT), s3, s3)
    assert S3Event.records(event) == [EXPECTED_S3, EXPECTED_S3]


def test_s3_records_through_sns_and_through_sns_then_sqs() -> None:
    sns_event = sample("sns_lambda_event.json")
    sns_event["Records"][0]["Sns"]["Message"] = json.dumps(sample("s3_event_put.json"))
    assert S3Event.records(sns_event) == [EXPECTED_S3]

    notification = sample("sns_http_notification.json")
    notification["Message"] = json.dumps(sample("s3_event_put.json"))
    assert S3Event.records(in_sqs(json.dumps(notification))) == [EXPECTED_S3]


def test_sqs_batch_reads_the_documented_record() -> None:
    batch = SQSBatch(sample("sqs_event.json"))
    assert len(batch) == 1
    [message] = batch
    assert message == SQSMessage(
        message_id="059f36b4-87a3-44ab-83d2-661975830a7d",
        body="Test message.",
        attributes={
            "ApproximateReceiveCount": "1",
            "SentTimestamp": "1545082649183",
            "SenderId": "AIDAIENQZJOLO23YVJ4VO",
            "ApproximateFirstReceiveTimestamp": "1545082649185",
        },
        message_attributes={
            "myAttribute": {
                "stringValue": "myValue",
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
        },
        receive_count=1,
    )


def test_sqs_process_reports_exactly_the_messages_that_raised() -> None:
    event = in_sqs('{"n": 1}', '{"n": 2}', "not json", '{"n": 4}')
    seen: list[int] = []

    def handle(message: SQSMessage) -> None:
        n = message.json()["n"]
        if n == 2:
            raise RuntimeError("two fails")
        seen.append(n)

    response = SQSBatch(event).process(handle)
    assert response == {
        "batchItemFailures": [{"itemIdentifier": "id-1"}, {"itemIdentifier": "id-2"}]
    }
    assert seen == [1, 4]
    assert SQSBatch(in_sqs("{}")).process(lambda m: None) == {"batchItemFailures": []}


def test_sqs_failures_builds_the_partial_batch_response() -> None:
    assert SQSBatch.failures(["a", "b"]) == {
        "batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "b"}]
    }


def test_sns_message_of_the_documented_lambda_event() -> None:
    [message] = SNSMessage.records(sample("sns_lambda_event.json"))
    assert message.message_id == "95df01b4-ee98-5cb9-9903-4c221d41eb5e"
    assert message.topic_arn == "arn:aws:sns:us-east-1:123456789012:sns-lambda"
    assert (message.subject, message.message) == ("TestInvoke", "Hello from SNS!")
    assert message.timestamp == "2019-01-02T12:45:07.000Z"
    assert message.attributes == {"Test": "TestString", "TestBinary": "TestBinary"}
    assert message.attribute_types == {"Test": "String", "TestBinary": "Binary"}


def test_sns_message_delivered_through_sqs() -> None:
    notification = sample("sns_http_notification.json")
    notification["Message"] = '{"order": 7}'
    [message] = SNSMessage.records(in_sqs(json.dumps(notification)))
    assert message.topic_arn == "arn:aws:sns:us-west-2:123456789012:MyTopic"
    assert message.subject == "My First Message"
    assert message.json() == {"order": 7}
    assert message.attributes == {}


def test_sns_records_refuse_what_is_not_a_notification() -> None:
    with pytest.raises(ValueError, match="not an SNS notification"):
        SNSMessage.records(in_sqs(json.dumps({"Type": "SubscriptionConfirmation"})))


def test_dynamodb_records_of_the_documented_stream_event() -> None:
    insert, modify = DynamoDBRecord.records(sample("dynamodb_stream_event.json"))
    assert insert == DynamoDBRecord(
        event_id="1",
        event_name="INSERT",
        keys={"Id": 101},
        new_image={"Message": "New item!", "Id": 101},
        old_image=None,
        sequence_number="111",
    )
    assert modify.event_name == "MODIFY"
    assert modify.old_image == {"Message": "New item!", "Id": 101}
    assert modify.new_image == {"Message": "This item has changed", "Id": 101}


def test_every_attribute_value_type_is_deserialized() -> None:
    blob = base64.b64encode(b"\x00\x01").decode()
    item = {
        "s": {"S": "text"},
        "int": {"N": "-42"},
        "dec": {"N": "1.50"},
        "exp": {"N": "1e3"},
        "b": {"B": blob},
        "t": {"BOOL": True},
        "nul": {"NULL": True},
        "m": {"M": {"inner": {"L": [{"N": "1"}, {"S": "x"}]}}},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2.5"]},
        "bs": {"BS": [blob]},
    }
    assert deserialize_item(item) == {
        "s": "text",
        "int": -42,
        "dec": Decimal("1.50"),
        "exp": Decimal("1e3"),
        "b": b"\x00\x01",
        "t": True,
        "nul": None,
        "m": {"inner": [1, "x"]},
        "ss": {"a", "b"},
        "ns": {1, Decimal("2.5")},
        "bs": {b"\x00\x01"},
    }
    assert isinstance(deserialize({"N": "7"}), int)
    assert isinstance(deserialize({"N": "7.0"}), Decimal)


@pytest.mark.parametrize("bad", [{}, {"S": "a", "N": "1"}, {"X": "1"}])
def test_malformed_attribute_values_are_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        deserialize(bad)
