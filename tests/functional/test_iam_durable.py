"""IAM survives a restart of the local cloud: roles, their inline and attached policies,
customer managed policies with their versions; what was deleted stays deleted."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from gearbox.dev.functions import TRUST_POLICY
from gearbox.local.cloud import LocalCloud
from gearbox.local.iam_writes import IamWrites
from gearbox.settings import Settings
from tests.conftest import CREDENTIALS, REGION
from tests.functional.lambda_helpers import zip_of

TRUST = json.dumps(TRUST_POLICY)
MANAGED = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"


def policy(action: str, resource: str = "*") -> str:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@contextmanager
def running(state: Path) -> Iterator[Callable[[str], Any]]:
    cloud = LocalCloud.open(Settings(port=0, state_dir=state))
    cloud.start()
    try:
        yield lambda service: boto3.client(
            service, endpoint_url=cloud.endpoint_url, region_name=REGION, **CREDENTIALS
        )
    finally:
        cloud.stop()


def test_roles_and_policies_come_back_after_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with running(state) as client:
        iam = client("iam")
        iam.create_role(RoleName="worker", AssumeRolePolicyDocument=TRUST, Path="/app/")
        iam.put_role_policy(RoleName="worker", PolicyName="old", PolicyDocument=policy("s3:*"))
        iam.put_role_policy(
            RoleName="worker", PolicyName="queue", PolicyDocument=policy("sqs:ListQueues")
        )
        iam.put_role_policy(  # replaces the first version of "queue"
            RoleName="worker", PolicyName="queue", PolicyDocument=policy("sqs:SendMessage")
        )
        iam.delete_role_policy(RoleName="worker", PolicyName="old")
        iam.attach_role_policy(RoleName="worker", PolicyArn=MANAGED)
        custom = iam.create_policy(PolicyName="tables", PolicyDocument=policy("dynamodb:Get*"))
        arn = custom["Policy"]["Arn"]
        iam.create_policy_version(
            PolicyArn=arn, PolicyDocument=policy("dynamodb:Query"), SetAsDefault=True
        )
        iam.attach_role_policy(RoleName="worker", PolicyArn=arn)
        iam.create_role(RoleName="gone", AssumeRolePolicyDocument=TRUST)
        iam.put_role_policy(RoleName="gone", PolicyName="p", PolicyDocument=policy("s3:*"))
        iam.delete_role_policy(RoleName="gone", PolicyName="p")
        iam.delete_role(RoleName="gone")
        role_arn = iam.get_role(RoleName="worker")["Role"]["Arn"]

    writes = IamWrites(state / "iam.db")
    try:
        # create_role, put "queue", attach x2, create_policy, create_policy_version
        assert writes.count() == 6
    finally:
        writes.close()

    with running(state) as client:
        iam = client("iam")
        role = iam.get_role(RoleName="worker")["Role"]
        assert role["Arn"] == role_arn
        assert role["Path"] == "/app/"
        assert role["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == "sts:AssumeRole"
        assert iam.list_role_policies(RoleName="worker")["PolicyNames"] == ["queue"]
        document = iam.get_role_policy(RoleName="worker", PolicyName="queue")["PolicyDocument"]
        assert document["Statement"][0]["Action"] == "sqs:SendMessage"
        attached = iam.list_attached_role_policies(RoleName="worker")["AttachedPolicies"]
        assert sorted(p["PolicyArn"] for p in attached) == sorted([MANAGED, arn])
        default = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        version = iam.get_policy_version(PolicyArn=arn, VersionId=default)["PolicyVersion"]
        assert version["Document"]["Statement"][0]["Action"] == "dynamodb:Query"
        with pytest.raises(ClientError) as gone:
            iam.get_role(RoleName="gone")
        assert gone.value.response["Error"]["Code"] == "NoSuchEntity"


SENDER = """
import os

import boto3


def handler(event, context):
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=os.environ["QUEUE"], MessageBody="after restart")
    return "sent"
"""


def test_a_function_keeps_its_permissions_across_a_restart(tmp_path: Path) -> None:
    """Under enforce, a function whose role was forgotten would be denied every call."""
    state = tmp_path / "state"
    with running(state) as client:
        iam, sqs, lam = client("iam"), client("sqs"), client("lambda")
        url = sqs.create_queue(QueueName="out")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        role = iam.create_role(RoleName="sender", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        iam.put_role_policy(
            RoleName="sender",
            PolicyName="send",
            PolicyDocument=policy("sqs:SendMessage", queue_arn),
        )
        lam.create_function(
            FunctionName="sender",
            Runtime="python3.11",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": zip_of({"app.py": SENDER})},
            Environment={"Variables": {"QUEUE": url}},
        )

    with running(state) as client:
        answer = client("lambda").invoke(FunctionName="sender")
        assert "FunctionError" not in answer, answer["Payload"].read()
        messages = client("sqs").receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
        assert [m["Body"] for m in messages] == ["after restart"]
