"""Filter criteria as Lambda applies them to SQS records (invocation-eventfiltering.html)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gearbox.local.sources.filters import FilterError, compile_criteria, matches_any


def criteria(*patterns: Any) -> dict[str, Any]:
    return {"Filters": [{"Pattern": json.dumps(p)} for p in patterns]}


def record(body: Any, **attributes: str) -> dict[str, Any]:
    return {
        "messageId": "m",
        "body": body if isinstance(body, str) else json.dumps(body),
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {
            k: {
                "stringValue": v,
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": "String",
            }
            for k, v in attributes.items()
        },
        "eventSource": "aws:sqs",
    }


def test_no_criteria_matches_everything() -> None:
    assert matches_any(compile_criteria(None), record("x"))


@pytest.mark.parametrize(
    ("pattern", "body", "expected"),
    [
        ({"body": {"kind": ["order"]}}, {"kind": "order"}, True),
        ({"body": {"kind": ["order"]}}, {"kind": "refund"}, False),
        ({"body": {"kind": ["order", "refund"]}}, {"kind": "refund"}, True),  # OR in a list
        ({"body": {"kind": ["order"], "n": [1]}}, {"kind": "order", "n": 2}, False),  # AND
        ({"body": {"n": [5]}}, {"n": 5.0}, True),
        ({"body": {"n": ["5"]}}, {"n": 5}, False),
        ({"body": {"x": [None]}}, {"x": None}, True),
        ({"body": {"kind": [{"prefix": "ord"}]}}, {"kind": "order"}, True),
        ({"body": {"kind": [{"suffix": "der"}]}}, {"kind": "order"}, True),
        ({"body": {"kind": [{"suffix": "x"}]}}, {"kind": "order"}, False),
        ({"body": {"kind": [{"anything-but": "order"}]}}, {"kind": "refund"}, True),
        ({"body": {"kind": [{"anything-but": ["order", "refund"]}]}}, {"kind": "refund"}, False),
        ({"body": {"kind": [{"anything-but": {"prefix": "ord"}}]}}, {"kind": "order"}, False),
        ({"body": {"n": [{"numeric": [">", 0, "<=", 10]}]}}, {"n": 10}, True),
        ({"body": {"n": [{"numeric": [">", 0, "<=", 10]}]}}, {"n": 11}, False),
        ({"body": {"n": [{"numeric": ["=", 3]}]}}, {"n": "3"}, False),
        ({"body": {"n": [{"exists": True}]}}, {"n": 1}, True),
        ({"body": {"n": [{"exists": True}]}}, {"m": 1}, False),
        ({"body": {"n": [{"exists": False}]}}, {"m": 1}, True),
        ({"body": {"n": [{"exists": False}]}}, {"n": 1}, False),
        ({"body": {"kind": [{"equals-ignore-case": "ORDER"}]}}, {"kind": "Order"}, True),
        ({"body": {"tags": ["red"]}}, {"tags": ["blue", "red"]}, True),  # any element
        ({"body": {"a": {"b": ["c"]}}}, {"a": {"b": "c"}}, True),  # nested
        ({"body": {"a": {"b": ["c"]}}}, {"a": "c"}, False),
        (
            {"body": {"$or": [{"kind": ["order"]}, {"n": [{"numeric": [">", 100]}]}]}},
            {"kind": "refund", "n": 500},
            True,
        ),
        (
            {"body": {"$or": [{"kind": ["order"]}, {"n": [{"numeric": [">", 100]}]}]}},
            {"kind": "refund", "n": 5},
            False,
        ),
        ({"body": ["plain text"]}, "plain text", True),  # a body that is not JSON
        ({"body": {"kind": ["order"]}}, "plain text", False),
    ],
)
def test_body_patterns(pattern: dict[str, Any], body: Any, expected: bool) -> None:
    assert matches_any(compile_criteria(criteria(pattern)), record(body)) is expected


def test_message_attributes_and_attributes() -> None:
    patterns = compile_criteria(
        criteria({"messageAttributes": {"colour": {"stringValue": ["red"]}}})
    )
    assert matches_any(patterns, record({}, colour="red"))
    assert not matches_any(patterns, record({}, colour="blue"))
    assert not matches_any(patterns, record({}))
    patterns = compile_criteria(criteria({"attributes": {"ApproximateReceiveCount": ["1"]}}))
    assert matches_any(patterns, record({}))


def test_filters_are_ored() -> None:
    patterns = compile_criteria(criteria({"body": {"kind": ["a"]}}, {"body": {"kind": ["b"]}}))
    assert matches_any(patterns, record({"kind": "b"}))
    assert not matches_any(patterns, record({"kind": "c"}))


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        '{"body": "order"}',  # leaves must be lists
        '{"body": {"kind": []}}',
        '{"body": {"kind": [{"unknown-op": 1}]}}',
        '{"body": {"kind": [{"prefix": 1}]}}',
        '{"body": {"n": [{"numeric": [">", "x"]}]}}',
        '{"body": {"n": [{"numeric": ["!", 1]}]}}',
        '{"body": {"n": [{"exists": "yes"}]}}',
        '{"$or": [{"a": ["b"]}]}',
    ],
)
def test_malformed_patterns_are_rejected(raw: str) -> None:
    with pytest.raises(FilterError):
        compile_criteria({"Filters": [{"Pattern": raw}]})


def test_at_most_five_filters() -> None:
    with pytest.raises(FilterError):
        compile_criteria(criteria(*({"body": {"n": [i]}} for i in range(6))))
