"""SQS -> Lambda event source mappings end to end, through boto3: the mapping API, batches
with AWS's record shape, partial batch responses, redrive to the DLQ, filters, FIFO order."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gearbox.clock import ManualClock
from tests.functional.lambda_helpers import create_function
from tests.functional.sqs_helpers import arn_of, counts
from tests.waiting import wait_for

RECORDER = """
import boto3, json, os
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["RESULTS"], MessageBody=json.dumps(event))
    failures = [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "fail"]
    return {"batchItemFailures": failures}
"""
FAILS = """
def handler(event, context):
    raise RuntimeError("no")
"""


@pytest.fixture
def lam(client: Any) -> Any:
    return client("lambda")


def setup(lam: Any, sqs: Any, name: str = "source", **queue: str) -> tuple[str, str, str]:
    """(source queue url, its ARN, results queue url) with a recorder function ``rec``."""
    results = sqs.create_queue(QueueName=name.replace(".", "-") + "-results")["QueueUrl"]
    url = sqs.create_queue(QueueName=name, Attributes=queue)["QueueUrl"]
    create_function(lam, "rec", RECORDER, Environment={"Variables": {"RESULTS": results}})
    return url, arn_of(sqs, url), results


def records(sqs: Any, results: str, count: int) -> list[dict[str, Any]]:
    """Records the function received, until ``count`` arrived."""
    got: list[dict[str, Any]] = []

    def more() -> bool:
        for message in sqs.receive_message(
            QueueUrl=results, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", []):
            got.extend(json.loads(message["Body"])["Records"])
            sqs.delete_message(QueueUrl=results, ReceiptHandle=message["ReceiptHandle"])
        return len(got) >= count

    wait_for(more)
    return got


def test_mapping_api_shape_and_errors(lam: Any, sqs: Any) -> None:
    _, arn, _ = setup(lam, sqs)
    created = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="rec", BatchSize=5, ScalingConfig={"MaximumConcurrency": 2}
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["BatchSize"] == 5
    assert created["MaximumBatchingWindowInSeconds"] == 0
    assert created["EventSourceArn"] == arn
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:rec"
    assert created["State"] == "Enabled"
    assert created["StateTransitionReason"] == "USER_INITIATED"
    assert created["ScalingConfig"] == {"MaximumConcurrency": 2}
    got = lam.get_event_source_mapping(UUID=created["UUID"])
    assert got["UUID"] == created["UUID"]
    listed = lam.list_event_source_mappings(FunctionName="rec")["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [created["UUID"]]
    assert lam.list_event_source_mappings(EventSourceArn=arn + "x")["EventSourceMappings"] == []
    with pytest.raises(ClientError) as conflict:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec")
    assert conflict.value.response["Error"]["Code"] == "ResourceConflictException"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_event_source_mapping(UUID="00000000-0000-0000-0000-000000000000")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="nope")
    for bad in (
        {"BatchSize": 20},  # over 10 without a batching window
        {"MaximumBatchingWindowInSeconds": 301},
        {"FilterCriteria": {"Filters": [{"Pattern": "{not json"}]}},
    ):
        with pytest.raises(lam.exceptions.InvalidParameterValueException):
            lam.update_event_source_mapping(UUID=created["UUID"], **bad)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_event_source_mapping(
            EventSourceArn="arn:aws:sqs:us-east-1:123456789012:missing", FunctionName="rec"
        )
    deleted = lam.delete_event_source_mapping(UUID=created["UUID"])
    assert deleted["State"] == "Deleting"
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_event_source_mapping(UUID=created["UUID"])


def test_visibility_timeout_shorter_than_function_timeout_is_rejected(lam: Any, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="short", Attributes={"VisibilityTimeout": "10"})["QueueUrl"]
    create_function(lam, "slow", FAILS, Timeout=30)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as error:
        lam.create_event_source_mapping(EventSourceArn=arn_of(sqs, url), FunctionName="slow")
    assert error.value.response["Error"]["Message"] == (
        "Queue visibility timeout: 10 seconds is less than Function timeout: 30 seconds"
    )


def test_batches_carry_aws_records(lam: Any, sqs: Any) -> None:
    url, arn, results = setup(lam, sqs)
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody='{"n": 1}',
        MessageAttributes={"colour": {"DataType": "String", "StringValue": "red"}},
    )
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec")
    [record] = records(sqs, results, 1)
    assert set(record) == {
        "messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody",
        "md5OfMessageAttributes", "eventSource", "eventSourceARN", "awsRegion",
    }  # fmt: skip
    assert record["messageId"] == sent["MessageId"]
    assert record["body"] == '{"n": 1}'
    assert record["md5OfBody"] == sent["MD5OfMessageBody"]
    assert record["md5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert set(record["attributes"]) == {
        "ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"
    }  # fmt: skip
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {
        "colour": {
            "stringValue": "red",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        }
    }
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == (
        "aws:sqs",
        arn,
        "us-east-1",
    )
    wait_for(lambda: counts(sqs, url) == (0, 0, 0))  # deleted after success


def test_partial_batch_failure_retries_only_failed_items(
    lam: Any, sqs: Any, clock: ManualClock
) -> None:
    url, arn, results = setup(lam, sqs, VisibilityTimeout="30")
    for body in ("ok-1", "fail", "ok-2"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="rec",
        BatchSize=10,
        MaximumBatchingWindowInSeconds=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    first = records(sqs, results, 3)
    assert sorted(r["body"] for r in first) == ["fail", "ok-1", "ok-2"]
    wait_for(lambda: counts(sqs, url) == (0, 1, 0))  # only the failed one is left in flight
    clock.advance(31)
    [again] = records(sqs, results, 1)
    assert again["body"] == "fail"
    assert again["attributes"]["ApproximateReceiveCount"] == "2"


def test_failing_function_sends_messages_to_the_dlq(lam: Any, sqs: Any, clock: ManualClock) -> None:
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    url = sqs.create_queue(
        QueueName="work",
        Attributes={
            "VisibilityTimeout": "5",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 2}
            ),
        },
    )["QueueUrl"]
    create_function(lam, "fails", FAILS)
    sqs.send_message(QueueUrl=url, MessageBody="doomed")
    lam.create_event_source_mapping(EventSourceArn=arn_of(sqs, url), FunctionName="fails")
    for _ in range(2):
        wait_for(lambda: counts(sqs, url) == (0, 1, 0))  # received, the invocation failed
        time.sleep(0.3)
        clock.advance(6)

    def in_dlq() -> list[dict[str, Any]]:
        return list(sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages", []))

    [dead] = wait_for(in_dlq)
    assert dead["Body"] == "doomed"


def test_filter_drops_messages_that_do_not_match(lam: Any, sqs: Any) -> None:
    url, arn, results = setup(lam, sqs)
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="rec",
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": {"kind": ["keep"]}})}]},
    )
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "drop"}))
    sqs.send_message(QueueUrl=url, MessageBody="not json")
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "keep"}))
    got = records(sqs, results, 1)
    assert [json.loads(r["body"]) for r in got] == [{"kind": "keep"}]
    wait_for(lambda: counts(sqs, url) == (0, 0, 0))  # the others were deleted
    time.sleep(0.3)
    assert sqs.receive_message(QueueUrl=results, WaitTimeSeconds=0).get("Messages") is None


def test_fifo_order_per_group(lam: Any, sqs: Any) -> None:
    url, arn, results = setup(
        lam, sqs, "orders.fifo", FifoQueue="true", ContentBasedDeduplication="true"
    )
    for i in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=f"g{i % 2}-{i}", MessageGroupId=f"g{i % 2}")
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", BatchSize=2)
    got = records(sqs, results, 12)
    for group in ("g0", "g1"):
        mine = [r for r in got if r["attributes"]["MessageGroupId"] == group]
        assert [r["body"] for r in mine] == [
            f"{group}-{i}" for i in range(12) if f"g{i % 2}" == group
        ]
        assert "SequenceNumber" in mine[0]["attributes"]
        assert "MessageDeduplicationId" in mine[0]["attributes"]


def test_disable_enable_and_delete(lam: Any, sqs: Any) -> None:
    url, arn, results = setup(lam, sqs)
    mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec")["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody="one")
    records(sqs, results, 1)
    updated = lam.update_event_source_mapping(UUID=mapping, Enabled=False)
    assert updated["State"] == "Disabled"
    sqs.send_message(QueueUrl=url, MessageBody="two")
    time.sleep(0.5)
    assert counts(sqs, url) == (1, 0, 0)  # not delivered while disabled
    lam.update_event_source_mapping(UUID=mapping, Enabled=True)
    assert [r["body"] for r in records(sqs, results, 1)] == ["two"]
    lam.delete_event_source_mapping(UUID=mapping)
    time.sleep(0.3)
    sqs.send_message(QueueUrl=url, MessageBody="three")
    time.sleep(0.5)
    assert counts(sqs, url) == (1, 0, 0)  # no longer delivered


def test_mappings_survive_a_restart(tmp_path: Any, clock: ManualClock) -> None:
    import boto3

    from gearbox.local.cloud import LocalCloud
    from gearbox.settings import Settings
    from tests.conftest import CREDENTIALS, REGION
    from tests.functional.lambda_helpers import ensure_test_role

    settings = Settings(port=0, state_dir=tmp_path / "restart")

    def clients(cloud: LocalCloud) -> tuple[Any, Any]:
        return tuple(  # type: ignore[return-value]
            boto3.client(s, endpoint_url=cloud.endpoint_url, region_name=REGION, **CREDENTIALS)
            for s in ("lambda", "sqs")
        )

    first = LocalCloud.open(settings, clock=clock)
    first.start()
    try:
        lam, sqs = clients(first)
        _, arn, _ = setup(lam, sqs)
        mapping = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec")["UUID"]
    finally:
        first.stop()
    second = LocalCloud.open(settings, clock=clock)
    second.start()
    try:
        lam, sqs = clients(second)
        ensure_test_role(lam)  # IAM lives in the backend's memory: gone with the first cloud
        assert lam.get_event_source_mapping(UUID=mapping)["State"] == "Enabled"
        url = sqs.get_queue_url(QueueName="source")["QueueUrl"]
        results = sqs.get_queue_url(QueueName="source-results")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="after restart")
        assert [r["body"] for r in records(sqs, results, 1)] == ["after restart"]
    finally:
        second.stop()
