"""``S3Notifications``: the edge's ``s3`` service. It answers the notification configuration
calls itself, passes every other call to the backend (moto) unchanged, and after an object
changes delivers the event to the configurations that match it.

Destinations are checked where they live when a configuration is put: SQS queues in Gearbox's
SQS registry, functions in the Lambda registry, SNS topics in moto (GetTopicAttributes through
boto3); as on AWS, each must exist and its resource policy (the queue's ``Policy``, the
function's policy from AddPermission, the topic's ``Policy``) must let ``s3.amazonaws.com``
send, invoke or publish for this bucket (``gearbox.policy.resource``), or the configuration is
refused with AWS's ``InvalidArgument`` and reasons. ``x-amz-skip-destination-validation:
true`` skips both checks. They are made again before each delivery, as S3 needs the
permission to deliver: an event for a destination that is gone, or whose policy no longer
lets S3 in, is logged and not delivered.

Object details come from the backend's response (ETag, ``x-amz-version-id``,
``x-amz-delete-marker``, the DeleteObjects result), the PutObject request for its size, and a
HeadObject through boto3 for the size of copies and multipart uploads, made before the writer
has its answer (so a delete that follows cannot race it); never from moto's internals.
Deliveries go through the Lambda service's ``BotoDeliverer`` (SendMessage to the local
endpoint, Publish to moto, an async invoke on the Lambda queue). A failed delivery is logged
with the bucket, destination and reason; S3 does not retry it (nor does AWS tell the writer).

Where it differs from AWS: see the package docstring.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import uuid
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar
from urllib.parse import parse_qs, unquote

from gearbox.clock import Clock
from gearbox.local.clients import SERVICE_ACCESS_KEY, SERVICE_SECRET_KEY, LocalClients
from gearbox.local.edge.chain import Exchange, Service
from gearbox.local.edge.messages import Response
from gearbox.local.functions.permissions import lets_invoke
from gearbox.local.journal import Undelivered
from gearbox.local.s3events import config as cfg
from gearbox.local.s3events.records import (
    Context,
    ObjectChange,
    Sequencer,
    record,
    s3_test_event,
)
from gearbox.local.s3events.store import ConfigStore
from gearbox.local.sinks.deliver import BotoDeliverer, DeliveryError
from gearbox.policy.resource import service_may

if TYPE_CHECKING:
    from gearbox.local.functions.service import LambdaService
    from gearbox.local.sqs.protocol import SqsService

log = logging.getLogger(__name__)
T = TypeVar("T")

_CREATED = {
    "PutObject": "ObjectCreated:Put",
    "CopyObject": "ObjectCreated:Copy",
    "CompleteMultipartUpload": "ObjectCreated:CompleteMultipartUpload",
}
_WATCHED = {*_CREATED, "DeleteObject", "DeleteObjects", "DeleteBucket"}
_HEADED = {"CopyObject", "CompleteMultipartUpload"}
_S3 = "s3.amazonaws.com"
_DENIED = (
    "Permissions on the destination {kind} do not allow S3 to publish notifications from "
    "this bucket"
)


# The SenderId of messages S3 sends to queues (AWS shows S3's own service principal's id).
S3_SENDER_ID = "AIDAS3NOTIFICATIONS"


class Head(NamedTuple):
    """What a HeadObject said of a copied or multipart-uploaded object."""

    size: int
    etag: str


class S3Notifications:
    target_prefix = None
    # Called with (source, destination, event, reason) for each event not delivered, for the
    # journal; set by whoever assembles the service.
    on_undelivered: Undelivered | None = None

    def __init__(
        self,
        *,
        state_dir: Path,
        backend: Service,
        sqs: SqsService,
        functions: LambdaService,
        endpoint_url: str,
        clock: Clock,
        account: str,
    ) -> None:
        self._store = ConfigStore(state_dir / "s3-notifications.db")
        self._backend = backend
        self._sqs = sqs
        self._functions = functions
        self._endpoint_url = endpoint_url
        self._clock = clock
        self._account = account
        self._sequencer = Sequencer()
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._clients = LocalClients(endpoint_url)
        self._deliverer = BotoDeliverer(
            endpoint_url,
            "us-east-1",
            SERVICE_ACCESS_KEY,
            SERVICE_SECRET_KEY,
            self._enqueue,
            send_sqs=functools.partial(sqs.send_to, sender=S3_SENDER_ID),
        )

    def close(self) -> None:
        self._store.close()

    async def handle(self, exchange: Exchange) -> Response:
        operation = exchange.operation
        try:
            if operation == "PutBucketNotificationConfiguration":
                return await self._put_configuration(exchange)
            if operation in ("GetBucketNotificationConfiguration", "GetBucketNotification"):
                return await self._get_configuration(exchange)
        except cfg.S3Error as error:
            return _error(exchange, error)
        response = await self._backend.handle(exchange)
        if operation in _WATCHED and 200 <= response.status < 300:
            # A copy's or a multipart upload's size is read before the writer has its answer:
            # a HeadObject in the background could find the object already deleted.
            head = None
            if operation in _HEADED and self._store.get(_bucket(exchange)):
                head = await self._head(exchange, response)
            self._in_background(exchange, operation or "", response, head)
        return response

    def _in_background(
        self, exchange: Exchange, operation: str, response: Response, head: Head | None
    ) -> None:
        """Send the bucket's events after the response, as S3 does, but one change after
        another per bucket, so a bucket's events leave in the order of its changes."""
        bucket = _bucket(exchange)
        previous = self._tails.get(bucket)

        async def in_turn() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await self._after(exchange, operation, response, head)

        task = asyncio.get_running_loop().create_task(in_turn())
        self._tails[bucket] = task

        def forget(done: asyncio.Task[None]) -> None:
            if self._tails.get(bucket) is done:
                del self._tails[bucket]

        task.add_done_callback(forget)

    # configuration

    async def _put_configuration(self, exchange: Exchange) -> Response:
        bucket = _bucket(exchange)
        await self._require_bucket(exchange.region, bucket)
        configs = cfg.parse(exchange.request.body)
        cfg.check_overlaps(configs)
        if exchange.request.header("x-amz-skip-destination-validation").lower() != "true":
            failures = [f for c in configs if (f := await self._unreachable(c, bucket)) is not None]
            if failures:
                raise cfg.invalid_argument(
                    "Unable to validate the following destination configurations", failures
                )
        before = {c.arn for c in self._store.get(bucket)}
        self._store.put(bucket, configs)
        context = self._context(exchange, None)
        new_queues = dict.fromkeys(c.arn for c in configs if c.kind == "Queue")
        for arn in new_queues:
            if arn not in before:
                await self._deliver(bucket, arn, s3_test_event(bucket, context))
        return Response(200, _ids(exchange.request_id, context.host_id))

    async def _get_configuration(self, exchange: Exchange) -> Response:
        bucket = _bucket(exchange)
        await self._require_bucket(exchange.region, bucket)
        headers = (*_ids(exchange.request_id, _host_id()), ("Content-Type", "application/xml"))
        return Response(200, headers, cfg.to_xml(self._store.get(bucket)))

    async def _require_bucket(self, region: str, bucket: str) -> None:
        from botocore.exceptions import ClientError

        try:
            await self._clients.call("s3", region, lambda s3: s3.head_bucket(Bucket=bucket))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchBucket"):
                raise cfg.S3Error(
                    "NoSuchBucket", "The specified bucket does not exist", 404, bucket=bucket
                ) from exc
            raise

    async def _unreachable(
        self, config: cfg.NotificationConfig, bucket: str
    ) -> tuple[str, str] | None:
        """(argument name, reason) when ``config``'s destination does not exist, or its
        resource policy does not let S3 deliver to it for ``bucket`` (AWS checks both when
        the configuration is put; the reasons are AWS's)."""
        source = {"source_arn": f"arn:aws:s3:::{bucket}", "source_account": self._account}
        if config.kind == "Queue":
            return self._queue_problem(config.arn, source)
        if config.kind == "CloudFunction":
            return self._function_problem(config.arn, source)
        return await self._topic_problem(config.arn, source)

    def _queue_problem(self, arn: str, source: dict[str, str]) -> tuple[str, str] | None:
        queue = self._sqs.registry.by_arn(arn)
        if queue is None:
            return arn, "The destination queue does not exist"
        if not service_may(queue.attributes.get("Policy"), _S3, "sqs:SendMessage", arn, **source):
            return arn, _DENIED.format(kind="queue")
        return None

    def _function_problem(self, arn: str, source: dict[str, str]) -> tuple[str, str] | None:
        parts = arn.split(":")
        function = (
            self._functions.registry.get(parts[3], parts[6])
            if len(parts) >= 7 and parts[2] == "lambda"
            else None
        )
        if function is None:
            return arn, "The destination Lambda function does not exist"
        if not lets_invoke(function.policy, function.arn, _S3, **source):
            return f"{arn}, null", f"Not authorized to invoke function [{arn}]"
        return None

    async def _topic_problem(self, arn: str, source: dict[str, str]) -> tuple[str, str] | None:
        parts = arn.split(":")
        attributes = await self._topic_attributes(arn, parts[3] if len(parts) > 3 else "")
        if attributes is None:
            return arn, "The destination topic does not exist"
        if not service_may(attributes.get("Policy"), _S3, "sns:Publish", arn, **source):
            return arn, _DENIED.format(kind="topic")
        return None

    async def _topic_attributes(self, arn: str, region: str) -> dict[str, str] | None:
        """The topic's attributes, or None when it does not exist."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            got = await self._clients.call(
                "sns", region, lambda sns: sns.get_topic_attributes(TopicArn=arn)
            )
        except (BotoCoreError, ClientError):
            return None
        return dict(got.get("Attributes", {}))

    # events

    async def _after(
        self, exchange: Exchange, operation: str, response: Response, head: Head | None
    ) -> None:
        bucket = _bucket(exchange)
        if operation == "DeleteBucket":
            self._store.delete(bucket)
            return
        configs = self._store.get(bucket)
        if not configs:
            return
        context = self._context(exchange, response)
        # each destination's permission, checked once for all the changes of this request
        problems: dict[str, tuple[str, str] | None] = {}
        for change in _changes(exchange, operation, bucket, response, self._sequencer):
            targets = [c for c in configs if c.matches(change.event_name, change.key)]
            if not targets:
                continue
            described = change
            if change.event_name == "ObjectCreated:Put" and change.etag:
                described = replace(change, size=_uploaded_size(exchange))
            elif head is not None:
                described = replace(change, size=head.size, etag=head.etag or change.etag or "")
            for target in targets:
                payload = {"Records": [record(described, target.id, context)]}
                if target.arn not in problems:
                    problems[target.arn] = await self._unreachable(target, bucket)
                problem = problems[target.arn]
                if problem is not None:
                    self._undelivered(bucket, target.arn, payload, problem[1])
                    continue
                await self._deliver(bucket, target.arn, payload)

    async def _head(self, exchange: Exchange, response: Response) -> Head | None:
        """The size and eTag of the object a copy or multipart upload made, from a HeadObject
        of the version it made."""
        from botocore.exceptions import BotoCoreError, ClientError

        bucket = _bucket(exchange)
        key = unquote(exchange.path_params.get("Key", ""))
        version = _version_made(response)
        extra = {} if version is None else {"VersionId": version}
        try:
            got = await self._clients.call(
                "s3",
                exchange.region,
                lambda s3: s3.head_object(Bucket=bucket, Key=key, **extra),
            )
        except (BotoCoreError, ClientError) as exc:
            log.warning(
                "S3 event for s3://%s/%s: HeadObject failed (%s); the record has no size",
                bucket,
                key,
                exc,
            )
            return None
        return Head(int(got.get("ContentLength", 0)), str(got.get("ETag", "")).strip('"'))

    async def _deliver(self, bucket: str, arn: str, payload: dict[str, Any]) -> None:
        try:
            await self._deliverer.send(arn, payload)
        except DeliveryError as exc:
            self._undelivered(bucket, arn, payload, str(exc))

    def _undelivered(self, bucket: str, arn: str, payload: dict[str, Any], reason: str) -> None:
        log.error("S3 notification from bucket %s to %s was not delivered: %s", bucket, arn, reason)
        if self.on_undelivered is not None:
            self.on_undelivered(f"s3:{bucket}", arn, _described_event(payload), reason)

    def _enqueue(self, function_arn: str, payload: bytes) -> None:
        self._functions.queue.enqueue(function_arn, payload, str(uuid.uuid4()), None)

    def _context(self, exchange: Exchange, response: Response | None) -> Context:
        request_id = _header(response, "x-amz-request-id") or exchange.request_id
        key = exchange.access_key
        return Context(
            region=exchange.region,
            time=self._clock.now(),
            principal=f"AWS:{key}" if key else "Anonymous",
            source_ip=exchange.request.client,
            request_id=request_id,
            host_id=_header(response, "x-amz-id-2") or _host_id(),
            owner=self._account,
        )


def _described_event(payload: dict[str, Any]) -> str:
    """``ObjectCreated:Put <key>`` for a record, ``s3:TestEvent`` for the test event."""
    records = payload.get("Records")
    if isinstance(records, list) and records:
        first = records[0]
        key = first.get("s3", {}).get("object", {}).get("key", "")
        return f"{first.get('eventName', '')} {key}"
    return str(payload.get("Event", "event"))


def _uploaded_size(exchange: Exchange) -> int:
    """The object's size from the PutObject request: the decoded length of a chunk-signed
    upload, else the body's length."""
    decoded = exchange.request.header("x-amz-decoded-content-length")
    return int(decoded) if decoded.isdigit() else len(exchange.request.body)


def _version_made(response: Response) -> str | None:
    """The version id the backend gave the object it changed (none if unversioned)."""
    header = _header(response, "x-amz-version-id")
    return None if header in ("", "null") else header


def _changes(
    exchange: Exchange, operation: str, bucket: str, response: Response, sequencer: Sequencer
) -> list[ObjectChange]:
    version = _version_made(response)
    if operation in _CREATED:
        key = unquote(exchange.path_params.get("Key", ""))
        etag = _header(response, "etag") or None
        return [
            ObjectChange(_CREATED[operation], bucket, key, sequencer.next(), None, etag, version)
        ]
    if operation == "DeleteObject":
        key = unquote(exchange.path_params.get("Key", ""))
        asked = parse_qs(exchange.request.query_string).get("versionId", [None])[0]
        marker = _header(response, "x-amz-delete-marker").lower() == "true"
        if marker and asked is None:
            return [
                ObjectChange(
                    "ObjectRemoved:DeleteMarkerCreated",
                    bucket,
                    key,
                    sequencer.next(),
                    version_id=version,
                )
            ]
        return [
            ObjectChange(
                "ObjectRemoved:Delete", bucket, key, sequencer.next(), version_id=asked or version
            )
        ]
    return _deleted(response.body, bucket, sequencer)


def _deleted(body: bytes, bucket: str, sequencer: Sequencer) -> list[ObjectChange]:
    """The changes in a DeleteObjects result."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        log.error("S3 events: cannot read the DeleteObjects result for bucket %s", bucket)
        return []
    changes = []
    for deleted in (e for e in root if e.tag.rpartition("}")[2] == "Deleted"):
        fields = {e.tag.rpartition("}")[2]: (e.text or "") for e in deleted}
        key = fields.get("Key", "")
        if fields.get("DeleteMarker") == "true" and not fields.get("VersionId"):
            changes.append(
                ObjectChange(
                    "ObjectRemoved:DeleteMarkerCreated",
                    bucket,
                    key,
                    sequencer.next(),
                    version_id=fields.get("DeleteMarkerVersionId"),
                )
            )
        else:
            changes.append(
                ObjectChange(
                    "ObjectRemoved:Delete",
                    bucket,
                    key,
                    sequencer.next(),
                    version_id=fields.get("VersionId") or None,
                )
            )
    return changes


def _bucket(exchange: Exchange) -> str:
    return unquote(exchange.path_params.get("Bucket", ""))


def _header(response: Response | None, name: str) -> str:
    if response is None:
        return ""
    return next((v for k, v in response.headers if k.lower() == name), "")


def _host_id() -> str:
    return base64.b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes).decode()


def _ids(request_id: str, host_id: str) -> tuple[tuple[str, str], ...]:
    return (("x-amz-request-id", request_id), ("x-amz-id-2", host_id))


def _error(exchange: Exchange, error: cfg.S3Error) -> Response:
    host_id = _host_id()
    headers = (*_ids(exchange.request_id, host_id), ("Content-Type", "application/xml"))
    return Response(error.status, headers, cfg.error_xml(error, exchange.request_id, host_id))
