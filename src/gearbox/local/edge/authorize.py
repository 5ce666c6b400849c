"""The chain's authorize stage: a call made with a function's credentials must be allowed by
the policies of the function's execution role, evaluated as AWS evaluates them.

For each call of a function (principal ``function:<name>``): the IAM action(s) and resource
ARN(s) come from ``request_resource``, the role's policies from ``RolePolicies``, the
decision from ``gearbox.policy.evaluate`` with the request's condition keys. Each decision is
recorded in ``ObservedCalls``. A denied call is logged on one line naming the function, the
action and the ARN (and any condition not evaluated); in mode ``enforce`` it is answered with
the service's own AccessDenied, in ``warn`` it goes on, in ``off`` nothing is checked or
recorded. Calls of the user (any other access key) are not checked, as a local admin's.

A function whose role does not exist or has no policy may do nothing (as on AWS, where such a
function could not even be created). IAM writes passing through the edge invalidate the
cached role policies.

Condition keys supplied: ``aws:SourceIp``, ``aws:CurrentTime``, ``aws:EpochTime`` (from the
local cloud's clock), ``aws:SecureTransport`` (false: the edge speaks HTTP),
``aws:PrincipalArn``, ``aws:PrincipalType``, ``aws:PrincipalAccount``, ``aws:PrincipalTag/*``
(the role's tags), ``aws:userid``, ``aws:RequestedRegion``, ``aws:ViaAWSService`` and
``aws:PrincipalIsAWSService`` (false: the function calls directly); known to be absent from a
Lambda function's direct call, as on AWS: ``aws:username`` (a role has none), the MFA keys,
``aws:CalledVia*``, ``aws:PrincipalOrg*``, ``aws:Source{Arn,Account,OrgID,OrgPaths}``; plus the
service keys of ``request_resource``. Any other key is "not evaluated", among them the VPC keys
(``aws:SourceVpc``: the local cloud has no VPCs), ``aws:ResourceTag/*``, ``aws:RequestTag/*``
and ``aws:TagKeys``.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from gearbox.clock import Clock
from gearbox.local.backend.durable import is_write
from gearbox.local.edge.chain import Exchange
from gearbox.local.edge.denied import access_denied
from gearbox.local.edge.observed import ObservedCalls
from gearbox.local.edge.request_resource import Call, requested_calls
from gearbox.local.functions.roles import RolePermissions, RolePolicies
from gearbox.policy.conditions import RequestContext
from gearbox.policy.evaluate import Decision, evaluate
from gearbox.settings import IamMode

log = logging.getLogger(__name__)

_KNOWN_ABSENT = frozenset(
    {
        "aws:username",
        "aws:multifactorauthpresent",
        "aws:multifactorauthage",
        "aws:calledvia",
        "aws:calledviafirst",
        "aws:calledvialast",
        "aws:principalorgid",
        "aws:principalorgpaths",
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
    }
)


@dataclass(frozen=True)
class FunctionIdentity:
    """Who a function is to IAM: its name (the role session name) and its role's ARN."""

    name: str
    role_arn: str


class Authorize:
    def __init__(
        self,
        mode: IamMode,
        *,
        function_of: Callable[[str], FunctionIdentity | None],
        roles: RolePolicies,
        observed: ObservedCalls,
        clock: Clock,
        account: str,
    ) -> None:
        self._mode = mode
        self._function_of = function_of
        self._roles = roles
        self._observed = observed
        self._clock = clock
        self._account = account

    async def __call__(self, exchange: Exchange) -> None:
        if exchange.service == "iam" and is_write("iam", exchange.operation):
            self._roles.invalidate()  # and again once IAM has answered
            exchange.after_response.append(lambda _: self._roles.invalidate())
        if self._mode == "off" or not exchange.principal.startswith("function:"):
            return
        identity = self._function_of(exchange.access_key or "")
        if identity is None:
            return
        calls = requested_calls(exchange, self._account)
        if not calls:
            return
        role = await self._roles.get(identity.role_arn)
        now = self._clock.now()
        base = _base_context(exchange, identity, role, now)
        denied: Decision | None = None
        for call in calls:  # all of them, so the observed policy learns every one
            decision = evaluate(role.policies, call.action, call.resource, _context(base, call))
            self._observed.record(identity.name, call.action, call.resource, decision.reason, now)
            if not decision.allowed:
                self._log_denial(identity, role, decision)
                denied = denied or decision
        if denied is not None and self._mode == "enforce":
            principal = f"arn:aws:sts::{self._account}:assumed-role/{role.name}/{identity.name}"
            exchange.response = access_denied(exchange, principal, denied)

    def _log_denial(
        self, identity: FunctionIdentity, role: RolePermissions, decision: Decision
    ) -> None:
        why = (
            f"explicit deny in {decision.statement}"
            if decision.reason == "explicit-deny"
            else "no statement allows it"
            if role.exists
            else f"role {role.arn} does not exist"
        )
        unknown = f"; not evaluated: {', '.join(decision.not_evaluated)}"
        log.warning(
            "IAM %s: function %s may not %s on %s (%s%s)",
            "denied" if self._mode == "enforce" else "would deny (warn mode)",
            identity.name,
            decision.action,
            decision.resource,
            why,
            unknown if decision.not_evaluated else "",
        )


def _base_context(
    exchange: Exchange, identity: FunctionIdentity, role: RolePermissions, now: float
) -> dict[str, tuple[str, ...]]:
    moment = _iso_second(int(now))
    values: dict[str, tuple[str, ...]] = {
        "aws:sourceip": (exchange.request.client,),
        "aws:currenttime": (moment,),
        "aws:epochtime": (str(int(now)),),
        "aws:securetransport": ("false",),
        "aws:principalarn": (role.arn,),
        "aws:principaltype": ("AssumedRole",),
        "aws:principalaccount": (role.arn.split(":")[4] if role.arn.count(":") >= 5 else "",),
        "aws:requestedregion": (exchange.region,),
        "aws:viaawsservice": ("false",),
        "aws:principalisawsservice": ("false",),
    }
    if role.role_id is not None:
        values["aws:userid"] = (f"{role.role_id}:{identity.name}",)
    for key, value in role.tags.items():
        values[f"aws:principaltag/{key.lower()}"] = (value,)
    return values


@functools.lru_cache(maxsize=4)
def _iso_second(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _context(base: dict[str, tuple[str, ...]], call: Call) -> RequestContext:
    values = dict(base)
    values.update({k.lower(): v for k, v in call.context.items()})
    return RequestContext(
        values=values, known=_KNOWN_ABSENT | call.known, known_prefixes=("aws:principaltag/",)
    )
