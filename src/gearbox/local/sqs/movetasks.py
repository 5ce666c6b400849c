"""StartMessageMoveTask: redrive messages from a dead-letter queue.

A task moves the messages that are in the DLQ when it starts, in send order, back to the
queue each came from (its ``DeadLetterQueueSourceArn``) or to ``DestinationArn``; each moved
message is visible at once with its receive count reset. At most one task runs per source
queue. ``MaxNumberOfMessagesPerSecond`` paces the move in real seconds; without it the task
moves 500 messages per step, as fast as the store allows.

Where it differs from AWS: tasks live in memory. A restart of ``gearbox up`` ends running
tasks (each message move is one committed transaction, so no message is lost or doubled) and
forgets finished ones.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from gearbox.clock import Clock
from gearbox.local.sqs.errors import SqsError, invalid_parameter
from gearbox.local.sqs.queues import Queue
from gearbox.local.sqs.registry import QueueRegistry
from gearbox.local.sqs.store import Store

_STEP = 500


@dataclass
class MoveTask:
    handle: str
    source: Queue
    destination_arn: str | None
    rate: int | None
    started: float
    to_move: int
    last_seq: int
    moved: int = 0
    status: str = "RUNNING"
    failure: str | None = None

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Status": self.status,
            "SourceArn": self.source.arn,
            "ApproximateNumberOfMessagesMoved": self.moved,
            "ApproximateNumberOfMessagesToMove": self.to_move,
            "StartedTimestamp": int(self.started * 1000),
        }
        if self.status == "RUNNING":
            out["TaskHandle"] = self.handle
        if self.destination_arn:
            out["DestinationArn"] = self.destination_arn
        if self.rate is not None:
            out["MaxNumberOfMessagesPerSecond"] = self.rate
        if self.failure:
            out["FailureReason"] = self.failure
        return out


class MoveTasks:
    def __init__(self, registry: QueueRegistry, store: Store, clock: Clock) -> None:
        self._registry = registry
        self._store = store
        self._clock = clock
        self._tasks: dict[str, MoveTask] = {}
        self._running: dict[str, asyncio.Task[None]] = {}

    def start(self, source_arn: str, destination_arn: str | None, rate: int | None) -> MoveTask:
        source = self._registry.by_arn(source_arn)
        if source is None:
            raise SqsError(
                "ResourceNotFoundException",
                "The resource that you specified for the SourceArn parameter doesn't exist.",
            )
        if not any(q.redrive and q.redrive[0] == source.arn for q in self._registry.all()):
            raise invalid_parameter(
                "SourceArn", source_arn, "Source queue must be configured as a Dead Letter Queue."
            )
        if destination_arn and self._registry.by_arn(destination_arn) is None:
            raise SqsError(
                "ResourceNotFoundException",
                "The resource that you specified for the DestinationArn parameter doesn't exist.",
            )
        if rate is not None and not 1 <= rate <= 500:
            raise invalid_parameter(
                "MaxNumberOfMessagesPerSecond", rate, "Must be between 1 and 500."
            )
        if any(t.status == "RUNNING" and t.source.id == source.id for t in self._tasks.values()):
            raise SqsError(
                "UnsupportedOperation",
                "There is already a task running. Only one "
                "active task is allowed for a source queue arn at a given time.",
            )
        last_seq = self._store.max_seq(source.id)
        visible, inflight, delayed = self._store.counts(source.id, self._clock.now())
        task = MoveTask(
            handle=_task_handle(source.arn),
            source=source,
            destination_arn=destination_arn,
            rate=rate,
            started=self._clock.now(),
            to_move=visible + inflight + delayed,
            last_seq=last_seq,
        )
        self._tasks[task.handle] = task
        self._running[task.handle] = asyncio.get_running_loop().create_task(self._run(task))
        return task

    def cancel(self, handle: str) -> MoveTask:
        task = self._tasks.get(handle)
        if task is None or task.status != "RUNNING":
            raise SqsError("ResourceNotFoundException", "Task does not exist.")
        task.status = "CANCELLING"
        running = self._running.pop(handle, None)
        if running is not None:
            running.cancel()
        task.status = "CANCELLED"
        return task

    def listing(self, source_arn: str, max_results: int) -> list[MoveTask]:
        if not 1 <= max_results <= 10:
            raise invalid_parameter("MaxResults", max_results, "Must be between 1 and 10.")
        if self._registry.by_arn(source_arn) is None:
            raise SqsError(
                "ResourceNotFoundException",
                "The resource that you specified for the SourceArn parameter doesn't exist.",
            )
        found = [t for t in self._tasks.values() if t.source.arn == source_arn]
        return found[::-1][:max_results]  # newest first: tasks are kept in start order

    async def _run(self, task: MoveTask) -> None:
        after = 0
        try:
            while True:
                step = min(task.rate or _STEP, _STEP)
                began = time.monotonic()
                rows = [
                    r
                    for r in self._store.seqs_up_to(task.source.id, step, after)
                    if r[0] <= task.last_seq
                ]
                if not rows:
                    break
                with self._store.transaction():
                    for seq, dlq_source in rows:
                        after = seq
                        self._move_one(task, seq, dlq_source)
                if task.rate is not None:
                    await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - began)))
                else:
                    await asyncio.sleep(0)
        except SqsError as error:
            task.status, task.failure = "FAILED", error.query_code
            return
        finally:
            self._running.pop(task.handle, None)
        task.status = "COMPLETED"

    def _move_one(self, task: MoveTask, seq: int, dlq_source: str | None) -> None:
        target_arn = task.destination_arn or dlq_source
        target = self._registry.by_arn(target_arn) if target_arn else None
        if target is None:
            raise SqsError("QueueDoesNotExist", "The destination queue does not exist.")
        self._store.move(
            seq,
            target.id,
            self._clock.now(),
            dlq_source=None,
            reset_receives=True,
            reset_sent=False,
        )
        task.moved += 1


def _task_handle(source_arn: str) -> str:
    raw = json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source_arn})
    return base64.b64encode(raw.encode()).decode()
