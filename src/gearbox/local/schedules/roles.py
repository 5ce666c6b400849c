"""Whether an EventBridge Scheduler schedule's role may invoke its target function.

EventBridge Scheduler calls its target with the execution role the target names
(``Target.RoleArn``): the role must exist, its trust policy must let
``scheduler.amazonaws.com`` assume it (``sts:AssumeRole``, with ``aws:SourceArn`` the
schedule and ``aws:SourceAccount`` its account, as AWS's documented trust policy conditions
them), and its policies must allow ``lambda:InvokeFunction`` on the function. The role is read
as a function's role is (``RolePolicies``: IAM through the local endpoint, cached briefly,
dropped on every IAM write); its policies are evaluated with IAM's logic
(``gearbox.policy.evaluate``) and the trust policy as a resource policy for a service
(``gearbox.policy.resource``).

The local cloud's IAM mode applies as it does to a function's calls: ``enforce`` refuses the
invocation, ``warn`` logs the refusal and invokes, ``off`` checks nothing.

Where it differs from AWS: permissions boundaries and session policies are not read; a
condition in the role's policies on a key other than the principal's ARN and account cannot
be evaluated and refuses.
"""

from __future__ import annotations

import logging

from gearbox.local.functions.roles import RolePolicies
from gearbox.policy.conditions import RequestContext
from gearbox.policy.evaluate import evaluate
from gearbox.policy.resource import service_may
from gearbox.settings import IamMode

log = logging.getLogger(__name__)

SCHEDULER = "scheduler.amazonaws.com"


class SchedulerRoles:
    """``role_refuses`` for ``Schedules``: why the role may not invoke, or None."""

    def __init__(self, roles: RolePolicies, mode: IamMode) -> None:
        self._roles = roles
        self._mode = mode

    async def __call__(self, role_arn: str, function_arn: str, schedule_arn: str) -> str | None:
        if self._mode == "off":
            return None
        why = await self._refusal(role_arn, function_arn, schedule_arn)
        if why is not None and self._mode == "warn":
            log.warning(
                "schedule %s may not invoke %s (invoked anyway, IAM mode warn): %s",
                schedule_arn,
                function_arn,
                why,
            )
            return None
        return why

    async def _refusal(self, role_arn: str, function_arn: str, schedule_arn: str) -> str | None:
        role = await self._roles.get(role_arn)
        if not role.exists:
            return f"its role {role_arn} does not exist"
        account = schedule_arn.split(":")[4] if schedule_arn.count(":") >= 5 else ""
        if not service_may(
            role.trust,
            SCHEDULER,
            "sts:AssumeRole",
            role.arn,
            source_arn=schedule_arn,
            source_account=account,
        ):
            return f"the trust policy of role {role.arn} does not let {SCHEDULER} assume it"
        context = RequestContext(
            values={"aws:principalarn": (role.arn,), "aws:principalaccount": (account,)}
        )
        decision = evaluate(role.policies, "lambda:InvokeFunction", function_arn, context)
        if decision.allowed:
            return None
        if decision.reason == "explicit-deny":
            return f"role {role.arn}: lambda:InvokeFunction is denied by {decision.statement}"
        unknown = f" (not evaluated: {', '.join(decision.not_evaluated)})"
        return f"role {role.arn} does not allow lambda:InvokeFunction on {function_arn}" + (
            unknown if decision.not_evaluated else ""
        )
