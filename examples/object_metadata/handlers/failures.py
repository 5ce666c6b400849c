"""Failure policy, pure: is an error transient or permanent, how long to back off, and what the
dead-letter handler does with a message (retry it once more, or record why it failed).

The extract handler records each failed attempt (``classify``) in the failures table and
makes the message visible again after ``backoff(receive_count)`` seconds instead of the
queue's whole visibility timeout. After ``max_receive_count`` receives SQS moves the message
to the dead-letter queue, whose handler reads the recorded attempt and ``decide``s:

- a permanent error (the object is corrupt, gone, or the role may not read it): record it;
- otherwise, if the message has not been retried from the DLQ yet: send it back to the main
  queue with the ``retry-count`` message attribute (SQS keeps message attributes when it
  moves a message to a DLQ, so a second dead-lettering sees the count);
- otherwise: record that it still failed after the retry, with the last error seen.

No recorded attempt means the extract function never got to record one (a timeout or a
crash), which is treated as transient.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from handlers.metadata import ExtractionError

RETRY_ATTRIBUTE = "retry-count"
MAX_DLQ_RETRIES = 1
BACKOFF_BASE = 1  # seconds: 1, 2, 4, ... after receives 1, 2, 3
BACKOFF_CAP = 300
PERMANENT_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "404", "AccessDenied"})
NO_RECORD = "no error recorded (the function may have timed out or crashed)"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    permanent: bool
    error_type: str
    error: str


@dataclass(frozen=True, slots=True)
class Decision:
    retry: bool
    status: str  # "RETRIED" | "FAILED"
    reason: str


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError``; ``None`` for anything else."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def object_id(bucket: str, key: str) -> str:
    return f"s3://{bucket}/{key}"


def classify(exc: BaseException) -> Diagnosis:
    code = error_code(exc)
    permanent = isinstance(exc, ExtractionError) or code in PERMANENT_CODES
    error_type = code or type(exc).__name__
    return Diagnosis(permanent=permanent, error_type=error_type, error=str(exc) or error_type)


def backoff(receive_count: int) -> int:
    """Seconds until a failed message is received again: doubling, capped."""
    return int(min(BACKOFF_BASE * 2 ** max(receive_count - 1, 0), BACKOFF_CAP))


def retries_of(message_attributes: Mapping[str, Any]) -> int:
    """The ``retry-count`` attribute of a Lambda SQS record (0 when absent or unreadable)."""
    attribute = message_attributes.get(RETRY_ATTRIBUTE) or {}
    value = attribute.get("stringValue", attribute.get("StringValue", "0"))
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0


def decide(
    recorded: Sequence[Mapping[str, Any] | None], retries: int, max_retries: int = MAX_DLQ_RETRIES
) -> Decision:
    """What to do with a dead-lettered message, from its objects' recorded attempts."""
    for attempt in recorded:
        if attempt and attempt.get("permanent"):
            return Decision(False, "FAILED", f"permanent: {_describe(attempt)}")
    last = next((_describe(a) for a in recorded if a), NO_RECORD)
    if retries >= max_retries:
        return Decision(False, "FAILED", f"still failing after {retries} retry: {last}")
    return Decision(
        True, "RETRIED", f"looks transient ({last}); retry {retries + 1} of {max_retries}"
    )


def _describe(attempt: Mapping[str, Any]) -> str:
    return f"{attempt.get('error_type', 'Error')}: {attempt.get('error', '')}"
