"""The loop that fires schedules: finds them through boto3, fires them by the injected clock.

``refresh`` reads, against the local endpoint, the enabled EventBridge rules of the default
bus that have a ScheduleExpression (ListRules, ListTargetsByRule) and the enabled EventBridge
Scheduler schedules (ListSchedules, GetSchedule), keeping the targets that are Lambda
functions. ``fire_due`` fires, at ``clock.now()``, every schedule that has fallen due: one
asynchronous invoke per target, with the scheduled event (rules) or the target's constant
Input. ``step`` (tests) is both; ``run_forever`` (the server) fires by the clock every
``poll_seconds`` and refreshes every ``refresh_seconds`` of real time.

As on AWS, a rule invokes a function only when the function's policy lets
``events.amazonaws.com`` invoke it for that rule (``may_invoke``); an EventBridge Scheduler
schedule invokes with the role its target names instead, which must exist, trust
``scheduler.amazonaws.com`` and allow ``lambda:InvokeFunction`` on the function
(``role_refuses``, asked at each refresh, so a role fixed takes effect within a second).
Otherwise the invocation is logged as failed and not retried.

Where it differs from AWS: a Scheduler schedule's retry policy and dead-letter queue are not
applied to a failed invocation (the failure is logged); the asynchronous invoke's own retries
and destinations still apply to a function error.

What was fired lives in memory: a schedule is anchored when first seen (a rate fires every
period after that), fires each due time once, and after a gap (a clock jump, a busy loop)
fires only the most recent missed time, not every one. A schedule whose expression changes,
or that is disabled and enabled again, starts over.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gearbox.clock import Clock
from gearbox.local.journal import Undelivered
from gearbox.local.schedules.expressions import InvalidScheduleExpression, Schedule, parse

log = logging.getLogger(__name__)

# The local cloud's own credentials for reading rules and schedules.
ACCESS_KEY = "AKIAGEARBOXEVENTS000"
SECRET_KEY = "gearbox-events-service"
# A clock jump over more due times than this fires the most recent one found so far.
_MAX_CATCH_UP = 100_000

# enqueue(function_arn, payload, request_id): an asynchronous invoke.
Enqueue = Callable[[str, bytes, str], None]
# may_invoke(function_arn, rule_arn): the function's policy lets EventBridge invoke it.
MayInvoke = Callable[[str, str], bool]
# role_refuses(role_arn, function_arn, schedule_arn): why the role may not invoke, or None.
RoleRefuses = Callable[[str, str, str], Awaitable[str | None]]


async def _no_role_check(role_arn: str, function_arn: str, schedule_arn: str) -> str | None:
    return None


@dataclass(frozen=True)
class Target:
    function_arn: str
    input: str | None  # constant JSON that replaces the event
    role_arn: str | None = None  # a Scheduler target's execution role


@dataclass(frozen=True)
class Job:
    """A rule or a schedule, as read from the backend."""

    arn: str
    expression: str
    targets: tuple[Target, ...]
    scheduled_event: bool  # rules send the scheduled event; Scheduler sends Input or {}


@dataclass
class _State:
    schedule: Schedule
    anchor: float
    due: float | None


class Schedules:
    # Called with (source, destination, event, reason) for each invocation not made, for the
    # journal; set by whoever assembles the service.
    on_undelivered: Undelivered | None = None

    def __init__(
        self,
        endpoint_url: str,
        region: str,
        account: str,
        clock: Clock,
        *,
        enqueue: Enqueue,
        may_invoke: MayInvoke = lambda function_arn, rule_arn: True,
        role_refuses: RoleRefuses = _no_role_check,
        refresh_seconds: float = 1.0,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._region = region
        self._account = account
        self._clock = clock
        self._enqueue = enqueue
        self._may_invoke = may_invoke
        self._role_refuses = role_refuses
        self._refused: dict[tuple[str, str], str] = {}  # (schedule, function) -> why
        self._refresh_seconds = refresh_seconds
        self._jobs: dict[str, Job] = {}
        self._states: dict[tuple[str, str], _State] = {}
        self._invalid: set[str] = set()
        self._clients: dict[str, Any] = {}

    def known(self) -> set[str]:
        """ARNs of the rules and schedules being watched (what the last refresh found)."""
        return set(self._jobs)

    async def step(self) -> int:
        """Refresh, then fire what is due; the number of invocations queued."""
        await self.refresh()
        return self.fire_due()

    async def run_forever(self, poll_seconds: float = 0.2) -> None:
        refreshed = float("-inf")
        while True:
            if time.monotonic() - refreshed >= self._refresh_seconds:
                try:
                    await self.refresh()
                except Exception as exc:
                    from botocore.exceptions import EndpointConnectionError

                    # The edge stops listening before the loop is stopped: that is not news.
                    quiet = isinstance(exc, EndpointConnectionError)
                    log.log(
                        logging.DEBUG if quiet else logging.WARNING,
                        "could not read schedules: %s",
                        exc,
                    )
                refreshed = time.monotonic()
            try:
                self.fire_due()
            except Exception:
                log.exception("firing schedules failed")
            await asyncio.sleep(poll_seconds)

    async def refresh(self) -> None:
        jobs = await asyncio.to_thread(self._read)
        refused = {}
        for job in jobs:
            for target in job.targets:
                if target.role_arn is None:
                    continue
                try:
                    why = await self._role_refuses(target.role_arn, target.function_arn, job.arn)
                except Exception as exc:  # the role could not be read: refuse, say why
                    why = f"its role {target.role_arn} could not be read: {exc}"
                if why is not None:
                    refused[job.arn, target.function_arn] = why
        now = self._clock.now()
        seen = set()
        for job in jobs:
            key = (job.arn, job.expression)
            seen.add(key)
            if key in self._states:
                continue
            try:
                schedule = parse(job.expression, allow_at=not job.scheduled_event)
            except InvalidScheduleExpression:
                if job.arn not in self._invalid:
                    log.warning("%s: %r is not a valid schedule", job.arn, job.expression)
                    self._invalid.add(job.arn)
                continue
            self._states[key] = _State(schedule, now, schedule.next_after(now, now))
        for key in set(self._states) - seen:
            del self._states[key]
        self._refused = refused
        # published last: a job that ``known`` names is anchored already (a test thread that
        # sees it and then moves the clock must not see it anchored after the move)
        self._jobs = {job.arn: job for job in jobs}

    def fire_due(self) -> int:
        now = self._clock.now()
        fired = 0
        for (arn, expression), state in list(self._states.items()):
            if state.due is None or state.due > now:
                continue
            at = _latest_due(state, now)
            state.due = state.schedule.next_after(now, state.anchor)
            job = self._jobs.get(arn)
            if job is None or job.expression != expression:
                continue
            fired += self._fire(job, at)
        return fired

    def _fire(self, job: Job, at: float) -> int:
        event = scheduled_event(job.arn, at, self._region, self._account)
        fired = 0
        for target in job.targets:
            refused = self._refused.get((job.arn, target.function_arn))
            if job.scheduled_event and not self._may_invoke(target.function_arn, job.arn):
                refused = (
                    "the function's policy does not let events.amazonaws.com invoke it for "
                    "this rule (add-permission)"
                )
            if refused is not None:
                log.warning(
                    "schedule %s did not invoke %s: %s", job.arn, target.function_arn, refused
                )
                if self.on_undelivered is not None:
                    self.on_undelivered(job.arn, target.function_arn, event["time"], refused)
                continue
            fired += 1
            if target.input is not None:
                payload = target.input.encode()
            elif job.scheduled_event:
                payload = json.dumps(event).encode()
            else:
                payload = b"{}"
            log.info("schedule %s fires %s at %s", job.arn, target.function_arn, event["time"])
            self._enqueue(target.function_arn, payload, str(uuid.uuid4()))
        return fired

    # reading the backend (on a worker thread)

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[service] = boto3.client(
                service,
                endpoint_url=self._endpoint_url,
                region_name=self._region,
                aws_access_key_id=ACCESS_KEY,
                aws_secret_access_key=SECRET_KEY,
                config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
            )
        return self._clients[service]

    def _read(self) -> list[Job]:
        return self._rules() + self._schedules()

    def _rules(self) -> list[Job]:
        events = self._client("events")
        jobs = []
        for rule in _pages(events.list_rules, "Rules"):
            expression = rule.get("ScheduleExpression")
            if not expression or rule.get("State") != "ENABLED":
                continue
            found = _pages(events.list_targets_by_rule, "Targets", Rule=rule["Name"])
            targets = tuple(
                Target(target["Arn"], target.get("Input"))
                for target in found
                if _is_function(target["Arn"])
            )
            jobs.append(Job(rule["Arn"], expression, targets, scheduled_event=True))
        return jobs

    def _schedules(self) -> list[Job]:
        scheduler = self._client("scheduler")
        jobs = []
        for summary in _pages(scheduler.list_schedules, "Schedules", State="ENABLED"):
            if not _is_function(summary.get("Target", {}).get("Arn", "")):
                continue
            found = scheduler.get_schedule(
                Name=summary["Name"], GroupName=summary.get("GroupName", "default")
            )
            timezone = found.get("ScheduleExpressionTimezone") or "UTC"
            if timezone not in ("UTC", "Etc/UTC"):
                if found["Arn"] not in self._invalid:
                    log.warning("%s: only UTC schedules are supported", found["Arn"])
                    self._invalid.add(found["Arn"])
                continue
            target = Target(
                found["Target"]["Arn"], found["Target"].get("Input"), found["Target"]["RoleArn"]
            )
            jobs.append(
                Job(found["Arn"], found["ScheduleExpression"], (target,), scheduled_event=False)
            )
        return jobs


def scheduled_event(rule_arn: str, at: float, region: str, account: str) -> dict[str, Any]:
    """The event EventBridge sends for a scheduled rule (see tests/unit/samples)."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


def _latest_due(state: _State, now: float) -> float:
    """The most recent due time at or before ``now`` (``state.due`` is one)."""
    assert state.due is not None
    at = state.due
    for _ in range(_MAX_CATCH_UP):
        following = state.schedule.next_after(at, state.anchor)
        if following is None or following > now:
            break
        at = following
    return at


def _is_function(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function"


def _pages(call: Callable[..., Any], key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = call(**params)
        items.extend(page.get(key, []))
        token = page.get("NextToken")
        if not token:
            return items
        params["NextToken"] = token
