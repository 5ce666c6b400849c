"""The hot path (``gearbox.local.backend.hot``) answers as moto's Flask apps answer, and leaves
moto's state as they leave it.

Each series runs twice against ``MotoBackend`` in this process with moto's random ids seeded
alike (``test_moto_dispatch.run_series``): once through moto's Flask apps, the reference, and
once the usual way, where the hot path takes the plain PutObject and PutItem requests. Every
answer must be the same (only clock values and unseeded ids are masked), including the reads
that follow each write (HeadObject, GetObject, tags, versions, GetItem, Scan, the table's
stream), so what the hot path stored is compared too. The requests it must decline are in the
series as well, and each test counts how many requests the hot path took, so the comparison
cannot pass by the hot path never running.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from gearbox.local.backend import hot
from gearbox.local.edge.messages import Request, Response
from tests.functional.test_moto_dispatch import attempt, run_series

Client = Callable[[str], Any]
Answer = tuple[int, list[tuple[str, str]], str]

# stream iterators are tokens moto draws from os.urandom; a stream record's size counts the
# digits of its creation time
_ITERATOR = re.compile(r'("(?:Next)?ShardIterator": ")[^"]+"')
_SIZE = re.compile(r'"SizeBytes": \d+')


def _masked_tokens(answer: Answer) -> Answer:
    status, headers, body = answer
    body = _SIZE.sub('"SizeBytes": <size>', _ITERATOR.sub(r'\1<iterator>"', body))
    return status, headers, body


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The requests the hot path answered, by method and path."""
    answered: list[str] = []
    answer = hot.answer

    def counting(request: Request) -> Response | None:
        response = answer(request)
        if response is not None:
            answered.append(f"{request.method} {request.path}")
        return response

    monkeypatch.setattr(hot, "answer", counting)
    yield answered


def _read_back(s3: Any, bucket: str, key: str) -> None:
    s3.head_object(Bucket=bucket, Key=key)
    s3.get_object(Bucket=bucket, Key=key)


def s3_hot_series(client: Client) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="hot")
    s3.put_object(
        Bucket="hot",
        Key="plain.txt",
        Body=b"hello",
        ContentType="text/plain",
        Metadata={"Plain": "v", "camel-Case": "w", "x": ""},
        CacheControl="max-age=60",
        ContentDisposition="attachment",
        ContentLanguage="en",
        Expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        ContentMD5=base64.b64encode(hashlib.md5(b"hello").digest()).decode(),
    )
    _read_back(s3, "hot", "plain.txt")
    for number, algorithm in enumerate(("CRC32", "SHA1", "SHA256")):
        s3.put_object(Bucket="hot", Key=f"sum{number}", Body=b"data", ChecksumAlgorithm=algorithm)
        s3.get_object(Bucket="hot", Key=f"sum{number}", ChecksumMode="ENABLED")
    for key in ("empty", "dir//double", "ünï cødé/?#&=+%20.txt", "a/b/c/"):
        s3.put_object(Bucket="hot", Key=key, Body=b"")
        _read_back(s3, "hot", key)
    s3.list_objects_v2(Bucket="hot")
    # an overwrite clears the tags of the object it replaces
    s3.put_object(Bucket="hot", Key="tagged", Body=b"1", Tagging="team=gearbox")
    s3.get_object_tagging(Bucket="hot", Key="tagged")
    s3.put_object(Bucket="hot", Key="tagged", Body=b"2")
    s3.get_object_tagging(Bucket="hot", Key="tagged")
    _read_back(s3, "hot", "tagged")
    # versions and default encryption come from the bucket, inside moto's model
    s3.put_bucket_versioning(Bucket="hot", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket="hot",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    s3.put_object(Bucket="hot", Key="v", Body=b"1")
    s3.put_object(Bucket="hot", Key="v", Body=b"2")
    s3.list_object_versions(Bucket="hot", Prefix="v")
    _read_back(s3, "hot", "v")
    # what the hot path declines: moto answers
    s3.put_object(Bucket="hot", Key="underscore", Body=b"u", Metadata={"my_key": "x"})
    s3.put_object(Bucket="hot", Key="class", Body=b"c", StorageClass="STANDARD_IA")
    s3.put_object(Bucket="hot", Key="acl", Body=b"a", ACL="public-read")
    s3.put_object(Bucket="hot", Key="gzip", Body=b"g", ContentEncoding="gzip")
    attempt(lambda: s3.put_object(Bucket="hot", Key="v", Body=b"3", IfNoneMatch="*"))
    attempt(lambda: s3.put_object(Bucket="no-such-bucket", Key="k", Body=b"k"))
    for key in ("underscore", "class", "acl", "gzip"):
        _read_back(s3, "hot", key)
    s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
    attempt(lambda: s3.put_object(Bucket="locked", Key="k", Body=b"k"))
    s3.create_bucket(Bucket="guarded")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::guarded/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket="guarded", Policy=json.dumps(policy))
    attempt(lambda: s3.put_object(Bucket="guarded", Key="k", Body=b"k"))


def dynamodb_hot_series(client: Client) -> None:
    ddb, streams = client("dynamodb"), client("dynamodbstreams")
    stream = ddb.create_table(
        TableName="hot",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )["TableDescription"]["LatestStreamArn"]
    every_type = {
        "pk": {"S": "a"},
        "n": {"N": "1.50"},
        "t": {"BOOL": True},
        "z": {"NULL": True},
        "ss": {"SS": ["x", "y"]},
        "ns": {"NS": ["1", "2"]},
        "l": {"L": [{"S": "a"}, {"M": {"q": {"N": "3"}}}]},
        "m": {"M": {"inner": {"L": []}}},
        "g": {"S": "indexed"},
    }
    ddb.put_item(TableName="hot", Item=every_type)
    ddb.put_item(TableName="hot", Item={**every_type, "n": {"N": "2"}})  # an overwrite
    ddb.put_item(TableName="hot", Item={"pk": {"S": "b"}})
    ddb.get_item(TableName="hot", Key={"pk": {"S": "a"}})
    ddb.scan(TableName="hot")
    ddb.query(
        TableName="hot",
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "indexed"}},
    )
    # what the hot path declines: moto answers (errors included)
    ddb.put_item(TableName="hot", Item={"pk": {"S": "bin"}, "b": {"B": b"\x00\x01"}})
    ddb.put_item(TableName="hot", Item={"pk": {"S": "c"}}, ReturnConsumedCapacity="TOTAL")
    refused: list[dict[str, Any]] = [
        {"other": {"S": "no key"}},
        {"pk": {"N": "1"}},
        {"pk": {"S": ""}},
        {"pk": {"S": "d"}, "n": {"N": "not a number"}},
        {"pk": {"S": "d"}, "g": {"NULL": True}},
        {"pk": {"S": "d"}, "s": {"SS": []}},
    ]
    for item in refused:
        attempt(lambda item=item: ddb.put_item(TableName="hot", Item=item))
    attempt(lambda: ddb.put_item(TableName="missing", Item={"pk": {"S": "a"}}))
    ddb.scan(TableName="hot")
    shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    streams.get_records(ShardIterator=iterator)


def _counted(run: Callable[[], list[Answer]]) -> tuple[list[Answer], int]:
    from moto.core.authorization import ActionAuthenticatorMixin

    before = ActionAuthenticatorMixin.request_count
    answers = run()
    return answers, ActionAuthenticatorMixin.request_count - before


@pytest.mark.parametrize(
    ("series", "hot_writes"),
    [(s3_hot_series, 11), (dynamodb_hot_series, 3)],
    ids=["s3", "dynamodb"],
)
def test_hot_path_answers_and_stores_as_moto_does(
    series: Callable[[Client], None], hot_writes: int, taken: list[str]
) -> None:
    reference, counted = _counted(lambda: run_series(True, series))
    assert taken == []  # the reference never uses the hot path
    through_hot_path, counted_hot = _counted(lambda: run_series(False, series))
    assert len(taken) == hot_writes, taken
    assert counted_hot == counted  # moto's count of requests served (its IAM switch counts them)
    assert len(through_hot_path) == len(reference)
    for number, (got, want) in enumerate(zip(through_hot_path, reference, strict=True)):
        assert _masked_tokens(got) == _masked_tokens(want), f"answer {number} differs"


def _signed_put(service: str, path: str, body: bytes = b"{}") -> Request:
    scope = f"AKIDEXAMPLE/20261126/us-east-1/{service}/aws4_request"
    authorization = f"AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host, Signature=0"
    return Request(
        method="PUT",
        path=path,
        query_string="",
        headers=(("Host", "127.0.0.1:4566"), ("Authorization", authorization)),
        body=body,
    )


def test_only_s3_requests_are_taken_for_objects() -> None:
    """Another REST service's PUT to a path whose first part names a bucket stays moto's."""
    from gearbox.local.backend import MotoBackend

    backend = MotoBackend("127.0.0.1", 4566)
    try:
        backend.call(_signed_put("s3", "/restapis", b""))  # CreateBucket, through moto
        assert hot.answer(_signed_put("apigateway", "/restapis/abc/resources/x")) is None
        assert hot.answer(_signed_put("s3", "/restapis/abc")) is not None
    finally:
        backend.close()
