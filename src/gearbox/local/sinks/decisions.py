"""What happens to an asynchronous event after an attempt: pure functions, no I/O, no clock.

The rules (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html):

- Function error (the handler raised, or the runtime failed it, e.g. a timeout): retried up
  to ``MaximumRetryAttempts`` times, "with a one-minute wait between the first two attempts,
  and two minutes between the second and third attempts". With the default of 2 retries a
  failing event runs at about 0 s, 60 s and 180 s and then gives up with
  ``RetriesExhausted``.
- Throttle (429) or system error (500-series): "Lambda returns the event to the queue and
  attempts to run the function again for up to 6 hours" (``MaximumEventAgeInSeconds``);
  "the retry interval increases exponentially from 1 second after the first attempt to a
  maximum of 5 minutes". Throttles and system errors do not use up retry attempts.
- An event older than ``MaximumEventAgeInSeconds`` is discarded with ``EventAgeExceeded``
  (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configuring.html).
- Success goes to the on-success destination with condition ``Success``; a discarded event
  goes to the on-failure destination and/or the dead-letter queue
  (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).

Where it differs from AWS: the waits are exact (AWS says "about"), measured from the end of
the attempt; AWS stretches them further when the queue is long, Gearbox does not. When the
next function-error retry would fall after the event's maximum age, the event is given up
at once with ``EventAgeExceeded`` rather than held until it expires; a throttled event is
retried one last time at the moment it reaches its maximum age. ``approximateInvokeCount``
counts attempts that ran the function; throttled attempts are not counted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from gearbox.local.sinks.config import EventInvokeConfig

FUNCTION_ERROR_WAITS = (60.0, 120.0)  # before retry 1, before retry 2
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 300.0


class Condition(StrEnum):
    """``requestContext.condition`` of an invocation record."""

    SUCCESS = "Success"
    RETRIES_EXHAUSTED = "RetriesExhausted"
    EVENT_AGE_EXCEEDED = "EventAgeExceeded"


# outcomes of one attempt


@dataclass(frozen=True)
class Succeeded:
    response: bytes


@dataclass(frozen=True)
class FunctionFailed:
    """The function ran and failed; ``response`` is Lambda's error JSON."""

    response: bytes
    function_error: str = "Unhandled"


@dataclass(frozen=True)
class WasThrottled:
    """No concurrency left for the function (429); it did not run."""

    reason: str


@dataclass(frozen=True)
class SystemFailed:
    """Lambda itself failed to run the function (500-series); it did not run."""

    message: str


Outcome = Succeeded | FunctionFailed | WasThrottled | SystemFailed


@dataclass(frozen=True)
class EventState:
    """What the queue remembers of an event between attempts."""

    enqueued_at: float
    invokes: int = 0  # attempts that ran the function (approximateInvokeCount)
    function_errors: int = 0  # attempts that ended in a function error
    backoffs: int = 0  # attempts that were throttled or hit a system error


# decisions


@dataclass(frozen=True)
class Deliver:
    """Done: the function succeeded (to the on-success destination)."""

    condition: Condition = Condition.SUCCESS


@dataclass(frozen=True)
class Retry:
    at: float


@dataclass(frozen=True)
class GiveUp:
    """Done: discarded (to the on-failure destination and the dead-letter queue)."""

    condition: Condition


Decision = Deliver | Retry | GiveUp


def count(state: EventState, outcome: Outcome) -> EventState:
    """The state after ``outcome``."""
    match outcome:
        case Succeeded():
            return replace(state, invokes=state.invokes + 1)
        case FunctionFailed():
            return replace(
                state, invokes=state.invokes + 1, function_errors=state.function_errors + 1
            )
        case WasThrottled() | SystemFailed():
            return replace(state, backoffs=state.backoffs + 1)


def expired(state: EventState, config: EventInvokeConfig, now: float) -> bool:
    """Whether the event is older than MaximumEventAgeInSeconds (checked before each attempt)."""
    return now - state.enqueued_at > config.maximum_event_age_seconds


def decide(state: EventState, outcome: Outcome, config: EventInvokeConfig, now: float) -> Decision:
    """What to do after an attempt that ended at ``now``; ``state`` is from before it."""
    after = count(state, outcome)
    deadline = state.enqueued_at + config.maximum_event_age_seconds
    match outcome:
        case Succeeded():
            return Deliver()
        case FunctionFailed():
            if after.function_errors > config.maximum_retry_attempts:
                return GiveUp(Condition.RETRIES_EXHAUSTED)
            at = now + function_error_wait(after.function_errors)
            return Retry(at) if at <= deadline else GiveUp(Condition.EVENT_AGE_EXCEEDED)
        case WasThrottled() | SystemFailed():
            at = now + backoff(after.backoffs)
            if at <= deadline:
                return Retry(at)
            return Retry(deadline) if now < deadline else GiveUp(Condition.EVENT_AGE_EXCEEDED)


def function_error_wait(errors: int) -> float:
    """The wait before the retry that follows the ``errors``-th function error."""
    return FUNCTION_ERROR_WAITS[min(errors, len(FUNCTION_ERROR_WAITS)) - 1]


def backoff(backoffs: int) -> float:
    """The wait after the ``backoffs``-th throttle or system error: 1, 2, 4, ... 300 s."""
    return min(BACKOFF_FIRST * float(2 ** min(backoffs - 1, 16)), BACKOFF_MAX)
