"""Bad input never gets a 500 and never a half-applied change.

Every SQS operation of botocore's model is sent, over the wire, with each of its members in
turn set to awkward values (wrong types, empty, huge, negative, control characters), the
other required members valid. Each answer must be a 200 or an AWS-shaped 4xx error.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import botocore.session
import urllib3

from gearbox.local.cloud import LocalCloud

AWKWARD: list[Any] = [
    None,
    "",
    "x" * 300,
    "\x00",
    -1,
    0,
    2**40,
    1.5,
    True,
    [],
    {},
    ["a"],
    {"k": "v"},
    {"k": {"DataType": "String"}},
    [{"Id": "1"}],
    "%$#@",
]


def post(cloud: LocalCloud, operation: str, params: dict[str, Any]) -> urllib3.BaseHTTPResponse:
    return urllib3.request(
        "POST",
        cloud.endpoint_url + "/",
        body=json.dumps(params).encode(),
        headers={
            "X-Amz-Target": f"AmazonSQS.{operation}",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20261126/us-east-1/sqs/"
            "aws4_request, SignedHeaders=host, Signature=0",
        },
    )


def valid_base(url: str, arn: str) -> dict[str, Any]:
    return {
        "QueueUrl": url,
        "QueueName": "fuzz",
        "MessageBody": "x",
        "ReceiptHandle": "abc",
        "VisibilityTimeout": 1,
        "Entries": [{"Id": "a", "MessageBody": "x"}],
        "Tags": {"k": "v"},
        "TagKeys": ["k"],
        "Label": "l",
        "AWSAccountIds": ["123456789012"],
        "Actions": ["SendMessage"],
        "SourceArn": arn,
        "TaskHandle": "t",
        "AttributeNames": ["All"],
    }


def test_no_operation_answers_500_to_awkward_members(cloud: LocalCloud, sqs: Any) -> None:
    url = sqs.create_queue(QueueName="target")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    model = botocore.session.get_session().get_service_model("sqs")
    base = valid_base(url, arn)
    checked = 0
    for name in model.operation_names:
        shape = model.operation_model(name).input_shape
        members = list(shape.members) if shape else []
        required = {m: base[m] for m in (shape.required_members if shape else []) if m in base}
        for member, value in itertools.product(members, AWKWARD):
            response = post(cloud, name, {**required, member: value})
            checked += 1
            assert response.status in (200, 400), (name, member, value, response.data[:300])
            if response.status == 400:
                body = response.json()
                assert "__type" in body and body.get("message"), (name, member, value)
    assert checked > 500


def test_non_object_bodies(cloud: LocalCloud) -> None:
    for body in (b"[]", b"1", b'"s"', b"null", b"\xff\xfe"):
        response = urllib3.request(
            "POST",
            cloud.endpoint_url + "/",
            body=body,
            headers={
                "X-Amz-Target": "AmazonSQS.ListQueues",
                "Content-Type": "application/x-amz-json-1.0",
            },
        )
        assert response.status == 400, body
        assert response.json()["__type"].endswith("SerializationException")
