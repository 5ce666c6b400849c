"""boto3 clients reused across a warm environment's invocations, and DynamoDB item shapes.

Clients are made on first use, not at import, so importing a handler module needs no region
or credentials (unit tests import them freely). The endpoint comes from boto3's own
configuration (``AWS_ENDPOINT_URL`` locally; nothing on AWS).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


@functools.cache
def client(service: str) -> Any:
    return boto3.client(service)


def to_item(values: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values -> DynamoDB AttributeValues (``None`` values are left out)."""
    return {k: _SERIALIZER.serialize(v) for k, v in values.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _DESERIALIZER.deserialize(v) for k, v in item.items()}


def now() -> str:
    """ISO-8601 UTC, milliseconds."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def update(
    set_values: Mapping[str, Any], add_values: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """UpdateItem arguments that SET (and ADD) the given attributes.

    Every attribute goes through a name placeholder, since ``bucket``, ``key``, ``object`` and
    ``status`` are DynamoDB reserved words.
    """
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    clauses: dict[str, list[str]] = {"SET": [], "ADD": []}
    for verb, pairs in (("SET", set_values), ("ADD", add_values or {})):
        for attribute, value in pairs.items():
            n = len(names)
            names[f"#a{n}"] = attribute
            values[f":v{n}"] = value
            joiner = " = " if verb == "SET" else " "
            clauses[verb].append(f"#a{n}{joiner}:v{n}")
    expression = " ".join(f"{verb} {', '.join(parts)}" for verb, parts in clauses.items() if parts)
    return {
        "UpdateExpression": expression,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": to_item(values),
    }
