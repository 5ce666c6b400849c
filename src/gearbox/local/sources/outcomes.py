"""What a batch's invocation means for its messages: delete them, or leave them for retry.

Pure. AWS's rules, from "Handling errors for an SQS event source in Lambda", section
*Implementing partial batch responses* / *Success and failure conditions*
(https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):

- The function errors (``X-Amz-Function-Error``): the whole batch returns to the queue.
- Without ``ReportBatchItemFailures`` in ``FunctionResponseTypes``, a successful invocation
  deletes the whole batch; the response is ignored ("Lambda doesn't evaluate" it).
- With ``ReportBatchItemFailures``, Lambda treats the batch as a complete success when the
  function returns an empty ``batchItemFailures`` list, a null ``batchItemFailures`` list, an
  empty ``EventResponse`` or a null ``EventResponse``; and as a complete failure when it
  returns an empty-string ``itemIdentifier``, a null ``itemIdentifier``, an
  ``itemIdentifier`` with a bad key name (not one of the batch's message ids), or a response
  that is not valid JSON. Otherwise only the listed messages are retried.

Gearbox's reading of "empty EventResponse": a response with no ``batchItemFailures`` key
(``{}``, or an object with other keys only) and a JSON ``null`` or empty payload. A response
that is valid JSON but not an object (a list, a string, a number) is a complete failure, as
is a ``batchItemFailures`` that is not a list or an entry that is not an object.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gearbox.local.functions.model import InvokeResult


@dataclass(frozen=True)
class BatchOutcome:
    delete: tuple[str, ...]  # message ids to delete (processed)
    retry: tuple[str, ...]  # message ids left in the queue (back after the visibility timeout)
    reason: str  # why, for the log


def decide(
    result: InvokeResult, message_ids: Sequence[str], report_batch_item_failures: bool
) -> BatchOutcome:
    ids = tuple(message_ids)
    if result.function_error:
        return BatchOutcome((), ids, "function error")
    if not report_batch_item_failures:
        return BatchOutcome(ids, (), "success")
    failed = _reported_failures(result.payload, set(ids))
    if failed is None:
        return BatchOutcome((), ids, "invalid batchItemFailures response")
    return BatchOutcome(
        tuple(i for i in ids if i not in failed),
        tuple(i for i in ids if i in failed),
        "partial batch response" if failed else "success",
    )


def _reported_failures(payload: bytes, known: set[str]) -> set[str] | None:  # noqa: PLR0911
    """The ids the response lists; an empty set for success; None for a complete failure."""
    if not payload.strip():
        return set()  # a null EventResponse
    try:
        response: Any = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        return None
    if response is None:
        return set()
    if not isinstance(response, dict):
        return None
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    failed: set[str] = set()
    for entry in failures:
        if not isinstance(entry, dict):
            return None
        identifier = entry.get("itemIdentifier")
        if not isinstance(identifier, str) or identifier == "" or identifier not in known:
            return None
        failed.add(identifier)
    return failed
