"""Resource-based policies (queue, topic and function policies) asked one question: may an
AWS service principal (``s3.amazonaws.com``) do this action on this resource, for this
source?

A statement counts when its ``Principal`` names the service (``{"Service": ...}``, alone or
in a list) or everyone (``"*"``, ``{"AWS": "*"}``), or when its ``NotPrincipal`` does not
name the service. The statements that count are then evaluated with IAM's logic
(``gearbox.policy.evaluate``: explicit deny, Allow needed, wildcards, conditions) against
the request's context: ``aws:SourceArn`` and ``aws:SourceAccount`` of the resource the
service acts for, and ``aws:PrincipalServiceName``. A condition on any other key cannot be
known locally and fails closed.

Where it differs from AWS: principals that are accounts, roles or users are not matched
(the question is only ever asked for a service); a policy that does not parse allows
nothing.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from typing import Any

from gearbox.errors import PolicyError
from gearbox.policy.conditions import RequestContext
from gearbox.policy.document import parse_policy, statements_of
from gearbox.policy.evaluate import evaluate

log = logging.getLogger(__name__)

_KEPT = ("Effect", "Action", "NotAction", "Resource", "NotResource", "Condition")


def service_may(
    document: str | Mapping[str, Any] | None,
    service: str,
    action: str,
    resource: str,
    *,
    source_arn: str,
    source_account: str,
) -> bool:
    """Whether the resource policy ``document`` lets ``service`` do ``action`` on
    ``resource`` on behalf of ``source_arn`` (owned by ``source_account``)."""
    if not document:
        return False
    if not isinstance(document, str):
        try:
            document = json.dumps(dict(document), sort_keys=True)
        except (TypeError, ValueError):
            return False
    return _may(document, service, action, resource, (source_arn, source_account))


@functools.lru_cache(maxsize=4096)
def _may(document: str, service: str, action: str, resource: str, source: tuple[str, str]) -> bool:
    source_arn, source_account = source
    try:
        data = json.loads(document)
        counted = [
            {"Resource": resource, **{k: s[k] for k in _KEPT if k in s}}
            if "Resource" not in s and "NotResource" not in s
            else {k: s[k] for k in _KEPT if k in s}
            for s in statements_of(data)
            if isinstance(s, dict) and _names_service(s, service)
        ]
        if not counted:
            return False
        policy = parse_policy(
            {"Version": data.get("Version", "2012-10-17"), "Statement": counted},
            name="resource policy",
        )
    except (ValueError, TypeError, AttributeError, PolicyError):
        return False
    context = RequestContext(
        values={
            "aws:sourcearn": (source_arn,),
            "aws:sourceaccount": (source_account,),
            "aws:principalservicename": (service,),
        }
    )
    decision = evaluate([policy], action, resource, context)
    if not decision.allowed and decision.not_evaluated:
        log.warning(
            "%s may not %s on %s for %s: the resource policy's conditions %s cannot be "
            "evaluated locally, and Gearbox refuses what it cannot evaluate",
            service,
            action,
            resource,
            source_arn,
            ", ".join(decision.not_evaluated),
        )
    return decision.allowed


def _names_service(statement: Mapping[str, Any], service: str) -> bool:
    if "NotPrincipal" in statement:
        return not _matches(statement["NotPrincipal"], service)
    return _matches(statement.get("Principal"), service)


def _matches(principal: Any, service: str) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return False
    if _listed(principal.get("AWS"), "*"):
        return True
    return _listed(principal.get("Service"), service)


def _listed(value: Any, wanted: str) -> bool:
    return value == wanted or (isinstance(value, list) and wanted in value)
