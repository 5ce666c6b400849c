"""Messages: send, receive, delete, change visibility, purge; with AWS's delivery rules.

- Visibility: a received message is hidden for the queue's VisibilityTimeout (or the
  receive's own) and comes back when it expires, with ApproximateReceiveCount one higher.
- Redrive (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html):
  a message whose receive count has reached maxReceiveCount moves to the dead-letter queue
  on the next receive that would return it, so it is received exactly maxReceiveCount times.
  It keeps its message id and receive count and gains ``DeadLetterQueueSourceArn``; in a
  standard DLQ it keeps its original enqueue time (retention counts from it), in a FIFO DLQ
  the enqueue time restarts.
- FIFO: messages of a group are returned in send order, and none of a group while another of
  it is in flight; a receive returns as many of one group as it can. Deduplication by id or
  by SHA-256 of the body within 5 minutes, per queue or per group (DeduplicationScope); a
  duplicate is accepted and answered with the first message's id, and not delivered again.
- Delays: per message (standard queues) or per queue.
- Retention: messages older than MessageRetentionPeriod are dropped, checked at most once a
  second per queue on the clock.
- Receipt handles: each receive issues a new one; DeleteMessage with an earlier one succeeds
  without deleting (as AWS documents); a handle that does not parse, or names another queue,
  is ``ReceiptHandleIsInvalid``.

Where it differs from AWS: a short-poll receive sees all messages (AWS samples a subset of
its servers, so it may return fewer); ReceiveRequestAttemptId is accepted but a retried
FIFO receive is not answered from a cache; a FIFO receive reads past the messages of blocked
groups, so it costs more when many of them sit at the head of the queue.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from gearbox.clock import Clock
from gearbox.local.sqs import checks
from gearbox.local.sqs.errors import (
    SqsError,
    invalid_parameter,
    invalid_parameters,
    missing_parameter,
    receipt_handle_invalid,
)
from gearbox.local.sqs.md5 import md5_of_attributes, md5_of_body
from gearbox.local.sqs.queues import Queue
from gearbox.local.sqs.registry import QueueRegistry
from gearbox.local.sqs.store import NewMessage, Store, StoredMessage

T = TypeVar("T")

DEDUP_WINDOW = 300.0
PURGE_COOLDOWN = 60.0
_SEQUENCE_BASE = 18_000_000_000_000_000_000
_SYSTEM_ATTRIBUTES = {
    "All",
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
}


@dataclass(frozen=True)
class Sent:
    message_id: str
    md5_body: str
    md5_attributes: str | None
    md5_system_attributes: str | None
    sequence_number: str | None

    def to_wire(self) -> dict[str, str]:
        out = {"MessageId": self.message_id, "MD5OfMessageBody": self.md5_body}
        if self.md5_attributes:
            out["MD5OfMessageAttributes"] = self.md5_attributes
        if self.md5_system_attributes:
            out["MD5OfMessageSystemAttributes"] = self.md5_system_attributes
        if self.sequence_number:
            out["SequenceNumber"] = self.sequence_number
        return out


class Messaging:
    # Called with (source queue, dead-letter queue, message id) after each move, for the
    # journal; set by whoever assembles the service.
    on_dead_letter: Callable[[str, str, str], None] | None = None

    def __init__(self, registry: QueueRegistry, store: Store, clock: Clock) -> None:
        self._registry = registry
        self._store = store
        self._clock = clock
        self._last_expiry: dict[int, float] = {}
        self.on_visible: list[Callable[[Queue], None]] = []

    # send

    def send(self, queue: Queue, entry: Mapping[str, Any], sender: str) -> Sent:
        with self._store.transaction():
            sent = self._send(queue, entry, sender)
        self._notify(queue)
        return sent

    def send_batch(
        self, queue: Queue, entries: list[Mapping[str, Any]], sender: str
    ) -> tuple[list[tuple[str, Sent]], list[tuple[str, SqsError]]]:
        checks.batch_entries(entries, "SendMessageBatchRequestEntry")
        total = sum(len(str(e.get("MessageBody", "")).encode("utf-8")) for e in entries)
        if total > checks.MAX_BATCH_BYTES:
            raise SqsError(
                "BatchRequestTooLong",
                f"Batch requests cannot be longer than {checks.MAX_BATCH_BYTES} bytes. "
                f"You have sent {total} bytes.",
            )
        done, failed = self._each_entry(entries, lambda e: self._send(queue, e, sender))
        if done:
            self._notify(queue)
        return done, failed

    def _send(self, queue: Queue, entry: Mapping[str, Any], sender: str) -> Sent:
        if "MessageBody" not in entry:
            raise missing_parameter("MessageBody")
        body = checks.message_body(str(entry["MessageBody"]))
        attributes = checks.message_attributes(entry.get("MessageAttributes") or {})
        system = checks.system_attributes(entry.get("MessageSystemAttributes") or {})
        limit = queue.integer("MaximumMessageSize")
        if checks.message_size(body, attributes) > limit:
            raise invalid_parameters(f"Message must be shorter than {limit} bytes.")
        now = self._clock.now()
        delay = self._delay(queue, entry)
        group_id, dedup_id = self._fifo_ids(queue, entry, body)
        dedup_key = None
        if queue.fifo:
            scope_group = queue.attributes.get("DeduplicationScope") == "messageGroup"
            dedup_key = f"{group_id}\x00{dedup_id}" if scope_group else str(dedup_id)
            self._store.dedup_expire(now)
            seen = self._store.dedup_lookup(queue.id, dedup_key, now)
            if seen is not None:
                return self._sent(
                    seen[0],
                    seen[1],
                    body=body,
                    attributes=attributes,
                    system=system,
                    fifo=queue.fifo,
                )
        message_id = str(uuid.uuid4())
        seq = self._store.insert_message(
            queue.id,
            NewMessage(
                message_id=message_id,
                body=body,
                md5_body=md5_of_body(body),
                attributes=json.dumps(attributes) if attributes else None,
                md5_attributes=md5_of_attributes(attributes) if attributes else None,
                system_attributes=json.dumps(system) if system else None,
                md5_system_attributes=md5_of_attributes(system) if system else None,
                sent=now,
                visible_at=now + delay,
                group_id=group_id,
                dedup_id=dedup_id,
                sender_id=sender,
            ),
        )
        if dedup_key is not None:
            self._store.dedup_remember(queue.id, dedup_key, message_id, seq, now + DEDUP_WINDOW)
        return self._sent(
            message_id, seq, body=body, attributes=attributes, system=system, fifo=queue.fifo
        )

    @staticmethod
    def _sent(
        message_id: str,
        seq: int,
        *,
        body: str,
        attributes: dict[str, dict[str, str]],
        system: dict[str, dict[str, str]],
        fifo: bool,
    ) -> Sent:
        return Sent(
            message_id=message_id,
            md5_body=md5_of_body(body),
            md5_attributes=md5_of_attributes(attributes) if attributes else None,
            md5_system_attributes=md5_of_attributes(system) if system else None,
            sequence_number=str(_SEQUENCE_BASE + seq) if fifo else None,
        )

    @staticmethod
    def _delay(queue: Queue, entry: Mapping[str, Any]) -> int:
        raw = entry.get("DelaySeconds")
        if raw is None:
            return queue.integer("DelaySeconds")
        if queue.fifo and str(raw) == "0":  # AWS accepts an explicit 0 on FIFO queues
            return queue.integer("DelaySeconds")
        if queue.fifo:
            raise invalid_parameter(
                "DelaySeconds",
                raw,
                "The request include parameter that is not valid for this queue type.",
            )
        delay = int(raw)
        if not 0 <= delay <= 900:
            raise invalid_parameter("DelaySeconds", raw, "DelaySeconds must be >= 0 and <= 900.")
        return delay

    @staticmethod
    def _fifo_ids(
        queue: Queue, entry: Mapping[str, Any], body: str
    ) -> tuple[str | None, str | None]:
        group_id = entry.get("MessageGroupId")
        dedup_id = entry.get("MessageDeduplicationId")
        if not queue.fifo:
            if dedup_id is not None:
                raise invalid_parameter(
                    "MessageDeduplicationId",
                    dedup_id,
                    "The request include parameter that is not valid for this queue type.",
                )
            return (str(group_id) if group_id else None), None
        if not group_id:
            raise missing_parameter("MessageGroupId")
        if not dedup_id:
            if queue.attributes.get("ContentBasedDeduplication") != "true":
                raise invalid_parameters(
                    "The queue should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly"
                )
            dedup_id = hashlib.sha256(body.encode("utf-8")).hexdigest()
        return str(group_id), str(dedup_id)

    # receive

    def receive(self, queue: Queue, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        count = int(params.get("MaxNumberOfMessages", 1))
        if not 1 <= count <= 10:
            raise invalid_parameter(
                "MaxNumberOfMessages",
                count,
                "Must be between 1 and 10, if provided.",
            )
        timeout = params.get("VisibilityTimeout")
        visibility = queue.integer("VisibilityTimeout") if timeout is None else int(timeout)
        if not 0 <= visibility <= 43_200:
            raise invalid_parameter(
                "VisibilityTimeout", visibility, "Must be between 0 and 43200, if provided."
            )
        system_names = set(params.get("MessageSystemAttributeNames") or []) | set(
            params.get("AttributeNames") or []
        )
        unknown = system_names - _SYSTEM_ATTRIBUTES
        if unknown:
            raise SqsError("InvalidAttributeName", f"Unknown Attribute {sorted(unknown)[0]}.")
        user_names = list(params.get("MessageAttributeNames") or [])
        now = self._clock.now()
        with self._store.transaction():
            self._expire(queue, now)
            picked = (
                self._pick_fifo(queue, now, count) if queue.fifo else self._pick(queue, now, count)
            )
            out = []
            for message in picked:
                receipt = f"{secrets.token_hex(8)}-{now!r}"  # the receive time caps visibility
                self._store.mark_received(message.seq, receipt, now, now + visibility)
                message.receive_count += 1
                if message.first_receive is None:
                    message.first_receive = now
                handle = _encode_handle(queue.id, message.seq, receipt)
                out.append(_wire_message(queue, message, handle, system_names, user_names))
        return out

    def _pick(self, queue: Queue, now: float, count: int) -> list[StoredMessage]:
        picked: list[StoredMessage] = []
        dlq = self._dead_letter_queue(queue)
        after = (-1.0, 0)
        while len(picked) < count:
            wanted = count - len(picked)
            batch = self._store.visible(queue.id, now, wanted, after)
            for message in batch:
                after = (message.visible_at, message.seq)
                if dlq is not None and message.receive_count >= dlq[1]:
                    self._dead_letter(queue, dlq[0], message, now)
                else:
                    picked.append(message)
            if len(batch) < wanted:
                break  # every visible message has been seen
        return picked

    def _pick_fifo(self, queue: Queue, now: float, count: int) -> list[StoredMessage]:
        picked: list[StoredMessage] = []
        dlq = self._dead_letter_queue(queue)
        blocked = self._store.inflight_groups(queue.id, now)
        after = 0
        while len(picked) < count:
            batch = self._store.in_order(queue.id, after, 100)
            if not batch:
                break
            for head in batch:
                after = head.seq
                group = head.group_id or ""
                if group in blocked:
                    continue
                blocked.add(group)  # taken now, or behind a message that is not visible
                if head.visible_at > now:
                    continue
                picked.extend(self._take_group(queue, dlq, head, now, count - len(picked)))
                if len(picked) >= count:
                    break
        return picked

    def _take_group(
        self,
        queue: Queue,
        dlq: tuple[Queue, int] | None,
        head: StoredMessage,
        now: float,
        room: int,
    ) -> list[StoredMessage]:
        taken: list[StoredMessage] = []
        after = head.seq - 1
        while len(taken) < room:
            batch = self._store.group_in_order(queue.id, head.group_id or "", after, room)
            if not batch:
                break
            for message in batch:
                after = message.seq
                if message.visible_at > now:
                    return taken
                if dlq is not None and message.receive_count >= dlq[1]:
                    self._dead_letter(queue, dlq[0], message, now)
                    continue
                taken.append(message)
                if len(taken) >= room:
                    return taken
        return taken

    def _dead_letter_queue(self, queue: Queue) -> tuple[Queue, int] | None:
        redrive = queue.redrive
        if redrive is None:
            return None
        target = self._registry.by_arn(redrive[0])
        return None if target is None else (target, redrive[1])

    def _dead_letter(self, source: Queue, dlq: Queue, message: StoredMessage, now: float) -> None:
        self._store.move(
            message.seq,
            dlq.id,
            now,
            dlq_source=source.arn,
            reset_receives=False,
            reset_sent=dlq.fifo,
        )
        self._notify(dlq)
        if self.on_dead_letter is not None:
            self.on_dead_letter(source.name, dlq.name, message.message_id)

    def _expire(self, queue: Queue, now: float) -> None:
        if now - self._last_expiry.get(queue.id, 0.0) < 1.0:
            return
        self._last_expiry[queue.id] = now
        self._store.delete_sent_before(queue.id, now - queue.integer("MessageRetentionPeriod"))

    # delete and visibility

    def delete(self, queue: Queue, handle: str) -> None:
        seq, receipt = self._decode(queue, handle)
        self._store.delete_message(queue.id, seq, receipt)

    def delete_batch(
        self, queue: Queue, entries: list[Mapping[str, Any]]
    ) -> tuple[list[tuple[str, None]], list[tuple[str, SqsError]]]:
        checks.batch_entries(entries, "DeleteMessageBatchRequestEntry")
        return self._each_entry(
            entries, lambda e: self.delete(queue, str(e.get("ReceiptHandle", "")))
        )

    def change_visibility(self, queue: Queue, handle: str, timeout: Any) -> None:
        seq, receipt = self._decode(queue, handle)
        seconds = int(timeout)
        if not 0 <= seconds <= 43_200:
            raise invalid_parameter(
                "VisibilityTimeout", seconds, "Must be between 0 and 43200, if provided."
            )
        now = self._clock.now()
        found = self._store.inflight(queue.id, seq)
        if found is None or found[1] != receipt:
            raise invalid_parameter(
                "ReceiptHandle",
                handle,
                "Message does not exist or is not available for visibility timeout change.",
            )
        if found[0] <= now:
            raise SqsError("MessageNotInflight", "The message referred to isn't in flight.")
        if now + seconds > _received_at(receipt) + 43_200:
            raise invalid_parameter(
                "VisibilityTimeout",
                seconds,
                "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
            )
        self._store.set_visible_at(seq, now + seconds)
        if seconds == 0:
            self._notify(queue)

    def change_visibility_batch(
        self, queue: Queue, entries: list[Mapping[str, Any]]
    ) -> tuple[list[tuple[str, None]], list[tuple[str, SqsError]]]:
        checks.batch_entries(entries, "ChangeMessageVisibilityBatchRequestEntry")
        return self._each_entry(
            entries,
            lambda e: self.change_visibility(
                queue, str(e.get("ReceiptHandle", "")), e.get("VisibilityTimeout", 0)
            ),
        )

    def _each_entry(
        self, entries: list[Mapping[str, Any]], action: Callable[[Mapping[str, Any]], T]
    ) -> tuple[list[tuple[str, T]], list[tuple[str, SqsError]]]:
        """Run ``action`` on each batch entry in one transaction; an entry's SqsError fails
        that entry alone, as AWS's batch operations do."""
        done: list[tuple[str, T]] = []
        failed: list[tuple[str, SqsError]] = []
        with self._store.transaction():
            for entry in entries:
                try:
                    done.append((str(entry["Id"]), action(entry)))
                except SqsError as error:
                    failed.append((str(entry["Id"]), error))
        return done, failed

    def _decode(self, queue: Queue, handle: str) -> tuple[int, str]:
        if not handle:
            raise missing_parameter("ReceiptHandle")
        decoded = _decode_handle(handle)
        if decoded is None or decoded[0] != queue.id:
            raise receipt_handle_invalid(handle)
        return decoded[1], decoded[2]

    # queue-wide

    def purge(self, queue: Queue) -> None:
        now = self._clock.now()
        if queue.last_purge is not None and now - queue.last_purge < PURGE_COOLDOWN:
            raise SqsError(
                "PurgeQueueInProgress",
                f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds.",
            )
        with self._store.transaction():
            self._store.delete_sent_before(queue.id, now + 1e-6)
            queue.last_purge = now
            self._registry.save(queue)

    def counts(self, queue: Queue) -> tuple[int, int, int]:
        now = self._clock.now()
        self._expire(queue, now)
        return self._store.counts(queue.id, now)

    def seconds_to_next_visible(self, queue: Queue) -> float | None:
        now = self._clock.now()
        at = self._store.next_visible_at(queue.id, now)
        return None if at is None else max(0.0, at - now)

    def _notify(self, queue: Queue) -> None:
        for listener in self.on_visible:
            listener(queue)


def _encode_handle(queue_id: int, seq: int, receipt: str) -> str:
    raw = f"gearbox:{queue_id}:{seq}:{receipt}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _received_at(receipt: str) -> float:
    """When the receive that issued ``receipt`` happened: every receive stamps its time into
    the receipt it stores, and callers compare a handle's receipt with the stored one first."""
    return float(receipt.partition("-")[2])


def _decode_handle(handle: str) -> tuple[int, int, str] | None:
    try:
        raw = base64.urlsafe_b64decode(handle + "=" * (-len(handle) % 4)).decode()
        tag, queue_id, seq, receipt = raw.split(":")
        if tag != "gearbox":
            return None
        return int(queue_id), int(seq), receipt
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _wire_message(
    queue: Queue,
    message: StoredMessage,
    handle: str,
    system_names: set[str],
    user_names: list[str],
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "MessageId": message.message_id,
        "ReceiptHandle": handle,
        "MD5OfBody": message.md5_body,
        "Body": message.body,
    }
    if system_names:
        out["Attributes"] = _system_attributes(queue, message, system_names)
    if user_names and message.attributes:
        stored: dict[str, dict[str, str]] = json.loads(message.attributes)
        chosen = {k: v for k, v in stored.items() if _wanted(k, user_names)}
        if chosen:
            out["MessageAttributes"] = chosen
            out["MD5OfMessageAttributes"] = (
                message.md5_attributes if len(chosen) == len(stored) else md5_of_attributes(chosen)
            )
    return out


def _wanted(name: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern in ("All", ".*") or pattern == name:
            return True
        if pattern.endswith(".*") and name.startswith(pattern[:-1]):
            return True
    return False


def _system_attributes(queue: Queue, message: StoredMessage, names: set[str]) -> dict[str, str]:
    values: dict[str, str | None] = {
        "SenderId": message.sender_id,
        "SentTimestamp": str(int(message.sent * 1000)),
        "ApproximateReceiveCount": str(message.receive_count),
        "ApproximateFirstReceiveTimestamp": str(int((message.first_receive or 0) * 1000)),
        "DeadLetterQueueSourceArn": message.dlq_source,
    }
    if message.system_attributes:
        trace = json.loads(message.system_attributes).get("AWSTraceHeader")
        values["AWSTraceHeader"] = trace["StringValue"] if trace else None
    if queue.fifo:
        values["MessageGroupId"] = message.group_id
        values["MessageDeduplicationId"] = message.dedup_id
        values["SequenceNumber"] = str(_SEQUENCE_BASE + message.seq)
    elif message.group_id:
        values["MessageGroupId"] = message.group_id
    every = "All" in names
    return {k: v for k, v in values.items() if v is not None and (every or k in names)}
