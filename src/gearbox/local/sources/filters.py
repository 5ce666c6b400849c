"""Filter criteria of an event source mapping: EventBridge-style patterns on SQS records.

AWS ("Control which events Lambda sends to your function",
https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html): a mapping holds
up to 5 filters; a record is sent to the function when it matches any of them, and for SQS a
record that matches none is deleted from the queue. A pattern is matched against the record
as Lambda builds it (``body``, ``attributes``, ``messageAttributes``, ...); when the body is
valid JSON the ``body`` key is matched against the parsed JSON, otherwise against the plain
string (a pattern on fields inside ``body`` then never matches).

Within a pattern keys are ANDed and the values listed for a key are ORed. Operators: exact
values (string, number, null), ``prefix``, ``suffix``, ``anything-but`` (a value, a list, or
``{"prefix": ...}``), ``numeric`` (``["<", 10, ">=", 0]``), ``exists``,
``equals-ignore-case`` and ``$or``. When the record's value is a list, the key matches when
any element does. A malformed pattern raises ``FilterError`` (the API answers
``InvalidParameterValueException``).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

MAX_FILTERS = 5
_NUMERIC_OPS = {"<", "<=", "=", ">", ">="}
_MISSING = object()

Pattern = dict[str, Any]


class FilterError(ValueError):
    """The filter criteria are not valid patterns."""


def compile_criteria(criteria: Any) -> list[Pattern]:
    """Parse and check ``FilterCriteria`` (``{"Filters": [{"Pattern": "<json>"}]}``)."""
    if criteria is None:
        return []
    if not isinstance(criteria, Mapping):
        raise FilterError("Invalid filter pattern definition.")
    filters = criteria.get("Filters") or []
    if not isinstance(filters, list):
        raise FilterError("Invalid filter pattern definition.")
    if len(filters) > MAX_FILTERS:
        raise FilterError(
            f"Filter criteria can contain at most {MAX_FILTERS} filters (got {len(filters)})."
        )
    patterns: list[Pattern] = []
    for entry in filters:
        raw = entry.get("Pattern") if isinstance(entry, Mapping) else None
        if not isinstance(raw, str):
            raise FilterError("Invalid filter pattern definition.")
        try:
            pattern = json.loads(raw)
        except ValueError as exc:
            raise FilterError(f"Invalid filter pattern definition: {raw}") from exc
        _check_object(pattern, raw)
        patterns.append(pattern)
    return patterns


def matches_any(patterns: list[Pattern], record: Mapping[str, Any]) -> bool:
    """True when there are no patterns or ``record`` matches one of them."""
    if not patterns:
        return True
    subject = filter_subject(record)
    return any(_match_object(p, subject) for p in patterns)


def filter_subject(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record as patterns see it: the body parsed when it is JSON."""
    subject = dict(record)
    body = subject.get("body")
    if isinstance(body, str):
        with contextlib.suppress(ValueError):
            subject["body"] = json.loads(body)
    return subject


# checking


def _check_object(pattern: Any, raw: str) -> None:
    if not isinstance(pattern, dict) or not pattern:
        raise FilterError(f"Invalid filter pattern definition: {raw}")
    for key, value in pattern.items():
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2:
                raise FilterError(f"Invalid filter pattern definition: {raw}")
            for alternative in value:
                _check_object(alternative, raw)
        elif isinstance(value, dict):
            _check_object(value, raw)
        elif isinstance(value, list) and value:
            for matcher in value:
                _check_matcher(matcher, raw)
        else:
            raise FilterError(f"Invalid filter pattern definition: {raw}")


def _check_matcher(matcher: Any, raw: str) -> None:  # noqa: C901, PLR0912
    bad = FilterError(f"Invalid filter pattern definition: {raw}")
    if matcher is None or isinstance(matcher, str | int | float | bool):
        return
    if not isinstance(matcher, dict) or len(matcher) != 1:
        raise bad
    [(operator, value)] = matcher.items()
    if operator in ("prefix", "suffix", "equals-ignore-case"):
        if not isinstance(value, str):
            raise bad
    elif operator == "exists":
        if not isinstance(value, bool):
            raise bad
    elif operator == "anything-but":
        if isinstance(value, dict):
            if set(value) - {"prefix", "suffix"} or not all(
                isinstance(v, str) for v in value.values()
            ):
                raise bad
        elif isinstance(value, list):
            if not value or not all(_is_number(v) or isinstance(v, str) for v in value):
                raise bad
        elif not (_is_number(value) or isinstance(value, str)):
            raise bad
    elif operator == "numeric":
        if not isinstance(value, list) or not value or len(value) % 2 or len(value) > 4:
            raise bad
        for op, bound in zip(value[::2], value[1::2], strict=True):
            if op not in _NUMERIC_OPS or not _is_number(bound):
                raise bad
    else:
        raise bad


# matching


def _match_object(pattern: Pattern, subject: Any) -> bool:
    for key, expected in pattern.items():
        if key == "$or":
            if not any(_match_object(alt, subject) for alt in expected):
                return False
            continue
        value = subject.get(key, _MISSING) if isinstance(subject, dict) else _MISSING
        if isinstance(expected, dict):
            if not isinstance(value, dict) or not _match_object(expected, value):
                return False
        elif not any(_match_value(m, value) for m in expected):
            return False
    return True


def _match_value(matcher: Any, value: Any) -> bool:
    if isinstance(matcher, dict) and "exists" in matcher:
        present = value is not _MISSING and not (isinstance(value, list) and not value)
        return present if matcher["exists"] else not present
    if value is _MISSING:
        return False
    if isinstance(value, list):
        return any(_match_one(matcher, v) for v in value)
    return _match_one(matcher, value)


def _match_one(matcher: Any, value: Any) -> bool:  # noqa: PLR0911
    if not isinstance(matcher, dict):
        if _is_number(matcher) and _is_number(value):
            return float(matcher) == float(value)
        return type(matcher) is type(value) and bool(matcher == value)
    [(operator, operand)] = matcher.items()
    if operator == "prefix":
        return isinstance(value, str) and value.startswith(operand)
    if operator == "suffix":
        return isinstance(value, str) and value.endswith(operand)
    if operator == "equals-ignore-case":
        return isinstance(value, str) and value.casefold() == operand.casefold()
    if operator == "anything-but":
        if isinstance(operand, dict):
            if not isinstance(value, str):
                return False
            if "prefix" in operand and value.startswith(operand["prefix"]):
                return False
            return not ("suffix" in operand and value.endswith(operand["suffix"]))
        excluded = operand if isinstance(operand, list) else [operand]
        return not any(_match_one(e, value) for e in excluded)
    if operator == "numeric":
        if not _is_number(value):
            return False
        return all(
            _compare(float(value), op, float(bound))
            for op, bound in zip(operand[::2], operand[1::2], strict=True)
        )
    return False


def _compare(value: float, op: str, bound: float) -> bool:
    return {
        "<": value < bound,
        "<=": value <= bound,
        "=": value == bound,
        ">": value > bound,
        ">=": value >= bound,
    }[op]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
