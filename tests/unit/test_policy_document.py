"""Policy documents: what parses, and what a malformed hand-written policy is told."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gearbox.errors import PolicyError
from gearbox.policy.document import parse_policy, statements_of

GOOD = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}


def doc(*statements: Any, **top: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements), **top}


def test_a_policy_parses_from_text_or_object() -> None:
    text = json.dumps(doc(GOOD, {**GOOD, "Sid": "Two", "Effect": "Deny"}))
    policy = parse_policy(text, name="inline")
    assert policy.name == "inline"
    assert [s.effect for s in policy.statements] == ["Allow", "Deny"]
    assert policy.statements[1].label == "Two"
    assert policy.statements[0].label == "statement 1"
    assert policy.statements[0].actions == ("s3:GetObject",)


def test_missing_version_means_2008_without_variables() -> None:
    policy = parse_policy({"Statement": GOOD})
    assert policy.version == "2008-10-17"
    assert not policy.variables


def test_condition_values_of_any_json_scalar_become_text() -> None:
    statement = {
        **GOOD,
        "Condition": {
            "Bool": {"aws:SecureTransport": True},
            "NumericLessThan": {"s3:max-keys": [10, 2.5]},
        },
    }
    (condition_bool, condition_num) = parse_policy(doc(statement)).statements[0].conditions
    assert condition_bool.values == ("true",)
    assert condition_num.values == ("10", "2.5")


def test_operators_with_qualifiers_and_if_exists() -> None:
    statement = {**GOOD, "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": "a*"}}}
    (condition,) = parse_policy(doc(statement)).statements[0].conditions
    assert (condition.qualifier, condition.base, condition.if_exists) == (
        "ForAnyValue",
        "StringLike",
        True,
    )


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps([GOOD]), "must be a JSON object"),
        (
            {"Version": "2012-10-18", "Statement": GOOD},
            "Version must be one of 2012-10-17, 2008-10-17",
        ),
        ({"Version": "2012-10-17"}, "missing Statement"),
        ({"Version": "2012-10-17", "Statement": []}, "non-empty list"),
        (
            {"Version": "2012-10-17", "Statement": GOOD, "Statment": []},
            "unknown element(s) Statment",
        ),
        (doc({**GOOD, "Effect": "allow"}), "Effect must be 'Allow' or 'Deny', not 'allow'"),
        (doc({"Action": "s3:*", "Resource": "*"}), "Effect must be 'Allow' or 'Deny', not None"),
        (doc({"Effect": "Allow", "Resource": "*"}), "statement 1: missing Action (or NotAction)"),
        (doc({"Effect": "Allow", "Action": "s3:*"}), "missing Resource (or NotResource)"),
        (doc({**GOOD, "NotAction": "s3:*"}), "has both Action and NotAction"),
        (doc({**GOOD, "NotResource": "*"}), "has both Resource and NotResource"),
        (doc({**GOOD, "Principal": "*"}), "must not name a Principal"),
        (
            doc({**GOOD, "Action": "GetObject"}),
            "action 'GetObject' is not of the form service:name",
        ),
        (doc({**GOOD, "Action": []}), "Action must be a string or a non-empty list"),
        (doc({**GOOD, "Action": ["s3:GetObject", 3]}), "must hold only non-empty strings"),
        (doc({**GOOD, "Resource": "my-bucket"}), "resource 'my-bucket' must be '*' or an ARN"),
        (doc({**GOOD, "Sid": "has space"}), "Sid must be alphanumeric"),
        (doc({**GOOD, "Sid": "A"}, {**GOOD, "Sid": "A"}), "Sid 'A' is not unique"),
        (doc({**GOOD, "Effects": "Allow"}), "unknown element(s) Effects"),
        (
            doc({**GOOD, "Condition": {"StringEqual": {"k": "v"}}}),
            "unknown condition operator 'StringEqual'",
        ),
        (
            doc({**GOOD, "Condition": {"NullIfExists": {"k": "true"}}}),
            "unknown condition operator 'NullIfExists'",
        ),
        (
            doc({**GOOD, "Condition": {"ForSomeValues:StringEquals": {"k": "v"}}}),
            "unknown condition operator",
        ),
        (doc({**GOOD, "Condition": {"StringEquals": "v"}}), "must be an object of condition keys"),
        (doc({**GOOD, "Condition": {"StringEquals": {"k": []}}}), "has no value"),
        (doc({**GOOD, "Condition": {"StringEquals": {"k": {"a": 1}}}}), "values must be strings"),
        (doc({**GOOD, "Condition": []}), "Condition must be an object"),
        (doc("s3:*"), "statement 1 is not a JSON object"),
    ],
)
def test_malformed_policies_are_rejected_with_the_reason(document: Any, reason: str) -> None:
    with pytest.raises(PolicyError, match=r"^policy hand-written: ") as caught:
        parse_policy(document, name="hand-written")
    assert reason in str(caught.value)


def test_a_list_document_is_rejected_when_given_as_an_object() -> None:
    with pytest.raises(PolicyError, match="must be a JSON object"):
        parse_policy([GOOD])  # type: ignore[arg-type]


def test_messages_name_the_statement_by_sid() -> None:
    with pytest.raises(PolicyError, match="statement 'ReadAll': Effect must be"):
        parse_policy(doc(GOOD, {**GOOD, "Sid": "ReadAll", "Effect": "Permit"}))


def test_statements_of_reads_one_statement_or_a_list_leniently() -> None:
    one = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}
    assert statements_of({"Statement": one}) == [one]
    assert statements_of({"Statement": [one, one]}) == [one, one]
    for broken in ({}, {"Statement": None}, {"Statement": "Allow"}, {"Statement": 3}):
        assert statements_of(broken) == []
