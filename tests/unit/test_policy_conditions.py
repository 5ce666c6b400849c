"""Each IAM condition operator, as the IAM User Guide's "Condition operators" page defines it.

``check(operator, key, policy_values, context_values)``: the result of one condition; context
values None means the key is absent from a request that knows it.
"""

from __future__ import annotations

import pytest

from gearbox.policy.conditions import RequestContext, evaluate_condition
from gearbox.policy.document import Condition, split_operator

KEY = "test:key"


def check(
    operator: str, values: list[str] | str, context: list[str] | str | None, known: bool = True
) -> bool | None:
    qualifier, base, if_exists = split_operator(operator)
    condition = Condition(
        operator=operator,
        base=base,
        qualifier=qualifier,
        if_exists=if_exists,
        key=KEY,
        values=tuple([values] if isinstance(values, str) else values),
    )
    present = (
        {} if context is None else {KEY: tuple([context] if isinstance(context, str) else context)}
    )
    request = RequestContext(present, known=frozenset({KEY}) if known else frozenset())
    return evaluate_condition(condition, request, variables=True)


@pytest.mark.parametrize(
    ("operator", "policy", "value", "expected"),
    [
        ("StringEquals", "abc", "abc", True),
        ("StringEquals", "abc", "ABC", False),
        ("StringEquals", ["x", "abc"], "abc", True),  # values are ORed
        ("StringNotEquals", "abc", "abc", False),
        ("StringNotEquals", ["x", "y"], "abc", True),
        ("StringNotEquals", ["x", "abc"], "abc", False),  # matches none of them, or false
        ("StringEqualsIgnoreCase", "abc", "ABC", True),
        ("StringNotEqualsIgnoreCase", "abc", "ABC", False),
        ("StringLike", "a*c", "abbbc", True),
        ("StringLike", "a?c", "abbc", False),
        ("StringLike", "home/*", "home/ana/x", True),
        ("StringNotLike", "a*", "abc", False),
        ("StringNotLike", "b*", "abc", True),
        ("NumericEquals", "10", "10.0", True),
        ("NumericNotEquals", "10", "11", True),
        ("NumericLessThan", "10", "9", True),
        ("NumericLessThan", "10", "10", False),
        ("NumericLessThanEquals", "10", "10", True),
        ("NumericGreaterThan", "10", "11", True),
        ("NumericGreaterThanEquals", "10", "9", False),
        ("NumericEquals", "10", "ten", False),
        ("DateEquals", "2026-01-01T00:00:00Z", "1767225600", True),
        ("DateNotEquals", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", True),
        ("DateLessThan", "2026-01-01T00:00:00Z", "2025-12-31T23:59:59Z", True),
        ("DateLessThanEquals", "2026-01-01", "2026-01-01T00:00:00Z", True),
        ("DateGreaterThan", "2026-01-01T00:00:00Z", "2026-06-01T00:00:00Z", True),
        ("DateGreaterThanEquals", "2026-01-01T00:00:00Z", "2025-06-01T00:00:00Z", False),
        ("Bool", "true", "true", True),
        ("Bool", "true", "false", False),
        ("Bool", "TRUE", "true", True),
        ("BinaryEquals", "QmluYXJ5", "QmluYXJ5", True),
        ("BinaryEquals", "QmluYXJ5", "T3RoZXI=", False),
        ("IpAddress", "127.0.0.0/8", "127.0.0.1", True),
        ("IpAddress", "10.0.0.0/8", "127.0.0.1", False),
        ("IpAddress", "203.0.113.7", "203.0.113.7", True),
        ("IpAddress", "2001:db8::/32", "2001:db8::1", True),
        ("NotIpAddress", "10.0.0.0/8", "127.0.0.1", True),
        ("NotIpAddress", "127.0.0.0/8", "127.0.0.1", False),
        ("ArnEquals", "arn:aws:sqs:us-east-1:1:q", "arn:aws:sqs:us-east-1:1:q", True),
        ("ArnLike", "arn:aws:sqs:*:1:q-*", "arn:aws:sqs:eu-west-1:1:q-dlq", True),
        ("ArnLike", "arn:aws:sqs:*:1:q", "arn:aws:sns:eu-west-1:1:q", False),
        ("ArnLike", "arn:aws:s3:::b/*", "arn:aws:s3:::b/x:y", True),
        ("ArnNotEquals", "arn:aws:sqs:us-east-1:1:q", "arn:aws:sqs:us-east-1:1:q", False),
        ("ArnNotLike", "arn:aws:sqs:*:1:other", "arn:aws:sqs:us-east-1:1:q", True),
    ],
)
def test_operators(operator: str, policy: list[str] | str, value: str, expected: bool) -> None:
    assert check(operator, policy, value) is expected


def test_arn_like_wildcards_do_not_cross_colons() -> None:
    assert check("ArnLike", "arn:aws:sqs:us-*:1:q", "arn:aws:sqs:us-east-1:x:1:q") is False
    assert check("ArnLike", "arn:aws:sqs:*:*:*", "arn:aws:sqs:us-east-1:1:q") is True
    # a pattern of fewer than six parts is matched as a whole
    assert check("ArnLike", "arn:aws:sqs:*", "arn:aws:sqs:us-east-1:1:q") is True


@pytest.mark.parametrize(
    ("operator", "expected"),
    [
        ("StringEquals", False),
        ("StringLike", False),
        ("NumericLessThan", False),
        ("Bool", False),
        ("IpAddress", False),
        ("ArnLike", False),
        ("StringNotEquals", True),  # a negated operator holds on a missing key
        ("StringNotLike", True),
        ("ArnNotLike", True),
        ("NotIpAddress", True),
        ("StringEqualsIfExists", True),
        ("BoolIfExists", True),
        ("StringNotEqualsIfExists", True),
    ],
)
def test_missing_keys(operator: str, expected: bool) -> None:
    assert check(operator, "x", None) is expected


def test_if_exists_still_checks_a_present_key() -> None:
    assert check("StringEqualsIfExists", "x", "y") is False
    assert check("StringEqualsIfExists", "x", "x") is True


def test_null() -> None:
    assert check("Null", "true", None) is True
    assert check("Null", "true", "value") is False
    assert check("Null", "false", "value") is True
    assert check("Null", "false", None) is False


def test_for_all_values() -> None:
    assert check("ForAllValues:StringEquals", ["a", "b"], ["a", "b"]) is True
    assert check("ForAllValues:StringEquals", ["a", "b"], ["a", "c"]) is False
    assert check("ForAllValues:StringEquals", ["a"], None) is True  # vacuously true
    assert check("ForAllValues:StringLike", ["a*"], ["ab", "ac"]) is True
    assert check("ForAllValues:StringNotEquals", ["x"], ["a", "b"]) is True
    assert check("ForAllValues:StringNotEquals", ["a"], ["a", "b"]) is False


def test_for_any_value() -> None:
    assert check("ForAnyValue:StringEquals", ["a"], ["a", "z"]) is True
    assert check("ForAnyValue:StringEquals", ["a"], ["y", "z"]) is False
    assert check("ForAnyValue:StringEquals", ["a"], None) is False
    assert check("ForAnyValue:StringNotEquals", ["a"], ["a", "b"]) is True
    assert check("ForAnyValue:StringEqualsIfExists", ["a"], None) is True


def test_single_valued_operators_on_several_context_values() -> None:
    assert check("StringEquals", "a", ["b", "a"]) is True
    assert check("StringNotEquals", "a", ["b", "a"]) is False


def test_a_key_the_local_cloud_does_not_supply_is_not_evaluated() -> None:
    assert check("StringEquals", "x", None, known=False) is None
    assert check("Null", "true", None, known=False) is None


def test_known_prefixes_and_values_count_as_known() -> None:
    context = RequestContext(
        {"aws:requestedregion": ("us-east-1",)}, known_prefixes=("aws:principaltag/",)
    )
    assert context.knows("aws:RequestedRegion")
    assert context.knows("aws:PrincipalTag/team")
    assert not context.knows("aws:SourceVpc")


def test_policy_variables_in_condition_values() -> None:
    condition = Condition(
        "StringLike", "StringLike", None, False, "s3:prefix", ("home/${aws:username}/*",)
    )
    context = RequestContext({"s3:prefix": ("home/ana/docs",), "aws:username": ("ana",)})
    assert evaluate_condition(condition, context, variables=True) is True
    assert evaluate_condition(condition, context, variables=False) is False
    other = RequestContext({"s3:prefix": ("home/bob/docs",), "aws:username": ("ana",)})
    assert evaluate_condition(condition, other, variables=True) is False
