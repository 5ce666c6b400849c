"""The ``index_object`` step: one search-index row per term of an object.

Terms are the lower-cased words of the key's file name, its extension, the content type and
its main type (``photo-2024.jpg`` -> ``photo``, ``2024``, ``jpg``, ``image``,
``image/jpeg``); at most ``MAX_TERMS``. The table's partition key is ``term`` and its sort key
``object``, so "which objects match a term" is one Query.

Environment: ``INDEX_TABLE``, ``PROCESSES_TABLE``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from handlers.aws import client, now, to_item
from handlers.failures import object_id
from handlers.plan import INDEX
from handlers.steps import run_step

MAX_TERMS = 20
BATCH = 25  # BatchWriteItem's limit


def index_object(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return run_step(INDEX, event, write_index)


def index_terms(key: str, content_type: str) -> list[str]:
    name = key.rsplit("/", 1)[-1].lower()
    stem, dot, extension = name.rpartition(".")
    words = re.findall(r"[a-z0-9]+", stem if dot else name)
    terms = [*words, *([extension] if dot and extension else [])]
    terms += [content_type.split("/", 1)[0], content_type]
    unique = list(dict.fromkeys(t for t in terms if t))
    return unique[:MAX_TERMS]


def write_index(event: Mapping[str, Any]) -> dict[str, Any]:
    bucket, key = str(event["bucket"]), str(event["key"])
    content_type = str(event.get("content_type", "application/octet-stream"))
    terms = index_terms(key, content_type)
    at = now()
    requests = [
        {
            "PutRequest": {
                "Item": to_item(
                    {
                        "term": term,
                        "object": object_id(bucket, key),
                        "bucket": bucket,
                        "key": key,
                        "content_type": content_type,
                        "indexed_at": at,
                    }
                )
            }
        }
        for term in terms
    ]
    table = os.environ["INDEX_TABLE"]
    for start in range(0, len(requests), BATCH):
        pending: dict[str, Any] = {table: requests[start : start + BATCH]}
        while pending:
            answer = client("dynamodb").batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
    return {"terms": terms}
