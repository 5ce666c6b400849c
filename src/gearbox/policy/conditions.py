"""The request context and the ``Condition`` operators of IAM, evaluated as AWS documents them.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html

- Several values for one key are ORed; for a negated operator (``StringNotEquals``,
  ``ArnNotLike``, ``NotIpAddress``, ...) the test holds when the context value matches none
  of them.
- A key missing from the request context makes a positive operator false and a negated one
  true; ``...IfExists`` makes any operator true; ``Null: true`` asks for the key to be missing.
- ``ForAllValues:`` holds when every context value matches (and when there are none);
  ``ForAnyValue:`` when at least one does.
- ``Arn*`` operators and the ``Resource`` element compare the six colon-separated parts of an
  ARN one by one, so ``*`` and ``?`` never cross a colon there; a pattern of fewer parts
  (``arn:aws:sqs:*``) is matched as a whole.
- Policy variables (``${aws:username}``, ``${aws:PrincipalTag/team, 'none'}``, ``${*}``) are
  substituted in resources and condition values of Version 2012-10-17 policies; a variable
  whose key is missing (and has no default) makes that value match nothing.

Tri-state: a condition on a key the local cloud cannot supply (``RequestContext.knows`` says
no, e.g. ``aws:SourceVpc``, ``aws:ResourceTag/...``) evaluates to ``None``, "not evaluated";
``gearbox.policy.evaluate`` decides what that means for the statement.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gearbox.policy.document import Condition

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True)
class RequestContext:
    """The condition keys of one request. ``values`` is keyed by the lower-cased key name;
    ``known`` (lower-cased names) and ``known_prefixes`` list the keys whose absence from
    ``values`` is a fact about the request rather than a gap of the local cloud."""

    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    known: frozenset[str] = frozenset()
    known_prefixes: tuple[str, ...] = ()

    def knows(self, key: str) -> bool:
        key = key.lower()
        return key in self.values or key in self.known or key.startswith(self.known_prefixes)

    def get(self, key: str) -> tuple[str, ...]:
        return self.values.get(key.lower(), ())


# policy variables and wildcards


def substitute(text: str, context: RequestContext, variables: bool) -> str | None:
    """``text`` with its policy variables replaced; None when one has no value."""
    if not variables or "${" not in text:
        return text
    missing = False

    def value(match: re.Match[str]) -> str:
        nonlocal missing
        found = _variable(match.group(1), context)
        if found is None:
            missing = True
            return ""
        return found

    result = _VARIABLE.sub(value, text)
    return None if missing else result


def _variable(body: str, context: RequestContext) -> str | None:
    body = body.strip()
    if body in _SPECIAL:
        return _SPECIAL[body]
    key, comma, default = body.partition(",")
    values = context.get(key.strip())
    if len(values) == 1:
        return values[0]
    if comma and not values:
        return default.strip().strip("'")
    return None


def glob(
    pattern: str, context: RequestContext, variables: bool, ignore_case: bool = False
) -> re.Pattern[str] | None:
    """The regex of an IAM wildcard pattern (``*`` any run, ``?`` one character); None when
    a policy variable in it has no value. Substituted text is literal, wildcards and all."""
    if not variables or "${" not in pattern:
        return _compiled(pattern, ignore_case)
    regex = ""
    position = 0
    for match in _VARIABLE.finditer(pattern):
        regex += _glob_regex(pattern[position : match.start()])
        found = _variable(match.group(1), context)
        if found is None:
            return None
        regex += re.escape(found)
        position = match.end()
    regex += _glob_regex(pattern[position:])
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(_glob_regex(pattern), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _glob_regex(pattern: str) -> str:
    return "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)


def like(pattern: str, value: str, context: RequestContext, variables: bool) -> bool:
    regex = glob(pattern, context, variables)
    return regex is not None and regex.fullmatch(value) is not None


def arn_like(pattern: str, value: str, context: RequestContext, variables: bool) -> bool:
    """Whether ARN ``value`` matches ``pattern`` part by part (``*`` alone matches all)."""
    if pattern == "*":
        return True
    parts = _arn_parts(pattern)
    values = value.split(":", 5)
    if len(parts) != 6 or len(values) != 6:
        return like(pattern, value, context, variables)
    return all(like(p, v, context, variables) for p, v in zip(parts, values, strict=True))


@functools.lru_cache(maxsize=4096)
def _arn_parts(pattern: str) -> tuple[str, ...]:
    """Split at the first five colons outside ``${...}``."""
    parts: list[str] = []
    depth = 0
    start = 0
    for i, c in enumerate(pattern):
        if pattern.startswith("${", i):
            depth += 1
        elif c == "}" and depth:
            depth -= 1
        elif c == ":" and not depth and len(parts) < 5:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return tuple(parts)


# the operators


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> float | None:
    number = _number(text)
    if number is not None:
        return number
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def _compare(parse: Callable[[str], float | None], test: Callable[[float, float], bool]) -> Test:
    def check(value: str, policy: str, context: RequestContext, variables: bool) -> bool:
        a, b = parse(value), parse(policy)
        return a is not None and b is not None and test(a, b)

    return check


def _in_network(value: str, policy: str, context: RequestContext, variables: bool) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(policy, strict=False)
    except ValueError:
        return False


def _binary(value: str, policy: str, context: RequestContext, variables: bool) -> bool:
    try:
        return base64.b64decode(value) == base64.b64decode(policy)
    except ValueError:
        return False


def _plain(test: Callable[[str, str], bool]) -> Test:
    def check(value: str, policy: str, context: RequestContext, variables: bool) -> bool:
        substituted = substitute(policy, context, variables)
        return substituted is not None and test(value, substituted)

    return check


Test = Callable[[str, str, RequestContext, bool], bool]
_EQUALS = _plain(lambda a, b: a == b)
_EQUALS_IGNORE_CASE = _plain(lambda a, b: a.casefold() == b.casefold())
_NUMERIC_EQUALS = _compare(_number, lambda a, b: a == b)
_DATE_EQUALS = _compare(_date, lambda a, b: a == b)
# base operator -> (test of one context value against one policy value, negated)
OPERATORS: dict[str, tuple[Test, bool]] = {
    "StringEquals": (_EQUALS, False),
    "StringNotEquals": (_EQUALS, True),
    "StringEqualsIgnoreCase": (_EQUALS_IGNORE_CASE, False),
    "StringNotEqualsIgnoreCase": (_EQUALS_IGNORE_CASE, True),
    "StringLike": (lambda v, p, c, x: like(p, v, c, x), False),
    "StringNotLike": (lambda v, p, c, x: like(p, v, c, x), True),
    "NumericEquals": (_NUMERIC_EQUALS, False),
    "NumericNotEquals": (_NUMERIC_EQUALS, True),
    "NumericLessThan": (_compare(_number, lambda a, b: a < b), False),
    "NumericLessThanEquals": (_compare(_number, lambda a, b: a <= b), False),
    "NumericGreaterThan": (_compare(_number, lambda a, b: a > b), False),
    "NumericGreaterThanEquals": (_compare(_number, lambda a, b: a >= b), False),
    "DateEquals": (_DATE_EQUALS, False),
    "DateNotEquals": (_DATE_EQUALS, True),
    "DateLessThan": (_compare(_date, lambda a, b: a < b), False),
    "DateLessThanEquals": (_compare(_date, lambda a, b: a <= b), False),
    "DateGreaterThan": (_compare(_date, lambda a, b: a > b), False),
    "DateGreaterThanEquals": (_compare(_date, lambda a, b: a >= b), False),
    "Bool": (_plain(lambda a, b: a.lower() == b.lower()), False),
    "BinaryEquals": (_binary, False),
    "IpAddress": (_in_network, False),
    "NotIpAddress": (_in_network, True),
    "ArnEquals": (lambda v, p, c, x: arn_like(p, v, c, x), False),
    "ArnLike": (lambda v, p, c, x: arn_like(p, v, c, x), False),
    "ArnNotEquals": (lambda v, p, c, x: arn_like(p, v, c, x), True),
    "ArnNotLike": (lambda v, p, c, x: arn_like(p, v, c, x), True),
}


def evaluate_condition(
    condition: Condition, context: RequestContext, variables: bool
) -> bool | None:
    """Whether ``condition`` holds for ``context``; None when its key is not one the local
    cloud supplies (not evaluated)."""
    if not context.knows(condition.key):
        return None
    values = context.get(condition.key)
    if condition.base == "Null":
        return any((p.lower() == "true") == (not values) for p in condition.values)
    test, negated = OPERATORS[condition.base]

    def holds(value: str) -> bool:
        matched = any(test(value, p, context, variables) for p in condition.values)
        return matched != negated

    if not values:
        return (
            condition.if_exists
            or condition.qualifier == "ForAllValues"
            or (negated and condition.qualifier is None)
        )
    if condition.qualifier == "ForAnyValue" or (condition.qualifier is None and not negated):
        return any(holds(v) for v in values)
    return all(holds(v) for v in values)  # ForAllValues, or a negated operator
