"""moto's handlers called without Flask answer exactly as moto's Flask apps answer.

One series of boto3 calls (S3's REST-XML, DynamoDB's and CloudWatch Logs' JSON, IAM's and
SNS's query protocol, successes and errors, HEAD, ranges, multipart, versioning) runs twice
against ``MotoBackend`` in this process, with moto's random ids seeded alike: once through
moto's Flask apps (``via_flask=True``, the reference) and once the direct way. Every
answer's status, headers and body must be the same, after only the clock's values and the ids
moto draws outside its seeded generator (request and upload ids) are masked; so a
Content-Length and a CRC32 header are checked against the body, then masked.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import zlib
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError

from gearbox.dev.functions import TRUST_POLICY
from gearbox.local.backend import MotoBackend, dispatch
from gearbox.local.edge.messages import Request, Response
from tests.conftest import CREDENTIALS, REGION

ENDPOINT = "http://127.0.0.1:4566"
Answer = tuple[int, list[tuple[str, str]], str]

_MASKS = (
    # request ids: moto draws them from its own unseeded random source
    (re.compile(r"\b[A-Za-z0-9]{52}\b"), "<request-id>"),
    (re.compile(r"(x-amz-id-2|HostId>)[A-Za-z0-9+/=]{20,}"), r"\1<host-id>"),
    # multipart upload ids: from os.urandom
    (re.compile(r"<UploadId>[^<]+</UploadId>"), "<UploadId>-</UploadId>"),
    # the clock
    (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "<time>"),
    (re.compile(r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT"), "<time>"),
    (re.compile(r"\b1\d{9}(\d{3})?(\.\d+)?\b"), "<epoch>"),
)


def masked(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def checked(name: str, value: str, method: str, body: bytes) -> str:
    """The header's value masked; a length or checksum of the body is checked, then masked."""
    if name.lower() == "content-length" and method != "HEAD":
        assert int(value) == len(body)
        return "<the body's length>"
    if name.lower() == "x-amz-crc32":
        assert int(value) == zlib.crc32(body)
        return "<the body's crc32>"
    return masked(value)


class _Body:
    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def _request_of(prepared: AWSPreparedRequest) -> Request:
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    if isinstance(body, str):
        body = body.encode()
    elif not isinstance(body, bytes):
        body = body.read()
    headers = tuple(
        (k, v.decode() if isinstance(v, bytes) else v) for k, v in prepared.headers.items()
    )
    return Request(
        method=prepared.method,
        path=url.path or "/",
        query_string=url.query,
        headers=(*headers, ("Host", url.netloc)),
        body=body,
        client="127.0.0.1",
    )


def run_series(via_flask: bool, calls: Callable[[Callable[[str], Any]], None]) -> list[Answer]:
    from moto.moto_api._internal import mock_random

    backend = MotoBackend("127.0.0.1", 4566, via_flask=via_flask)
    mock_random.seed(7)
    answers: list[Answer] = []

    def send(request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        response: Response = backend.call(_request_of(request))
        body = response.body.decode("utf-8", errors="replace")
        headers = [
            (name, checked(name, value, request.method, response.body))
            for name, value in response.headers
        ]
        answers.append((response.status, headers, masked(body)))
        return AWSResponse(
            request.url, response.status, dict(response.headers), _Body(response.body)
        )

    def client(service: str) -> Any:
        made = boto3.client(service, endpoint_url=ENDPOINT, region_name=REGION, **CREDENTIALS)
        made.meta.events.register_first("before-send", send)
        return made

    try:
        calls(client)
    finally:
        backend.close()
    return answers


def attempt(call: Callable[[], Any]) -> None:
    with contextlib.suppress(ClientError):  # the error's answer is what the test compares
        call()


def s3_series(client: Callable[[str], Any]) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="parity")
    s3.put_object(
        Bucket="parity",
        Key="dir/a b+c.txt",
        Body=b"hello world",
        ContentType="text/plain",
        Metadata={"my_key": "underscored", "plain": "v"},
        Tagging="team=gearbox",
    )
    s3.head_object(Bucket="parity", Key="dir/a b+c.txt")
    s3.get_object(Bucket="parity", Key="dir/a b+c.txt")
    s3.get_object(Bucket="parity", Key="dir/a b+c.txt", Range="bytes=2-5")
    s3.copy_object(Bucket="parity", Key="copy", CopySource="parity/dir/a b+c.txt")
    s3.list_objects_v2(Bucket="parity", Prefix="dir/")
    s3.get_bucket_location(Bucket="parity")
    attempt(lambda: s3.get_object(Bucket="parity", Key="missing"))
    attempt(lambda: s3.head_object(Bucket="parity", Key="missing"))
    attempt(lambda: s3.list_objects_v2(Bucket="no-such-bucket"))
    attempt(lambda: s3.delete_bucket(Bucket="parity"))
    s3.put_bucket_versioning(Bucket="parity", VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket="parity", Key="v", Body=b"1")
    s3.put_object(Bucket="parity", Key="v", Body=b"2")
    s3.delete_object(Bucket="parity", Key="v")
    s3.list_object_versions(Bucket="parity", Prefix="v")
    upload = s3.create_multipart_upload(Bucket="parity", Key="big")["UploadId"]
    part = s3.upload_part(
        Bucket="parity", Key="big", UploadId=upload, PartNumber=1, Body=b"p" * (5 * 1024 * 1024)
    )
    s3.complete_multipart_upload(
        Bucket="parity",
        Key="big",
        UploadId=upload,
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    s3.upload_fileobj(io.BytesIO(b"x" * 1000), "parity", "via-transfer")
    s3.delete_objects(Bucket="parity", Delete={"Objects": [{"Key": "copy"}, {"Key": "none"}]})


def dynamodb_series(client: Callable[[str], Any]) -> None:
    ddb = client("dynamodb")
    ddb.create_table(
        TableName="parity",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="parity", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    ddb.put_item(
        TableName="parity",
        Item={"pk": {"S": "a"}, "n": {"N": "2"}},
        ReturnValues="ALL_OLD",
        ReturnConsumedCapacity="TOTAL",
    )
    ddb.get_item(TableName="parity", Key={"pk": {"S": "a"}})
    ddb.update_item(
        TableName="parity",
        Key={"pk": {"S": "a"}},
        UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )
    attempt(
        lambda: ddb.put_item(
            TableName="parity",
            Item={"pk": {"S": "a"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    )
    ddb.query(
        TableName="parity",
        KeyConditionExpression="pk = :a",
        ExpressionAttributeValues={":a": {"S": "a"}},
    )
    ddb.scan(TableName="parity")
    ddb.delete_item(TableName="parity", Key={"pk": {"S": "a"}})
    attempt(lambda: ddb.describe_table(TableName="missing"))
    attempt(lambda: ddb.put_item(TableName="parity", Item={"other": {"S": "no key"}}))


def query_protocol_series(client: Callable[[str], Any]) -> None:
    iam, sns, logs = client("iam"), client("sns"), client("logs")
    iam.create_role(RoleName="parity", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    iam.get_role(RoleName="parity")
    attempt(lambda: iam.get_role(RoleName="missing"))
    client("sts").get_caller_identity()
    arn = sns.create_topic(Name="parity")["TopicArn"]
    sns.list_topics()
    sns.get_topic_attributes(TopicArn=arn)
    attempt(lambda: sns.get_topic_attributes(TopicArn=arn + "-missing"))
    logs.create_log_group(logGroupName="/parity")
    logs.describe_log_groups(logGroupNamePrefix="/parity")
    attempt(lambda: logs.create_log_group(logGroupName="/parity"))


@pytest.mark.parametrize(
    "series", [s3_series, dynamodb_series, query_protocol_series], ids=lambda s: s.__name__
)
def test_direct_answers_equal_flask_answers(series: Callable[[Callable[[str], Any]], None]) -> None:
    reference = run_series(True, series)
    direct = run_series(False, series)
    assert len(direct) == len(reference) > 5
    for number, (got, want) in enumerate(zip(direct, reference, strict=True)):
        assert got == want, f"answer {number} differs"


def test_browser_requests_and_unrouted_paths_are_left_to_flask() -> None:
    get = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    assert dispatch.takes(get)
    assert not dispatch.takes({**get, "HTTP_ORIGIN": "http://127.0.0.1:3000"})
    assert not dispatch.takes({**get, "REQUEST_METHOD": "OPTIONS"})
