"""A resource policy asked whether a service principal may act for a source."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gearbox.policy.resource import service_may

QUEUE = "arn:aws:sqs:us-east-1:123456789012:jobs"
BUCKET = "arn:aws:s3:::uploads"
ACCOUNT = "123456789012"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any, **extra: Any) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "SQS:SendMessage",
        "Resource": QUEUE,
        **extra,
    }


def may(document: Any) -> bool:
    return service_may(
        document,
        "s3.amazonaws.com",
        "sqs:SendMessage",
        QUEUE,
        source_arn=BUCKET,
        source_account=ACCOUNT,
    )


@pytest.mark.parametrize(
    "principal",
    [
        {"Service": "s3.amazonaws.com"},
        {"Service": ["sns.amazonaws.com", "s3.amazonaws.com"]},
        "*",
        {"AWS": "*"},
    ],
)
def test_principals_that_name_the_service_or_everyone(principal: Any) -> None:
    assert may(policy(allow(principal)))


@pytest.mark.parametrize(
    "principal",
    [
        {"Service": "sns.amazonaws.com"},
        {"AWS": "arn:aws:iam::123456789012:root"},
        {"AWS": ["arn:aws:iam::123456789012:root"]},
    ],
)
def test_other_principals_do_not_count(principal: Any) -> None:
    assert not may(policy(allow(principal)))


def test_no_policy_allows_nothing() -> None:
    assert not may(None)
    assert not may("")
    assert not may("{not json")
    assert not may(policy())


def test_source_conditions() -> None:
    service = {"Service": "s3.amazonaws.com"}
    same = {"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:*:uploads"}}
    other = {"ArnEquals": {"aws:SourceArn": "arn:aws:s3:::elsewhere"}}
    account = {"StringEquals": {"AWS:SourceAccount": ACCOUNT}}
    wrong_account = {"StringEquals": {"aws:SourceAccount": "210987654321"}}
    assert may(policy(allow(service, Condition={**same, **account})))
    assert not may(policy(allow(service, Condition=other)))
    assert not may(policy(allow(service, Condition=wrong_account)))
    unknowable = {"StringEquals": {"aws:SourceVpce": "vpce-1"}}
    assert not may(policy(allow(service, Condition=unknowable)))  # fails closed


def test_deny_wins_and_not_principal() -> None:
    service = {"Service": "s3.amazonaws.com"}
    deny_all = {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "*"}
    assert not may(policy(allow(service), deny_all))
    deny_others = {
        "Effect": "Deny",
        "NotPrincipal": {"Service": "s3.amazonaws.com"},
        "Action": "sqs:*",
        "Resource": "*",
    }
    assert may(policy(allow(service), deny_others))


def test_statements_with_sids_lambda_writes_and_no_resource() -> None:
    """AddPermission's statement ids may hold dashes; a statement without Resource is about
    the resource itself."""
    statement = allow({"Service": "s3.amazonaws.com"}, Sid="s3-invoke_1")
    del statement["Resource"]
    assert may({"Version": "2012-10-17", "Id": "default", "Statement": [statement]})


def test_wrong_action_or_resource() -> None:
    service = {"Service": "s3.amazonaws.com"}
    assert not may(policy(allow(service, Action="sqs:ReceiveMessage")))
    assert not may(policy(allow(service, Resource="arn:aws:sqs:us-east-1:123456789012:other")))


def test_a_condition_the_laptop_cannot_know_refuses_and_the_log_names_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    vpce = {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}
    with caplog.at_level("WARNING", logger="gearbox.policy.resource"):
        assert not may(policy(allow({"Service": "s3.amazonaws.com"}, Condition=vpce)))
    assert "aws:SourceVpce" in caplog.text
    assert "cannot be evaluated locally" in caplog.text


def test_the_same_question_asked_again_gets_the_same_answer() -> None:
    document = {"Version": "2012-10-17", "Statement": [allow({"Service": "s3.amazonaws.com"})]}
    assert may(document) and may(json.dumps(document)) and may(document)
    denied = {"Version": "2012-10-17", "Statement": [allow({"Service": "sns.amazonaws.com"})]}
    assert not may(denied) and not may(denied)
