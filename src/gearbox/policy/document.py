"""IAM identity-based policy documents: parsed, validated and kept in a form fit to evaluate.

``parse_policy`` takes the JSON text (or the decoded object) of a policy attached to a user or
role and returns a ``Policy``, or raises ``gearbox.errors.PolicyError`` naming the statement and
the reason, as IAM's ``MalformedPolicyDocument`` does: an unknown ``Version``, an ``Effect``
other than ``Allow``/``Deny``, a statement without ``Action``/``NotAction`` or without
``Resource``/``NotResource``, both of a pair, a ``Principal`` (identity policies have none), an
action not of the form ``service:name``, a resource that is neither ``*`` nor an ARN, an unknown
condition operator, duplicate or non-alphanumeric ``Sid``\\ s, unknown elements.

What it does not do: check that actions or condition keys exist in AWS's catalogue (IAM's
policy validator warns about those; it does not reject them), or validate resource-based
policies (bucket, queue, function policies), which have a ``Principal``.

Values of a policy are kept as written; condition values given as JSON numbers or booleans
become their JSON text (``true``), as IAM stores them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from gearbox.errors import PolicyError

VERSIONS = ("2012-10-17", "2008-10-17")
_STATEMENT_KEYS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)
_ACTION = re.compile(r"[a-zA-Z0-9-]+:[a-zA-Z0-9*?_-]+")
_SID = re.compile(r"[A-Za-z0-9]*")
CONDITION_OPERATORS = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "NumericEquals",
        "NumericNotEquals",
        "NumericLessThan",
        "NumericLessThanEquals",
        "NumericGreaterThan",
        "NumericGreaterThanEquals",
        "DateEquals",
        "DateNotEquals",
        "DateLessThan",
        "DateLessThanEquals",
        "DateGreaterThan",
        "DateGreaterThanEquals",
        "Bool",
        "BinaryEquals",
        "IpAddress",
        "NotIpAddress",
        "ArnEquals",
        "ArnLike",
        "ArnNotEquals",
        "ArnNotLike",
        "Null",
    }
)
SetQualifier = Literal["ForAllValues", "ForAnyValue"] | None


@dataclass(frozen=True)
class Condition:
    """One ``operator: {key: values}`` test of a statement's ``Condition`` block."""

    operator: str  # as written: "ForAnyValue:StringLikeIfExists"
    base: str  # "StringLike"
    qualifier: SetQualifier
    if_exists: bool
    key: str  # as written; context keys are matched case-insensitively
    values: tuple[str, ...]


@dataclass(frozen=True)
class Statement:
    sid: str | None
    effect: Literal["Allow", "Deny"]
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...]
    not_resource: bool
    conditions: tuple[Condition, ...]
    index: int  # position in the policy, for messages when there is no Sid

    @property
    def label(self) -> str:
        return self.sid or f"statement {self.index + 1}"


@dataclass(frozen=True)
class Policy:
    version: str  # "2008-10-17" when the document names none, as IAM assumes
    statements: tuple[Statement, ...]
    name: str = ""  # where it came from (inline policy name or managed policy ARN)

    @property
    def variables(self) -> bool:
        """Whether ``${...}`` policy variables are substituted (Version 2012-10-17 only)."""
        return self.version == "2012-10-17"


def parse_policy(document: str | Mapping[str, Any], name: str = "") -> Policy:
    """The validated ``Policy`` of ``document``; ``PolicyError`` when it is malformed."""
    where = f"policy {name}: " if name else ""
    try:
        return _parse(document, name)
    except PolicyError as error:
        raise PolicyError(f"{where}{error}") from None


def statements_of(document: Mapping[str, Any]) -> list[Any]:
    """A document's ``Statement`` element as a list, leniently: IAM takes one statement
    object or a list of them; anything else (missing, or not an object or list) is none.
    ``parse_policy`` is the strict reading, which refuses those."""
    raw = document.get("Statement")
    if isinstance(raw, Mapping):
        return [raw]
    return list(raw) if isinstance(raw, list) else []


def _parse(document: str | Mapping[str, Any], name: str) -> Policy:
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError as exc:
            raise PolicyError(f"not valid JSON ({exc})") from None
    if not isinstance(document, Mapping):
        raise PolicyError("a policy document must be a JSON object")
    unknown = set(document) - {"Version", "Id", "Statement"}
    if unknown:
        raise PolicyError(f"unknown element(s) {', '.join(sorted(unknown))}")
    version = document.get("Version", "2008-10-17")
    if version not in VERSIONS:
        raise PolicyError(f"Version must be one of {', '.join(VERSIONS)}, not {version!r}")
    raw = document.get("Statement")
    if raw is None:
        raise PolicyError("missing Statement")
    items = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(items, list) or not items:
        raise PolicyError("Statement must be an object or a non-empty list of objects")
    statements = tuple(_statement(item, i) for i, item in enumerate(items))
    sids = [s.sid for s in statements if s.sid]
    duplicates = sorted({s for s in sids if sids.count(s) > 1})
    if duplicates:
        raise PolicyError(f"Sid {duplicates[0]!r} is not unique in the policy")
    return Policy(version=version, statements=statements, name=name)


def _statement(item: Any, index: int) -> Statement:
    label = f"statement {index + 1}"
    if not isinstance(item, Mapping):
        raise PolicyError(f"{label} is not a JSON object")
    if "Principal" in item or "NotPrincipal" in item:
        raise PolicyError(f"{label}: an identity-based policy must not name a Principal")
    unknown = set(item) - _STATEMENT_KEYS
    if unknown:
        raise PolicyError(f"{label}: unknown element(s) {', '.join(sorted(unknown))}")
    sid = item.get("Sid")
    if sid is not None and (not isinstance(sid, str) or not _SID.fullmatch(sid)):
        raise PolicyError(f"{label}: Sid must be alphanumeric (A-Z, a-z, 0-9), not {sid!r}")
    if sid:
        label = f"statement {sid!r}"
    effect = item.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"{label}: Effect must be 'Allow' or 'Deny', not {effect!r}")
    actions, not_action = _pair(item, "Action", label)
    for action in actions:
        if action != "*" and not _ACTION.fullmatch(action):
            raise PolicyError(f"{label}: action {action!r} is not of the form service:name")
    resources, not_resource = _pair(item, "Resource", label)
    for resource in resources:
        if resource != "*" and not resource.startswith("arn:"):
            raise PolicyError(f"{label}: resource {resource!r} must be '*' or an ARN")
    return Statement(
        sid=sid or None,
        effect=effect,
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        conditions=_conditions(item.get("Condition"), label),
        index=index,
    )


def _pair(item: Mapping[str, Any], element: str, label: str) -> tuple[tuple[str, ...], bool]:
    """The values of ``element`` or ``Not<element>`` (exactly one must be there)."""
    negated = "Not" + element
    if element in item and negated in item:
        raise PolicyError(f"{label}: has both {element} and {negated}")
    if element not in item and negated not in item:
        raise PolicyError(f"{label}: missing {element} (or {negated})")
    key = element if element in item else negated
    return _strings(item[key], f"{label}: {key}"), key == negated


def _strings(value: Any, what: str) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values:
        raise PolicyError(f"{what} must be a string or a non-empty list of strings")
    if not all(isinstance(v, str) and v for v in values):
        raise PolicyError(f"{what} must hold only non-empty strings")
    return tuple(values)


def _conditions(block: Any, label: str) -> tuple[Condition, ...]:
    if block is None:
        return ()
    if not isinstance(block, Mapping):
        raise PolicyError(f"{label}: Condition must be an object")
    found: list[Condition] = []
    for operator, tests in block.items():
        qualifier, base, if_exists = split_operator(operator, label)
        if not isinstance(tests, Mapping) or not tests:
            raise PolicyError(f"{label}: {operator} must be an object of condition keys")
        for key, raw in tests.items():
            found.append(
                Condition(
                    operator=operator,
                    base=base,
                    qualifier=qualifier,
                    if_exists=if_exists,
                    key=key,
                    values=_condition_values(raw, f"{label}: {operator} {key}"),
                )
            )
    return tuple(found)


def split_operator(operator: str, label: str = "policy") -> tuple[SetQualifier, str, bool]:
    """``ForAnyValue:StringLikeIfExists`` -> ("ForAnyValue", "StringLike", True)."""
    qualifier: SetQualifier = None
    base = operator
    for prefix in ("ForAllValues", "ForAnyValue"):
        if operator.startswith(prefix + ":"):
            qualifier = prefix
            base = operator[len(prefix) + 1 :]
    if_exists = base.endswith("IfExists") and base != "IfExists"
    if if_exists:
        base = base[: -len("IfExists")]
    if base not in CONDITION_OPERATORS or (base == "Null" and (if_exists or qualifier)):
        raise PolicyError(f"{label}: unknown condition operator {operator!r}")
    return qualifier, base, if_exists


def _condition_values(raw: Any, what: str) -> tuple[str, ...]:
    values = raw if isinstance(raw, list) else [raw]
    if not values:
        raise PolicyError(f"{what} has no value")
    out: list[str] = []
    for value in values:
        if isinstance(value, bool):
            out.append("true" if value else "false")
        elif isinstance(value, str | int | float):
            out.append(str(value))
        else:
            raise PolicyError(f"{what}: values must be strings, numbers or booleans")
    return tuple(out)
