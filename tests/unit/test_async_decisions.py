"""Lambda's async retry rules, walked attempt by attempt on a clock of plain numbers.

Rules: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
(function errors: retries after 1 and 2 more minutes; throttles and system errors: backoff
from 1 s to 5 min until MaximumEventAgeInSeconds) and
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html (the limits).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from gearbox.local.sinks.config import EventInvokeConfig
from gearbox.local.sinks.decisions import (
    Condition,
    Decision,
    Deliver,
    EventState,
    FunctionFailed,
    GiveUp,
    Outcome,
    Retry,
    Succeeded,
    SystemFailed,
    WasThrottled,
    backoff,
    count,
    decide,
    expired,
)

ARN = "arn:aws:lambda:us-east-1:123456789012:function:worker"
START = 1_767_225_600.0
ERROR = FunctionFailed(b'{"errorMessage": "boom", "errorType": "Exception"}')
THROTTLE = WasThrottled("ReservedFunctionConcurrentInvocationLimitExceeded")


def walk(
    config: EventInvokeConfig, outcome_at: Callable[[int], Outcome]
) -> tuple[list[float], Decision, EventState]:
    """Run an event until it is done: the attempt times (seconds after enqueue), the final
    decision and the final state. ``outcome_at(n)`` is the outcome of the n-th attempt."""
    state = EventState(enqueued_at=START)
    now = START
    times: list[float] = []
    for attempt in range(10_000):
        assert not expired(state, config, now)
        times.append(now - START)
        outcome = outcome_at(attempt)
        decision = decide(state, outcome, config, now)
        state = count(state, outcome)
        if not isinstance(decision, Retry):
            return times, decision, state
        assert decision.at > now
        now = decision.at
    raise AssertionError("the event never finished")


def config(**kwargs: Any) -> EventInvokeConfig:
    return EventInvokeConfig(function_arn=ARN, **kwargs)


def test_function_errors_retry_after_one_then_two_minutes_and_exhaust() -> None:
    times, decision, state = walk(config(), lambda _: ERROR)
    assert times == [0, 60, 180]
    assert decision == GiveUp(Condition.RETRIES_EXHAUSTED)
    assert state.invokes == 3
    assert state.function_errors == 3


@pytest.mark.parametrize(("retries", "expected"), [(0, [0]), (1, [0, 60]), (2, [0, 60, 180])])
def test_maximum_retry_attempts(retries: int, expected: list[float]) -> None:
    times, decision, state = walk(config(maximum_retry_attempts=retries), lambda _: ERROR)
    assert times == expected
    assert decision == GiveUp(Condition.RETRIES_EXHAUSTED)
    assert state.invokes == retries + 1


def test_success_on_a_retry_is_delivered_with_its_invoke_count() -> None:
    times, decision, state = walk(config(), lambda n: ERROR if n == 0 else Succeeded(b"{}"))
    assert times == [0, 60]
    assert decision == Deliver()
    assert decision.condition == Condition.SUCCESS
    assert state.invokes == 2


def test_success_first_time() -> None:
    times, decision, state = walk(config(), lambda _: Succeeded(b"null"))
    assert (times, decision, state.invokes) == ([0], Deliver(), 1)


def test_throttles_back_off_exponentially_to_five_minutes_for_six_hours() -> None:
    times, decision, state = walk(config(), lambda _: THROTTLE)
    waits = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert waits[:10] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert set(waits[9:-1]) == {300}
    assert times[-1] == 21_600  # a last attempt when the event reaches its maximum age
    assert decision == GiveUp(Condition.EVENT_AGE_EXCEEDED)
    assert state.invokes == 0  # a throttled attempt does not run the function
    assert state.backoffs == len(times)


def test_throttles_with_a_60_second_event_age() -> None:
    times, decision, _ = walk(config(maximum_event_age_seconds=60), lambda _: THROTTLE)
    assert times == [0, 1, 3, 7, 15, 31, 60]
    assert decision == GiveUp(Condition.EVENT_AGE_EXCEEDED)


def test_system_errors_back_off_like_throttles() -> None:
    times, decision, _ = walk(
        config(maximum_event_age_seconds=60), lambda _: SystemFailed("ServiceException")
    )
    assert times == [0, 1, 3, 7, 15, 31, 60]
    assert decision == GiveUp(Condition.EVENT_AGE_EXCEEDED)


def test_throttles_do_not_use_up_retry_attempts() -> None:
    outcomes: list[Outcome] = [THROTTLE, THROTTLE, ERROR, THROTTLE, ERROR, ERROR]
    times, decision, state = walk(config(), lambda n: outcomes[n])
    assert times == [0, 1, 3, 63, 67, 187]
    assert decision == GiveUp(Condition.RETRIES_EXHAUSTED)
    assert (state.invokes, state.function_errors, state.backoffs) == (3, 3, 3)


def test_a_function_error_retry_past_the_maximum_age_gives_up_as_event_age_exceeded() -> None:
    times, decision, state = walk(config(maximum_event_age_seconds=60), lambda _: ERROR)
    assert times == [0, 60]  # the retry at 60 s is within age; the one at 180 s is not
    assert decision == GiveUp(Condition.EVENT_AGE_EXCEEDED)
    assert state.invokes == 2

    times, decision, _ = walk(config(maximum_event_age_seconds=100), lambda _: ERROR)
    assert times == [0, 60]
    assert decision == GiveUp(Condition.EVENT_AGE_EXCEEDED)


def test_an_event_is_expired_only_once_older_than_its_maximum_age() -> None:
    state = EventState(enqueued_at=START)
    cfg = config(maximum_event_age_seconds=60)
    assert not expired(state, cfg, START + 60)
    assert expired(state, cfg, START + 60.001)


def test_backoff_values() -> None:
    assert [backoff(n) for n in range(1, 12)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert backoff(10_000) == 300


@pytest.mark.parametrize(
    "kwargs",
    [
        {"maximum_retry_attempts": -1},
        {"maximum_retry_attempts": 3},
        {"maximum_event_age_seconds": 59},
        {"maximum_event_age_seconds": 21_601},
    ],
)
def test_config_limits(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="Maximum"):
        config(**kwargs)


def test_config_defaults() -> None:
    cfg = EventInvokeConfig(function_arn=ARN)
    assert (cfg.maximum_retry_attempts, cfg.maximum_event_age_seconds) == (2, 21_600)
    assert (cfg.on_success, cfg.on_failure, cfg.dead_letter_arn) == (None, None, None)
