"""AWS's evaluation logic for identity policies, rule by rule.

Expected decisions follow the IAM User Guide's "Policy evaluation logic" and "IAM JSON policy
elements" pages.
"""

from __future__ import annotations

from typing import Any

import pytest

from gearbox.policy.conditions import RequestContext
from gearbox.policy.document import parse_policy
from gearbox.policy.evaluate import Decision, evaluate

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
OTHER = "arn:aws:dynamodb:us-east-1:123456789012:table/other"


def policy(*statements: dict[str, Any], version: str = "2012-10-17") -> Any:
    return parse_policy({"Version": version, "Statement": list(statements)}, name="p")


def decide(
    statements: list[dict[str, Any]],
    action: str,
    resource: str,
    context: RequestContext | None = None,
    version: str = "2012-10-17",
) -> Decision:
    return evaluate([policy(*statements, version=version)], action, resource, context)


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def test_no_statement_applies_is_an_implicit_deny() -> None:
    decision = decide([allow("dynamodb:GetItem", TABLE)], "dynamodb:PutItem", TABLE)
    assert (decision.allowed, decision.reason, decision.statement) == (False, "implicit-deny", None)


def test_no_policy_at_all_denies() -> None:
    assert evaluate([], "s3:GetObject", "arn:aws:s3:::b/k").reason == "implicit-deny"


def test_an_applying_allow_allows_and_names_the_statement() -> None:
    statements = [
        allow("dynamodb:GetItem", OTHER),
        {**allow("dynamodb:PutItem", TABLE), "Sid": "Put"},
    ]
    decision = decide(statements, "dynamodb:PutItem", TABLE)
    assert (decision.allowed, decision.statement) == (True, "p/Put")


def test_explicit_deny_wins_over_allow_in_any_order_and_any_policy() -> None:
    for statements in (
        [allow("dynamodb:*"), deny("dynamodb:PutItem", TABLE)],
        [deny("dynamodb:PutItem", TABLE), allow("dynamodb:*")],
    ):
        assert decide(statements, "dynamodb:PutItem", TABLE).reason == "explicit-deny"
    policies = [policy(allow("*")), policy(deny("dynamodb:PutItem"))]
    assert evaluate(policies, "dynamodb:PutItem", TABLE).reason == "explicit-deny"
    assert evaluate(policies, "dynamodb:GetItem", TABLE).allowed


def test_a_deny_that_does_not_apply_leaves_the_allow() -> None:
    statements = [allow("dynamodb:*"), deny("dynamodb:PutItem", OTHER)]
    assert decide(statements, "dynamodb:PutItem", TABLE).allowed


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("*", "s3:GetObject", True),
        ("s3:*", "s3:GetObject", True),
        ("s3:Get*", "s3:GetObject", True),
        ("s3:Get*", "s3:PutObject", False),
        ("s3:*Object", "s3:DeleteObject", True),
        ("s3:GetObjec?", "s3:GetObject", True),
        ("s3:GetObjec?", "s3:GetObjectAcl", False),
        ("S3:getobject", "s3:GetObject", True),  # actions are case-insensitive
        ("s3:GetObject", "S3:GETOBJECT", True),
        ("sqs:GetObject", "s3:GetObject", False),
    ],
)
def test_action_wildcards(pattern: str, action: str, matches: bool) -> None:
    assert decide([allow(pattern)], action, "*").allowed is matches


@pytest.mark.parametrize(
    ("pattern", "resource", "matches"),
    [
        ("*", "arn:aws:s3:::b/k", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b/a/b/c", True),
        ("arn:aws:s3:::b/*", "arn:aws:s3:::b", False),
        ("arn:aws:s3:::b*", "arn:aws:s3:::bucket", True),
        ("arn:aws:s3:::b/?.txt", "arn:aws:s3:::b/a.txt", True),
        ("arn:aws:s3:::b/?.txt", "arn:aws:s3:::b/ab.txt", False),
        ("arn:aws:s3:::B/k", "arn:aws:s3:::b/k", False),  # resources are case-sensitive
        ("arn:aws:dynamodb:*:*:table/orders", TABLE, True),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/orders", TABLE + "/index/by-date", False),
        ("arn:aws:dynamodb:us-east-1:123456789012:table/orders/*", TABLE + "/index/by-date", True),
        ("arn:aws:dynamodb:us-*:*:table/*", TABLE, True),
        ("arn:aws:dynamodb:eu-*:*:table/*", TABLE, False),
        ("arn:aws:sqs:us-east-1:123456789012:*", "*", False),  # only "*" allows "*"
    ],
)
def test_resource_wildcards(pattern: str, resource: str, matches: bool) -> None:
    assert decide([allow("*", pattern)], "dynamodb:GetItem", resource).allowed is matches


def test_string_or_list_values_and_single_statement_object() -> None:
    single = parse_policy(
        {
            "Version": "2012-10-17",
            "Statement": allow(["sqs:SendMessage", "sqs:ReceiveMessage"], [TABLE, OTHER]),
        }
    )
    assert evaluate([single], "sqs:ReceiveMessage", OTHER).allowed
    assert not evaluate([single], "sqs:DeleteMessage", OTHER).allowed


def test_not_action_allows_everything_else() -> None:
    statement = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    assert decide([statement], "s3:GetObject", "arn:aws:s3:::b/k").allowed
    assert not decide([statement], "iam:CreateUser", "*").allowed


def test_not_action_in_a_deny_denies_everything_else() -> None:
    statements = [
        allow("*"),
        {"Effect": "Deny", "NotAction": ["s3:*", "dynamodb:GetItem"], "Resource": "*"},
    ]
    assert decide(statements, "s3:PutObject", "*").allowed
    assert decide(statements, "dynamodb:GetItem", TABLE).allowed
    assert decide(statements, "dynamodb:PutItem", TABLE).reason == "explicit-deny"


def test_not_resource() -> None:
    statements = [
        {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::secret/*"},
    ]
    assert decide(statements, "s3:GetObject", "arn:aws:s3:::public/k").allowed
    assert not decide(statements, "s3:GetObject", "arn:aws:s3:::secret/k").allowed
    deny_rest = [allow("*"), {"Effect": "Deny", "Action": "*", "NotResource": [TABLE]}]
    assert decide(deny_rest, "dynamodb:PutItem", TABLE).allowed
    assert decide(deny_rest, "dynamodb:PutItem", OTHER).reason == "explicit-deny"


def test_policy_variables_in_resources() -> None:
    statement = allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*")
    context = RequestContext({"aws:username": ("ana",)})
    assert decide([statement], "s3:GetObject", "arn:aws:s3:::home/ana/x", context).allowed
    assert not decide([statement], "s3:GetObject", "arn:aws:s3:::home/bob/x", context).allowed
    # a missing key makes the value match nothing; a default fills it in
    assert not decide([statement], "s3:GetObject", "arn:aws:s3:::home//x").allowed
    with_default = allow("s3:GetObject", "arn:aws:s3:::home/${aws:username, 'guest'}/*")
    assert decide([with_default], "s3:GetObject", "arn:aws:s3:::home/guest/x").allowed
    # substituted text is literal, and ${*} is a literal star
    star = allow("s3:GetObject", "arn:aws:s3:::b/${*}")
    assert decide([star], "s3:GetObject", "arn:aws:s3:::b/*").allowed
    assert not decide([star], "s3:GetObject", "arn:aws:s3:::b/k").allowed
    wild_name = RequestContext({"aws:username": ("*",)})
    assert not decide([statement], "s3:GetObject", "arn:aws:s3:::home/ana/x", wild_name).allowed


def test_policy_variables_are_literal_in_version_2008() -> None:
    statement = allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*")
    context = RequestContext({"aws:username": ("ana",)})
    old = decide(
        [statement], "s3:GetObject", "arn:aws:s3:::home/ana/x", context, version="2008-10-17"
    )
    assert not old.allowed
    literal = "arn:aws:s3:::home/${aws:username}/x"
    assert decide([statement], "s3:GetObject", literal, context, version="2008-10-17").allowed


def test_a_condition_must_hold_for_the_statement_to_apply() -> None:
    statement = allow("*", Condition={"StringEquals": {"aws:RequestedRegion": "eu-west-1"}})
    eu = RequestContext({"aws:requestedregion": ("eu-west-1",)})
    us = RequestContext({"aws:requestedregion": ("us-east-1",)})
    assert decide([statement], "s3:GetObject", "*", eu).allowed
    assert not decide([statement], "s3:GetObject", "*", us).allowed


def test_condition_keys_are_case_insensitive() -> None:
    statement = allow("*", Condition={"StringEquals": {"AWS:REQUESTEDREGION": "eu-west-1"}})
    assert decide(
        [statement], "s3:GetObject", "*", RequestContext({"aws:requestedregion": ("eu-west-1",)})
    ).allowed


def test_unknown_keys_fail_closed_for_allow_and_for_deny() -> None:
    vpc = {"StringEquals": {"aws:SourceVpc": "vpc-1"}}
    allowed = decide([allow("*", Condition=vpc)], "s3:GetObject", "*")
    assert allowed.reason == "implicit-deny"
    assert allowed.not_evaluated == ("p/statement 1: StringEquals aws:SourceVpc",)
    denied = decide([allow("*"), deny("*", Condition=vpc)], "s3:GetObject", "*")
    assert denied.reason == "explicit-deny"
    assert denied.not_evaluated == ("p/statement 2: StringEquals aws:SourceVpc",)


def test_a_false_condition_beats_an_unknown_one() -> None:
    conditions = {
        "StringEquals": {"aws:SourceVpc": "vpc-1", "aws:RequestedRegion": "eu-west-1"},
    }
    context = RequestContext({"aws:requestedregion": ("us-east-1",)})
    decision = decide([allow("*"), deny("*", Condition=conditions)], "s3:GetObject", "*", context)
    assert decision.allowed
    assert decision.not_evaluated == ()
