"""``SnsDelivery``: the edge's ``sns`` service. Topics, subscriptions and their attributes stay
moto's (every request is passed to the backend unchanged, and moto checks filter policies
against AWS's syntax and limits); after a successful Publish or PublishBatch this service
delivers the message itself, because moto's own delivery goes to moto's queues and
functions, not Gearbox's (the backend's is switched off: ``MotoBackend.disown_sns_delivery``).

Messages of a FIFO topic are fanned out one after another, so its subscribers (FIFO queues)
get them in publish order; a standard topic's are fanned out concurrently (AWS promises no
order for them).

Delivery, per subscription of the topic (listed through boto3 with ListSubscriptionsByTopic
and GetSubscriptionAttributes, cached per topic until a Subscribe, Unsubscribe,
SetSubscriptionAttributes or DeleteTopic passes through this service):

- the filter policy (``filters``) decides whether the subscription gets the message;
- ``sqs``: SendMessage to Gearbox's SQS; the envelope as the body, or with
  RawMessageDelivery the message itself and its attributes as SQS message attributes;
- ``lambda``: an asynchronous invoke (the Lambda async queue) with AWS's SNS event;
- ``http``/``https``: a POST of the envelope (or the raw message with
  ``x-amz-sns-rawdelivery: true``) with AWS's ``x-amz-sns-*`` headers. A 2xx answer is
  delivered, a 4xx answer a client-side error (not retried), anything else (5xx, refused,
  15 s without an answer) is retried on the subscription's DeliveryPolicy, by default AWS's
  HTTP/S policy: 3 retries 20 seconds apart (numRetries 3, minDelayTarget = maxDelayTarget =
  20, no no-delay retries). Delays are measured on the injected clock, so a test's
  ``ManualClock`` moves them along.

As on AWS, SNS may deliver to a queue only when the queue's policy lets ``sns.amazonaws.com``
send to it for the topic (``aws:SourceArn``), and to a function only when the function's
policy (AddPermission) lets it invoke; otherwise the delivery is a client-side error, not
retried (the same holds for the subscription's dead-letter queue).

A message that cannot be delivered (retries exhausted, queue or function missing or not
permitting SNS, protocol not served locally) goes to the subscription's dead-letter queue
(RedrivePolicy ``deadLetterTargetArn``) in the form the subscription would have received;
without one, or when that fails too, it is logged as dropped. Every dead-lettered or dropped
message is logged with the message ID and subscription ARN.

Where it differs from AWS: HTTP/S subscriptions need no confirmation (moto confirms them);
email, SMS, application and Firehose subscriptions are not delivered (dead-lettered or
logged); the topic's own DeliveryPolicy is not read (only the subscription's); deliveries
still waiting for a retry when the local cloud stops are lost (logged); signatures do not
verify (see ``envelope``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import urllib.error
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import parse_qs

from gearbox.clock import Clock
from gearbox.local.clients import LocalClients
from gearbox.local.edge.chain import Exchange
from gearbox.local.edge.messages import Response
from gearbox.local.functions.permissions import lets_invoke
from gearbox.local.journal import Undelivered
from gearbox.local.sns import envelope as env
from gearbox.local.sns import filters
from gearbox.policy.resource import service_may

if TYPE_CHECKING:
    from gearbox.local.backend import MotoBackend
    from gearbox.local.functions.service import LambdaService
    from gearbox.local.sqs.queues import Queue

log = logging.getLogger(__name__)
T = TypeVar("T")

_SNS = "sns.amazonaws.com"
_CHANGES_SUBSCRIPTIONS = {"Subscribe", "Unsubscribe", "SetSubscriptionAttributes", "DeleteTopic"}
HTTP_TIMEOUT_SECONDS = 15
DEFAULT_HTTP_RETRY_POLICY = {
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numRetries": 3,
    "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0,
    "numMinDelayRetries": 0,
    "backoffFunction": "linear",
}


class Undeliverable(Exception):
    """A delivery that failed; ``retry`` says whether trying again may help."""

    def __init__(self, reason: str, retry: bool = False) -> None:
        super().__init__(reason)
        self.retry = retry


@dataclass(frozen=True)
class Subscription:
    arn: str
    protocol: str
    endpoint: str
    attributes: dict[str, str]

    @property
    def raw(self) -> bool:
        return self.attributes.get("RawMessageDelivery", "false").lower() == "true"

    def dead_letter_arn(self) -> str | None:
        text = self.attributes.get("RedrivePolicy")
        if not text:
            return None
        try:
            target = json.loads(text).get("deadLetterTargetArn")
        except (ValueError, AttributeError):
            return None
        return str(target) if target else None

    def wants(self, notification: env.Notification) -> bool:
        text = self.attributes.get("FilterPolicy")
        if not text:
            return True
        try:
            policy = json.loads(text)
        except ValueError:
            return False
        scope = self.attributes.get("FilterPolicyScope") or "MessageAttributes"
        message = notification.message_for(self.protocol)
        return filters.matches(policy, scope, notification.attributes, message)

    def retry_delays(self) -> list[float]:
        """Seconds to wait before each retry of an HTTP/S delivery."""
        policy = dict(DEFAULT_HTTP_RETRY_POLICY)
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            given = json.loads(self.attributes.get("DeliveryPolicy") or "{}")
            policy.update(given.get("healthyRetryPolicy") or {})
        return retry_delays(policy)


def retry_delays(policy: dict[str, Any]) -> list[float]:
    """AWS's retry phases: no-delay retries, retries at the minimum delay, backoff from the
    minimum to the maximum delay (linear here, whatever the backoff function), retries at
    the maximum delay."""
    total = int(policy.get("numRetries", 3))
    low, high = float(policy.get("minDelayTarget", 20)), float(policy.get("maxDelayTarget", 20))
    no_delay = int(policy.get("numNoDelayRetries", 0))
    at_min = int(policy.get("numMinDelayRetries", 0))
    at_max = int(policy.get("numMaxDelayRetries", 0))
    backoff = max(total - no_delay - at_min - at_max, 0)
    delays = [0.0] * no_delay + [low] * at_min
    delays += [low + (high - low) * (i + 1) / backoff for i in range(backoff)]
    delays += [high] * at_max
    return delays[:total]


class SnsDelivery:
    target_prefix = None

    # Called for each message not delivered, and with (subscription, dead-letter queue,
    # message id, reason) for each one dead-lettered, for the journal; set by whoever
    # assembles the service.
    on_undelivered: Undelivered | None = None
    on_dead_letter: Callable[[str, str, str, str], None] | None = None

    def __init__(
        self,
        *,
        backend: MotoBackend,
        functions: LambdaService,
        queues: QueueRegistry,
        endpoint_url: str,
        clock: Clock,
        poll_seconds: float = 0.02,
    ) -> None:
        backend.disown_sns_delivery()
        self._backend = backend
        self._functions = functions
        self._queues = queues
        self._endpoint_url = endpoint_url
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._subscriptions: dict[str, list[Subscription]] = {}
        self._generation = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._fifo_tails: dict[str, asyncio.Task[None]] = {}
        self._clients = LocalClients(endpoint_url)
        self._queue_urls: dict[str, str] = {}

    async def handle(self, exchange: Exchange) -> Response:
        response = await self._backend.handle(exchange)
        if not 200 <= response.status < 300:
            return _topic_not_found(exchange, response)
        operation = exchange.operation or ""
        if operation in _CHANGES_SUBSCRIPTIONS:
            self._subscriptions.clear()
            self._generation += 1
        elif operation in ("Publish", "PublishBatch"):
            for notification in _published(exchange, response, self._clock.now()):
                fifo = notification.topic_arn.endswith(".fifo")
                self._spawn(
                    self._fan_out(exchange.region, notification),
                    after=notification.topic_arn if fifo else None,
                )
        return response

    def _spawn(self, work: Any, after: str | None = None) -> None:
        """Run ``work`` in the background; with ``after`` (a FIFO topic), only once the
        previous work of that topic has finished, so its subscribers get messages in order."""
        previous = self._fifo_tails.get(after) if after else None

        async def in_turn() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await work

        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(in_turn())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        if after:
            self._fifo_tails[after] = task
            task.add_done_callback(
                lambda done: (
                    self._fifo_tails.pop(after, None)
                    if self._fifo_tails.get(after) is done
                    else None
                )
            )

    # fan-out

    async def _fan_out(self, region: str, notification: env.Notification) -> None:
        try:
            subscriptions = await self._subscriptions_of(region, notification.topic_arn)
        except Exception as exc:
            log.error(
                "SNS message %s on %s dropped: cannot list the topic's subscriptions: %s",
                notification.message_id,
                notification.topic_arn,
                exc,
            )
            self._undelivered(notification, "(every subscription)", str(exc))
            return
        await asyncio.gather(*(self._deliver(s, notification) for s in subscriptions))

    async def _subscriptions_of(self, region: str, topic_arn: str) -> list[Subscription]:
        cached = self._subscriptions.get(topic_arn)
        if cached is not None:
            return cached
        generation = self._generation
        found = await self._clients.call(
            "sns", region, lambda sns: _list_subscriptions(sns, topic_arn)
        )
        if generation == self._generation:
            self._subscriptions[topic_arn] = found
        return found

    async def _deliver(self, subscription: Subscription, notification: env.Notification) -> None:
        try:
            if not subscription.wants(notification):
                log.debug(
                    "SNS message %s filtered out for %s",
                    notification.message_id,
                    subscription.arn,
                )
                return
            if subscription.protocol in ("http", "https"):
                await self._deliver_http(subscription, notification)
            elif subscription.protocol == "sqs":
                await self._send_to_queue(subscription.endpoint, subscription, notification)
            elif subscription.protocol == "lambda":
                self._invoke(subscription, notification)
            else:
                raise Undeliverable(
                    f"protocol {subscription.protocol!r} is not delivered by the local cloud"
                )
        except asyncio.CancelledError:
            log.error(
                "SNS message %s to %s dropped: the local cloud stopped before it was delivered",
                notification.message_id,
                subscription.arn,
            )
            raise
        except Exception as exc:
            await self._dead_letter(subscription, notification, str(exc))

    async def _deliver_http(
        self, subscription: Subscription, notification: env.Notification
    ) -> None:
        delays = subscription.retry_delays()
        attempt = 0
        while True:
            attempt += 1
            try:
                await asyncio.to_thread(self._post, subscription, notification)
                return
            except Undeliverable as exc:
                if not exc.retry or attempt > len(delays):
                    raise Undeliverable(f"{exc} (after {attempt} attempt(s))") from exc
                log.info(
                    "SNS message %s to %s failed (%s); retrying in %ss",
                    notification.message_id,
                    subscription.arn,
                    exc,
                    delays[attempt - 1],
                )
                await self._wait(delays[attempt - 1])

    async def _wait(self, seconds: float) -> None:
        due = self._clock.now() + seconds
        while self._clock.now() < due:
            await asyncio.sleep(self._poll_seconds)

    def _post(self, subscription: Subscription, notification: env.Notification) -> None:
        if subscription.raw:
            body = notification.message_for(subscription.protocol).encode("utf-8")
        else:
            body = json.dumps(self._envelope(subscription, notification)).encode("utf-8")
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "User-Agent": "Amazon Simple Notification Service Agent",
            "x-amz-sns-message-type": "Notification",
            "x-amz-sns-message-id": notification.message_id,
            "x-amz-sns-topic-arn": notification.topic_arn,
            "x-amz-sns-subscription-arn": subscription.arn,
        }
        if subscription.raw:
            headers["x-amz-sns-rawdelivery"] = "true"
        request = urllib.request.Request(
            subscription.endpoint, data=body, headers=headers, method="POST"
        )
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=HTTP_TIMEOUT_SECONDS) as answer:
                answer.read()
        except urllib.error.HTTPError as exc:
            client_side = 400 <= exc.code < 500
            raise Undeliverable(f"the endpoint answered {exc.code}", retry=not client_side) from exc
        except (OSError, ValueError) as exc:
            raise Undeliverable(f"the endpoint did not answer: {exc}", retry=True) from exc

    async def _send_to_queue(
        self, queue_arn: str, subscription: Subscription, notification: env.Notification
    ) -> None:
        parts = queue_arn.split(":")
        if len(parts) != 6 or parts[2] != "sqs":
            raise Undeliverable(f"{queue_arn} is not an SQS queue ARN")
        region, account, name = parts[3], parts[4], parts[5]
        queue = self._queues.by_arn(queue_arn)
        topic = notification.topic_arn
        if queue is not None and not service_may(
            queue.attributes.get("Policy"), _SNS, "sqs:SendMessage", queue_arn, **_source(topic)
        ):
            raise Undeliverable(
                f"the policy of queue {queue_arn} does not let SNS send messages from {topic} "
                "(a client-side error: not retried)"
            )
        extra: dict[str, Any] = {}
        if subscription.raw:
            body = notification.message_for(subscription.protocol)
            if notification.attributes:
                extra["MessageAttributes"] = env.sqs_attributes(notification)
        else:
            body = json.dumps(self._envelope(subscription, notification), indent=2)
        if name.endswith(".fifo"):
            extra["MessageGroupId"] = notification.group_id or "default"
            extra["MessageDeduplicationId"] = (
                notification.deduplication_id or notification.message_id
            )

        def send(sqs: Any) -> None:
            from botocore.exceptions import BotoCoreError, ClientError

            try:
                url = self._queue_url(sqs, account, name)
                sqs.send_message(QueueUrl=url, MessageBody=body, **extra)
            except ClientError as exc:
                error = exc.response.get("Error", {})
                raise Undeliverable(
                    f"SendMessage to {queue_arn} failed: {error.get('Code')} {error.get('Message')}"
                ) from exc
            except BotoCoreError as exc:
                raise Undeliverable(f"SendMessage to {queue_arn} failed: {exc}") from exc

        await self._clients.call("sqs", region, send)

    def _invoke(self, subscription: Subscription, notification: env.Notification) -> None:
        parts = subscription.endpoint.split(":")
        if len(parts) not in (7, 8) or parts[2] != "lambda" or parts[5] != "function":
            raise Undeliverable(f"{subscription.endpoint} is not a Lambda function ARN")
        record = self._functions.registry.get(parts[3], parts[6])
        if record is None:
            raise Undeliverable(f"function {subscription.endpoint} does not exist")
        topic = notification.topic_arn
        if not lets_invoke(record.policy, record.arn, _SNS, **_source(topic)):
            raise Undeliverable(
                f"the policy of function {record.arn} does not let SNS invoke it for {topic} "
                "(a client-side error: not retried)"
            )
        event = env.lambda_event(notification, subscription.arn, self._endpoint_url)
        target = subscription.endpoint if len(parts) == 8 else record.arn
        self._functions.queue.enqueue(
            target, json.dumps(event).encode("utf-8"), str(uuid.uuid4()), None
        )

    async def _dead_letter(
        self, subscription: Subscription, notification: env.Notification, reason: str
    ) -> None:
        target = subscription.dead_letter_arn()
        if target is None:
            log.error(
                "SNS message %s to %s dropped (the subscription has no dead-letter queue): %s",
                notification.message_id,
                subscription.arn,
                reason,
            )
            self._undelivered(notification, subscription.arn, reason)
            return
        try:
            await self._send_to_queue(target, subscription, notification)
        except Exception as exc:
            log.error(
                "SNS message %s to %s dropped: %s; and its dead-letter queue %s failed: %s",
                notification.message_id,
                subscription.arn,
                reason,
                target,
                exc,
            )
            self._undelivered(
                notification, subscription.arn, f"{reason}; dead-letter queue {target}: {exc}"
            )
            return
        log.warning(
            "SNS message %s to %s moved to the dead-letter queue %s: %s",
            notification.message_id,
            subscription.arn,
            target,
            reason,
        )
        if self.on_dead_letter is not None:
            self.on_dead_letter(subscription.arn, target, notification.message_id, reason)

    def _undelivered(self, notification: env.Notification, to: str, reason: str) -> None:
        if self.on_undelivered is not None:
            source = f"sns:{notification.topic_arn}"
            self.on_undelivered(source, to, f"message {notification.message_id}", reason)

    def _envelope(
        self, subscription: Subscription, notification: env.Notification
    ) -> dict[str, Any]:
        return env.envelope(
            notification, subscription.arn, subscription.protocol, self._endpoint_url
        )

    # boto3, on worker threads

    def _queue_url(self, sqs: Any, account: str, name: str) -> str:
        key = f"{sqs.meta.region_name}:{account}:{name}"
        if key not in self._queue_urls:
            answer = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)
            self._queue_urls[key] = str(answer["QueueUrl"])
        return self._queue_urls[key]


def _source(topic_arn: str) -> dict[str, str]:
    """The request context SNS acts in when it delivers a message of ``topic_arn``."""
    return {"source_arn": topic_arn, "source_account": topic_arn.split(":")[4]}


class QueueRegistry(Protocol):
    """Gearbox's SQS queues by ARN (``gearbox.local.sqs.registry``): their policies."""

    def by_arn(self, arn: str) -> Queue | None: ...


def _list_subscriptions(sns: Any, topic_arn: str) -> list[Subscription]:
    found = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic_arn):
        for item in page.get("Subscriptions", []):
            arn = str(item.get("SubscriptionArn", ""))
            if not arn.startswith("arn:"):  # PendingConfirmation
                continue
            attributes = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
            found.append(
                Subscription(
                    arn=arn,
                    protocol=str(item.get("Protocol", "")),
                    endpoint=str(item.get("Endpoint", "")),
                    attributes={str(k): str(v) for k, v in attributes.items()},
                )
            )
    return found


# reading the request and moto's answer


def _topic_not_found(exchange: Exchange, response: Response) -> Response:
    """moto answers a Publish to a missing topic "Endpoint does not exist" (it looks for a
    platform endpoint next); AWS says "Topic does not exist"."""
    if exchange.operation != "Publish" or response.status != 404:
        return response
    if b"Endpoint does not exist" not in response.body or "TopicArn" not in _params(exchange):
        return response
    body = response.body.replace(b"Endpoint does not exist", b"Topic does not exist")
    headers = tuple(
        (k, str(len(body)) if k.lower() == "content-length" else v) for k, v in response.headers
    )
    return Response(response.status, headers, body)


def _published(exchange: Exchange, response: Response, now: float) -> list[env.Notification]:
    params = _params(exchange)
    ids = _message_ids(response.body)
    topic = params.get("TopicArn") or params.get("TargetArn") or ""
    if not topic or params.get("PhoneNumber") or ":endpoint/" in topic:
        return []
    if exchange.operation == "Publish":
        message_id = ids.get("")
        if message_id is None:
            return []
        return [_notification(params, message_id, topic, now)]
    notifications = []
    for entry in _members(params, "PublishBatchRequestEntries.member.").values():
        message_id = ids.get(entry.get("Id", ""))
        if message_id is not None:
            notifications.append(_notification(entry, message_id, topic, now))
    return notifications


def _notification(
    params: dict[str, str], message_id: str, topic: str, now: float
) -> env.Notification:
    attributes = {}
    for entry in _members(params, "MessageAttributes.entry.").values():
        name = entry.get("Name")
        data_type = entry.get("Value.DataType", "String")
        value = entry.get("Value.StringValue", entry.get("Value.BinaryValue"))
        if name and value is not None:
            attributes[name] = (data_type, value)
    return env.Notification(
        message_id=message_id,
        topic_arn=topic,
        message=params.get("Message", ""),
        timestamp=now,
        subject=params.get("Subject"),
        attributes=attributes,
        structure=params.get("MessageStructure"),
        group_id=params.get("MessageGroupId"),
        deduplication_id=params.get("MessageDeduplicationId"),
    )


def _params(exchange: Exchange) -> dict[str, str]:
    request = exchange.request
    params = {k: v[0] for k, v in parse_qs(request.query_string, keep_blank_values=True).items()}
    if request.body:
        body = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        params.update({k: v[0] for k, v in body.items()})
    return params


def _members(params: dict[str, str], prefix: str) -> dict[int, dict[str, str]]:
    """``prefix.N.rest = value`` -> {N: {rest: value}}."""
    members: dict[int, dict[str, str]] = {}
    for key, value in params.items():
        if not key.startswith(prefix):
            continue
        index, _, rest = key[len(prefix) :].partition(".")
        if index.isdigit() and rest:
            members.setdefault(int(index), {})[rest] = value
    return dict(sorted(members.items()))


def _message_ids(body: bytes) -> dict[str, str]:
    """Publish: {"": MessageId}; PublishBatch: {entry Id: MessageId} of the successful ones."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        log.error("SNS: cannot read the backend's Publish answer; nothing is delivered")
        return {}
    ids: dict[str, str] = {}
    for element in root.iter():
        tag = element.tag.rpartition("}")[2]
        if tag == "PublishResult":
            for child in element:
                if child.tag.rpartition("}")[2] == "MessageId" and child.text:
                    ids[""] = child.text
        elif tag == "Successful":
            for member in element:
                fields = {c.tag.rpartition("}")[2]: c.text or "" for c in member}
                if fields.get("Id") and fields.get("MessageId"):
                    ids[fields["Id"]] = fields["MessageId"]
    return ids
