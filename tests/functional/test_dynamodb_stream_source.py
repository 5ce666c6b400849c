"""DynamoDB Streams -> Lambda event source mappings end to end, through boto3: the mapping API
and its validation, records in AWS's shape per StreamViewType, order, STARTING_POSITION, retries
with the on-failure destination, checkpoints."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gearbox.clock import ManualClock
from tests.functional.lambda_helpers import create_function
from tests.functional.sqs_helpers import arn_of
from tests.waiting import journaled, wait_for

RECORDER = """
import boto3, json, os
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["RESULTS"], MessageBody=json.dumps(event))
    if any(r["dynamodb"]["Keys"]["pk"]["S"] == "fail" for r in event["Records"]):
        raise RuntimeError("bad record")
"""


@pytest.fixture
def lam(client: Any) -> Any:
    return client("lambda")


@pytest.fixture
def ddb(client: Any) -> Any:
    return client("dynamodb")


def table(ddb: Any, name: str = "items", view: str = "NEW_AND_OLD_IMAGES") -> str:
    """Create a table with a stream; its stream ARN."""
    answer = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    return str(answer["TableDescription"]["LatestStreamArn"])


def recorder(lam: Any, sqs: Any, name: str = "rec") -> str:
    results = sqs.create_queue(QueueName=f"{name}-results")["QueueUrl"]
    create_function(lam, name, RECORDER, Environment={"Variables": {"RESULTS": results}})
    return str(results)


def events(sqs: Any, results: str, count: int) -> list[dict[str, Any]]:
    """The records the function received (in invocation order), until ``count`` arrived."""
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


def put(ddb: Any, pk: str, **attrs: str) -> None:
    item = {"pk": {"S": pk}, **{k: {"S": v} for k, v in attrs.items()}}
    ddb.put_item(TableName="items", Item=item)


def test_insert_modify_remove_in_order_with_images(lam: Any, ddb: Any, sqs: Any) -> None:
    arn = table(ddb)
    results = recorder(lam, sqs)
    created = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="rec", StartingPosition="TRIM_HORIZON", BatchSize=2
    )
    assert created["StartingPosition"] == "TRIM_HORIZON"
    assert created["BatchSize"] == 2
    assert created["MaximumRetryAttempts"] == -1
    assert created["MaximumRecordAgeInSeconds"] == -1
    assert created["BisectBatchOnFunctionError"] is False
    assert created["ParallelizationFactor"] == 1
    put(ddb, "a", v="1")
    ddb.update_item(
        TableName="items",
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"S": "2"}},
    )
    ddb.delete_item(TableName="items", Key={"pk": {"S": "a"}})
    got = events(sqs, results, 3)
    assert [r["eventName"] for r in got] == ["INSERT", "MODIFY", "REMOVE"]
    insert, modify, remove = (r["dynamodb"] for r in got)
    assert insert["Keys"] == {"pk": {"S": "a"}}
    assert insert["NewImage"] == {"pk": {"S": "a"}, "v": {"S": "1"}}
    assert "OldImage" not in insert
    assert modify["OldImage"]["v"] == {"S": "1"}
    assert modify["NewImage"]["v"] == {"S": "2"}
    assert remove["OldImage"]["v"] == {"S": "2"}
    assert "NewImage" not in remove
    sequences = [int(r["SequenceNumber"]) for r in (insert, modify, remove)]
    assert sequences == sorted(sequences)
    first = got[0]
    assert list(first) == [
        "eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
        "eventSourceARN",
    ]  # fmt: skip
    assert (first["eventVersion"], first["eventSource"], first["awsRegion"]) == (
        "1.1",
        "aws:dynamodb",
        "us-east-1",
    )
    assert first["eventSourceARN"] == arn
    assert insert["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(insert["ApproximateCreationDateTime"], float)
    assert insert["SizeBytes"] > 0


def test_keys_only_view(lam: Any, ddb: Any, sqs: Any) -> None:
    arn = table(ddb, view="KEYS_ONLY")
    results = recorder(lam, sqs)
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="rec", StartingPosition="TRIM_HORIZON"
    )
    put(ddb, "k", v="1")
    [record] = events(sqs, results, 1)
    assert record["dynamodb"]["Keys"] == {"pk": {"S": "k"}}
    assert "NewImage" not in record["dynamodb"]
    assert "OldImage" not in record["dynamodb"]
    assert record["dynamodb"]["StreamViewType"] == "KEYS_ONLY"


def test_latest_skips_existing_records(lam: Any, ddb: Any, sqs: Any) -> None:
    arn = table(ddb)
    results = recorder(lam, sqs)
    put(ddb, "old")
    lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="rec", StartingPosition="LATEST"
    )
    put(ddb, "new")
    got = events(sqs, results, 1)
    time.sleep(0.6)
    got += events(sqs, results, 0)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in got] == ["new"]


def test_failing_batch_goes_to_the_on_failure_queue(
    lam: Any, ddb: Any, sqs: Any, cloud: Any
) -> None:
    arn = table(ddb)
    results = recorder(lam, sqs)
    dlq = sqs.create_queue(QueueName="stream-failures")["QueueUrl"]
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="rec",
        StartingPosition="TRIM_HORIZON",
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": arn_of(sqs, dlq)}},
    )
    put(ddb, "fail")

    def failure() -> list[dict[str, Any]]:
        return list(sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages", []))

    [message] = wait_for(failure)
    record = json.loads(message["Body"])
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["functionArn"].endswith(":function:rec")
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    info = record["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1
    assert info["streamArn"] == arn
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["shardId"].startswith("shardId-")
    [discarded] = journaled(cloud, "undelivered")
    assert (discarded["source"], discarded["destination"]) == (
        arn,
        record["requestContext"]["functionArn"],
    )
    number = info["startSequenceNumber"]
    assert discarded["event"] == f"1 record(s), sequence numbers {number} to {number}"
    assert discarded["reason"] == (
        f"RetryAttemptsExhausted after 2 invocation(s); sent to {arn_of(sqs, dlq)}"
    )
    assert len(events(sqs, results, 2)) == 2  # first attempt and one retry
    put(ddb, "after")  # the shard moved on
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in events(sqs, results, 1)] == ["after"]


def test_bisect_isolates_the_bad_record(lam: Any, ddb: Any, sqs: Any) -> None:
    arn = table(ddb)
    results = recorder(lam, sqs)
    dlq = sqs.create_queue(QueueName="stream-failures")["QueueUrl"]
    for pk in ("ok-1", "fail", "ok-2", "ok-3"):
        put(ddb, pk)
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="rec",
        StartingPosition="TRIM_HORIZON",
        BatchSize=4,
        MaximumRetryAttempts=0,
        BisectBatchOnFunctionError=True,
        DestinationConfig={"OnFailure": {"Destination": arn_of(sqs, dlq)}},
    )

    def failure() -> list[dict[str, Any]]:
        return list(sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages", []))

    [message] = wait_for(failure)
    assert json.loads(message["Body"])["DDBStreamBatchInfo"]["batchSize"] == 1
    # [4] fails -> [ok-1, fail] fails -> [ok-1] ok, [fail] discarded -> [ok-2, ok-3] ok
    got = [r["dynamodb"]["Keys"]["pk"]["S"] for r in events(sqs, results, 10)]
    assert got == ["ok-1", "fail", "ok-2", "ok-3", "ok-1", "fail", "ok-1", "fail", "ok-2", "ok-3"]


def test_record_age_exceeded_uses_the_clock(
    lam: Any, ddb: Any, sqs: Any, clock: ManualClock
) -> None:
    arn = table(ddb)
    results = recorder(lam, sqs)
    dlq = sqs.create_queue(QueueName="stream-failures")["QueueUrl"]
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="rec",
        StartingPosition="TRIM_HORIZON",
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": arn_of(sqs, dlq)}},
    )
    put(ddb, "fail")
    events(sqs, results, 1)
    clock.advance(61)

    def failure() -> list[dict[str, Any]]:
        return list(sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages", []))

    [message] = wait_for(failure)
    assert json.loads(message["Body"])["requestContext"]["condition"] == "RecordAgeExceeded"


def test_partial_batch_response_retries_from_the_lowest_failure(
    lam: Any, ddb: Any, sqs: Any
) -> None:
    code = """
import boto3, json, os
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["RESULTS"], MessageBody=json.dumps(event))
    return {"batchItemFailures": [
        {"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
        for r in event["Records"] if r["dynamodb"]["Keys"]["pk"]["S"] == "fail"
    ]}
"""
    arn = table(ddb)
    results = sqs.create_queue(QueueName="partial-results")["QueueUrl"]
    create_function(lam, "partial", code, Environment={"Variables": {"RESULTS": results}})
    for pk in ("ok-1", "fail", "ok-2"):
        put(ddb, pk)
    lam.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName="partial",
        StartingPosition="TRIM_HORIZON",
        BatchSize=3,
        MaximumRetryAttempts=1,
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    got = [r["dynamodb"]["Keys"]["pk"]["S"] for r in events(sqs, results, 5)]
    assert got == ["ok-1", "fail", "ok-2", "fail", "ok-2"]


def test_validation_errors(lam: Any, ddb: Any, sqs: Any, client: Any) -> None:
    from botocore.config import Config

    arn = table(ddb)
    recorder(lam, sqs)
    invalid = lam.exceptions.InvalidParameterValueException
    unchecked = client("lambda", config=Config(parameter_validation=False))  # what AWS checks
    for bad in (
        {},  # no StartingPosition
        {"StartingPosition": "AT_TIMESTAMP"},
        {"StartingPosition": "LATEST", "BatchSize": 10_001},
        {"StartingPosition": "LATEST", "BatchSize": 0},
        {"StartingPosition": "LATEST", "MaximumRetryAttempts": -2},
        {"StartingPosition": "LATEST", "MaximumRetryAttempts": 10_001},
        {"StartingPosition": "LATEST", "MaximumRecordAgeInSeconds": 59},
        {"StartingPosition": "LATEST", "MaximumRecordAgeInSeconds": 604_801},
        {"StartingPosition": "LATEST", "ParallelizationFactor": 11},
        {
            "StartingPosition": "LATEST",
            "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:s3:::bucket"}},
        },
    ):
        with pytest.raises(ClientError) as error:
            unchecked.create_event_source_mapping(EventSourceArn=arn, FunctionName="rec", **bad)
        assert error.value.response["Error"]["Code"] == "InvalidParameterValueException", bad
    missing = arn.replace("table/items/", "table/missing/")
    with pytest.raises(invalid):
        lam.create_event_source_mapping(
            EventSourceArn=missing, FunctionName="rec", StartingPosition="LATEST"
        )
    created = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="rec", StartingPosition="LATEST", BatchSize=10_000,
        MaximumBatchingWindowInSeconds=1, MaximumRetryAttempts=10_000,
        MaximumRecordAgeInSeconds=604_800, ParallelizationFactor=10,
    )  # fmt: skip
    assert created["BatchSize"] == 10_000
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName="rec", StartingPosition="LATEST"
        )
    with pytest.raises(invalid):
        lam.update_event_source_mapping(UUID=created["UUID"], MaximumRecordAgeInSeconds=10)
    updated = lam.update_event_source_mapping(
        UUID=created["UUID"],
        BisectBatchOnFunctionError=True,
        DestinationConfig={"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:q"}},
    )
    assert updated["BisectBatchOnFunctionError"] is True
    assert updated["DestinationConfig"] == {
        "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:q"}
    }
    got = lam.get_event_source_mapping(UUID=created["UUID"])
    assert got["StartingPosition"] == "LATEST"
    listed = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert [m["UUID"] for m in listed] == [created["UUID"]]
    assert lam.delete_event_source_mapping(UUID=created["UUID"])["State"] == "Deleting"


def test_disable_enable_resumes_after_the_checkpoint(lam: Any, ddb: Any, sqs: Any) -> None:
    """A new poller (as after a restart of ``gearbox up``) starts after the stored checkpoint."""
    arn = table(ddb)
    results = recorder(lam, sqs)
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="rec", StartingPosition="TRIM_HORIZON"
    )["UUID"]
    put(ddb, "before")
    assert len(events(sqs, results, 1)) == 1
    lam.update_event_source_mapping(UUID=mapping, Enabled=False)
    put(ddb, "while-disabled")
    lam.update_event_source_mapping(UUID=mapping, Enabled=True)
    got = [r["dynamodb"]["Keys"]["pk"]["S"] for r in events(sqs, results, 1)]
    time.sleep(0.6)
    got += [r["dynamodb"]["Keys"]["pk"]["S"] for r in events(sqs, results, 0)]
    assert got == ["while-disabled"]
