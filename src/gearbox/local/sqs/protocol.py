"""SQS on the wire: the JSON protocol (``X-Amz-Target: AmazonSQS.<Operation>``).

This is the service the edge dispatches SQS requests to. Per request: parse the JSON body,
check it against botocore's model of the operation's input (required members and types, so
the checks track AWS's model), run the operation, and answer with JSON or an AWS-shaped
error (``__type`` plus the ``x-amzn-query-error`` header). Long polling waits here, on the
event loop, woken by sends to the queue.

Where it differs from AWS: the older query protocol (``Action=SendMessage`` in a form body)
is answered with an error that says to use the JSON protocol, which boto3 and the aws CLI
have spoken since 2023.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from gearbox.clock import Clock
from gearbox.local.edge.chain import Exchange
from gearbox.local.edge.messages import Response
from gearbox.local.sqs.errors import SqsError, invalid_parameter, queue_does_not_exist
from gearbox.local.sqs.messaging import Messaging
from gearbox.local.sqs.movetasks import MoveTasks
from gearbox.local.sqs.permissions import add_permission, remove_permission
from gearbox.local.sqs.queues import Queue
from gearbox.local.sqs.registry import QueueRegistry, readable_names
from gearbox.local.sqs.store import Store

_JSON = "application/x-amz-json-1.0"
_DEFAULT_SENDER = "AIDAGEARBOXLOCALUSER"
# A long poll rechecks the queue at least this often (real seconds), so messages made
# visible by a clock that moved without a send (visibility expiry, a test's ManualClock)
# are seen promptly.
_RECHECK = 0.25

Operation = Callable[[Exchange, dict[str, Any]], Awaitable[dict[str, Any]]]


class SqsService:
    """Gearbox's SQS: owns the store and answers the JSON protocol."""

    target_prefix = "AmazonSQS"

    def __init__(self, db_path: Path, clock: Clock, account: str) -> None:
        self._store = Store(db_path)
        self._clock = clock
        self._account = account
        self.registry = QueueRegistry(self._store, clock)
        self.messaging = Messaging(self.registry, self._store, clock)
        self.move_tasks = MoveTasks(self.registry, self._store, clock)
        self._waiters: dict[int, set[asyncio.Future[None]]] = {}
        self.messaging.on_visible.append(self._wake)
        self.registry.on_delete.append(self._wake)
        self._operations: dict[str, Operation] = {
            name: getattr(self, "_op_" + name) for name in _OPERATION_NAMES
        }
        self._model: Any = None

    def close(self) -> None:
        self._store.close()

    def send_to(
        self,
        queue_arn: str,
        body: str,
        attributes: dict[str, dict[str, str]] | None,
        sender: str,
    ) -> None:
        """SendMessage for the local cloud's own producers (S3 notifications, Lambda
        destinations), in-process: the same checks and durability as the API, without an
        HTTP round trip through the edge. Raises ``SqsError`` as SendMessage would answer."""
        queue = self.registry.by_arn(queue_arn)
        if queue is None:
            raise queue_does_not_exist()
        entry: dict[str, Any] = {"MessageBody": body}
        if attributes:
            entry["MessageAttributes"] = attributes
        self.messaging.send(queue, entry, sender)

    async def receive(self, queue_arn: str, count: int, wait: float = 0.0) -> list[dict[str, Any]]:
        """ReceiveMessage (every attribute) for the local cloud's own pollers, in-process;
        when the queue has nothing, wait up to ``wait`` seconds for a send, as a long poll
        does. Raises ``SqsError`` as the API would answer."""
        queue = self.registry.by_arn(queue_arn)
        if queue is None:
            raise queue_does_not_exist()
        params = {
            "MaxNumberOfMessages": count,
            "MessageSystemAttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }
        got = self.messaging.receive(queue, params)
        if got or wait <= 0:
            return got
        await self._wait(queue, wait)
        return self.messaging.receive(queue, params) if self.registry.by_arn(queue_arn) else []

    async def delete(self, queue_arn: str, handles: list[str]) -> None:
        """DeleteMessageBatch for the local cloud's own pollers, in-process."""
        queue = self.registry.by_arn(queue_arn)
        if queue is None:
            raise queue_does_not_exist()
        for start in range(0, len(handles), 10):
            chunk = handles[start : start + 10]
            self.messaging.delete_batch(
                queue, [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(chunk)]
            )

    async def handle(self, exchange: Exchange) -> Response:
        try:
            operation, params = self._parse(exchange)
            result = await operation(exchange, params)
        except SqsError as error:
            return _error_response(exchange, error)
        body = json.dumps(result, separators=(",", ":")).encode()
        return Response(
            200,
            (("Content-Type", _JSON), ("x-amzn-RequestId", exchange.request_id)),
            body,
        )

    # request parsing

    def _parse(self, exchange: Exchange) -> tuple[Operation, dict[str, Any]]:
        request = exchange.request
        target = request.header("x-amz-target")
        if not target:
            raise SqsError(
                "InvalidAction",
                "Gearbox's SQS speaks the JSON protocol (X-Amz-Target: AmazonSQS.<Operation>); "
                "this request uses the query protocol. Use a current AWS SDK or CLI.",
            )
        prefix, _, name = target.partition(".")
        operation = self._operations.get(name) if prefix == "AmazonSQS" else None
        if operation is None:
            raise SqsError("UnknownOperationException", f"Unknown operation {target}.")
        try:
            params = json.loads(request.body or b"{}")
        except (ValueError, UnicodeDecodeError) as exc:
            raise SqsError("SerializationException", "The request body is not valid JSON.") from exc
        if not isinstance(params, dict):
            raise SqsError("SerializationException", "The request body must be a JSON object.")
        self._check_shape(name, params)
        return operation, params

    def _check_shape(self, operation: str, params: dict[str, Any]) -> None:
        from botocore.validate import ParamValidator

        if self._model is None:
            import botocore.session

            self._model = botocore.session.get_session().get_service_model("sqs")
        shape = self._model.operation_model(operation).input_shape
        report = ParamValidator().validate(params, shape)
        for kind, where, detail in report._errors:
            if kind == "missing required field":
                raise SqsError(
                    "MissingParameter",
                    f"The request must contain the parameter {detail['required_name']}.",
                )
            if kind == "invalid type":
                raise SqsError(
                    "SerializationException",
                    f"{where.lstrip('.') or 'input'} has the wrong type: {detail['param']!r}",
                )

    # helpers

    def _queue(self, exchange: Exchange, params: dict[str, Any]) -> Queue:
        return self.registry.by_url(exchange.region, str(params.get("QueueUrl", "")))

    def _url(self, exchange: Exchange, queue: Queue) -> str:
        host = exchange.request.header("host") or "127.0.0.1:4566"
        return f"http://{host}/{queue.account}/{queue.name}"

    @staticmethod
    def _sender(exchange: Exchange) -> str:
        return exchange.access_key or _DEFAULT_SENDER

    def _wake(self, queue: Queue) -> None:
        for waiter in self._waiters.pop(queue.id, set()):
            if not waiter.done():
                waiter.set_result(None)

    async def _wait(self, queue: Queue, seconds: float) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(queue.id, set()).add(waiter)
        try:
            await asyncio.wait_for(waiter, seconds)
        except TimeoutError:
            pass
        finally:
            waiters = self._waiters.get(queue.id)
            if waiters is not None:
                waiters.discard(waiter)

    # queues

    async def _op_CreateQueue(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        queue = self.registry.create(
            ex.region,
            self._account,
            str(p["QueueName"]),
            dict(p.get("Attributes") or {}),
            dict(p.get("tags") or {}),
        )
        return {"QueueUrl": self._url(ex, queue)}

    async def _op_GetQueueUrl(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        account = str(p.get("QueueOwnerAWSAccountId") or self._account)
        return {
            "QueueUrl": self._url(ex, self.registry.by_name(ex.region, account, p["QueueName"]))
        }

    async def _op_ListQueues(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        queues, token = self.registry.listing(
            ex.region,
            self._account,
            str(p.get("QueueNamePrefix") or ""),
            p.get("MaxResults"),
            p.get("NextToken"),
        )
        out: dict[str, Any] = {}
        if queues:
            out["QueueUrls"] = [self._url(ex, q) for q in queues]
        if token:
            out["NextToken"] = token
        return out

    async def _op_DeleteQueue(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        self.registry.delete(self._queue(ex, p))
        return {}

    async def _op_GetQueueAttributes(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ex, p)
        names = readable_names(list(p.get("AttributeNames") or []))
        values: dict[str, str] = {}
        for name in names & queue.attributes.keys():
            values[name] = queue.attributes[name]
        if names & {
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        }:
            visible, inflight, delayed = self.messaging.counts(queue)
            values["ApproximateNumberOfMessages"] = str(visible)
            values["ApproximateNumberOfMessagesNotVisible"] = str(inflight)
            values["ApproximateNumberOfMessagesDelayed"] = str(delayed)
        values["CreatedTimestamp"] = str(int(queue.created))
        values["LastModifiedTimestamp"] = str(int(queue.modified))
        values["QueueArn"] = queue.arn
        chosen = {k: v for k, v in sorted(values.items()) if k in names}
        return {"Attributes": chosen} if chosen else {}

    async def _op_SetQueueAttributes(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        self.registry.set_attributes(self._queue(ex, p), dict(p.get("Attributes") or {}))
        return {}

    async def _op_PurgeQueue(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        self.messaging.purge(self._queue(ex, p))
        return {}

    async def _op_TagQueue(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        self.registry.tag(self._queue(ex, p), dict(p["Tags"]))
        return {}

    async def _op_UntagQueue(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        self.registry.untag(self._queue(ex, p), list(p["TagKeys"]))
        return {}

    async def _op_ListQueueTags(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        tags = self._queue(ex, p).tags
        return {"Tags": dict(tags)} if tags else {}

    async def _op_ListDeadLetterSourceQueues(
        self, ex: Exchange, p: dict[str, Any]
    ) -> dict[str, Any]:
        queues, token = self.registry.dead_letter_sources(
            self._queue(ex, p), p.get("MaxResults"), p.get("NextToken")
        )
        out: dict[str, Any] = {"queueUrls": [self._url(ex, q) for q in queues]}
        if token:
            out["NextToken"] = token
        return out

    async def _op_AddPermission(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ex, p)
        policy = add_permission(
            queue.attributes.get("Policy"),
            queue.arn,
            str(p["Label"]),
            list(p["AWSAccountIds"]),
            list(p["Actions"]),
        )
        self.registry.set_attributes(queue, {"Policy": policy})
        return {}

    async def _op_RemovePermission(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ex, p)
        policy = remove_permission(queue.attributes.get("Policy"), str(p["Label"]))
        self.registry.set_attributes(queue, {"Policy": policy})
        return {}

    # messages

    async def _op_SendMessage(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        return self.messaging.send(self._queue(ex, p), p, self._sender(ex)).to_wire()

    async def _op_SendMessageBatch(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        done, failed = self.messaging.send_batch(
            self._queue(ex, p), list(p["Entries"]), self._sender(ex)
        )
        return {
            "Successful": [{"Id": entry_id, **sent.to_wire()} for entry_id, sent in done],
            "Failed": _failed(failed),
        }

    async def _op_ReceiveMessage(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        queue = self._queue(ex, p)
        raw_wait = p.get("WaitTimeSeconds")
        wait = queue.integer("ReceiveMessageWaitTimeSeconds") if raw_wait is None else raw_wait
        if not 0 <= int(wait) <= 20:
            raise invalid_parameter("WaitTimeSeconds", wait, "Must be >= 0 and <= 20, if provided.")
        deadline = time.monotonic() + int(wait)
        while True:
            messages = self.messaging.receive(queue, p)
            remaining = deadline - time.monotonic()
            if messages or remaining <= 0:
                return {"Messages": messages} if messages else {}
            next_visible = self.messaging.seconds_to_next_visible(queue)
            await self._wait(queue, min(remaining, _RECHECK, next_visible or _RECHECK))
            if self.registry.by_arn(queue.arn) is not queue:
                raise queue_does_not_exist()

    async def _op_DeleteMessage(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        self.messaging.delete(self._queue(ex, p), str(p["ReceiptHandle"]))
        return {}

    async def _op_DeleteMessageBatch(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        done, failed = self.messaging.delete_batch(self._queue(ex, p), list(p["Entries"]))
        return {"Successful": [{"Id": i} for i, _ in done], "Failed": _failed(failed)}

    async def _op_ChangeMessageVisibility(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        self.messaging.change_visibility(
            self._queue(ex, p), str(p["ReceiptHandle"]), p["VisibilityTimeout"]
        )
        return {}

    async def _op_ChangeMessageVisibilityBatch(
        self, ex: Exchange, p: dict[str, Any]
    ) -> dict[str, Any]:
        done, failed = self.messaging.change_visibility_batch(
            self._queue(ex, p), list(p["Entries"])
        )
        return {"Successful": [{"Id": i} for i, _ in done], "Failed": _failed(failed)}

    # dead-letter redrive

    async def _op_StartMessageMoveTask(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        task = self.move_tasks.start(
            str(p["SourceArn"]), p.get("DestinationArn"), p.get("MaxNumberOfMessagesPerSecond")
        )
        return {"TaskHandle": task.handle}

    async def _op_CancelMessageMoveTask(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        task = self.move_tasks.cancel(str(p["TaskHandle"]))
        return {"ApproximateNumberOfMessagesMoved": task.moved}

    async def _op_ListMessageMoveTasks(self, ex: Exchange, p: dict[str, Any]) -> dict[str, Any]:
        tasks = self.move_tasks.listing(str(p["SourceArn"]), int(p.get("MaxResults", 1)))
        return {"Results": [t.to_wire() for t in tasks]}


_OPERATION_NAMES = [name[len("_op_") :] for name in vars(SqsService) if name.startswith("_op_")]


def _failed(failed: list[tuple[str, SqsError]]) -> list[dict[str, Any]]:
    return [
        {"Id": entry_id, "SenderFault": e.sender, "Code": e.query_code, "Message": e.message}
        for entry_id, e in failed
    ]


def _error_response(exchange: Exchange, error: SqsError) -> Response:
    body = json.dumps({"__type": error.type_name, "message": error.message}).encode()
    fault = "Sender" if error.sender else "Receiver"
    return Response(
        error.status,
        (
            ("Content-Type", _JSON),
            ("x-amzn-RequestId", exchange.request_id),
            ("x-amzn-query-error", f"{error.query_code};{fault}"),
        ),
        body,
    )
