"""The IAM actions and resource ARNs of requests, and the AccessDenied shape per protocol.

Requests are built as boto3 builds them (botocore's serializers, no network), then resolved
by the edge's own parsing, so the test covers the path a real call takes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gearbox.local.edge.actions import action_name, service_model
from gearbox.local.edge.denied import access_denied
from gearbox.local.edge.request_resource import Call, requested_calls
from gearbox.policy.evaluate import Decision
from tests.unit.request_helpers import ENDPOINT, REGION, exchange_of

ACCOUNT = "123456789012"


def calls(service: str, operation: str, **params: Any) -> list[tuple[str, str]]:
    return [
        (c.action, c.resource)
        for c in requested_calls(exchange_of(service, operation, **params), ACCOUNT)
    ]


def table(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


ITEM = {"id": {"S": "a"}}


@pytest.mark.parametrize(
    ("prefix", "operation", "action"),
    [
        ("s3", "ListObjectsV2", "s3:ListBucket"),
        ("s3", "HeadObject", "s3:GetObject"),
        ("s3", "HeadBucket", "s3:ListBucket"),
        ("s3", "GetBucketNotificationConfiguration", "s3:GetBucketNotification"),
        ("s3", "UploadPart", "s3:PutObject"),
        ("lambda", "Invoke", "lambda:InvokeFunction"),
        ("sqs", "SendMessageBatch", "sqs:SendMessage"),
        ("dynamodb", "PutItem", "dynamodb:PutItem"),
    ],
)
def test_action_names(prefix: str, operation: str, action: str) -> None:
    assert action_name(prefix, operation) == action


def test_service_prefix_comes_from_the_model() -> None:
    assert service_model("monitoring").prefix == "cloudwatch"
    assert service_model("dynamodb").prefix == "dynamodb"
    assert service_model("states").prefix == "states"
    assert service_model("no-such-service").prefix == "no-such-service"


def test_dynamodb_tables_and_indexes() -> None:
    assert calls("dynamodb", "put_item", TableName="orders", Item=ITEM) == [
        ("dynamodb:PutItem", table("orders"))
    ]
    assert calls(
        "dynamodb",
        "query",
        TableName="orders",
        IndexName="by-date",
        KeyConditionExpression="id = :v",
        ExpressionAttributeValues={":v": {"S": "a"}},
    ) == [("dynamodb:Query", table("orders") + "/index/by-date")]
    assert calls("dynamodb", "list_tables") == [("dynamodb:ListTables", "*")]


def test_dynamodb_batches_and_transactions_need_each_table_and_item_action() -> None:
    assert calls(
        "dynamodb",
        "batch_write_item",
        RequestItems={
            "b": [{"PutRequest": {"Item": ITEM}}],
            "a": [{"DeleteRequest": {"Key": ITEM}}],
        },
    ) == [("dynamodb:BatchWriteItem", table("a")), ("dynamodb:BatchWriteItem", table("b"))]
    assert calls(
        "dynamodb",
        "transact_write_items",
        TransactItems=[
            {"Put": {"TableName": "a", "Item": ITEM}},
            {
                "Update": {
                    "TableName": "b",
                    "Key": ITEM,
                    "UpdateExpression": "SET x = :x",
                    "ExpressionAttributeValues": {":x": {"S": "1"}},
                }
            },
            {"Delete": {"TableName": "c", "Key": ITEM}},
            {
                "ConditionCheck": {
                    "TableName": "d",
                    "Key": ITEM,
                    "ConditionExpression": "attribute_exists(id)",
                }
            },
        ],
    ) == [
        ("dynamodb:PutItem", table("a")),
        ("dynamodb:UpdateItem", table("b")),
        ("dynamodb:DeleteItem", table("c")),
        ("dynamodb:ConditionCheckItem", table("d")),
    ]
    assert calls(
        "dynamodb", "transact_get_items", TransactItems=[{"Get": {"TableName": "a", "Key": ITEM}}]
    ) == [("dynamodb:GetItem", table("a"))]


def test_dynamodb_leading_keys_from_a_single_attribute_key() -> None:
    (call,) = requested_calls(
        exchange_of("dynamodb", "get_item", TableName="t", Key={"pk": {"S": "user-1"}}), ACCOUNT
    )
    assert call.context == {"dynamodb:LeadingKeys": ("user-1",)}
    (two,) = requested_calls(
        exchange_of(
            "dynamodb", "get_item", TableName="t", Key={"pk": {"S": "u"}, "sk": {"S": "s"}}
        ),
        ACCOUNT,
    )
    assert two.context == {}


def test_s3_buckets_objects_and_copies() -> None:
    assert calls("s3", "get_object", Bucket="b", Key="dir/a b.txt") == [
        ("s3:GetObject", "arn:aws:s3:::b/dir/a b.txt")
    ]
    assert calls("s3", "head_bucket", Bucket="b") == [("s3:ListBucket", "arn:aws:s3:::b")]
    assert calls("s3", "list_buckets") == [("s3:ListAllMyBuckets", "*")]
    assert calls(
        "s3", "copy_object", Bucket="dst", Key="k2", CopySource={"Bucket": "src", "Key": "k 1"}
    ) == [
        ("s3:PutObject", "arn:aws:s3:::dst/k2"),
        ("s3:GetObject", "arn:aws:s3:::src/k 1"),
    ]


def test_s3_versions_and_batch_deletes() -> None:
    assert calls("s3", "get_object", Bucket="b", Key="k", VersionId="v1") == [
        ("s3:GetObjectVersion", "arn:aws:s3:::b/k")
    ]
    assert calls(
        "s3", "delete_objects", Bucket="b", Delete={"Objects": [{"Key": "z"}, {"Key": "a/1"}]}
    ) == [
        ("s3:DeleteObject", "arn:aws:s3:::b/a/1"),
        ("s3:DeleteObject", "arn:aws:s3:::b/z"),
    ]


def test_s3_listing_condition_keys() -> None:
    (call,) = requested_calls(
        exchange_of("s3", "list_objects_v2", Bucket="b", Prefix="home/ana/", Delimiter="/"), ACCOUNT
    )
    assert (call.action, call.resource) == ("s3:ListBucket", "arn:aws:s3:::b")
    assert call.context == {"s3:prefix": ("home/ana/",), "s3:delimiter": ("/",)}
    assert "s3:prefix" in call.known


def test_sqs_sns_lambda_and_others() -> None:
    url = f"{ENDPOINT}/{ACCOUNT}/jobs"
    assert calls("sqs", "send_message", QueueUrl=url, MessageBody="x") == [
        ("sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs")
    ]
    assert calls("sqs", "get_queue_url", QueueName="jobs") == [
        ("sqs:GetQueueUrl", f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs")
    ]
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:events"
    assert calls("sns", "publish", TopicArn=topic, Message="m") == [("sns:Publish", topic)]
    assert calls("sns", "create_topic", Name="events") == [("sns:CreateTopic", topic)]
    function = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:worker"
    for name in ("worker", f"{ACCOUNT}:function:worker", function):
        assert calls("lambda", "invoke", FunctionName=name) == [("lambda:InvokeFunction", function)]
    secret = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:db"
    assert calls("secretsmanager", "get_secret_value", SecretId="db") == [
        ("secretsmanager:GetSecretValue", secret)
    ]
    assert calls("ssm", "get_parameters", Names=["/app/a", "b"]) == [
        ("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/a"),
        ("ssm:GetParameters", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/b"),
    ]
    assert calls(
        "events", "put_events", Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"}]
    ) == [("events:PutEvents", f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/default")]
    assert calls("sts", "get_caller_identity") == []  # AWS authorizes nothing for it


def decision(action: str, resource: str, reason: str = "implicit-deny") -> Decision:
    return Decision(action, resource, reason)  # type: ignore[arg-type]


PRINCIPAL = f"arn:aws:sts::{ACCOUNT}:assumed-role/role/fn"


def test_json_protocol_denial() -> None:
    exchange = exchange_of("dynamodb", "put_item", TableName="t", Item=ITEM)
    response = access_denied(exchange, PRINCIPAL, decision("dynamodb:PutItem", table("t")))
    assert response.status == 400
    body = json.loads(response.body)
    assert body["__type"] == "com.amazon.coral.service#AccessDeniedException"
    assert body["message"] == (
        f"User: {PRINCIPAL} is not authorized to perform: dynamodb:PutItem on resource: "
        f"{table('t')} because no identity-based policy allows the dynamodb:PutItem action"
    )
    assert ("x-amzn-RequestId", exchange.request_id) in response.headers


def test_sqs_denial_carries_its_query_error_code() -> None:
    exchange = exchange_of(
        "sqs", "send_message", QueueUrl=f"{ENDPOINT}/{ACCOUNT}/q", MessageBody="x"
    )
    response = access_denied(
        exchange, PRINCIPAL, decision("sqs:SendMessage", "arn", "explicit-deny")
    )
    assert ("x-amzn-query-error", "AccessDenied;Sender") in response.headers
    assert json.loads(response.body)["message"].endswith(
        "with an explicit deny in an identity-based policy"
    )


def test_rest_xml_rest_json_and_query_denials() -> None:
    s3 = access_denied(
        exchange_of("s3", "get_object", Bucket="b", Key="k"),
        PRINCIPAL,
        decision("s3:GetObject", "arn:aws:s3:::b/k"),
    )
    assert s3.status == 403
    assert b"<Error><Code>AccessDenied</Code><Message>User: " in s3.body
    lam = access_denied(
        exchange_of("lambda", "invoke", FunctionName="f"),
        PRINCIPAL,
        decision("lambda:InvokeFunction", "arn"),
    )
    assert lam.status == 403
    assert ("x-amzn-ErrorType", "AccessDeniedException") in lam.headers
    sns = access_denied(
        exchange_of("sns", "publish", TopicArn="arn:aws:sns:us-east-1:1:t", Message="m"),
        PRINCIPAL,
        decision("sns:Publish", "arn"),
    )
    assert sns.status == 403
    assert b"<Code>AuthorizationError</Code>" in sns.body
    assert b'xmlns="http://sns.amazonaws.com/doc/2010-03-31/"' in sns.body
    iam = access_denied(
        exchange_of("iam", "get_role", RoleName="r"), PRINCIPAL, decision("iam:GetRole", "arn")
    )
    assert b"<Code>AccessDenied</Code>" in iam.body


def test_the_call_type_is_plain_data() -> None:
    assert Call("s3:GetObject", "*") == Call("s3:GetObject", "*", {}, frozenset())
