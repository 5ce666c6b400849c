"""What destinations and dead-letter queues receive: pure functions, no I/O.

Invocation record (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html,
sample "Example invocation record")::

    {"version": "1.0", "timestamp": "2019-11-14T18:16:05.568Z",
     "requestContext": {"requestId", "functionArn": "...:function:my-function:$LATEST",
                        "condition": "RetriesExhausted", "approximateInvokeCount": 3},
     "requestPayload": <the event, parsed>,
     "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                         "functionError": "Unhandled"},
     "responsePayload": <the function's response or error object, parsed>}

Dead-letter message (same page, "Dead-letter queues"): only the event body, as-is, with
message attributes ``RequestID`` (String), ``ErrorCode`` (Number, the HTTP status) and
``ErrorMessage`` (String, the first 1 KB of the error message).

EventBridge destinations get the record as ``Detail``, ``Source`` "lambda" and ``DetailType``
"Lambda Function Invocation Result - Success" or "... - Failure" (same page).

Where it differs from AWS (undocumented there, so chosen here): when the function never ran
(the event only ever met throttles or system errors, or loop detection stopped it) the record
has neither ``responseContext`` nor ``responsePayload``; the DLQ message then carries
``ErrorCode`` 429 (throttle), 500 (system error) or 400 (recursive loop: the status of
``RecursiveInvocationException`` in the Lambda API) and the reason as ``ErrorMessage``. A
function error gives ``ErrorCode`` 200, the status of the Invoke that returned it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gearbox.local.sinks.decisions import Condition

RECORD_VERSION = "1.0"
EXECUTED_VERSION = "$LATEST"
ERROR_MESSAGE_BYTES = 1024
DLQ_ATTRIBUTE_TYPES = {"RequestID": "String", "ErrorCode": "Number", "ErrorMessage": "String"}
EVENTBRIDGE_SOURCE = "lambda"
DETAIL_TYPE_SUCCESS = "Lambda Function Invocation Result - Success"
DETAIL_TYPE_FAILURE = "Lambda Function Invocation Result - Failure"


@dataclass(frozen=True)
class LastResponse:
    """What the function returned on its last run: payload and X-Amz-Function-Error."""

    payload: bytes
    function_error: str | None


def invocation_record(
    *,
    request_id: str,
    function_arn: str,
    condition: Condition,
    approximate_invoke_count: int,
    request_payload: bytes,
    response: LastResponse | None,
    now: float,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "version": RECORD_VERSION,
        "timestamp": timestamp(now),
        "requestContext": {
            "requestId": request_id,
            "functionArn": qualified(function_arn),
            "condition": str(condition),
            "approximateInvokeCount": approximate_invoke_count,
        },
        "requestPayload": parse(request_payload),
    }
    if response is not None:
        context: dict[str, Any] = {"statusCode": 200, "executedVersion": EXECUTED_VERSION}
        if response.function_error is not None:
            context["functionError"] = response.function_error
        record["responseContext"] = context
        record["responsePayload"] = parse(response.payload)
    return record


def dead_letter_attributes(request_id: str, error_code: int, error_message: str) -> dict[str, str]:
    """Message attributes of a DLQ message; their data types are ``DLQ_ATTRIBUTE_TYPES``."""
    return {
        "RequestID": request_id,
        "ErrorCode": str(error_code),
        "ErrorMessage": truncate(error_message or "Unknown error", ERROR_MESSAGE_BYTES),
    }


def error_message(response: bytes) -> str:
    """The ``errorMessage`` of Lambda's error JSON, or the response itself."""
    parsed = parse(response)
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    return response.decode("utf-8", errors="replace")


def detail_type(record: dict[str, Any]) -> str:
    """EventBridge ``DetailType`` for a record."""
    success = record.get("requestContext", {}).get("condition") == Condition.SUCCESS
    return DETAIL_TYPE_SUCCESS if success else DETAIL_TYPE_FAILURE


def timestamp(now: float) -> str:
    """ISO-8601 in UTC with milliseconds and ``Z``: ``2019-11-14T18:16:05.568Z``."""
    millis = round(now * 1000)
    moment = datetime.fromtimestamp(millis // 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis % 1000:03d}Z"


def qualified(function_arn: str) -> str:
    """The function ARN with the ``$LATEST`` qualifier, as records name it."""
    parts = function_arn.split(":")
    return function_arn if len(parts) > 7 else f"{function_arn}:{EXECUTED_VERSION}"


def parse(payload: bytes) -> Any:
    """A payload as JSON, or as text when it is not JSON (Lambda requires JSON events)."""
    text = payload.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def truncate(text: str, limit: int) -> str:
    return text.encode("utf-8")[:limit].decode("utf-8", errors="ignore")
