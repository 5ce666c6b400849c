"""Schedules end to end: EventBridge rules (and Scheduler schedules) created with boto3 invoke
a function on the ManualClock; the function writes each event it gets to an SQS queue."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest

from gearbox.clock import ManualClock
from tests.functional.lambda_helpers import allow_invoke, create_recorder
from tests.waiting import journaled, wait_for


@pytest.fixture
def events(client: Any) -> Any:
    return client("events")


@pytest.fixture
def results(client: Any, sqs: Any) -> str:
    url = str(sqs.create_queue(QueueName="scheduled")["QueueUrl"])
    lam = client("lambda")
    create_recorder(lam, "ticker", url)
    allow_invoke(
        lam, "ticker", "events.amazonaws.com", "arn:aws:events:us-east-1:123456789012:rule/*"
    )
    return url


FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:ticker"


def receive(sqs: Any, url: str, wait: int = 1) -> list[dict[str, Any]]:
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
    messages = got.get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(message["Body"]) for message in messages]


def one_event(sqs: Any, url: str) -> dict[str, Any]:
    [event] = wait_for(lambda: receive(sqs, url))
    return dict(event)


def seen(cloud: Any, *arns: str) -> None:
    """Wait until the schedules loop has read these rules (it rereads every second)."""
    wait_for(lambda: set(arns) <= cloud.schedules.known())


def schedule_rule(events: Any, name: str, expression: str, **target: Any) -> str:
    arn = str(events.put_rule(Name=name, ScheduleExpression=expression)["RuleArn"])
    events.put_targets(Rule=name, Targets=[{"Id": "fn", "Arn": FUNCTION_ARN, **target}])
    return arn


def test_rate_rule_sends_the_scheduled_event(
    events: Any, sqs: Any, results: str, cloud: Any, clock: ManualClock
) -> None:
    rule = schedule_rule(events, "every-five", "rate(5 minutes)")
    seen(cloud, rule)
    clock.advance(299)
    time.sleep(1.5)
    assert receive(sqs, results, wait=0) == []
    clock.advance(1)
    event = one_event(sqs, results)
    assert event["version"] == "0"
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["account"] == "123456789012"
    assert event["region"] == "us-east-1"
    assert event["time"] == "2026-01-01T00:05:00Z"
    assert event["resources"] == ["arn:aws:events:us-east-1:123456789012:rule/every-five"] == [rule]
    assert event["detail"] == {}
    assert len(event["id"]) == 36
    clock.advance(300)
    second = one_event(sqs, results)
    assert second["time"] == "2026-01-01T00:10:00Z"
    assert second["id"] != event["id"]
    clock.advance(3600)  # a jump fires the most recent missed time once, not twelve times
    assert one_event(sqs, results)["time"] == "2026-01-01T01:10:00Z"
    time.sleep(1.5)
    assert receive(sqs, results, wait=0) == []


def test_cron_rule_fires_at_its_time_only(
    events: Any, sqs: Any, results: str, cloud: Any, clock: ManualClock
) -> None:
    rule = schedule_rule(events, "ten-past", "cron(10 0 * * ? *)")
    seen(cloud, rule)
    clock.advance(300)  # 00:05
    time.sleep(1.5)
    assert receive(sqs, results, wait=0) == []
    clock.advance(300)  # 00:10
    event = one_event(sqs, results)
    assert event["time"] == "2026-01-01T00:10:00Z"
    assert event["resources"] == [rule]
    clock.advance(3600)  # 01:10: next one is tomorrow
    time.sleep(1.5)
    assert receive(sqs, results, wait=0) == []
    clock.advance(23 * 3600)
    assert one_event(sqs, results)["time"] == "2026-01-02T00:10:00Z"


def test_disabled_rule_does_not_fire_and_input_replaces_the_event(
    events: Any, sqs: Any, results: str, cloud: Any, clock: ManualClock
) -> None:
    off = schedule_rule(events, "off", "rate(1 minute)", Input='{"from": "off"}')
    events.disable_rule(Name="off")
    on = schedule_rule(events, "on", "rate(1 minute)", Input='{"from": "on", "n": [1, 2]}')
    seen(cloud, on)
    assert off not in cloud.schedules.known()
    clock.advance(60)
    assert one_event(sqs, results) == {"from": "on", "n": [1, 2]}
    time.sleep(1.5)
    assert receive(sqs, results, wait=0) == []


def scheduler_role(iam: Any, name: str, *, trusted: str, allowed: str | None) -> str:
    """A role that ``trusted`` may assume, allowed to invoke ``allowed`` (a function ARN)."""
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": trusted}, "Action": "sts:AssumeRole"}
        ],
    }
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    if allowed is not None:
        statement = {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": allowed}
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        iam.put_role_policy(RoleName=name, PolicyName="invoke", PolicyDocument=json.dumps(policy))
    return str(arn["Arn"])


def nightly(scheduler: Any, name: str, role_arn: str) -> str:
    return str(
        scheduler.create_schedule(
            Name=name,
            ScheduleExpression="cron(0 1 * * ? *)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": FUNCTION_ARN, "RoleArn": role_arn, "Input": json.dumps({"job": name})},
        )["ScheduleArn"]
    )


def test_scheduler_schedule_invokes_the_function(
    client: Any, sqs: Any, results: str, cloud: Any, clock: ManualClock
) -> None:
    role = scheduler_role(
        client("iam"), "scheduler", trusted="scheduler.amazonaws.com", allowed=FUNCTION_ARN
    )
    arn = nightly(client("scheduler"), "nightly", role)
    seen(cloud, arn)
    clock.advance(3600)
    assert one_event(sqs, results) == {"job": "nightly"}


def test_a_scheduler_schedule_invokes_only_with_a_role_that_may(
    client: Any,
    sqs: Any,
    results: str,
    cloud: Any,
    *,
    clock: ManualClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    iam, scheduler = client("iam"), client("scheduler")
    other_function = FUNCTION_ARN.replace("ticker", "other")
    roles = {
        "missing": "arn:aws:iam::123456789012:role/never-made",
        "untrusted": scheduler_role(
            iam, "untrusted", trusted="events.amazonaws.com", allowed=FUNCTION_ARN
        ),
        "no-policy": scheduler_role(
            iam, "no-policy", trusted="scheduler.amazonaws.com", allowed=None
        ),
        "wrong-function": scheduler_role(
            iam, "wrong", trusted="scheduler.amazonaws.com", allowed=other_function
        ),
        "allowed": scheduler_role(
            iam, "allowed", trusted="scheduler.amazonaws.com", allowed=FUNCTION_ARN
        ),
    }
    arns = [nightly(scheduler, name, role) for name, role in roles.items()]
    seen(cloud, *arns)
    with caplog.at_level(logging.WARNING, logger="gearbox.local.schedules.scheduler"):
        clock.advance(3600)
        assert one_event(sqs, results) == {"job": "allowed"}
    time.sleep(1.5)
    assert receive(sqs, results, wait=0) == []
    said = caplog.text
    assert "role arn:aws:iam::123456789012:role/never-made does not exist" in said
    assert "role/untrusted does not let scheduler.amazonaws.com assume it" in said
    assert f"role/no-policy does not allow lambda:InvokeFunction on {FUNCTION_ARN}" in said
    assert f"role/wrong does not allow lambda:InvokeFunction on {FUNCTION_ARN}" in said
    refused = journaled(cloud, "undelivered")
    assert sorted(e["source"].rsplit("/", 1)[1] for e in refused) == [
        "missing",
        "no-policy",
        "untrusted",
        "wrong-function",
    ]
    assert {e["destination"] for e in refused} == {FUNCTION_ARN}


def test_a_rule_does_not_invoke_a_function_that_does_not_permit_it(
    events: Any, sqs: Any, results: str, cloud: Any, *, clock: ManualClock, client: Any
) -> None:
    create_recorder(client("lambda"), "closed", results)
    arn = str(events.put_rule(Name="knocks", ScheduleExpression="rate(1 minute)")["RuleArn"])
    events.put_targets(
        Rule="knocks",
        Targets=[{"Id": "closed", "Arn": FUNCTION_ARN.replace("ticker", "closed")}],
    )
    allowed = schedule_rule(events, "allowed", "rate(1 minute)", Input='{"from": "allowed"}')
    seen(cloud, arn, allowed)
    clock.advance(60)
    assert one_event(sqs, results) == {"from": "allowed"}
    time.sleep(1.5)
    assert receive(sqs, results, wait=0) == []
