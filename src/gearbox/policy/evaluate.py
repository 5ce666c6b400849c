"""AWS's evaluation logic for identity-based policies, as a pure function.

https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html

``evaluate(policies, action, resource, context)`` looks at every statement of every policy:

1. a ``Deny`` statement that applies ends it: explicit deny;
2. otherwise an ``Allow`` statement that applies allows the call;
3. otherwise the call is denied implicitly.

A statement applies when its ``Action`` matches the action (or ``NotAction`` does not),
its ``Resource`` matches the resource ARN (or ``NotResource`` does not), and every condition
holds. Actions match case-insensitively, resources case-sensitively, with ``*`` and ``?``.

Conditions on keys the local cloud cannot supply are "not evaluated" (see
``gearbox.policy.conditions``), and Gearbox fails closed on them: an ``Allow`` statement
that needs one does not apply, a ``Deny`` statement that needs one does. The ``Decision``
lists them, so the log says why a call that AWS might allow was denied.

Where it differs from AWS: only identity-based policies of one principal are evaluated;
resource-based policies (bucket, queue, function policies), permissions boundaries, session
policies and SCPs are not. Within one account AWS allows a call that a resource-based policy
alone allows; Gearbox denies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from gearbox.policy.conditions import RequestContext, arn_like, evaluate_condition, glob
from gearbox.policy.document import Policy, Statement

Reason = Literal["explicit-deny", "allowed", "implicit-deny"]


@dataclass(frozen=True)
class Decision:
    action: str
    resource: str
    reason: Reason
    statement: str | None = None  # "<policy name>/<sid or statement n>" that decided
    not_evaluated: tuple[str, ...] = ()  # conditions that could not be evaluated

    @property
    def allowed(self) -> bool:
        return self.reason == "allowed"


def evaluate(
    policies: Sequence[Policy], action: str, resource: str, context: RequestContext | None = None
) -> Decision:
    """The decision of ``policies`` on ``action`` (``s3:GetObject``) against ``resource``
    (an ARN, or ``*`` for actions that have no resource)."""
    context = context or RequestContext()
    allowed_by: str | None = None
    unknown: list[str] = []
    for policy in policies:
        for statement in policy.statements:
            applies = statement_applies(
                statement, policy, action, resource=resource, context=context, unknown=unknown
            )
            if applies is None:
                applies = statement.effect == "Deny"  # fail closed
            if not applies:
                continue
            label = _label(policy, statement)
            if statement.effect == "Deny":
                return Decision(action, resource, "explicit-deny", label, tuple(unknown))
            allowed_by = allowed_by or label
    if allowed_by is not None:
        return Decision(action, resource, "allowed", allowed_by, tuple(unknown))
    return Decision(action, resource, "implicit-deny", None, tuple(unknown))


def statement_applies(
    statement: Statement,
    policy: Policy,
    action: str,
    *,
    resource: str,
    context: RequestContext,
    unknown: list[str] | None = None,
) -> bool | None:
    """Whether ``statement`` applies; None when it would but for conditions not evaluated
    (their descriptions are appended to ``unknown``)."""
    if _any_action(statement.actions, action) == statement.not_action:
        return False
    variables = policy.variables
    if _any_resource(statement.resources, resource, context, variables) == statement.not_resource:
        return False
    missing: list[str] = []
    for condition in statement.conditions:
        holds = evaluate_condition(condition, context, variables)
        if holds is False:
            return False
        if holds is None:
            missing.append(f"{_label(policy, statement)}: {condition.operator} {condition.key}")
    if missing:
        if unknown is not None:
            unknown.extend(missing)
        return None
    return True


_NO_CONTEXT = RequestContext()


def _any_action(patterns: tuple[str, ...], action: str) -> bool:
    for pattern in patterns:
        regex = glob(pattern, _NO_CONTEXT, variables=False, ignore_case=True)
        if regex is not None and regex.fullmatch(action):
            return True
    return False


def _any_resource(
    patterns: tuple[str, ...], resource: str, context: RequestContext, variables: bool
) -> bool:
    return any(arn_like(p, resource, context, variables) for p in patterns)


def _label(policy: Policy, statement: Statement) -> str:
    return f"{policy.name}/{statement.label}" if policy.name else statement.label
