"""The ``dead_letter`` function: the extract queue's DLQ -> retry once more, or record why.

For each dead-lettered message it reads the attempts the extract function recorded in the
failures table and applies ``handlers.failures.decide``: a transient-looking failure goes
back to the main queue once, with the ``retry-count`` message attribute; a permanent one, or
one that failed again after its retry, is recorded ``FAILED`` with the reason. A body that
is not an S3 event notification is recorded as such (keyed ``sqs://<message id>``).

The failure rows are written before the message is re-sent: if the send fails, the message
stays in the DLQ and is handled again (at least once; a second retry is possible when the
send succeeded but its acknowledgement was lost).

Environment: ``FAILURES_TABLE``, ``JOBS_QUEUE_URL``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from gearbox.app import S3Event, SQSBatch
from handlers.aws import client, from_item, now, to_item, update
from handlers.failures import RETRY_ATTRIBUTE, decide, object_id, retries_of


def dead_letter(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dict(SQSBatch(event).process(handle_dead_letter))


def handle_dead_letter(message: Any) -> None:
    retries = retries_of(message.message_attributes)
    objects = objects_in(message.body)
    if not objects:
        record(f"sqs://{message.message_id}", "FAILED", "not an S3 event notification", retries)
        return
    ids = [object_id(bucket, key) for bucket, key in objects]
    decision = decide([recorded_attempt(i) for i in ids], retries)
    for (bucket, key), oid in zip(objects, ids, strict=True):
        record(oid, decision.status, decision.reason, retries, bucket=bucket, key=key)
    if decision.retry:
        client("sqs").send_message(
            QueueUrl=os.environ["JOBS_QUEUE_URL"],
            MessageBody=message.body,
            MessageAttributes={
                RETRY_ATTRIBUTE: {"DataType": "Number", "StringValue": str(retries + 1)}
            },
        )


def objects_in(body: str) -> list[tuple[str, str]]:
    try:
        event = json.loads(body)
        return [(o.bucket, o.key) for o in S3Event.records(event)]
    except (ValueError, TypeError, KeyError, AttributeError):
        return []


def recorded_attempt(oid: str) -> dict[str, Any] | None:
    found = client("dynamodb").get_item(
        TableName=os.environ["FAILURES_TABLE"], Key=to_item({"object": oid}), ConsistentRead=True
    )
    item = found.get("Item")
    return from_item(item) if item else None


def record(
    oid: str,
    status: str,
    reason: str,
    retries: int,
    *,
    bucket: str | None = None,
    key: str | None = None,
) -> None:
    values: dict[str, Any] = {
        "status": status,
        "reason": reason,
        "dlq_retries": retries,
        "dead_lettered_at": now(),
    }
    if bucket is not None:
        values.update(bucket=bucket, key=key)
    client("dynamodb").update_item(
        TableName=os.environ["FAILURES_TABLE"], Key=to_item({"object": oid}), **update(values)
    )
