"""Typed views of the events AWS hands a handler: S3, SQS, SNS and DynamoDB Streams.

Optional conveniences over the plain ``event`` dict; a handler that ignores them loses
nothing. Standard library only (this module ships inside every function's package).

- ``S3Event.records(event)`` reads S3 notifications sent directly, through an SQS queue
  (each message body an S3 event), through SNS, or through SNS then SQS. It skips the
  ``s3:TestEvent`` that S3 sends when a notification is configured, and URL-decodes keys as
  S3 encodes them (``+`` is a space).
- ``SQSBatch`` iterates ``SQSMessage`` values and builds the ``batchItemFailures`` response
  of partial batch failures (the trigger needs ``partial_failures=True``, Gearbox's default).
- ``SNSMessage.records(event)`` reads SNS's Lambda event, and SNS notifications delivered
  through an SQS queue (not raw).
- ``DynamoDBRecord.records(event)`` turns AttributeValues into plain values: ``S`` -> str,
  ``N`` -> int when integral else ``Decimal``, ``B`` -> bytes, ``BOOL``, ``NULL`` -> None,
  ``M`` -> dict, ``L`` -> list, ``SS``/``NS``/``BS`` -> set. (boto3's deserializer gives
  ``Decimal`` for every number; ints are friendlier and exact.)

Malformed input raises ``ValueError`` (or ``KeyError`` for a missing required field).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import unquote_plus

# S3


@dataclass(frozen=True, slots=True)
class S3Object:
    """One S3 notification record. ``size`` and ``etag`` are None for removals."""

    bucket: str
    key: str
    size: int | None
    etag: str | None
    event_name: str
    version_id: str | None
    sequencer: str | None


class S3Event:
    @staticmethod
    def records(event: Mapping[str, Any]) -> list[S3Object]:
        """Every S3 record in ``event``, unwrapping SQS and SNS envelopes."""
        return [_s3_object(record) for record in _s3_records(event)]


def _s3_records(event: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for record in event.get("Records") or ():
        source = record.get("eventSource") or record.get("EventSource")
        if source == "aws:s3":
            yield record
        elif source == "aws:sqs":
            yield from _s3_records(_unwrap_sns(json.loads(record["body"])))
        elif source == "aws:sns":
            yield from _s3_records(json.loads(record["Sns"]["Message"]))


def _unwrap_sns(body: Any) -> Mapping[str, Any]:
    """An SQS body is an S3 event, or an SNS notification (not raw) carrying one."""
    if not isinstance(body, Mapping):
        raise ValueError("an SQS message body is not an S3 event")
    if body.get("Type") == "Notification" and "Message" in body:
        inner = json.loads(body["Message"])
        if not isinstance(inner, Mapping):
            raise ValueError("an SNS message is not an S3 event")
        return inner
    return body


def _s3_object(record: Mapping[str, Any]) -> S3Object:
    s3 = record["s3"]
    obj = s3["object"]
    size = obj.get("size")
    return S3Object(
        bucket=s3["bucket"]["name"],
        key=unquote_plus(obj["key"]),
        size=int(size) if size is not None else None,
        etag=obj.get("eTag"),
        event_name=record["eventName"],
        version_id=obj.get("versionId"),
        sequencer=obj.get("sequencer"),
    )


# SQS


@dataclass(frozen=True, slots=True)
class SQSMessage:
    """One SQS record. ``attributes`` are the system attributes (strings, as AWS sends them);
    ``message_attributes`` are the sender's, in the Lambda event's shape."""

    message_id: str
    body: str
    attributes: dict[str, str]
    message_attributes: dict[str, Any]
    receive_count: int

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


class SQSBatch:
    """The messages of an SQS event, in order."""

    def __init__(self, event: Mapping[str, Any]) -> None:
        self.messages = [_sqs_message(record) for record in event.get("Records") or ()]

    def __iter__(self) -> Iterator[SQSMessage]:
        return iter(self.messages)

    def __len__(self) -> int:
        return len(self.messages)

    def process(self, fn: Callable[[SQSMessage], object]) -> dict[str, list[dict[str, str]]]:
        """Call ``fn`` on each message; the response reports those that raised as failed.

        Every message is tried, whatever happened to the ones before (on a FIFO queue,
        stopping at the first failure keeps the order; do that yourself with ``failures``).
        """
        failed: list[str] = []
        for message in self.messages:
            try:
                fn(message)
            except Exception:
                failed.append(message.message_id)
        return self.failures(failed)

    @staticmethod
    def failures(ids: Iterable[str]) -> dict[str, list[dict[str, str]]]:
        """The partial-batch response naming ``ids`` as failed (empty: all succeeded)."""
        return {"batchItemFailures": [{"itemIdentifier": i} for i in ids]}


def _sqs_message(record: Mapping[str, Any]) -> SQSMessage:
    attributes = dict(record.get("attributes") or {})
    return SQSMessage(
        message_id=record["messageId"],
        body=record["body"],
        attributes=attributes,
        message_attributes=dict(record.get("messageAttributes") or {}),
        receive_count=int(attributes.get("ApproximateReceiveCount", "1")),
    )


# SNS


@dataclass(frozen=True, slots=True)
class SNSMessage:
    """One SNS notification. ``attributes`` maps a name to its value (Binary: base64 text);
    ``attribute_types`` to its data type."""

    message_id: str
    topic_arn: str
    subject: str | None
    message: str
    timestamp: str
    attributes: dict[str, str]
    attribute_types: dict[str, str]

    def json(self) -> Any:
        """The message parsed as JSON."""
        return json.loads(self.message)

    @staticmethod
    def records(event: Mapping[str, Any]) -> list[SNSMessage]:
        """The notifications of an SNS Lambda event, or of SQS messages SNS delivered."""
        found: list[SNSMessage] = []
        for record in event.get("Records") or ():
            if (record.get("EventSource") or record.get("eventSource")) == "aws:sqs":
                found.append(_sns_message(json.loads(record["body"])))
            else:
                found.append(_sns_message(record["Sns"]))
        return found


def _sns_message(sns: Mapping[str, Any]) -> SNSMessage:
    if sns.get("Type") != "Notification":
        raise ValueError(f"not an SNS notification: Type {sns.get('Type')!r}")
    raw = sns.get("MessageAttributes") or {}
    return SNSMessage(
        message_id=sns["MessageId"],
        topic_arn=sns["TopicArn"],
        subject=sns.get("Subject"),
        message=sns["Message"],
        timestamp=sns["Timestamp"],
        attributes={name: value["Value"] for name, value in raw.items()},
        attribute_types={name: value["Type"] for name, value in raw.items()},
    )


# DynamoDB Streams


@dataclass(frozen=True, slots=True)
class DynamoDBRecord:
    """One stream record; images are None when the stream view type leaves them out."""

    event_id: str
    event_name: str
    keys: dict[str, Any]
    new_image: dict[str, Any] | None
    old_image: dict[str, Any] | None
    sequence_number: str | None

    @staticmethod
    def records(event: Mapping[str, Any]) -> list[DynamoDBRecord]:
        return [_stream_record(record) for record in event.get("Records") or ()]


def _stream_record(record: Mapping[str, Any]) -> DynamoDBRecord:
    data = record["dynamodb"]
    new, old = data.get("NewImage"), data.get("OldImage")
    return DynamoDBRecord(
        event_id=record.get("eventID", ""),
        event_name=record["eventName"],
        keys=deserialize_item(data.get("Keys") or {}),
        new_image=deserialize_item(new) if new is not None else None,
        old_image=deserialize_item(old) if old is not None else None,
        sequence_number=data.get("SequenceNumber"),
    )


def deserialize_item(item: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """An item of AttributeValues (``{"id": {"S": "a"}}``) as plain values."""
    return {name: deserialize(value) for name, value in item.items()}


def deserialize(value: Mapping[str, Any]) -> Any:
    """One AttributeValue (``{"N": "5"}``) as a plain value."""
    if len(value) != 1:
        raise ValueError(f"an AttributeValue has exactly one type, got {sorted(value)}")
    ((kind, data),) = value.items()
    convert = _DESERIALIZERS.get(kind)
    if convert is None:
        raise ValueError(f"unknown AttributeValue type {kind!r}")
    return convert(data)


def _number(text: str) -> int | Decimal:
    number = Decimal(text)
    if number == number.to_integral_value() and not any(c in text for c in ".eE"):
        return int(number)
    return number


def _binary(data: str | bytes) -> bytes:
    return data if isinstance(data, bytes) else base64.b64decode(data)


_DESERIALIZERS: dict[str, Callable[[Any], Any]] = {
    "S": str,
    "N": _number,
    "B": _binary,
    "BOOL": bool,
    "NULL": lambda _: None,
    "M": deserialize_item,
    "L": lambda items: [deserialize(item) for item in items],
    "SS": set,
    "NS": lambda items: {_number(item) for item in items},
    "BS": lambda items: {_binary(item) for item in items},
}
