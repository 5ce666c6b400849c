"""IAM survives a restart of the local cloud: roles, their inline and attached policies,
customer managed policies with their versions, with the ids and dates IAM gave them; what was
deleted stays deleted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from gearbox.dev.functions import TRUST_POLICY
from tests.functional.lambda_helpers import zip_of
from tests.functional.restarts import running

TRUST = json.dumps(TRUST_POLICY)
MANAGED = "arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess"


def policy(action: str, resource: str = "*") -> str:
    statement = {"Effect": "Allow", "Action": action, "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


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
        before = iam.get_role(RoleName="worker")["Role"]
        policy_before = iam.get_policy(PolicyArn=arn)["Policy"]

    with running(state) as client:
        iam = client("iam")
        role = iam.get_role(RoleName="worker")["Role"]
        assert (role["Arn"], role["RoleId"], role["CreateDate"]) == (
            before["Arn"],
            before["RoleId"],
            before["CreateDate"],
        )
        assert iam.get_policy(PolicyArn=arn)["Policy"] == policy_before
        managed = iam.get_policy(PolicyArn=MANAGED)["Policy"]
        assert managed["AttachmentCount"] == 1
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
