"""The journal as ``gearbox dev`` prints it, and what the journal keeps of an invocation."""

from __future__ import annotations

import json

from gearbox.dev.stream import line
from gearbox.local.functions.model import Invocation, InvokeResult
from gearbox.local.journal import describe

T = 1_700_000_000.25


def result(payload: bytes, error: str | None = None, init_ms: float | None = None) -> InvokeResult:
    return InvokeResult("r1", payload, error, "", 12.5, 13, 40, init_ms)


def test_an_sqs_invocation_with_partial_failures() -> None:
    invocation = Invocation("r1", b"{}", trigger="sqs:jobs", attempt=2)
    response = json.dumps({"batchItemFailures": [{"itemIdentifier": "m1"}]}).encode()
    detail = describe.invocation(invocation, result(response))
    assert detail["outcome"] == "partial"
    assert detail["failed_items"] == 1
    text = line({"id": 1, "time": T, "kind": "invocation", "function": "extract", **detail})
    assert "extract  <- sqs:jobs  receive 2  warm  12.5 ms  PARTIAL: 1 item(s) failed" in text


def test_a_failed_cold_async_retry() -> None:
    s3_event = json.dumps({"Records": [{"eventSource": "aws:s3"}]}).encode()
    invocation = Invocation("r1", s3_event, trigger="async", attempt=3)
    error = json.dumps({"errorType": "ValueError", "errorMessage": "bad"}).encode()
    detail = describe.invocation(invocation, result(error, "Unhandled", init_ms=250.0))
    assert detail["trigger"] == "async:s3"
    text = line({"id": 1, "time": T, "kind": "invocation", "function": "f", **detail})
    assert "f  <- async:s3  retry 2  cold (init 250 ms)  12.5 ms  ERROR ValueError: bad" in text


def test_schedule_and_plain_async_sources() -> None:
    scheduled = json.dumps({"source": "aws.events", "detail-type": "Scheduled Event"}).encode()
    assert describe.trigger(Invocation("r", scheduled, trigger="async")) == "async:schedule"
    assert describe.trigger(Invocation("r", b'{"process_id": "p"}', trigger="async")) == "async"
    assert describe.trigger(Invocation("r", b"[1]", trigger="async")) == "async"


def test_a_response_without_failures_is_ok_and_throttles_are_shown() -> None:
    detail = describe.invocation(Invocation("r", b"{}", trigger="sqs:q"), result(b"null"))
    assert detail["outcome"] == "ok"
    throttled = describe.throttled(Invocation("r", b"{}", trigger="sqs:q"))
    text = line({"id": 2, "time": T, "kind": "invocation", "function": "f", **throttled})
    assert "THROTTLED" in text


def test_dead_letters_and_failed_async_events() -> None:
    dead = {
        "id": 3,
        "time": T,
        "kind": "dead-letter",
        "function": None,
        "queue": "jobs",
        "dead_letter_queue": "jobs-dlq",
        "message_id": "m1",
    }
    assert "DEAD-LETTER  message m1 left jobs for jobs-dlq" in line(dead)
    failed = {
        "id": 4,
        "time": T,
        "kind": "async-failed",
        "function": "f",
        "request_id": "r",
        "condition": "RetriesExhausted",
        "invokes": 3,
        "sent_to": [],
    }
    assert "gave up: RetriesExhausted after 3 invocation(s); sent to nowhere" in line(failed)


def test_undelivered_events_and_sns_dead_letters() -> None:
    dropped = {
        "id": 5,
        "time": T,
        "kind": "undelivered",
        "function": None,
        "source": "s3:uploads",
        "destination": "arn:aws:sqs:us-east-1:123456789012:jobs",
        "event": "ObjectCreated:Put a.png",
        "reason": "Permissions on the destination queue do not allow S3 to publish",
    }
    assert line(dropped).endswith(
        "UNDELIVERED  ObjectCreated:Put a.png from s3:uploads to "
        "arn:aws:sqs:us-east-1:123456789012:jobs: Permissions on the destination queue do not "
        "allow S3 to publish"
    )
    moved = {
        "id": 6,
        "time": T,
        "kind": "dead-letter",
        "function": None,
        "queue": "arn:aws:sns:us-east-1:123456789012:t:sub",
        "dead_letter_queue": "arn:aws:sqs:us-east-1:123456789012:t-dlq",
        "message_id": "m2",
        "reason": "the queue does not exist",
    }
    assert line(moved).endswith(
        "for arn:aws:sqs:us-east-1:123456789012:t-dlq (the queue does not exist)"
    )
