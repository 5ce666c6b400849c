"""What the journal keeps of one invocation: pure functions of the invocation and its result.

``trigger`` names what sent the event: ``sqs:<queue>``, ``dynamodb:<table>``, ``invoke``
(a synchronous Invoke), or for an asynchronous invoke ``async`` followed by the source the
event's shape shows (``async:s3``, ``async:sns``, ``async:schedule``), since S3, SNS and
EventBridge all reach Lambda through the async queue.
"""

from __future__ import annotations

import json
from typing import Any

from gearbox.local.functions.model import Invocation, InvokeResult

_SOURCES = {"aws:s3": "s3", "aws:sns": "sns", "aws:sqs": "sqs", "aws:dynamodb": "dynamodb"}


def invocation(invocation: Invocation, result: InvokeResult) -> dict[str, Any]:
    outcome = "ok" if result.function_error is None else "error"
    detail: dict[str, Any] = {
        "request_id": invocation.request_id,
        "trigger": trigger(invocation),
        "attempt": invocation.attempt,
        "outcome": outcome,
        "duration_ms": round(result.duration_ms, 3),
        "cold": result.init_ms is not None,
    }
    if result.init_ms is not None:
        detail["init_ms"] = round(result.init_ms, 3)
    if result.function_error is not None:
        detail["error_type"] = result.error_type or "Unhandled"
        detail["error_message"] = _error_message(result.payload)
    elif invocation.trigger.startswith(("sqs:", "dynamodb:")):
        failed = _batch_item_failures(result.payload)
        if failed:
            detail["outcome"] = "partial"
            detail["failed_items"] = failed
    return detail


def _batch_item_failures(payload: bytes) -> int:
    """How many items the response reports in ``batchItemFailures`` (a poller applies them
    only with ReportBatchItemFailures; the journal just shows what the function said)."""
    if b"batchItemFailures" not in payload:
        return 0
    try:
        body = json.loads(payload)
    except ValueError:
        return 0
    failures = body.get("batchItemFailures") if isinstance(body, dict) else None
    return len(failures) if isinstance(failures, list) else 0


def throttled(invocation: Invocation) -> dict[str, Any]:
    return {
        "request_id": invocation.request_id,
        "trigger": trigger(invocation),
        "attempt": invocation.attempt,
        "outcome": "throttled",
    }


def trigger(invocation: Invocation) -> str:
    if invocation.trigger != "async":
        return invocation.trigger
    source = _async_source(invocation.payload)
    return f"async:{source}" if source else "async"


def _async_source(payload: bytes) -> str | None:
    if not payload.startswith(b"{"):
        return None
    try:
        event = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        return "schedule"
    records = event.get("Records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        first = records[0]
        source = first.get("eventSource") or first.get("EventSource")
        return _SOURCES.get(str(source))
    return None


def _error_message(payload: bytes) -> str:
    try:
        body = json.loads(payload)
    except ValueError:
        return payload[:200].decode(errors="replace")
    if isinstance(body, dict):
        return str(body.get("errorMessage", ""))[:500]
    return str(body)[:200]
