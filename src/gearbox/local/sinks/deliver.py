"""Delivers invocation records and dead-letter messages to their destination, by ARN type.

AWS (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html):

- SQS queue: the record is the message body (SendMessage); a DLQ message is the event body
  with message attributes RequestID, ErrorCode (Number) and ErrorMessage.
- SNS topic: the record is the ``Message`` (Publish); a DLQ message likewise, with the same
  attributes.
- Lambda function: the record is the payload of an asynchronous invoke of that function.
- EventBridge event bus: the record is the ``Detail`` of PutEvents, with ``Source``
  "lambda", ``DetailType`` "Lambda Function Invocation Result - Success" or "... - Failure"
  and ``Resources`` the function's and the destination's ARNs.

SNS and EventBridge are reached through boto3 clients pointed at the local cloud's endpoint
(moto answers); boto3 blocks, so each call runs in a worker thread. SQS queues are Gearbox's
own: given ``send_sqs`` (``SqsService.send_to``), a record is sent in-process, with the same
checks and durability as SendMessage but without an HTTP round trip through the edge;
without it, through boto3 like the others. A Lambda destination is handed to
``enqueue_lambda`` with the destination function's ARN (the async queue names functions by
ARN) and the record as JSON.

Errors: every failure to deliver is a ``DeliveryError`` (botocore's errors are translated at
this boundary); the caller logs and drops it, as Lambda does.

Where it differs from AWS: FIFO queues and topics are not refused here (AWS refuses them as
destinations); delivery uses the local cloud's service credentials, not the function's
execution role.
"""

from __future__ import annotations

import asyncio
import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gearbox.local.sinks import records
from gearbox.local.sqs.errors import SqsError

# In-process SendMessage to Gearbox's own SQS: (queue ARN, body, message attributes).
SqsSender = Callable[[str, str, dict[str, dict[str, str]] | None], None]


class DeliveryError(Exception):
    """A record could not be delivered to its destination."""


@dataclass(frozen=True)
class Arn:
    service: str
    region: str
    account: str
    resource: str

    @classmethod
    def parse(cls, arn: str) -> Arn:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn":
            raise DeliveryError(f"not an ARN: {arn!r}")
        return cls(service=parts[2], region=parts[3], account=parts[4], resource=parts[5])


class BotoDeliverer:
    def __init__(
        self,
        endpoint_url: str,
        region: str,
        access_key: str,
        secret_key: str,
        enqueue_lambda: Callable[[str, bytes], None],
        *,
        send_sqs: SqsSender | None = None,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._region = region
        self._credentials = {"aws_access_key_id": access_key, "aws_secret_access_key": secret_key}
        self._enqueue_lambda = enqueue_lambda
        self._send_sqs = send_sqs
        self._clients: dict[tuple[str, str], Any] = {}
        self._queue_urls: dict[str, str] = {}
        self._lock = threading.Lock()

    async def send(
        self,
        destination_arn: str,
        record: dict[str, Any] | bytes,
        attributes: dict[str, str] | None = None,
    ) -> None:
        arn = Arn.parse(destination_arn)
        body = record if isinstance(record, bytes) else json.dumps(record).encode("utf-8")
        if arn.service == "lambda":
            self._enqueue_lambda(destination_arn, body)
            return
        if arn.service == "sqs" and self._send_sqs is not None:
            extra = _message_attributes(attributes) if attributes else None
            try:
                self._send_sqs(destination_arn, body.decode("utf-8"), extra)
            except SqsError as exc:
                raise DeliveryError(f"{exc.query_code}: {exc.message}") from exc
            return
        call: Callable[[], None]
        if arn.service == "sqs":
            call = functools.partial(self._send_message, arn, body, attributes)
        elif arn.service == "sns":
            call = functools.partial(self._publish, arn, destination_arn, body, attributes)
        elif arn.service == "events" and isinstance(record, dict):
            call = functools.partial(self._put_event, arn, destination_arn, record)
        else:
            raise DeliveryError(f"{destination_arn} is not a destination Lambda can send to")
        await asyncio.to_thread(self._translated, call)

    # the calls, on a worker thread

    def _send_message(self, arn: Arn, body: bytes, attributes: dict[str, str] | None) -> None:
        extra = {"MessageAttributes": _message_attributes(attributes)} if attributes else {}
        self._client("sqs", arn.region).send_message(
            QueueUrl=self._queue_url(arn), MessageBody=body.decode("utf-8"), **extra
        )

    def _publish(
        self, arn: Arn, topic_arn: str, body: bytes, attributes: dict[str, str] | None
    ) -> None:
        extra = {"MessageAttributes": _message_attributes(attributes)} if attributes else {}
        self._client("sns", arn.region).publish(
            TopicArn=topic_arn, Message=body.decode("utf-8"), **extra
        )

    def _put_event(self, arn: Arn, bus_arn: str, record: dict[str, Any]) -> None:
        function_arn = str(record.get("requestContext", {}).get("functionArn", ""))
        answer = self._client("events", arn.region).put_events(
            Entries=[
                {
                    "Source": records.EVENTBRIDGE_SOURCE,
                    "DetailType": records.detail_type(record),
                    "Detail": json.dumps(record),
                    "EventBusName": bus_arn,
                    "Resources": [r for r in (function_arn, bus_arn) if r],
                }
            ]
        )
        if answer.get("FailedEntryCount"):
            failed = answer.get("Entries", [{}])[0]
            raise DeliveryError(
                f"PutEvents to {bus_arn} failed: {failed.get('ErrorCode')} "
                f"{failed.get('ErrorMessage')}"
            )

    def _queue_url(self, arn: Arn) -> str:
        key = f"{arn.region}:{arn.account}:{arn.resource}"
        if key not in self._queue_urls:
            answer = self._client("sqs", arn.region).get_queue_url(
                QueueName=arn.resource, QueueOwnerAWSAccountId=arn.account
            )
            self._queue_urls[key] = str(answer["QueueUrl"])
        return self._queue_urls[key]

    def _client(self, service: str, region: str) -> Any:
        region = region or self._region
        with self._lock:
            if (service, region) not in self._clients:
                import boto3

                session = boto3.session.Session()
                self._clients[service, region] = session.client(
                    service,
                    endpoint_url=self._endpoint_url,
                    region_name=region,
                    **self._credentials,
                )
            return self._clients[service, region]

    @staticmethod
    def _translated(call: Callable[[], None]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            call()
        except (BotoCoreError, ClientError) as exc:
            raise DeliveryError(str(exc)) from exc


def _message_attributes(attributes: dict[str, str]) -> dict[str, dict[str, str]]:
    """SQS/SNS message attributes, typed as Lambda types its DLQ attributes."""
    return {
        name: {"DataType": records.DLQ_ATTRIBUTE_TYPES.get(name, "String"), "StringValue": value}
        for name, value in attributes.items()
    }
