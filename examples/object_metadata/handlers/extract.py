"""The ``extract`` function: S3 -> SQS -> here -> metadata table, then the async steps.

Each SQS message holds an S3 event notification. For every object in it the handler streams
the object (``iter_chunks``, never the whole body in memory), derives its metadata
(``handlers.metadata``), starts a process in the processes table, writes the metadata row
(with the process id) and invokes each follow-up step asynchronously (``handlers.plan``).

Failures are per message (the trigger reports partial batch failures): a failed message is
reported in ``batchItemFailures``, its attempt is recorded in the failures table
(``handlers.failures.classify``) and it is made visible again after a short backoff rather
than the queue's whole visibility timeout. After the queue's ``max_receive_count`` receives
SQS moves it to the dead-letter queue (``handlers.dead_letter``). A message that succeeds
after failing marks its failure row ``RECOVERED``. Re-describing an object is idempotent for
the metadata row; a retried message starts a new process (the old one stays ``RUNNING`` with
the steps it had). S3 puts one record in each message, so a message is one object in practice.

Environment: ``TABLE_NAME`` (metadata), ``PROCESSES_TABLE``, ``FAILURES_TABLE``,
``JOBS_QUEUE_URL`` and the step functions' names (``handlers.plan.STEP_FUNCTIONS``).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from gearbox.app import ProcessState, S3Event, SQSBatch, invoke_async
from handlers.aws import client, now, to_item, update
from handlers.failures import backoff, classify, error_code, object_id, retries_of
from handlers.metadata import derive
from handlers.plan import STEP_FUNCTIONS, steps_for

CHUNK_BYTES = 1024 * 1024
log = logging.getLogger(__name__)


class ObjectFailed(Exception):
    """Describing one object of a message failed; ``__cause__`` is why."""

    def __init__(self, bucket: str, key: str) -> None:
        super().__init__(object_id(bucket, key))
        self.bucket, self.key = bucket, key


def extract(event: dict[str, Any], context: Any) -> dict[str, Any]:
    receipts = {r.get("messageId"): r.get("receiptHandle") for r in event.get("Records", [])}
    failed: list[str] = []
    for message in SQSBatch(event):
        try:
            handle_message(message)
        except Exception as exc:  # one message's failure must not fail the others
            log.warning("message %s failed: %r", message.message_id, exc.__cause__ or exc)
            failed.append(message.message_id)
            note_failure(message, receipts.get(message.message_id), exc)
    return dict(SQSBatch.failures(failed))


def handle_message(message: Any) -> None:
    body = message.json()
    if isinstance(body, dict) and body.get("Event") == "s3:TestEvent":
        return
    objects = S3Event.records(body)
    if not objects:
        raise ValueError("the message holds no S3 event record")
    for obj in objects:
        try:
            describe_object(obj.bucket, obj.key, obj.version_id)
        except Exception as exc:
            raise ObjectFailed(obj.bucket, obj.key) from exc
        if message.receive_count > 1 or retries_of(message.message_attributes):
            mark_recovered(object_id(obj.bucket, obj.key))


def describe_object(bucket: str, key: str, version_id: str | None) -> str:
    """Describe one object, record it, start its steps; returns the process id."""
    request = {"Bucket": bucket, "Key": key}
    if version_id:
        request["VersionId"] = version_id
    response = client("s3").get_object(**request)
    meta = derive(response["Body"].iter_chunks(CHUNK_BYTES), key)
    steps = steps_for(meta.content_type)
    state = ProcessState(client("dynamodb"), os.environ["PROCESSES_TABLE"])
    process_id = str(state.start(steps, input={"bucket": bucket, "key": key}))
    row = {
        "bucket": bucket,
        "key": key,
        **meta.as_item(),
        "etag": str(response.get("ETag", "")).strip('"') or None,
        "extracted_at": now(),
        "process_id": process_id,
    }
    client("dynamodb").put_item(TableName=os.environ["TABLE_NAME"], Item=to_item(row))
    payload = {
        "bucket": bucket,
        "key": key,
        "content_type": meta.content_type,
        "size": meta.size,
        "sha256": meta.sha256,
    }
    for step in steps:
        function_name = os.environ[STEP_FUNCTIONS[step]]
        invoke_async(client("lambda"), function_name, payload, process_id)
    return process_id


def note_failure(message: Any, receipt_handle: str | None, exc: Exception) -> None:
    """Record the attempt and shorten the wait before the next one; never raises."""
    try:
        if isinstance(exc, ObjectFailed) and exc.__cause__ is not None:
            record_attempt(exc.bucket, exc.key, message.message_id, exc.__cause__)
        if receipt_handle:
            client("sqs").change_message_visibility(
                QueueUrl=os.environ["JOBS_QUEUE_URL"],
                ReceiptHandle=receipt_handle,
                VisibilityTimeout=backoff(message.receive_count),
            )
    except Exception as problem:  # the message is reported failed either way
        log.warning("could not record the failure of %s: %r", message.message_id, problem)


def record_attempt(bucket: str, key: str, message_id: str, cause: BaseException) -> None:
    diagnosis = classify(cause)
    attempt = {
        "status": "RETRYING",
        "bucket": bucket,
        "key": key,
        "message_id": message_id,
        "error_type": diagnosis.error_type,
        "error": diagnosis.error[:1000],
        "permanent": diagnosis.permanent,
        "last_attempt_at": now(),
    }
    client("dynamodb").update_item(
        TableName=os.environ["FAILURES_TABLE"],
        Key=to_item({"object": object_id(bucket, key)}),
        **update(attempt, {"attempts": 1}),
    )


def mark_recovered(object_key: str) -> None:
    """A failure row for this object, if any, says it finally succeeded; never raises."""
    args = update({"status": "RECOVERED", "recovered_at": now()})
    args["ExpressionAttributeNames"]["#object"] = "object"
    try:
        client("dynamodb").update_item(
            TableName=os.environ["FAILURES_TABLE"],
            Key=to_item({"object": object_key}),
            ConditionExpression="attribute_exists(#object)",
            **args,
        )
    except Exception as exc:  # the metadata is written; a stale failure row is cosmetic
        if error_code(exc) != "ConditionalCheckFailedException":
            log.warning("could not mark %s recovered: %r", object_key, exc)
