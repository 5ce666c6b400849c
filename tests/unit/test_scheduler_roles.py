"""A Scheduler schedule's role asked whether it may invoke the target, under each IAM mode."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from gearbox.local.functions.roles import RolePermissions
from gearbox.local.schedules.roles import SchedulerRoles
from gearbox.policy.document import parse_policy

ROLE = "arn:aws:iam::123456789012:role/nightly"
SCHEDULE = "arn:aws:scheduler:us-east-1:123456789012:schedule/default/nightly"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:job"


def trust(condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "scheduler.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def role(*statements: dict[str, Any], trusted: str | None = None) -> RolePermissions:
    policy = parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, name="p")
    return RolePermissions(ROLE, "nightly", "AROAEXAMPLE", (policy,), trust=trusted or trust())


class Roles:
    """``RolePolicies`` answering from a dict; counts reads."""

    def __init__(self, found: dict[str, RolePermissions]) -> None:
        self.found = found
        self.reads = 0

    async def get(self, arn: str) -> RolePermissions:
        self.reads += 1
        return self.found.get(arn, RolePermissions(arn, arn.rsplit("/", 1)[1], None))


def ask(roles: Roles, mode: str) -> str | None:
    check = SchedulerRoles(roles, mode)  # type: ignore[arg-type]
    return asyncio.run(check(ROLE, FUNCTION, SCHEDULE))


ALLOW = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": FUNCTION}
DENY = {"Effect": "Deny", "Action": "lambda:*", "Resource": "*", "Sid": "NoLambda"}


def test_a_role_that_may() -> None:
    assert ask(Roles({ROLE: role(ALLOW)}), "enforce") is None


def test_the_trust_policy_may_require_this_schedule_and_account() -> None:
    mine = trust(
        {
            "ArnLike": {"aws:SourceArn": SCHEDULE},
            "StringEquals": {"aws:SourceAccount": "123456789012"},
        }
    )
    assert ask(Roles({ROLE: role(ALLOW, trusted=mine)}), "enforce") is None
    theirs = trust({"StringEquals": {"aws:SourceAccount": "999999999999"}})
    assert "does not let scheduler.amazonaws.com assume it" in str(
        ask(Roles({ROLE: role(ALLOW, trusted=theirs)}), "enforce")
    )


def test_refusals_say_why() -> None:
    assert ask(Roles({}), "enforce") == f"its role {ROLE} does not exist"
    assert ask(Roles({ROLE: role(ALLOW, DENY)}), "enforce") == (
        f"role {ROLE}: lambda:InvokeFunction is denied by p/NoLambda"
    )
    other = {**ALLOW, "Resource": FUNCTION + "-other"}
    assert ask(Roles({ROLE: role(other)}), "enforce") == (
        f"role {ROLE} does not allow lambda:InvokeFunction on {FUNCTION}"
    )


def test_warn_logs_and_lets_it_invoke_off_does_not_look(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="gearbox.local.schedules.roles"):
        assert ask(Roles({}), "warn") is None
    assert "invoked anyway, IAM mode warn" in caplog.text
    roles = Roles({})
    assert ask(roles, "off") is None
    assert roles.reads == 0


def test_a_role_that_cannot_be_read_refuses_and_the_others_still_fire() -> None:
    from gearbox.clock import ManualClock
    from gearbox.local.schedules.scheduler import Job, Schedules, Target

    async def role_refuses(role_arn: str, function_arn: str, schedule_arn: str) -> str | None:
        if role_arn.endswith("/broken"):
            raise ConnectionError("IAM did not answer")
        return None

    fired: list[str] = []
    clock = ManualClock(0.0)
    schedules = Schedules(
        "http://127.0.0.1:1",
        "us-east-1",
        "123456789012",
        clock,
        enqueue=lambda arn, payload, request_id: fired.append(arn),
        role_refuses=role_refuses,
    )
    undelivered: list[tuple[str, str, str, str]] = []
    schedules.on_undelivered = lambda *entry: undelivered.append(entry)
    jobs = [
        Job(
            f"{SCHEDULE}-{name}",
            "rate(1 minute)",
            (Target(f"{FUNCTION}-{name}", "{}", role),),
            False,
        )
        for name, role in (("ok", ROLE), ("broken", ROLE + "/broken"))
    ]
    schedules._read = lambda: jobs  # type: ignore[method-assign]
    asyncio.run(schedules.refresh())
    clock.advance(60)
    assert schedules.fire_due() == 1
    assert fired == [f"{FUNCTION}-ok"]
    [(source, destination, _, reason)] = undelivered
    assert (source, destination) == (f"{SCHEDULE}-broken", f"{FUNCTION}-broken")
    assert reason.endswith("could not be read: IAM did not answer")
