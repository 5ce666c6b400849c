"""A function's AWS calls are checked against its execution role's policies, as on AWS.

Each test creates a role through IAM's API, a function with that role whose code makes the
call the test names (with boto3, inside the function) and returns the error it saw, if any.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import urllib3

from gearbox.clock import ManualClock
from gearbox.dev.functions import TRUST_POLICY
from gearbox.local.cloud import LocalCloud
from gearbox.settings import Settings
from tests.conftest import CREDENTIALS, REGION
from tests.functional.lambda_helpers import create_function

ACCOUNT = "123456789012"
CALLER = """
import boto3
from botocore.exceptions import ClientError

def handler(event, context):
    client = boto3.client(event["service"])
    try:
        result = getattr(client, event["operation"])(**event["params"])
    except ClientError as error:
        return {
            "code": error.response["Error"]["Code"],
            "message": error.response["Error"].get("Message", ""),
            "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
        }
    return {"code": None}
"""


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{name}"


def allow(actions: str | list[str], resources: str | list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


class Harness:
    """A cloud, its clients, and helpers to make roles and functions in it."""

    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud

    def client(self, service: str) -> Any:
        return boto3.client(
            service, endpoint_url=self.cloud.endpoint_url, region_name=REGION, **CREDENTIALS
        )

    def role(
        self, name: str, *statements: dict[str, Any], tags: dict[str, str] | None = None
    ) -> str:
        iam = self.client("iam")
        created = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
            Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()],
        )
        arn = str(created["Role"]["Arn"])
        if statements:
            iam.put_role_policy(
                RoleName=name, PolicyName="inline", PolicyDocument=document(*statements)
            )
        return arn

    def function(self, name: str, role: str) -> str:
        create_function(self.client("lambda"), name, CALLER, Role=role, Timeout=30)
        return name

    def call(self, function: str, service: str, operation: str, **params: Any) -> dict[str, Any]:
        response = self.client("lambda").invoke(
            FunctionName=function,
            Payload=json.dumps({"service": service, "operation": operation, "params": params}),
        )
        payload = json.loads(response["Payload"].read())
        assert "FunctionError" not in response, payload
        return dict(payload)

    def tables(self, *names: str) -> None:
        ddb = self.client("dynamodb")
        for name in names:
            ddb.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )

    def observed(self, function: str | None = None) -> dict[str, Any]:
        query = f"?function={function}" if function else ""
        response = urllib3.request("GET", f"{self.cloud.endpoint_url}/_gearbox/iam/observed{query}")
        assert response.status == 200
        return dict(response.json())


@pytest.fixture
def make_cloud(tmp_path: Path) -> Iterator[Callable[[str], Harness]]:
    opened: list[LocalCloud] = []

    def make(mode: str) -> Harness:
        settings = Settings(port=0, state_dir=tmp_path / f"state-{mode}", iam_mode=mode)  # type: ignore[arg-type]
        local = LocalCloud.open(settings, clock=ManualClock())
        local.start()
        opened.append(local)
        return Harness(local)

    yield make
    for local in opened:
        local.stop()


@pytest.fixture
def gb(cloud: LocalCloud) -> Harness:
    """The default cloud: ``iam_mode`` enforce."""
    assert cloud.settings.iam_mode == "enforce"
    return Harness(cloud)


ITEM = {"id": {"S": "a"}}


def test_the_allowed_call_works_and_others_get_dynamodb_access_denied(gb: Harness) -> None:
    gb.tables("allowed", "other")
    role = gb.role("writer", allow("dynamodb:PutItem", table_arn("allowed")))
    fn = gb.function("writer-fn", role)

    assert gb.call(fn, "dynamodb", "put_item", TableName="allowed", Item=ITEM) == {"code": None}
    assert "Item" in gb.client("dynamodb").get_item(TableName="allowed", Key=ITEM)

    delete = gb.call(fn, "dynamodb", "delete_item", TableName="allowed", Key=ITEM)
    assert delete["code"] == "AccessDeniedException"
    assert delete["status"] == 400
    assert delete["message"] == (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/writer/writer-fn is not authorized to "
        f"perform: dynamodb:DeleteItem on resource: {table_arn('allowed')} because no "
        "identity-based policy allows the dynamodb:DeleteItem action"
    )
    other = gb.call(fn, "dynamodb", "put_item", TableName="other", Item=ITEM)
    assert other["code"] == "AccessDeniedException"
    assert table_arn("other") in other["message"]
    assert "Item" not in gb.client("dynamodb").get_item(TableName="other", Key=ITEM)
    assert "Item" in gb.client("dynamodb").get_item(TableName="allowed", Key=ITEM)


def test_s3_denial_is_s3s_xml_access_denied(gb: Harness) -> None:
    s3 = gb.client("s3")
    s3.create_bucket(Bucket="private")
    s3.put_object(Bucket="private", Key="secret.txt", Body=b"x")
    s3.create_bucket(Bucket="public")
    s3.put_object(Bucket="public", Key="docs/readme.txt", Body=b"x")
    role = gb.role("reader", allow("s3:GetObject", "arn:aws:s3:::public/docs/*"))
    fn = gb.function("reader-fn", role)

    assert gb.call(fn, "s3", "get_object", Bucket="public", Key="docs/readme.txt")["code"] is None
    assert gb.call(fn, "s3", "head_object", Bucket="public", Key="docs/readme.txt")["code"] is None
    denied = gb.call(fn, "s3", "get_object", Bucket="private", Key="secret.txt")
    assert (denied["code"], denied["status"]) == ("AccessDenied", 403)
    assert "s3:GetObject on resource: arn:aws:s3:::private/secret.txt" in denied["message"]
    listing = gb.call(fn, "s3", "list_objects_v2", Bucket="public")
    assert listing["code"] == "AccessDenied"
    assert "s3:ListBucket on resource: arn:aws:s3:::public " in listing["message"]


def test_s3_denial_on_the_wire(gb: Harness) -> None:
    """The raw response a denied S3 call gets: 403 and S3's XML error document."""
    gb.client("s3").create_bucket(Bucket="wire")
    gb.role("nothing")
    gb.function("wire-fn", f"arn:aws:iam::{ACCOUNT}:role/nothing")
    record = gb.cloud.functions.registry.get(REGION, "wire-fn")
    assert record is not None
    s3 = boto3.client(
        "s3",
        endpoint_url=gb.cloud.endpoint_url,
        region_name=REGION,
        aws_access_key_id=record.access_key,
        aws_secret_access_key=record.secret_key,
    )
    captured: dict[str, Any] = {}
    s3.meta.events.register(
        "after-call.s3.GetObject",
        lambda http_response, **_: captured.update(
            status=http_response.status_code, body=http_response.content
        ),
    )
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_object(Bucket="wire", Key="k")
    assert captured["status"] == 403
    body = captured["body"].decode()
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied')
    assert "<RequestId>" in body


def test_sqs_sns_and_lambda_denials_in_their_own_shapes(gb: Harness) -> None:
    url = gb.client("sqs").create_queue(QueueName="jobs")["QueueUrl"]
    topic = gb.client("sns").create_topic(Name="events")["TopicArn"]
    role = gb.role("sender", allow("sqs:GetQueueAttributes", "*"))
    fn = gb.function("sender-fn", role)

    sent = gb.call(fn, "sqs", "send_message", QueueUrl=url, MessageBody="hi")
    assert sent["code"] == "AccessDenied"  # SQS's query-compatible code
    assert f"sqs:SendMessage on resource: arn:aws:sqs:{REGION}:{ACCOUNT}:jobs" in sent["message"]
    assert gb.call(fn, "sqs", "get_queue_attributes", QueueUrl=url)["code"] is None
    published = gb.call(fn, "sns", "publish", TopicArn=topic, Message="hi")
    assert (published["code"], published["status"]) == ("AuthorizationError", 403)
    assert f"sns:Publish on resource: {topic}" in published["message"]
    invoked = gb.call(fn, "lambda", "invoke", FunctionName="sender-fn")
    assert (invoked["code"], invoked["status"]) == ("AccessDeniedException", 403)
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:sender-fn"
    assert f"lambda:InvokeFunction on resource: {function_arn}" in invoked["message"]


def test_explicit_deny_overrides_allow_and_iam_writes_apply_at_once(gb: Harness) -> None:
    gb.tables("audit")
    role = gb.role("auditor", allow("dynamodb:*", "*"))
    fn = gb.function("auditor-fn", role)
    assert gb.call(fn, "dynamodb", "put_item", TableName="audit", Item=ITEM)["code"] is None

    gb.client("iam").put_role_policy(
        RoleName="auditor",
        PolicyName="no-writes",
        PolicyDocument=document(
            {"Sid": "NoWrites", "Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*"}
        ),
    )
    denied = gb.call(fn, "dynamodb", "put_item", TableName="audit", Item=ITEM)
    assert denied["code"] == "AccessDeniedException"
    assert denied["message"].endswith("with an explicit deny in an identity-based policy")
    assert gb.call(fn, "dynamodb", "get_item", TableName="audit", Key=ITEM)["code"] is None

    gb.client("iam").delete_role_policy(RoleName="auditor", PolicyName="no-writes")
    assert gb.call(fn, "dynamodb", "put_item", TableName="audit", Item=ITEM)["code"] is None


def test_managed_policies_attached_to_the_role_count(gb: Harness) -> None:
    gb.client("s3").create_bucket(Bucket="shared")
    gb.client("s3").put_object(Bucket="shared", Key="k", Body=b"v")
    gb.tables("orders")
    iam = gb.client("iam")
    role = gb.role("managed")
    fn = gb.function("managed-fn", role)
    assert gb.call(fn, "s3", "get_object", Bucket="shared", Key="k")["code"] == "AccessDenied"

    iam.attach_role_policy(
        RoleName="managed", PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    )
    custom = iam.create_policy(
        PolicyName="orders-write",
        PolicyDocument=document(allow("dynamodb:PutItem", table_arn("orders"))),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="managed", PolicyArn=custom)
    assert gb.call(fn, "s3", "get_object", Bucket="shared", Key="k")["code"] is None
    assert gb.call(fn, "dynamodb", "put_item", TableName="orders", Item=ITEM)["code"] is None
    assert gb.call(fn, "s3", "put_object", Bucket="shared", Key="k", Body="w")["code"] == (
        "AccessDenied"
    )


def test_a_function_whose_role_does_not_exist_may_do_nothing(
    gb: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    gb.tables("t")
    fn = gb.function("orphan-fn", f"arn:aws:iam::{ACCOUNT}:role/never-created")
    with caplog.at_level(logging.WARNING, logger="gearbox.local.edge.authorize"):
        got = gb.call(fn, "dynamodb", "get_item", TableName="t", Key=ITEM)
    assert got["code"] == "AccessDeniedException"
    assert "role arn:aws:iam::123456789012:role/never-created does not exist" in caplog.text


def test_conditions_on_the_request_context(gb: Harness, caplog: pytest.LogCaptureFixture) -> None:
    gb.tables("regional", "tenants")
    role = gb.role(
        "conditional",
        allow(
            "dynamodb:PutItem",
            table_arn("regional"),
            Condition={
                "IpAddress": {"aws:SourceIp": "127.0.0.0/8"},
                "Bool": {"aws:SecureTransport": "false"},
            },
        ),
        allow(
            "dynamodb:GetItem",
            table_arn("regional"),
            Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
        ),
        allow(
            "dynamodb:DeleteItem",
            table_arn("regional"),
            Condition={"StringEquals": {"aws:SourceVpc": "vpc-1"}},
        ),
        allow(
            "dynamodb:UpdateItem",
            table_arn("regional"),
            Condition={
                "StringEquals": {"aws:PrincipalTag/team": "orders"},
                "Null": {"aws:username": "true"},
                "DateLessThan": {"aws:CurrentTime": "2026-06-01T00:00:00Z"},  # the test clock
                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/condition*"},
            },
        ),
        allow(
            "dynamodb:GetItem",
            table_arn("tenants"),
            Condition={"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["a"]}},
        ),
        tags={"team": "orders"},
    )
    fn = gb.function("conditional-fn", role)
    assert gb.call(fn, "dynamodb", "put_item", TableName="regional", Item=ITEM)["code"] is None
    update = {"UpdateExpression": "SET n = :n", "ExpressionAttributeValues": {":n": {"N": "1"}}}
    updated = gb.call(fn, "dynamodb", "update_item", TableName="regional", Key=ITEM, **update)
    assert updated["code"] is None
    got = gb.call(fn, "dynamodb", "get_item", TableName="regional", Key=ITEM)
    assert got["code"] == "AccessDeniedException"  # asked in us-east-1
    with caplog.at_level(logging.WARNING, logger="gearbox.local.edge.authorize"):
        deleted = gb.call(fn, "dynamodb", "delete_item", TableName="regional", Key=ITEM)
    assert deleted["code"] == "AccessDeniedException"  # aws:SourceVpc: not evaluated
    assert "not evaluated: inline/statement 3: StringEquals aws:SourceVpc" in caplog.text
    own = gb.call(fn, "dynamodb", "get_item", TableName="tenants", Key={"id": {"S": "a"}})
    assert own["code"] is None
    other = gb.call(fn, "dynamodb", "get_item", TableName="tenants", Key={"id": {"S": "b"}})
    assert other["code"] == "AccessDeniedException"


def test_warn_mode_logs_and_lets_the_call_through(
    make_cloud: Callable[[str], Harness], caplog: pytest.LogCaptureFixture
) -> None:
    gb = make_cloud("warn")
    gb.tables("t")
    role = gb.role("warned", allow("dynamodb:GetItem", table_arn("t")))
    fn = gb.function("warned-fn", role)
    with caplog.at_level(logging.WARNING, logger="gearbox.local.edge.authorize"):
        assert gb.call(fn, "dynamodb", "put_item", TableName="t", Item=ITEM)["code"] is None
    assert "Item" in gb.client("dynamodb").get_item(TableName="t", Key=ITEM)
    lines = [r.getMessage() for r in caplog.records if "warned-fn" in r.getMessage()]
    assert lines == [
        f"IAM would deny (warn mode): function warned-fn may not dynamodb:PutItem on "
        f"{table_arn('t')} (no statement allows it)"
    ]
    calls = gb.observed("warned-fn")["calls"]
    assert [(c["action"], c["last_decision"]) for c in calls] == [
        ("dynamodb:PutItem", "implicit-deny")
    ]


def test_off_mode_checks_and_records_nothing(make_cloud: Callable[[str], Harness]) -> None:
    gb = make_cloud("off")
    gb.tables("t")
    fn = gb.function("free-fn", f"arn:aws:iam::{ACCOUNT}:role/never-created")
    assert gb.call(fn, "dynamodb", "put_item", TableName="t", Item=ITEM)["code"] is None
    assert gb.observed() == {"functions": {}}


def test_the_observed_route_gives_the_minimal_policy_of_the_calls_made(gb: Harness) -> None:
    gb.tables("allowed", "other")
    gb.client("s3").create_bucket(Bucket="bkt")
    role = gb.role("observed", allow(["dynamodb:PutItem", "dynamodb:GetItem"], "*"))
    fn = gb.function("observed-fn", role)
    gb.call(fn, "dynamodb", "put_item", TableName="allowed", Item=ITEM)
    gb.call(fn, "dynamodb", "put_item", TableName="allowed", Item=ITEM)
    gb.call(fn, "dynamodb", "get_item", TableName="allowed", Key=ITEM)
    gb.call(fn, "dynamodb", "put_item", TableName="other", Item=ITEM)
    gb.call(fn, "s3", "put_object", Bucket="bkt", Key="a/b.txt", Body="x")  # denied

    observed = gb.observed("observed-fn")
    assert observed["policy"] == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Observed1",
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                "Resource": [table_arn("allowed")],
            },
            {
                "Sid": "Observed2",
                "Effect": "Allow",
                "Action": ["dynamodb:PutItem"],
                "Resource": [table_arn("other")],
            },
            {
                "Sid": "Observed3",
                "Effect": "Allow",
                "Action": ["s3:PutObject"],
                "Resource": ["arn:aws:s3:::bkt/a/b.txt"],
            },
        ],
    }
    put = next(
        c
        for c in observed["calls"]
        if c["resource"] == table_arn("allowed") and c["action"] == "dynamodb:PutItem"
    )
    assert (put["allowed"], put["denied"], put["last_decision"]) == (2, 0, "allowed")
    s3 = next(c for c in observed["calls"] if c["action"] == "s3:PutObject")
    assert (s3["allowed"], s3["denied"], s3["last_decision"]) == (0, 1, "implicit-deny")
    assert set(gb.observed()["functions"]) == {"observed-fn"}


def test_calls_by_the_user_are_not_checked(gb: Harness) -> None:
    gb.tables("t")
    gb.client("dynamodb").put_item(TableName="t", Item=ITEM)
    assert gb.observed() == {"functions": {}}
