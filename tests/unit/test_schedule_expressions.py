"""AWS schedule expressions: rate and the 6-field cron dialect, parsed and evaluated."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gearbox.local.schedules import InvalidScheduleExpression, parse, scheduled_event
from gearbox.local.schedules.expressions import MESSAGE, At, Rate

SAMPLES = Path(__file__).parent / "samples"


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def iso(value: float | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M")


def after(expression: str, when: str) -> str | None:
    return iso(parse(expression).next_after(ts(when), 0.0))


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(5 minutes)", 300),
        ("rate(1 hour)", 3600),
        ("rate(12 hours)", 43200),
        ("rate(1 day)", 86400),
        ("rate(2 days)", 172800),
    ],
)
def test_rates(expression: str, seconds: int) -> None:
    assert parse(expression) == Rate(seconds)


def test_rate_fires_every_period_after_its_anchor() -> None:
    rate = parse("rate(5 minutes)")
    assert rate.next_after(1000, 1000) == 1300
    assert rate.next_after(1299, 1000) == 1300
    assert rate.next_after(1300, 1000) == 1600
    assert rate.next_after(1000 + 3600 + 1, 1000) == 1000 + 3900


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(-1 minutes)",
        "rate(5 seconds)",
        "rate(5  minutes)",
        "rate(5minutes)",
        "rate(1.5 hours)",
        "Rate(5 minutes)",
        "rate 5 minutes",
        "",
        "every 5 minutes",
        "at(2026-01-01T00:00:00)",  # Scheduler only
    ],
)
def test_invalid_rates(expression: str) -> None:
    with pytest.raises(InvalidScheduleExpression) as raised:
        parse(expression)
    assert str(raised.value) == MESSAGE == "Parameter ScheduleExpression is not valid."
    assert raised.value.code == "ValidationException"


@pytest.mark.parametrize(
    ("expression", "now", "expected"),
    [
        # every day at noon, across a month end
        ("cron(0 12 * * ? *)", "2026-01-31T13:00", "2026-02-01T12:00"),
        ("cron(0 12 * * ? *)", "2026-01-31T11:59", "2026-01-31T12:00"),
        ("cron(0 12 * * ? *)", "2026-01-31T12:00", "2026-02-01T12:00"),  # strictly after
        ("cron(0 0 * * ? *)", "2026-12-31T23:59", "2027-01-01T00:00"),  # across a year end
        # steps and ranges
        ("cron(0/15 * * * ? *)", "2026-01-01T00:07", "2026-01-01T00:15"),
        ("cron(*/20 * * * ? *)", "2026-01-01T00:41", "2026-01-01T01:00"),
        ("cron(5-30/10 * * * ? *)", "2026-01-01T00:06", "2026-01-01T00:15"),
        ("cron(5-30/10 * * * ? *)", "2026-01-01T00:25", "2026-01-01T01:05"),
        ("cron(0,30 8-9 * * ? *)", "2026-01-01T08:45", "2026-01-01T09:00"),
        # weekdays are 1-7 with Sunday 1; names; 2026-01-01 is a Thursday
        ("cron(0 0 ? * 1 *)", "2026-01-01T00:00", "2026-01-04T00:00"),
        ("cron(0 0 ? * 7 *)", "2026-01-01T00:00", "2026-01-03T00:00"),
        ("cron(0 0 ? * SUN *)", "2026-01-01T00:00", "2026-01-04T00:00"),
        ("cron(0 10 ? * MON-FRI *)", "2026-01-02T11:00", "2026-01-05T10:00"),
        ("cron(0 10 ? * 2-6 *)", "2026-01-02T11:00", "2026-01-05T10:00"),
        ("cron(0 0 ? * mon *)", "2026-01-01T00:00", "2026-01-05T00:00"),
        ("cron(0 0 1 JAN,JUL ? *)", "2026-01-02T00:00", "2026-07-01T00:00"),
        ("cron(0 0 1 FEB-MAR ? *)", "2026-02-02T00:00", "2026-03-01T00:00"),
        # L: last day of the month; last Saturday; last Friday of the month
        ("cron(0 0 L * ? *)", "2026-02-01T00:00", "2026-02-28T00:00"),
        ("cron(0 0 L * ? *)", "2026-01-31T00:00", "2026-02-28T00:00"),
        ("cron(0 0 L 2 ? *)", "2027-03-01T00:00", "2028-02-29T00:00"),  # leap year
        ("cron(0 0 ? * L *)", "2026-01-01T00:00", "2026-01-03T00:00"),
        ("cron(0 0 ? * 6L *)", "2026-01-01T00:00", "2026-01-30T00:00"),
        ("cron(0 0 ? * FRIL *)", "2026-01-31T00:00", "2026-02-27T00:00"),
        # W: nearest weekday within the month; LW: last weekday
        ("cron(0 0 3W * ? *)", "2026-01-01T00:00", "2026-01-02T00:00"),  # Sat 3rd -> Fri
        ("cron(0 0 1W * ? *)", "2026-01-31T00:00", "2026-02-02T00:00"),  # Sun 1st -> Mon
        ("cron(0 0 1W 8 ? *)", "2026-01-01T00:00", "2026-08-03T00:00"),  # Sat 1st -> Mon 3rd
        ("cron(0 0 31W * ? *)", "2026-01-01T00:00", "2026-01-30T00:00"),  # Sat 31st -> Fri
        ("cron(0 0 LW * ? *)", "2026-02-01T00:00", "2026-02-27T00:00"),  # Sat 28th -> Fri
        # #: the k-th weekday of the month
        ("cron(0 0 ? * 3#2 *)", "2026-01-01T00:00", "2026-01-13T00:00"),
        ("cron(0 0 ? * MON#1 *)", "2026-01-06T00:00", "2026-02-02T00:00"),
        ("cron(0 0 ? * 5#5 *)", "2026-01-01T00:00", "2026-01-29T00:00"),
        # the year field
        ("cron(0 0 1 1 ? 2028)", "2026-01-01T00:00", "2028-01-01T00:00"),
        ("cron(0 0 1 1 ? 2026-2030/2)", "2026-01-01T00:00", "2028-01-01T00:00"),
        ("cron(0 0 1 1 ? 2025)", "2026-01-01T00:00", None),
        ("cron(0 0 30 2 ? *)", "2026-01-01T00:00", None),  # never
    ],
)
def test_cron_next_fire(expression: str, now: str, expected: str | None) -> None:
    assert after(expression, now) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 12 * * *)",  # five fields (Unix cron)
        "cron(0 12 * * ? * *)",
        "cron(0 12 * * * *)",  # neither day field is ?
        "cron(0 12 ? * ? *)",  # both are
        "cron(0 12 1 * MON *)",
        "cron(60 12 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 0 0 * ? *)",
        "cron(0 0 32 * ? *)",
        "cron(0 0 * 13 ? *)",
        "cron(0 0 ? * 0 *)",  # Sunday is 1, not 0
        "cron(0 0 ? * 8 *)",
        "cron(0 0 ? * FUN *)",
        "cron(0 0 * FOO ? *)",
        "cron(0 0 ? * 3W *)",  # W only in day-of-month
        "cron(0 0 2#1 * ? *)",  # # only in day-of-week
        "cron(0 0 ? * 3#6 *)",
        "cron(0 0 * * ? 1969)",
        "cron(0 0 * * ? 2200)",
        "cron(10-5 * * * ? *)",
        "cron(*/0 * * * ? *)",
        "cron(0  0 * * ? *)",
        "cron()",
        "cron(a b c d e f)",
    ],
)
def test_invalid_crons(expression: str) -> None:
    with pytest.raises(InvalidScheduleExpression, match="ScheduleExpression is not valid"):
        parse(expression)


def test_at_is_for_scheduler_only() -> None:
    at = parse("at(2026-01-01T00:05:00)", allow_at=True)
    assert at == At(ts("2026-01-01T00:05"))
    assert at.next_after(ts("2026-01-01T00:04"), 0) == ts("2026-01-01T00:05")
    assert at.next_after(ts("2026-01-01T00:05"), 0) is None


def test_scheduled_event_has_the_aws_sample_shape() -> None:
    sample = json.loads((SAMPLES / "scheduled_event.json").read_text())
    rule = "arn:aws:events:us-east-1:123456789012:rule/my-scheduled-rule"
    event = scheduled_event(rule, ts("2015-10-08T16:53:06"), "us-east-1", "123456789012")
    assert list(event) == list(sample)
    assert len(event["id"]) == len(sample["id"])
    assert {**event, "id": sample["id"]} == sample
