"""Queues: create, find, list, delete, attributes and tags.

Queues are kept in memory (a dict by region, account and name) and written through to the
store, so resolving a queue URL costs a dict lookup, not a query.

Where it differs from AWS: a deleted queue's name can be reused at once (AWS asks for 60
seconds and may answer ``QueueDeletedRecently``); deletion is immediate (AWS: up to 60 s).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from gearbox.clock import Clock
from gearbox.local.sqs import checks
from gearbox.local.sqs.errors import SqsError, invalid_parameter, queue_does_not_exist
from gearbox.local.sqs.queues import (
    READABLE,
    Queue,
    check_attributes,
    default_attributes,
    parse_arn,
)
from gearbox.local.sqs.store import Store

MAX_TAGS = 50
_LIST_LIMIT = 1000


class QueueRegistry:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock
        self._queues: dict[tuple[str, str, str], Queue] = {
            (q.region, q.account, q.name): q for q in store.load_queues()
        }
        self.on_delete: list[Callable[[Queue], None]] = []

    # lookups

    def by_url(self, region: str, url: str) -> Queue:
        """The queue a QueueUrl names, in the caller's region."""
        if not url:
            raise SqsError("MissingParameter", "The request must contain the parameter QueueUrl.")
        parts = urlsplit(url).path.strip("/").split("/")
        if len(parts) != 2:
            raise SqsError("InvalidAddress", f"The address {url} is not valid for this endpoint.")
        return self.by_name(region, parts[0], parts[1])

    def by_name(self, region: str, account: str, name: str) -> Queue:
        queue = self._queues.get((region, account, name))
        if queue is None:
            raise queue_does_not_exist()
        return queue

    def by_arn(self, arn: str) -> Queue | None:
        parsed = parse_arn(arn)
        return None if parsed is None else self._queues.get(parsed)

    def all(self) -> list[Queue]:
        return list(self._queues.values())

    # operations

    def create(
        self, region: str, account: str, name: str, attributes: dict[str, Any], tags: dict[str, str]
    ) -> Queue:
        fifo = str(attributes.get("FifoQueue", "false")).lower() == "true"
        checks.queue_name(name, fifo)
        wanted = check_attributes(attributes, fifo, creating=True)
        if fifo:
            wanted["FifoQueue"] = "true"
        else:
            wanted.pop("FifoQueue", None)
        existing = self._queues.get((region, account, name))
        if existing is not None:
            for key, value in wanted.items():
                if existing.attributes.get(key, default_attributes(fifo).get(key)) != value:
                    raise SqsError(
                        "QueueNameExists",
                        "A queue already exists with the same name and a different value for "
                        f"attribute {key}",
                    )
            return existing
        self._check_redrive(region, account, fifo, wanted)
        now = self._clock.now()
        if len(tags) > MAX_TAGS:
            raise invalid_parameters_tags(name)
        queue = Queue(
            id=0,
            region=region,
            account=account,
            name=name,
            attributes={**default_attributes(fifo), **_drop_empty(wanted)},
            tags=dict(tags),
            created=now,
            modified=now,
        )
        queue.id = self._store.insert_queue(queue)
        self._queues[(region, account, name)] = queue
        return queue

    def delete(self, queue: Queue) -> None:
        self._store.delete_queue(queue.id)
        del self._queues[(queue.region, queue.account, queue.name)]
        for listener in self.on_delete:
            listener(queue)

    def set_attributes(self, queue: Queue, attributes: dict[str, Any]) -> None:
        cleaned = check_attributes(attributes, queue.fifo, creating=False)
        self._check_redrive(queue.region, queue.account, queue.fifo, cleaned)
        for key, value in cleaned.items():
            if value == "" and key in (
                "Policy",
                "RedrivePolicy",
                "RedriveAllowPolicy",
                "KmsMasterKeyId",
            ):
                queue.attributes.pop(key, None)
            else:
                queue.attributes[key] = value
        queue.modified = self._clock.now()
        self._store.update_queue(queue)

    def tag(self, queue: Queue, tags: dict[str, str]) -> None:
        merged = {**queue.tags, **tags}
        if len(merged) > MAX_TAGS:
            raise invalid_parameters_tags(queue.name)
        queue.tags = merged
        self._store.update_queue(queue)

    def untag(self, queue: Queue, keys: list[str]) -> None:
        queue.tags = {k: v for k, v in queue.tags.items() if k not in keys}
        self._store.update_queue(queue)

    def save(self, queue: Queue) -> None:
        self._store.update_queue(queue)

    def listing(
        self, region: str, account: str, prefix: str, max_results: int | None, token: str | None
    ) -> tuple[list[Queue], str | None]:
        names = sorted(
            q.name
            for (r, a, n), q in self._queues.items()
            if r == region and a == account and n.startswith(prefix)
        )
        return self._page(region, account, names, max_results, token)

    def dead_letter_sources(
        self, queue: Queue, max_results: int | None, token: str | None
    ) -> tuple[list[Queue], str | None]:
        names = sorted(
            q.name
            for q in self._queues.values()
            if q.region == queue.region
            and q.account == queue.account
            and q.redrive is not None
            and q.redrive[0] == queue.arn
        )
        return self._page(queue.region, queue.account, names, max_results, token)

    def _page(
        self,
        region: str,
        account: str,
        names: list[str],
        max_results: int | None,
        token: str | None,
    ) -> tuple[list[Queue], str | None]:
        if max_results is not None and not 1 <= max_results <= _LIST_LIMIT:
            raise invalid_parameter(
                "MaxResults", max_results, f"MaxResults must be between 1 and {_LIST_LIMIT}."
            )
        start = _decode_token(token)
        limit = max_results or _LIST_LIMIT
        page = names[start : start + limit]
        more = max_results is not None and start + limit < len(names)
        next_token = _encode_token(start + limit) if more else None
        return [self._queues[(region, account, n)] for n in page], next_token

    def _check_redrive(
        self, region: str, account: str, fifo: bool, attributes: dict[str, str]
    ) -> None:
        raw = attributes.get("RedrivePolicy")
        if not raw:
            return
        target_arn = json.loads(raw)["deadLetterTargetArn"]
        target = self.by_arn(target_arn)
        if target is None:
            raise invalid_parameter("RedrivePolicy", raw, "Dead-letter target does not exist.")
        if target.fifo != fifo:
            raise invalid_parameter(
                "RedrivePolicy",
                raw,
                "Dead-letter queue must be the same type of queue as the source queue.",
            )


def readable_names(requested: list[str]) -> set[str]:
    names: set[str] = set()
    for name in requested:
        if name == "All":
            names |= READABLE
        elif name in READABLE:
            names.add(name)
        else:
            raise SqsError("InvalidAttributeName", f"Unknown Attribute {name}.")
    return names


def invalid_parameters_tags(name: str) -> SqsError:
    return SqsError("InvalidParameterValue", f"Too many tags added for queue {name}.")


def _drop_empty(attributes: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in attributes.items() if v != ""}


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def _decode_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        return int(json.loads(base64.urlsafe_b64decode(token.encode()))["offset"])
    except (ValueError, KeyError, TypeError) as exc:
        raise invalid_parameter("NextToken", token, "Invalid or expired next token.") from exc
