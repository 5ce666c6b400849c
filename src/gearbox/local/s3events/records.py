"""The S3 event record and the test event, exactly as AWS documents them. Pure.

Record: https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
(version 2.1, the one S3 sends for object created and removed events). Test event:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
(``s3:TestEvent``, sent when a configuration is added).

Keys are URL-encoded as S3 encodes them (form encoding: spaces become ``+``, ``/`` is kept,
UTF-8 bytes are percent-encoded). The sequencer is an upper-case hex string that increases
for successive events on the same key, as S3's does; it is not comparable across keys.

Where it differs from AWS: principal ids are the caller's access key (``AWS:<key>``) and
the account id for the bucket owner, not IAM unique ids and canonical user ids.
"""

from __future__ import annotations

import datetime
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus


@dataclass(frozen=True)
class ObjectChange:
    """What happened to one object: ``event_name`` such as ``ObjectCreated:Put``."""

    event_name: str
    bucket: str
    key: str  # decoded
    sequencer: str
    size: int | None = None
    etag: str | None = None
    version_id: str | None = None


@dataclass(frozen=True)
class Context:
    """Who asked, where, and S3's ids of the request."""

    region: str
    time: float
    principal: str
    source_ip: str
    request_id: str
    host_id: str
    owner: str


def encode_key(key: str) -> str:
    """The key as S3 writes it in a record: ``a b/c(1).txt`` -> ``a+b/c%281%29.txt``."""
    return quote_plus(key, safe="/*").replace("~", "%7E")


def event_time(epoch: float) -> str:
    """ISO 8601 in UTC with milliseconds: ``2026-01-01T00:00:00.000Z``."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def record(change: ObjectChange, configuration_id: str, context: Context) -> dict[str, Any]:
    obj: dict[str, Any] = {"key": encode_key(change.key)}
    if change.size is not None:
        obj["size"] = change.size
    if change.etag is not None:
        obj["eTag"] = change.etag.strip('"')
    if change.version_id is not None and change.version_id != "null":
        obj["versionId"] = change.version_id
    obj["sequencer"] = change.sequencer
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": context.region,
        "eventTime": event_time(context.time),
        "eventName": change.event_name,
        "userIdentity": {"principalId": context.principal},
        "requestParameters": {"sourceIPAddress": context.source_ip},
        "responseElements": {
            "x-amz-request-id": context.request_id,
            "x-amz-id-2": context.host_id,
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": change.bucket,
                "ownerIdentity": {"principalId": context.owner},
                "arn": f"arn:aws:s3:::{change.bucket}",
            },
            "object": obj,
        },
    }


def s3_test_event(bucket: str, context: Context) -> dict[str, Any]:
    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": event_time(context.time),
        "Bucket": bucket,
        "RequestId": context.request_id,
        "HostId": context.host_id,
    }


class Sequencer:
    """Hex sequencers that increase per key (and here, across all keys of the process)."""

    def __init__(self, now_ns: Callable[[], int] = time.time_ns) -> None:
        self._now_ns = now_ns
        self._last = 0
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            self._last = max(self._last + 1, self._now_ns())
            return f"{self._last:018X}"
