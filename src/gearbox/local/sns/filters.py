"""SNS subscription filter policies: does a message match a subscription's policy?

AWS (https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html):

- Scope ``MessageAttributes`` (the default) matches the message's attributes; ``MessageBody``
  matches the message, which must then be a JSON object, and allows nested keys.
- AND across the keys of a policy, OR within the list of a key; ``"$or": [policy, ...]``
  matches when any of its policies does (together with the other keys).
- Operators: exact string, exact number, ``prefix``, ``suffix``, ``equals-ignore-case``,
  ``anything-but`` (a value, a list, or ``{"prefix": ...}`` / ``{"suffix": ...}``),
  ``numeric`` (``=``, ``<``, ``<=``, ``>``, ``>=``, and ranges such as ``[">", 0, "<=", 5]``),
  ``exists``. ``null`` matches a JSON null in the body.
- An attribute of type ``String.Array`` (or a JSON array in the body) matches when any of
  its elements does. ``Number`` attributes match numeric rules; ``String`` attributes string
  rules; ``Binary`` attributes match nothing but ``exists``.
- A missing key matches only ``{"exists": false}``.

The policy's syntax and AWS's limits (5 keys, 150 combinations) are checked when it is set
(moto checks them on Subscribe and SetSubscriptionAttributes); this module assumes a valid
policy and treats anything it does not understand as not matching.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

_MISSING = object()


def matches(
    policy: Mapping[str, Any],
    scope: str,
    attributes: Mapping[str, tuple[str, str]],
    message: str,
) -> bool:
    """Whether a message matches ``policy``.

    ``attributes`` maps a name to (DataType, value as published: the string, or the
    base64 text of a binary value); ``message`` is the message as delivered to this
    subscription's protocol.
    """
    if scope == "MessageBody":
        try:
            body = json.loads(message)
        except ValueError:
            return False
        if not isinstance(body, dict):
            return False
        return _body_matches(policy, body)
    return _attributes_match(policy, attributes)


# attributes scope


def _attributes_match(policy: Mapping[str, Any], attributes: Mapping[str, tuple[str, str]]) -> bool:
    for key, rules in policy.items():
        if key == "$or":
            if not any(_attributes_match(p, attributes) for p in rules if isinstance(p, dict)):
                return False
            continue
        if not isinstance(rules, list):
            return False
        found = attributes.get(key)
        values = [_MISSING] if found is None else _attribute_values(*found)
        if not any(_rule_matches(rule, value) for rule in rules for value in values):
            return False
    return True


def _attribute_values(data_type: str, value: str) -> list[Any]:
    kind = data_type.split(".", 1)[0]
    if data_type == "String.Array":
        try:
            parsed = json.loads(value)
        except ValueError:
            return [value]
        return parsed if isinstance(parsed, list) and parsed else [parsed]
    if kind == "Number":
        try:
            return [_Number(float(value))]
        except ValueError:
            return [value]
    if kind == "Binary":
        return [_Binary()]
    return [value]


class _Number(float):
    """A value that is a number (a ``Number`` attribute or a JSON number)."""


class _Binary:
    """A binary attribute: present, but matched by nothing but ``exists``."""


# body scope


def _body_matches(policy: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    for key, rules in policy.items():
        if key == "$or":
            if not any(_body_matches(p, body) for p in rules if isinstance(p, dict)):
                return False
            continue
        value = body.get(key, _MISSING) if isinstance(body, dict) else _MISSING
        if isinstance(rules, dict):
            if not _body_matches(rules, value if isinstance(value, dict) else {}):
                return False
            continue
        if not isinstance(rules, list):
            return False
        values = [_json_value(v) for v in value] if isinstance(value, list) else [value]
        if not values:
            values = [_MISSING]
        if not any(_rule_matches(rule, _json_value(v)) for rule in rules for v in values):
            return False
    return True


def _json_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or value is _MISSING:
        return value
    if isinstance(value, (int, float)):
        return _Number(float(value))
    return value


# one rule against one value


def _rule_matches(rule: Any, value: Any) -> bool:  # noqa: PLR0911 - one return per kind
    if isinstance(rule, dict):
        return _operator_matches(rule, value)
    if value is _MISSING:
        return False
    if rule is None:
        return value is None
    if isinstance(rule, bool):
        return isinstance(value, bool) and value is rule
    if isinstance(rule, (int, float)):
        return isinstance(value, _Number) and math.isclose(float(value), float(rule))
    if isinstance(rule, str):
        return isinstance(value, str) and not isinstance(value, _Number) and value == rule
    return False


def _operator_matches(rule: Mapping[str, Any], value: Any) -> bool:  # noqa: PLR0911
    if len(rule) != 1:
        return False
    [(name, operand)] = rule.items()
    if name == "exists":
        return (value is not _MISSING) is bool(operand)
    if value is _MISSING or isinstance(value, _Binary):
        return False
    text = value if isinstance(value, str) and not isinstance(value, _Number) else None
    if name == "prefix":
        return text is not None and text.startswith(str(operand))
    if name == "suffix":
        return text is not None and text.endswith(str(operand))
    if name == "equals-ignore-case":
        return text is not None and text.lower() == str(operand).lower()
    if name == "numeric":
        return isinstance(value, _Number) and _numeric_matches(operand, float(value))
    if name == "anything-but":
        return _anything_but(operand, value, text)
    return False


def _anything_but(operand: Any, value: Any, text: str | None) -> bool:
    if isinstance(operand, dict):
        if "prefix" in operand:
            return text is not None and not text.startswith(str(operand["prefix"]))
        if "suffix" in operand:
            return text is not None and not text.endswith(str(operand["suffix"]))
        if "equals-ignore-case" in operand:
            others = operand["equals-ignore-case"]
            others = others if isinstance(others, list) else [others]
            return text is not None and text.lower() not in {str(o).lower() for o in others}
        return False
    excluded = operand if isinstance(operand, list) else [operand]
    return not any(_rule_matches(e, value) for e in excluded if not isinstance(e, dict))


def _numeric_matches(conditions: Any, number: float) -> bool:
    if not isinstance(conditions, list) or len(conditions) % 2:
        return False
    for operator, bound in zip(conditions[::2], conditions[1::2], strict=True):
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            return False
        limit = float(bound)
        ok = {
            "=": math.isclose(number, limit),
            "<": number < limit,
            "<=": number <= limit,
            ">": number > limit,
            ">=": number >= limit,
        }.get(operator)
        if not ok:
            return False
    return True
