"""DynamoDB Streams records and failure records compared with AWS's samples
(``samples/dynamodb_stream_event.json``, ``samples/dynamodb_stream_failure_record.json``),
the mapping's limits, and the durable shard checkpoints."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from gearbox.local.functions.model import InvokeResult
from gearbox.local.sources import stream_mapping
from gearbox.local.sources.dynamodb_poller import failure_record, record_of
from gearbox.local.sources.sqs_mapping import MappingError, MappingStore
from gearbox.local.sources.stream_mapping import StreamMapping

SAMPLES = Path(__file__).parent / "samples"
ARN = "arn:aws:dynamodb:us-west-2:111122223333:table/TestTable/stream/2015-05-11T21:21:33.291"
FUNCTION = "arn:aws:lambda:us-east-2:123456789012:function:myfunction"


def boto3_record(sample: dict[str, Any], view: str | None = None) -> dict[str, Any]:
    """A GetRecords record as boto3 returns it, made from a sample Lambda record."""
    stream = dict(sample["dynamodb"])
    stream["ApproximateCreationDateTime"] = dt.datetime(2019, 11, 14, 0, 13, 19, 500_000, dt.UTC)
    if view:
        stream["StreamViewType"] = view
    return {
        "eventID": sample["eventID"],
        "eventName": sample["eventName"],
        "eventVersion": "1.0",
        "eventSource": "aws:dynamodb",
        "awsRegion": sample["awsRegion"],
        "dynamodb": stream,
    }


def samples() -> list[dict[str, Any]]:
    return list(json.loads((SAMPLES / "dynamodb_stream_event.json").read_text())["Records"])


def test_records_match_the_sample() -> None:
    for sample in samples():
        built = record_of(boto3_record(sample), ARN)
        assert set(built) == set(sample)
        assert set(built["dynamodb"]) == set(sample["dynamodb"]) | {"ApproximateCreationDateTime"}
        for key in ("eventID", "eventName", "eventSource", "awsRegion", "eventSourceARN"):
            assert built[key] == sample[key]
        for key in ("Keys", "NewImage", "OldImage", "SequenceNumber", "SizeBytes"):
            assert built["dynamodb"].get(key) == sample["dynamodb"].get(key)
        assert built["eventVersion"] == "1.1"
        assert built["dynamodb"]["ApproximateCreationDateTime"] == 1573690399.0
        json.dumps(built)  # JSON as it is


@pytest.mark.parametrize(
    ("view", "images"),
    [
        ("KEYS_ONLY", set()),
        ("NEW_IMAGE", {"NewImage"}),
        ("OLD_IMAGE", {"OldImage"}),
        ("NEW_AND_OLD_IMAGES", {"NewImage", "OldImage"}),
    ],
)
def test_images_follow_the_stream_view_type(view: str, images: set[str]) -> None:
    modify = samples()[1]
    built = record_of(boto3_record(modify, view), ARN)["dynamodb"]
    assert {"NewImage", "OldImage"} & set(built) == images
    assert built["StreamViewType"] == view
    assert built["Keys"] == {"Id": {"N": "101"}}


def test_binary_attributes_are_base64() -> None:
    raw = boto3_record(samples()[0])
    raw["dynamodb"]["NewImage"] = {
        "b": {"B": b"\x00\x01"},
        "m": {"M": {"bs": {"BS": [b"a"]}, "l": {"L": [{"B": b"b"}, {"S": "s"}]}}},
    }
    image = record_of(raw, ARN)["dynamodb"]["NewImage"]
    assert image == {
        "b": {"B": "AAE="},
        "m": {"M": {"bs": {"BS": ["YQ=="]}, "l": {"L": [{"B": "Yg=="}, {"S": "s"}]}}},
    }


def test_failure_record_matches_the_sample() -> None:
    sample = json.loads((SAMPLES / "dynamodb_stream_failure_record.json").read_text())
    info = sample["DDBStreamBatchInfo"]
    mapping = StreamMapping(
        function_arn=FUNCTION,
        event_source_arn=info["streamArn"],
        last_modified=0.0,
        starting_position="TRIM_HORIZON",
    )
    arrival = dt.datetime(2019, 11, 14, 0, 13, 19, tzinfo=dt.UTC).timestamp()
    record = {
        "dynamodb": {
            "ApproximateCreationDateTime": arrival,
            "SequenceNumber": info["startSequenceNumber"],
        }
    }
    result = InvokeResult(
        sample["requestContext"]["requestId"], b"{}", "Unhandled", "", 1.0, 1, 128
    )
    built = failure_record(
        mapping=mapping,
        shard_id=info["shardId"],
        records=[record],
        condition="RetryAttemptsExhausted",
        invoke_count=1,
        last_result=result,
        now=dt.datetime(2019, 11, 14, 0, 13, 49, 717_000, dt.UTC).timestamp(),
    )
    assert built == sample
    assert list(built) == list(sample)
    assert list(built["DDBStreamBatchInfo"]) == list(info)


def test_mapping_limits() -> None:
    def create(**body: Any) -> StreamMapping:
        return stream_mapping.create(FUNCTION, ARN, 0.0, {"StartingPosition": "LATEST", **body})

    defaults = create()
    assert (defaults.batch_size, defaults.maximum_retry_attempts) == (100, -1)
    assert (defaults.maximum_record_age, defaults.parallelization_factor) == (-1, 1)
    for good in (
        {"BatchSize": 1}, {"BatchSize": 10_000}, {"MaximumRetryAttempts": 0},
        {"MaximumRetryAttempts": 10_000}, {"MaximumRecordAgeInSeconds": 60},
        {"MaximumRecordAgeInSeconds": 604_800}, {"ParallelizationFactor": 10},
        {"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sns:us-east-1:1:t"}}},
    ):  # fmt: skip
        create(**good)
    for bad in (
        {"BatchSize": 0}, {"BatchSize": 10_001}, {"MaximumRetryAttempts": -2},
        {"MaximumRetryAttempts": 10_001}, {"MaximumRecordAgeInSeconds": 0},
        {"MaximumRecordAgeInSeconds": 604_801}, {"ParallelizationFactor": 0},
        {"FunctionResponseTypes": ["Other"]}, {"BatchSize": "10"},
        {"DestinationConfig": {"OnFailure": {"Destination": "arn:aws:lambda:us-east-1:1:x"}}},
    ):  # fmt: skip
        with pytest.raises(MappingError):
            create(**bad)
    with pytest.raises(MappingError):
        stream_mapping.create(FUNCTION, ARN, 0.0, {})
    assert stream_mapping.is_stream_arn(ARN)
    assert not stream_mapping.is_stream_arn("arn:aws:dynamodb:us-east-1:123456789012:table/t")


def test_store_keeps_both_kinds_and_checkpoints(tmp_path: Path) -> None:
    from gearbox.local.sources.sqs_mapping import SqsMapping

    store = MappingStore(tmp_path)
    stream = stream_mapping.create(FUNCTION, ARN, 1.0, {"StartingPosition": "TRIM_HORIZON"})
    queue = SqsMapping(FUNCTION, "arn:aws:sqs:us-east-1:123456789012:q", 2.0)
    store.save(stream)
    store.save(queue)
    store.checkpoint(stream.uuid, "shard-1", "111")
    store.checkpoint(stream.uuid, "shard-1", "222")
    store.close()
    again = MappingStore(tmp_path)
    assert again.all() == [stream, queue]
    assert again.checkpoints(stream.uuid) == {"shard-1": "222"}
    again.delete(stream.uuid)
    assert again.checkpoints(stream.uuid) == {}
    again.close()
