"""SNS filter policies: each operator on attributes and on the body, as AWS documents them
(https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gearbox.local.sns.filters import matches
from gearbox.local.sns.service import DEFAULT_HTTP_RETRY_POLICY, retry_delays

ATTRS: dict[str, tuple[str, str]] = {
    "store": ("String", "example_corp"),
    "event": ("String", "order_placed"),
    "price_usd": ("Number", "210.75"),
    "customer_interests": ("String.Array", '["soccer", "rugby", "hockey"]'),
    "encrypted": ("Binary", "AAEC"),
}


def attrs(policy: dict[str, Any]) -> bool:
    return matches(policy, "MessageAttributes", ATTRS, "not json")


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ({"store": ["example_corp"]}, True),
        ({"store": ["other", "example_corp"]}, True),  # OR within a key
        ({"store": ["other"]}, False),
        ({"store": ["example_corp"], "event": ["order_cancelled"]}, False),  # AND across keys
        ({"price_usd": [210.75]}, True),
        ({"price_usd": ["210.75"]}, False),  # a string rule does not match a Number
        ({"store": [210]}, False),
        ({"event": [{"prefix": "order_"}]}, True),
        ({"event": [{"prefix": "refund_"}]}, False),
        ({"event": [{"suffix": "_placed"}]}, True),
        ({"store": [{"equals-ignore-case": "EXAMPLE_CORP"}]}, True),
        ({"store": [{"anything-but": "example_corp"}]}, False),
        ({"store": [{"anything-but": ["a", "b"]}]}, True),
        ({"store": [{"anything-but": {"prefix": "example"}}]}, False),
        ({"store": [{"anything-but": {"suffix": "_shop"}}]}, True),
        ({"missing": [{"anything-but": "x"}]}, False),  # a missing key matches only exists:false
        ({"price_usd": [{"numeric": [">", 100]}]}, True),
        ({"price_usd": [{"numeric": [">=", 0, "<", 200]}]}, False),
        ({"price_usd": [{"numeric": [">", 200, "<=", 210.75]}]}, True),
        ({"price_usd": [{"numeric": ["=", 210.75]}]}, True),
        ({"store": [{"numeric": [">", 0]}]}, False),
        ({"store": [{"exists": True}]}, True),
        ({"missing": [{"exists": False}]}, True),
        ({"store": [{"exists": False}]}, False),
        ({"missing": ["x"]}, False),
        ({"encrypted": [{"exists": True}]}, True),
        ({"encrypted": ["AAEC"]}, False),  # binary attributes match nothing but exists
        ({"customer_interests": ["rugby"]}, True),  # String.Array: any element
        ({"customer_interests": ["baseball"]}, False),
        ({"customer_interests": [{"prefix": "hock"}]}, True),
        ({"$or": [{"store": ["nope"]}, {"event": ["order_placed"]}]}, True),
        ({"store": ["example_corp"], "$or": [{"a": ["x"]}, {"b": ["y"]}]}, False),
    ],
)
def test_attribute_scope(policy: dict[str, Any], expected: bool) -> None:
    assert attrs(policy) is expected


BODY = {
    "store": "example_corp",
    "customer": {"id": 42, "tier": "gold", "interests": ["soccer", "rugby"]},
    "total": 15.5,
    "gift": None,
    "express": True,
}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ({"store": ["example_corp"]}, True),
        ({"customer": {"tier": ["gold", "silver"]}}, True),  # nested keys
        ({"customer": {"tier": ["bronze"]}}, False),
        ({"customer": {"id": [{"numeric": [">", 40, "<", 50]}]}}, True),
        ({"customer": {"interests": ["rugby"]}}, True),  # arrays: any element
        ({"customer": {"missing": [{"exists": False}]}}, True),
        ({"customer": {"tier": [{"exists": False}]}}, False),
        ({"total": [15.5]}, True),
        ({"total": ["15.5"]}, False),
        ({"gift": [None]}, True),
        ({"express": [True]}, True),
        ({"store": [{"anything-but": {"prefix": "ex"}}]}, False),
        ({"$or": [{"store": ["x"]}, {"customer": {"tier": ["gold"]}}]}, True),
        ({"nothere": {"deeper": ["x"]}}, False),
    ],
)
def test_body_scope(policy: dict[str, Any], expected: bool) -> None:
    assert matches(policy, "MessageBody", {}, json.dumps(BODY)) is expected


def test_body_scope_needs_a_json_object() -> None:
    assert not matches({"a": ["b"]}, "MessageBody", {}, "plain text")
    assert not matches({"a": ["b"]}, "MessageBody", {}, "[1, 2]")


def test_attribute_scope_ignores_the_body() -> None:
    body = json.dumps({"store": "example_corp"})
    assert not matches({"store": ["example_corp"]}, "MessageAttributes", {}, body)


def test_default_http_retry_policy_is_three_retries_twenty_seconds_apart() -> None:
    assert retry_delays(dict(DEFAULT_HTTP_RETRY_POLICY)) == [20.0, 20.0, 20.0]


def test_retry_phases() -> None:
    policy = {
        "numRetries": 6,
        "numNoDelayRetries": 1,
        "numMinDelayRetries": 1,
        "numMaxDelayRetries": 1,
        "minDelayTarget": 1,
        "maxDelayTarget": 10,
    }
    delays = retry_delays(policy)
    assert delays[:2] == [0.0, 1.0]
    assert delays[-1] == 10.0
    assert len(delays) == 6
    assert delays == sorted(delays)
