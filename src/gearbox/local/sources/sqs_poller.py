"""Pollers of SQS event source mappings: receive, filter, invoke, delete what is done.

Each enabled mapping gets one ``SqsPoller`` task on the edge's event loop (``PollerManager``
starts, restarts and stops them as mappings are created, updated and deleted). A poller uses
Gearbox's SQS only through a ``QueueAccess``: in the local cloud ``SqsService``'s own
``receive``/``delete`` (the same operations as ReceiveMessage and DeleteMessageBatch, run
in-process on the event loop, without an HTTP round trip through the edge); otherwise
``BotoQueueAccess``, boto3 against the local endpoint in a worker thread:

1. ReceiveMessage (up to 10 at a time, ``WaitTimeSeconds=0``) until ``BatchSize`` messages or
   ``MaximumBatchingWindowInSeconds`` (real seconds, counted from the first message) pass;
2. build AWS's SQS records (``record_of``; compared with AWS's sample event in
   ``tests/unit/samples/sqs_event.json``) and delete the records no filter matches;
3. invoke the function synchronously (RequestResponse) with ``{"Records": [...]}``;
4. ``outcomes.decide`` which messages are done; DeleteMessageBatch those. The others stay in
   flight and come back after the queue's visibility timeout, so the queue's own
   RedrivePolicy moves them to its dead-letter queue after ``maxReceiveCount`` receives.

Up to ``MaximumConcurrency`` batches (default ``DEFAULT_CONCURRENCY``) are invoked at once. A
throttled invocation (``Throttled``), a function that no longer exists or an unexpected error
leaves the batch to come back after the visibility timeout.

FIFO queues: SQS itself returns no message of a message group while another of that group is
in flight, so a group's next batch is never invoked before its previous batch is deleted or
has become visible again: order per group holds across concurrent batches.

Where it differs from AWS: the poller count does not scale with the backlog (it runs at most
``MaximumConcurrency`` batches, default 5); the batching window starts at the first message
received; the 6 MB payload limit of a batch is not enforced.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from gearbox.clock import Clock, SystemClock
from gearbox.local.functions.model import Invocation, InvokeResult, Throttled
from gearbox.local.journal import Undelivered
from gearbox.local.sources import filters
from gearbox.local.sources.outcomes import decide
from gearbox.local.sources.sqs_mapping import MappingStore, SqsMapping
from gearbox.local.sources.stream_mapping import StreamMapping

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 5
POLL_SECONDS = 0.1

Invoker = Callable[[str, Invocation], Awaitable[InvokeResult]]
ClientFactory = Callable[[str], Any]  # region -> boto3 SQS client

# The system attributes Lambda puts in a record's "attributes", in AWS's order.
_RECORD_ATTRIBUTES = (
    "ApproximateReceiveCount",
    "AWSTraceHeader",
    "SentTimestamp",
    "SequenceNumber",
    "MessageGroupId",
    "SenderId",
    "MessageDeduplicationId",
    "ApproximateFirstReceiveTimestamp",
    "DeadLetterQueueSourceArn",
)


def record_of(message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
    """The SQS record Lambda sends for one ReceiveMessage message (boto3's shape)."""
    system = message.get("Attributes") or {}
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {k: system[k] for k in _RECORD_ATTRIBUTES if k in system},
        "messageAttributes": {
            name: _message_attribute(value)
            for name, value in (message.get("MessageAttributes") or {}).items()
        },
        "md5OfBody": message.get("MD5OfBody", ""),
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    record["eventSource"] = "aws:sqs"
    record["eventSourceARN"] = queue_arn
    record["awsRegion"] = queue_arn.split(":")[3]
    return record


def _message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        out["binaryValue"] = _b64(value["BinaryValue"])
    out["stringListValues"] = list(value.get("StringListValues") or [])
    out["binaryListValues"] = [_b64(v) for v in value.get("BinaryListValues") or []]
    out["dataType"] = value.get("DataType", "String")
    return out


def _b64(value: bytes | str) -> str:
    return base64.b64encode(value if isinstance(value, bytes) else value.encode()).decode()


def queue_url(endpoint_url: str, queue_arn: str) -> str:
    parts = queue_arn.split(":")
    return f"{endpoint_url.rstrip('/')}/{parts[4]}/{parts[5]}"


class SqsPoller:
    """Moves one mapping's messages from its queue to its function."""

    def __init__(
        self,
        mapping: SqsMapping,
        queues: QueueAccess,
        invoke: Invoker,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.mapping = mapping
        self._queues = queues
        self._invoke = invoke
        self._poll = poll_seconds
        self._patterns = mapping.patterns()

    async def step(self) -> int:
        """Receive one batch and run it to the end; the number of messages received."""
        batch = await self._collect()
        if batch:
            await self._handle(batch)
        return len(batch)

    async def run_forever(self) -> None:
        limit = self.mapping.maximum_concurrency or DEFAULT_CONCURRENCY
        running: set[asyncio.Task[None]] = set()
        try:
            while True:
                if len(running) >= limit:
                    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    continue
                try:
                    batch = await self._collect(wait=self._poll)
                except Exception:  # the queue is gone, the edge is stopping, ...
                    log.info("event source %s: receive failed", self.mapping.uuid, exc_info=True)
                    await asyncio.sleep(1.0)
                    continue
                if not batch:
                    continue  # the receive already waited for a message
                task = asyncio.get_running_loop().create_task(self._handle(batch))
                running.add(task)
                task.add_done_callback(running.discard)
        finally:
            for task in list(running):
                task.cancel()
            for task in list(running):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _collect(self, wait: float = 0.0) -> list[dict[str, Any]]:
        wanted = self.mapping.batch_size
        got = await self._receive(min(10, wanted), wait)
        if not got or self.mapping.maximum_batching_window <= 0:
            return got
        deadline = time.monotonic() + self.mapping.maximum_batching_window
        while len(got) < wanted:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            more = await self._receive(min(10, wanted - len(got)))
            if more:
                got.extend(more)
            else:
                await asyncio.sleep(min(self._poll, remaining))
        return got

    async def _receive(self, count: int, wait: float = 0.0) -> list[dict[str, Any]]:
        return await self._queues.receive(self.mapping.event_source_arn, count, wait)

    async def _handle(self, messages: list[dict[str, Any]]) -> None:
        arn = self.mapping.event_source_arn
        records = [record_of(m, arn) for m in messages]
        kept = [r for r in records if filters.matches_any(self._patterns, r)]
        dropped = [r for r in records if r not in kept]
        if dropped:
            await self._delete([r["receiptHandle"] for r in dropped])
        if not kept:
            return
        invocation = Invocation(
            request_id=str(uuid.uuid4()),
            payload=json.dumps({"Records": kept}).encode(),
            trigger="sqs:" + arn.rsplit(":", 1)[-1],
            attempt=max(int(r["attributes"]["ApproximateReceiveCount"]) for r in kept),
        )
        try:
            result = await self._invoke(self.mapping.function_arn, invocation)
        except Throttled:
            log.info("event source %s: throttled; the batch will be retried", self.mapping.uuid)
            return
        except LookupError:
            log.warning("event source %s: the function is gone", self.mapping.uuid)
            return
        except Exception:
            log.exception("event source %s: invocation failed", self.mapping.uuid)
            return
        outcome = decide(
            result, [r["messageId"] for r in kept], self.mapping.report_batch_item_failures
        )
        done = set(outcome.delete)
        await self._delete([r["receiptHandle"] for r in kept if r["messageId"] in done])

    async def _delete(self, handles: list[str]) -> None:
        if handles:
            await self._queues.delete(self.mapping.event_source_arn, handles)


class QueueAccess(Protocol):
    """Receive and delete on an SQS queue named by ARN, as a poller needs them."""

    async def receive(self, queue_arn: str, count: int, wait: float = 0.0) -> list[dict[str, Any]]:
        """Up to ``count`` messages; when there are none, wait up to ``wait`` seconds for
        one (or simply that long) before answering."""
        ...

    async def delete(self, queue_arn: str, handles: list[str]) -> None: ...


class BotoQueueAccess:
    """``QueueAccess`` through boto3 against the local endpoint, in a worker thread."""

    def __init__(self, clients: ClientFactory, endpoint_url: str) -> None:
        self._clients = clients
        self._endpoint_url = endpoint_url

    async def receive(self, queue_arn: str, count: int, wait: float = 0.0) -> list[dict[str, Any]]:
        sqs = self._clients(queue_arn.split(":")[3])

        def receive() -> list[dict[str, Any]]:
            answer = sqs.receive_message(
                QueueUrl=queue_url(self._endpoint_url, queue_arn),
                MaxNumberOfMessages=count,
                WaitTimeSeconds=0,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            return list(answer.get("Messages", []))

        got = await asyncio.to_thread(receive)
        if not got and wait > 0:
            await asyncio.sleep(wait)
        return got

    async def delete(self, queue_arn: str, handles: list[str]) -> None:
        sqs = self._clients(queue_arn.split(":")[3])
        url = queue_url(self._endpoint_url, queue_arn)

        def delete() -> None:
            for start in range(0, len(handles), 10):
                chunk = handles[start : start + 10]
                sqs.delete_message_batch(
                    QueueUrl=url,
                    Entries=[{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)],
                )

        await asyncio.to_thread(delete)


class PollerManager:
    """One poller task per enabled mapping; reacts to mappings created, updated, deleted.

    SQS mappings get an ``SqsPoller``; DynamoDB Streams mappings a ``DynamoDbPoller``, which
    needs ``service_clients`` ((service, region) -> boto3 client) and the injected ``clock``.
    """

    # Called with (source, destination, event, reason) for stream records discarded, for the
    # journal; set by whoever assembles the service.
    on_undelivered: Undelivered | None = None

    def __init__(
        self,
        store: MappingStore,
        endpoint_url: str,
        clients: ClientFactory,
        invoke: Invoker,
        *,
        service_clients: Callable[[str, str], Any] | None = None,
        clock: Clock | None = None,
        queues: QueueAccess | None = None,
    ) -> None:
        self.store = store
        self._queues: QueueAccess = queues or BotoQueueAccess(clients, endpoint_url)
        self._endpoint_url = endpoint_url
        self._clients = clients
        self._invoke = invoke
        self._service_clients = service_clients
        self._clock: Clock = clock or SystemClock()
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Start pollers for every enabled mapping (call on the edge's event loop)."""
        self._loop = asyncio.get_running_loop()
        for mapping in self.store.all():
            self.changed(mapping)

    def changed(self, mapping: SqsMapping | StreamMapping) -> None:
        """(Re)start the mapping's poller with its new settings, or stop it if disabled."""
        self._cancel(mapping.uuid)
        if self._loop is None or not mapping.enabled:
            return
        if isinstance(mapping, StreamMapping):
            from gearbox.local.sources.dynamodb_poller import DynamoDbPoller

            runner = DynamoDbPoller(
                mapping,
                self.store,
                self._streams_clients(),
                endpoint_url=self._endpoint_url,
                invoke=self._invoke,
                clock=self._clock,
                on_undelivered=self.on_undelivered,
            ).run_forever()
        else:
            runner = SqsPoller(mapping, self._queues, self._invoke).run_forever()
        self._tasks[mapping.uuid] = self._loop.create_task(runner)

    def _streams_clients(self) -> Callable[[str, str], Any]:
        if self._service_clients is None:
            raise RuntimeError("DynamoDB Streams mappings need service_clients")
        return self._service_clients

    async def stream_exists(self, stream_arn: str) -> bool:
        """Whether the DynamoDB stream exists (through the streams API)."""
        from gearbox.local.sources.dynamodb_poller import stream_exists

        return await asyncio.to_thread(stream_exists, self._streams_clients(), stream_arn)

    async def start_latest(self, mapping: StreamMapping) -> None:
        """Checkpoint every shard of a ``LATEST`` mapping where it ends now."""
        from gearbox.local.sources.dynamodb_poller import latest_positions

        positions = await asyncio.to_thread(
            latest_positions, self._streams_clients(), mapping.event_source_arn
        )
        for shard, sequence in positions.items():
            self.store.checkpoint(mapping.uuid, shard, sequence)

    def removed(self, mapping_uuid: str) -> None:
        self._cancel(mapping_uuid)

    def running(self, mapping_uuid: str) -> bool:
        return mapping_uuid in self._tasks

    def _cancel(self, mapping_uuid: str) -> None:
        task = self._tasks.pop(mapping_uuid, None)
        if task is not None:
            task.cancel()

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._loop = None

    async def queue_attributes(self, queue_arn: str) -> dict[str, str] | None:
        """The queue's attributes (through SQS's API); None when it does not exist."""
        parts = queue_arn.split(":")
        if len(parts) != 6 or parts[2] != "sqs":
            return None

        def get() -> dict[str, str] | None:
            try:
                answer = self._clients(parts[3]).get_queue_attributes(
                    QueueUrl=queue_url(self._endpoint_url, queue_arn), AttributeNames=["All"]
                )
            except Exception:  # any SQS error means: no such queue here
                return None
            return dict(answer.get("Attributes") or {})

        return await asyncio.to_thread(get)
