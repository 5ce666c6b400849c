"""The endpoint itself: dispatch by credential scope, AWS-shaped errors for bad input."""

from __future__ import annotations

import json
import socket
from typing import Any

import boto3
import pytest
import urllib3
from botocore.exceptions import ClientError

from gearbox.local.cloud import LocalCloud
from tests.conftest import CREDENTIALS


def raw(cloud: LocalCloud, body: bytes, headers: dict[str, str]) -> urllib3.BaseHTTPResponse:
    signed = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDRAW/20261126/us-east-1/sqs/"
        "aws4_request, SignedHeaders=host, Signature=0",
        **headers,
    }
    return urllib3.request("POST", cloud.endpoint_url + "/", body=body, headers=signed)


def test_any_access_key_and_the_environment_endpoint(
    cloud: LocalCloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", cloud.endpoint_url)
    session = boto3.Session(
        aws_access_key_id="ANYKEY", aws_secret_access_key="any", region_name="eu-west-1"
    )
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName="env")["QueueUrl"]
    assert url.startswith(cloud.endpoint_url)
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        == "arn:aws:sqs:eu-west-1:123456789012:env"
    )


def test_malformed_json_is_a_serialization_error(cloud: LocalCloud) -> None:
    response = raw(
        cloud,
        b"{not json",
        {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": "application/x-amz-json-1.0"},
    )
    assert response.status == 400
    assert response.json()["__type"] == "com.amazon.coral.service#SerializationException"


def test_unknown_operation(cloud: LocalCloud) -> None:
    response = raw(
        cloud,
        b"{}",
        {"X-Amz-Target": "AmazonSQS.Explode", "Content-Type": "application/x-amz-json-1.0"},
    )
    assert response.status == 400
    assert response.json()["__type"].endswith("UnknownOperationException")


def test_missing_required_parameter_and_wrong_type(cloud: LocalCloud) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.0"}
    missing = raw(cloud, b"{}", {**headers, "X-Amz-Target": "AmazonSQS.SendMessage"})
    assert missing.status == 400
    assert missing.headers["x-amzn-query-error"] == "MissingParameter;Sender"
    assert "QueueUrl" in missing.json()["message"]
    wrong = raw(
        cloud,
        json.dumps({"QueueName": ["not", "a", "string"]}).encode(),
        {**headers, "X-Amz-Target": "AmazonSQS.CreateQueue"},
    )
    assert wrong.status == 400
    assert wrong.json()["__type"].endswith("SerializationException")


def test_query_protocol_is_refused_with_a_reason(cloud: LocalCloud) -> None:
    response = raw(
        cloud,
        b"Action=ListQueues&Version=2012-11-05",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 400
    assert "JSON protocol" in response.json()["message"]


def test_unknown_service_is_named(client: Any) -> None:
    # A service neither Gearbox nor moto serves: sign a request for a made-up service name.
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    sqs = client("sqs")
    endpoint = sqs.meta.endpoint_url
    request = AWSRequest(
        method="POST",
        url=endpoint + "/",
        data=b"{}",
        headers={"Content-Type": "application/x-amz-json-1.1"},
    )
    SigV4Auth(
        Credentials(**{"access_key": "AKID", "secret_key": "x"}), "nosuchservice", "us-east-1"
    ).add_auth(request)
    prepared = request.prepare()
    response = urllib3.request(
        "POST", prepared.url, body=prepared.body, headers=dict(prepared.headers)
    )
    assert response.status == 400
    assert "nosuchservice" in response.json()["message"]


def test_moto_services_behind_the_same_endpoint(client: Any) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="uploads")
    s3.put_object(
        Bucket="uploads", Key="dir/a b.txt", Body=b"hello", Metadata={"under_score": "kept"}
    )
    got = s3.get_object(Bucket="uploads", Key="dir/a b.txt")
    assert got["Body"].read() == b"hello"
    assert got["Metadata"] == {"under_score": "kept"}
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": "uploads", "Key": "dir/a b.txt"}
    )
    assert urllib3.request("GET", url).data == b"hello"
    with pytest.raises(ClientError) as excinfo:
        s3.get_object(Bucket="uploads", Key="absent")
    assert excinfo.value.response["Error"]["Code"] == "NoSuchKey"
    ddb = client("dynamodb")
    ddb.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName="t", Item={"pk": {"S": "1"}, "n": {"N": "5"}})
    assert ddb.get_item(TableName="t", Key={"pk": {"S": "1"}})["Item"]["n"] == {"N": "5"}
    sts = client("sts")
    assert sts.get_caller_identity()["Account"] == "123456789012"


def test_credentials_fixture_is_used() -> None:
    assert CREDENTIALS["aws_access_key_id"].startswith("AKID")


def test_a_new_local_cloud_starts_with_empty_moto_state(tmp_path: Any) -> None:
    from gearbox.local.cloud import LocalCloud
    from gearbox.settings import Settings

    buckets = []
    for run in ("first", "second"):
        local = LocalCloud.open(Settings(port=0, state_dir=tmp_path / run))
        local.start()
        try:
            s3 = boto3.client(
                "s3", endpoint_url=local.endpoint_url, region_name="us-east-1", **CREDENTIALS
            )
            buckets.append([b["Name"] for b in s3.list_buckets()["Buckets"]])
            s3.create_bucket(Bucket="left-behind")
        finally:
            local.stop()
    assert buckets == [[], []]


def _read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {data!r}"
        data += chunk
    return data


def test_expect_100_continue_then_one_final_response(client: Any, cloud: LocalCloud) -> None:
    """A PutObject that waits for ``100 Continue`` (as boto3's does) gets it before it sends
    its body, then the final response; the object is stored."""
    client("s3").create_bucket(Bucket="continue")
    port = int(cloud.endpoint_url.rsplit(":", 1)[1])
    auth = (
        "AWS4-HMAC-SHA256 Credential=AKIDRAW/20261126/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            b"PUT /continue/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\nAuthorization: " + auth.encode() + b"\r\n\r\n"
        )
        assert _read_head(sock) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"hello")
        final = _read_head(sock)
        assert final.startswith(b"HTTP/1.1 200 "), final
        sock.sendall(
            b"HEAD /continue/k HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: "
            + auth.encode()
            + b"\r\n\r\n"
        )
        head = _read_head(sock)
        assert head.startswith(b"HTTP/1.1 200 ") and b"\r\ncontent-length: 5\r\n" in head.lower()
    assert client("s3").get_object(Bucket="continue", Key="k")["Body"].read() == b"hello"


def test_scans_of_a_table_and_its_index_leave_the_items_as_stored(client: Any) -> None:
    """Scans return what DynamoDB documents (a KEYS_ONLY index: the keys; a projection: the
    named attributes; a filter: the matching items) and never change the stored items."""
    ddb = client("dynamodb")
    ddb.create_table(
        TableName="scanned",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "kind", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-kind",
                "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    stored = {
        f"k{i}": {"pk": {"S": f"k{i}"}, "kind": {"S": "odd" if i % 2 else "even"},
                  "n": {"N": str(i)}, "tags": {"L": [{"S": "a"}, {"M": {"x": {"N": "1"}}}]}}
        for i in range(6)
    }  # fmt: skip
    for item in stored.values():
        ddb.put_item(TableName="scanned", Item=item)
    index = ddb.scan(TableName="scanned", IndexName="by-kind")["Items"]
    assert sorted(index, key=lambda i: i["pk"]["S"]) == [
        {"pk": item["pk"], "kind": item["kind"]} for item in stored.values()
    ]
    projected = ddb.scan(
        TableName="scanned",
        FilterExpression="kind = :odd",
        ProjectionExpression="pk, tags[1].x",
        ExpressionAttributeValues={":odd": {"S": "odd"}},
    )
    assert projected["Count"] == 3
    assert all(set(item) == {"pk", "tags"} for item in projected["Items"])
    assert all(item["tags"] == {"L": [{"M": {"x": {"N": "1"}}}]} for item in projected["Items"])
    assert ddb.scan(TableName="scanned", Select="COUNT")["Count"] == 6
    full = {item["pk"]["S"]: item for item in ddb.scan(TableName="scanned")["Items"]}
    assert full == stored
    ddb.update_item(
        TableName="scanned",
        Key={"pk": {"S": "k1"}},
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "100"}},
        ReturnValues="ALL_OLD",
    )
    assert ddb.get_item(TableName="scanned", Key={"pk": {"S": "k1"}})["Item"]["n"] == {"N": "100"}
