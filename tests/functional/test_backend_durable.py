"""What moto keeps (S3, DynamoDB and its streams, SNS, EventBridge, Scheduler, SSM, Secrets
Manager) survives a restart of the local cloud as it was: the same objects, versions, upload
ids, items, stream records, ids and dates. The write log becomes a snapshot when it grows; a
backend that cannot be pickled is replayed from the log instead; an old ``iam.db`` is adopted;
a snapshot from another moto version is refused."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError

from gearbox.errors import StateDirError
from gearbox.local.backend import durable
from gearbox.local.backend.durable import MotoState, is_write, makes_ids
from gearbox.local.cloud import LocalCloud
from gearbox.settings import Settings
from tests.functional.restarts import clients_of, running

Clients = Callable[[str], Any]
ACCOUNT = "123456789012"


def make_table(dynamodb: Any, name: str) -> str:
    """A table with a GSI and a NEW_AND_OLD_IMAGES stream; its stream's ARN."""
    table = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "kind", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-kind",
                "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    return str(table["TableDescription"]["LatestStreamArn"])


def stream_records(client: Clients, stream_arn: str) -> list[dict[str, Any]]:
    streams = client("dynamodbstreams")
    [shard] = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return list(streams.get_records(ShardIterator=iterator)["Records"])


def without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def seen(client: Clients, stream_arn: str, upload: str) -> dict[str, Any]:
    """What a user reads back of everything the first run made."""
    s3, dynamodb = client("s3"), client("dynamodb")
    head = s3.head_object(Bucket="kept-bucket", Key="docs/a.txt")
    versions = s3.list_object_versions(Bucket="kept-bucket")
    sns = client("sns")
    [topic] = sns.list_topics()["Topics"]
    [subscription] = sns.list_subscriptions()["Subscriptions"]
    events, scheduler = client("events"), client("scheduler")
    return {
        "head": {k: head[k] for k in ("ETag", "LastModified", "Metadata", "VersionId")},
        "body": s3.get_object(Bucket="kept-bucket", Key="docs/a.txt")["Body"].read(),
        "tags": s3.get_object_tagging(Bucket="kept-bucket", Key="docs/a.txt")["TagSet"],
        "versions": [
            (v["Key"], v["VersionId"], v["IsLatest"], v["ETag"]) for v in versions["Versions"]
        ],
        "markers": [(m["Key"], m["VersionId"]) for m in versions.get("DeleteMarkers", [])],
        "uploads": [
            u["UploadId"] for u in s3.list_multipart_uploads(Bucket="kept-bucket")["Uploads"]
        ],
        "upload": upload,
        "table": {
            k: v
            for k, v in dynamodb.describe_table(TableName="kept-table")["Table"].items()
            if k in ("CreationDateTime", "TableArn", "TableId", "LatestStreamArn", "ItemCount")
        },
        "items": sorted(
            json.dumps(i, sort_keys=True) for i in dynamodb.scan(TableName="kept-table")["Items"]
        ),
        "by_kind": dynamodb.query(
            TableName="kept-table",
            IndexName="by-kind",
            KeyConditionExpression="kind = :k",
            ExpressionAttributeValues={":k": {"S": "photo"}},
        )["Count"],
        "stream": [
            (r["eventName"], r["dynamodb"]["SequenceNumber"])
            for r in stream_records(client, stream_arn)
        ],
        "topic": sns.get_topic_attributes(TopicArn=topic["TopicArn"])["Attributes"],
        "subscription": subscription,
        "rule": without_metadata(events.describe_rule(Name="nightly")),
        "schedule": without_metadata(scheduler.get_schedule(Name="hourly")),
        "parameter": client("ssm").get_parameter(Name="/app/mode")["Parameter"]["Value"],
        "secret": client("secretsmanager").get_secret_value(SecretId="app-key")["SecretString"],
    }


def test_what_moto_keeps_comes_back_as_it_was_after_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running(state) as client:
        s3, dynamodb = client("s3"), client("dynamodb")
        s3.create_bucket(Bucket="kept-bucket")
        s3.put_bucket_versioning(
            Bucket="kept-bucket", VersioningConfiguration={"Status": "Enabled"}
        )
        s3.put_object(Bucket="kept-bucket", Key="docs/a.txt", Body=b"first")
        s3.put_object(
            Bucket="kept-bucket",
            Key="docs/a.txt",
            Body=b"second",
            Metadata={"Owner": "ana"},
            Tagging="stage=final",
        )
        s3.put_object(Bucket="kept-bucket", Key="gone.txt", Body=b"x")
        s3.delete_object(Bucket="kept-bucket", Key="gone.txt")
        upload = s3.create_multipart_upload(Bucket="kept-bucket", Key="big.bin")["UploadId"]
        part = s3.upload_part(
            Bucket="kept-bucket", Key="big.bin", UploadId=upload, PartNumber=1, Body=b"p" * 100
        )
        stream_arn = make_table(dynamodb, "kept-table")
        for i in range(5):
            kind = "photo" if i % 2 else "doc"
            dynamodb.put_item(
                TableName="kept-table",
                Item={"pk": {"S": f"k{i}"}, "kind": {"S": kind}, "tags": {"SS": ["a", "b"]}},
            )
        dynamodb.update_item(
            TableName="kept-table",
            Key={"pk": {"S": "k1"}},
            UpdateExpression="ADD hits :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
        dynamodb.delete_item(TableName="kept-table", Key={"pk": {"S": "k4"}})
        sns, sqs = client("sns"), client("sqs")
        topic = sns.create_topic(Name="kept-topic", Attributes={"DisplayName": "Kept"})
        queue = sqs.create_queue(QueueName="kept-queue")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
        sns.subscribe(
            TopicArn=topic["TopicArn"],
            Protocol="sqs",
            Endpoint=queue_arn["Attributes"]["QueueArn"],
            Attributes={"RawMessageDelivery": "true"},
        )
        client("events").put_rule(Name="nightly", ScheduleExpression="cron(0 3 * * ? *)")
        client("scheduler").create_schedule(
            Name="hourly",
            ScheduleExpression="rate(1 hour)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={
                "Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:absent",
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/absent",
            },
        )
        client("ssm").put_parameter(Name="/app/mode", Value="strict", Type="String")
        client("secretsmanager").create_secret(Name="app-key", SecretString="s3cret")
        before = seen(client, stream_arn, upload)

    assert before["uploads"] == [upload]
    assert len(before["stream"]) == 7  # 5 puts, 1 update, 1 delete
    with running(state) as client:
        assert seen(client, stream_arn, upload) == before
        # and it goes on from there: the upload completes, the stream grows
        s3 = client("s3")
        done = s3.complete_multipart_upload(
            Bucket="kept-bucket",
            Key="big.bin",
            UploadId=upload,
            MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
        )
        assert s3.head_object(Bucket="kept-bucket", Key="big.bin")["ETag"] == done["ETag"]
        client("dynamodb").put_item(
            TableName="kept-table", Item={"pk": {"S": "k9"}, "kind": {"S": "doc"}}
        )
        records = stream_records(client, stream_arn)
        assert [r["dynamodb"]["SequenceNumber"] for r in records[:7]] == [
            sequence for _, sequence in before["stream"]
        ]
        assert [r["eventName"] for r in records[7:]] == ["INSERT"]
        assert int(records[7]["dynamodb"]["SequenceNumber"]) > int(before["stream"][-1][1])


def moto_db(state: Path) -> sqlite3.Connection:
    return sqlite3.connect(state / "moto.db")


def logged(state: Path) -> int:
    return len(MotoState.logged_in(state))


def wait_until(condition: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_the_log_becomes_a_snapshot_when_it_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(durable, "SNAPSHOT_AFTER", 64 * 1024)
    monkeypatch.setattr(durable, "LOG_TO_SNAPSHOT", 0)  # 64 KiB, whatever the snapshot's size
    state = tmp_path / "state"
    cloud = LocalCloud.open(Settings(port=0, state_dir=state))
    cloud.start()
    try:
        s3 = clients_of(cloud)("s3")
        s3.create_bucket(Bucket="growing")
        wait_until(lambda: logged(state) == 0)  # the snapshot a Create* asks for
        for i in range(20):
            s3.put_object(Bucket="growing", Key=f"k{i}", Body=b"x" * 1024)
        assert logged(state) == 20  # under 64 KiB: every write is still in the log
        for i in range(20, 80):
            s3.put_object(Bucket="growing", Key=f"k{i}", Body=b"x" * 1024)
        # past 64 KiB, a snapshot replaces the log (in the background)
        wait_until(lambda: logged(state) < 40)
        with moto_db(state) as db:
            assert db.execute("SELECT COUNT(*) FROM snapshot").fetchone()[0] > 0
    finally:
        cloud.stop()
    assert logged(state) == 0  # a clean stop leaves nothing to replay
    # a log of another generation (a snapshot killed half-way) is not replayed, and goes
    stray = state / "moto-writes.99.log"
    with running(state) as client:
        s3 = client("s3")
        s3.put_bucket_tagging(Bucket="growing", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
        [current] = state.glob("moto-writes.*.log")  # no snapshot is due: one log
        shutil.copy(current, stray)
        s3.delete_bucket_tagging(Bucket="growing")
    with running(state) as client:
        s3 = client("s3")
        assert s3.list_objects_v2(Bucket="growing")["KeyCount"] == 80
        with pytest.raises(ClientError) as untagged:  # the stray tagging was not replayed
            s3.get_bucket_tagging(Bucket="growing")
        assert untagged.value.response["Error"]["Code"] == "NoSuchTagSet"
    assert not stray.exists()


def test_a_backend_that_cannot_be_pickled_is_replayed_from_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from moto.sns.models import sns_backends

    state = tmp_path / "state"
    with running(state) as client:
        client("sns").create_topic(Name="snapshotted")
        wait_until(lambda: logged(state) == 0)  # the snapshot a Create* asks for
        # a lock cannot be pickled, so SNS's backend cannot be either
        sns_backends[ACCOUNT]["us-east-1"].gearbox_test_lock = threading.Lock()
        caplog.set_level(logging.WARNING, logger="gearbox.local.backend.durable")
        client("sns").create_topic(Name="replayed")
        client("s3").create_bucket(Bucket="snapshotted")
        wait_until(lambda: "moto's sns state cannot be pickled" in caplog.text)
        wait_until(lambda: logged(state) == 1)
    # SNS keeps its last snapshot, and its writes since go on to the next log
    assert MotoState.logged_in(state) == [("sns", "CreateTopic")]
    with running(state) as client:
        topics = client("sns").list_topics()["Topics"]
        assert sorted(t["TopicArn"].rsplit(":", 1)[1] for t in topics) == [
            "replayed",
            "snapshotted",
        ]
        assert client("s3").list_buckets()["Buckets"][0]["Name"] == "snapshotted"


def test_writes_of_an_old_iam_db_are_adopted(tmp_path: Path) -> None:
    """Gearbox before this version kept IAM's writes alone, in iam.db."""
    state = tmp_path / "state"
    state.mkdir()
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    body = urlencode(
        {
            "Action": "CreateRole",
            "Version": "2010-05-08",
            "RoleName": "old-role",
            "AssumeRolePolicyDocument": trust,
        }
    )
    headers = [
        ["Content-Type", "application/x-www-form-urlencoded; charset=utf-8"],
        [
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKIDGEARBOXTEST/20261126/us-east-1/iam/aws4_request, "
            "SignedHeaders=host, Signature=0",
        ],
        ["Host", "iam.amazonaws.com"],
    ]
    old = sqlite3.connect(state / "iam.db")
    old.execute(
        "CREATE TABLE writes (seq INTEGER PRIMARY KEY AUTOINCREMENT, action TEXT NOT NULL, "
        "role TEXT, policy TEXT, method TEXT NOT NULL, path TEXT NOT NULL, query TEXT NOT NULL, "
        "headers TEXT NOT NULL, body BLOB NOT NULL)"
    )
    old.execute(
        "INSERT INTO writes (action, role, policy, method, path, query, headers, body) "
        "VALUES ('CreateRole', 'old-role', NULL, 'POST', '/', '', ?, ?)",
        (json.dumps(headers), body.encode()),
    )
    old.commit()
    old.close()
    with running(state) as client:
        assert client("iam").get_role(RoleName="old-role")["Role"]["RoleName"] == "old-role"
    assert not (state / "iam.db").exists()
    assert (state / "iam.db.adopted").exists()
    with running(state) as client:  # once adopted, it is part of moto's state
        assert client("iam").get_role(RoleName="old-role")["Role"]["RoleName"] == "old-role"


def test_a_snapshot_of_another_moto_version_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running(state) as client:
        client("s3").create_bucket(Bucket="from-another-moto")
    with moto_db(state) as db:
        db.execute("UPDATE snapshot SET moto = '0.0.1'")
    with pytest.raises(StateDirError, match=r"moto 0\.0\.1's state"):
        LocalCloud.open(Settings(port=0, state_dir=state))


def test_which_calls_count_as_writes() -> None:
    for service, operation in (
        ("s3", "PutObject"),
        ("s3", "CompleteMultipartUpload"),
        ("dynamodb", "UpdateItem"),
        ("dynamodb", "BatchWriteItem"),
        ("dynamodb", "TransactWriteItems"),
        ("iam", "TagRole"),
        ("sns", "Subscribe"),
        ("events", "PutRule"),
        ("s3", None),  # not named: kept, to be safe
    ):
        assert is_write(service, operation), (service, operation)
    for service, operation in (
        ("s3", "GetObject"),
        ("s3", "HeadObject"),
        ("s3", "ListObjectsV2"),
        ("dynamodb", "Query"),
        ("dynamodb", "Scan"),
        ("dynamodb", "BatchGetItem"),
        ("dynamodb", "TransactGetItems"),
        ("dynamodb", "DescribeTable"),
        ("iam", "SimulatePrincipalPolicy"),
        ("sns", "Publish"),  # a delivery, which Gearbox makes; nothing moto keeps
        ("events", "PutEvents"),
        ("sts", "AssumeRole"),  # credentials, made again on demand
    ):
        assert not is_write(service, operation), (service, operation)


def test_which_writes_ask_for_a_snapshot_soon() -> None:
    for operation in ("CreateTable", "UpdateTable", "CreateMultipartUpload", "Subscribe"):
        assert makes_ids(operation), operation
    for operation in ("PutObject", "PutItem", "UpdateItem", "UploadPart", "DeleteTable"):
        assert not makes_ids(operation), operation
