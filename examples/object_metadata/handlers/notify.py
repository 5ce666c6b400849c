"""The ``notify`` step: announce the described object on the ``object-events`` topic.

The message is the object's metadata summary as JSON; the ``event`` and ``content_type``
message attributes let subscribers filter (e.g. ``{"content_type": [{"prefix": "image/"}]}``).

Environment: ``EVENTS_TOPIC`` (the topic ARN), ``PROCESSES_TABLE``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from handlers.aws import client
from handlers.plan import NOTIFY
from handlers.steps import run_step

EVENT = "object.described"
FIELDS = ("bucket", "key", "content_type", "size", "sha256", "process_id")


def notify(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_step(NOTIFY, event, publish)


def notification(event: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """The SNS message body and attributes for an object."""
    body = json.dumps({"event": EVENT, **{f: event[f] for f in FIELDS if f in event}})
    content_type = str(event.get("content_type", "application/octet-stream"))
    attributes = {
        "event": {"DataType": "String", "StringValue": EVENT},
        "content_type": {"DataType": "String", "StringValue": content_type},
    }
    return body, attributes


def publish(event: Mapping[str, Any]) -> dict[str, Any]:
    body, attributes = notification(event)
    answer = client("sns").publish(
        TopicArn=os.environ["EVENTS_TOPIC"], Message=body, MessageAttributes=attributes
    )
    return {"message_id": str(answer["MessageId"])}
