"""Validation of SQS input, with the error codes and messages AWS returns.

Pure functions: each returns the cleaned value or raises ``SqsError``. Where AWS's exact
message text is not documented, the message says the same thing in AWS's style.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from gearbox.local.sqs.errors import SqsError, invalid_parameter, invalid_parameters

MAX_ATTRIBUTES = 10
MAX_BATCH = 10
MAX_BATCH_BYTES = 1_048_576

_QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")
_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,256}")
_DATA_TYPE = re.compile(r"(String|Number|Binary)(\.[A-Za-z0-9_.\-]+)?")
# SQS accepts #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
_INVALID_CHARACTER = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_VALID_CHARACTERS = (
    "Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | "
    "#x10000 to #x10FFFF"
)


def queue_name(name: str, fifo: bool) -> str:
    base = name[: -len(".fifo")] if fifo and name.endswith(".fifo") else name
    if not _QUEUE_NAME.fullmatch(base) or len(name) > 80:
        raise invalid_parameter(
            "QueueName",
            name,
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        )
    if fifo and not name.endswith(".fifo"):
        raise invalid_parameter(
            "QueueName",
            name,
            "The name of a FIFO queue can only include alphanumeric "
            "characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 "
            "in length",
        )
    return name


def message_body(body: str) -> str:
    if body == "":
        raise SqsError("MissingParameter", "The request must contain the parameter MessageBody.")
    bad = _INVALID_CHARACTER.search(body)
    if bad is not None:
        raise SqsError("InvalidMessageContents", f"Invalid characters found. {_VALID_CHARACTERS}")
    return body


def message_attributes(attributes: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Check user message attributes; return them in wire form (Binary as base64)."""
    if len(attributes) > MAX_ATTRIBUTES:
        raise invalid_parameters(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}]."
        )
    cleaned: dict[str, dict[str, str]] = {}
    for name, value in attributes.items():
        _attribute_name(name)
        cleaned[name] = _attribute_value(name, value, user=True)
    return cleaned


def system_attributes(attributes: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    cleaned: dict[str, dict[str, str]] = {}
    for name, value in attributes.items():
        if name != "AWSTraceHeader":
            raise invalid_parameters(f"Message system attribute name '{name}' is invalid.")
        cleaned[name] = _attribute_value(name, value, user=False)
        if cleaned[name]["DataType"] != "String":
            raise invalid_parameters(
                "Message system attribute 'AWSTraceHeader' must be of type 'String'."
            )
    return cleaned


def _attribute_name(name: str) -> None:
    lowered = name.lower()
    if (
        not _ATTRIBUTE_NAME.fullmatch(name)
        or lowered.startswith(("aws.", "amazon."))
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
    ):
        raise invalid_parameters(
            f"Message (user) attribute name '{name}' is invalid. Names can contain "
            "alphanumeric characters, hyphens, underscores and periods, must not start with "
            "AWS. or Amazon., and must not start or end with a period or hold two in a row."
        )


def _attribute_value(name: str, value: Any, *, user: bool) -> dict[str, str]:
    kind = "user" if user else "system"
    data_type = value.get("DataType") if isinstance(value, Mapping) else None
    if not data_type:
        raise invalid_parameters(f"The message attribute '{name}' must contain a DataType.")
    if not _DATA_TYPE.fullmatch(data_type) or len(data_type) > 256:
        raise invalid_parameters(
            f"The message attribute '{name}' has an invalid message attribute type, the set "
            "of supported type prefixes is Binary, Number, and String."
        )
    if value.get("StringListValues") or value.get("BinaryListValues"):
        raise invalid_parameters(
            f"Message ({kind}) attribute '{name}': list values are reserved and not supported."
        )
    if data_type.startswith("Binary"):
        raw = value.get("BinaryValue")
        decoded = _base64(raw) if isinstance(raw, str) else b""
        if not decoded:
            raise _empty_value(kind, name, "Binary")
        return {"DataType": data_type, "BinaryValue": str(raw)}
    text = value.get("StringValue")
    if not isinstance(text, str) or text == "":
        raise _empty_value(kind, name, data_type.split(".", 1)[0])
    if _INVALID_CHARACTER.search(text):
        raise invalid_parameters(
            f"Message ({kind}) attribute '{name}' contains invalid characters. {_VALID_CHARACTERS}"
        )
    if data_type.startswith("Number"):
        _number(name, text)
    return {"DataType": data_type, "StringValue": text}


def _empty_value(kind: str, name: str, data_type: str) -> SqsError:
    return invalid_parameters(
        f"Message ({kind}) attribute '{name}' must contain a non-empty value of type '{data_type}'."
    )


def _number(name: str, text: str) -> None:
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or len(number.as_tuple().digits) > 38:
        raise invalid_parameters(f"Could not cast message attribute '{name}' value to number.")
    if number != 0 and not Decimal("1e-130") <= abs(number) <= Decimal("1e126"):
        raise invalid_parameters(f"Message attribute '{name}' value is out of range.")


def _base64(raw: str) -> bytes:
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        return b""


def message_size(body: str, attributes: Mapping[str, Mapping[str, str]]) -> int:
    """The size AWS counts against MaximumMessageSize: body plus attribute names, types, values."""
    size = len(body.encode("utf-8"))
    for name, value in attributes.items():
        size += len(name.encode("utf-8")) + len(value["DataType"].encode("utf-8"))
        if "BinaryValue" in value:
            size += len(base64.b64decode(value["BinaryValue"]))
        else:
            size += len(value["StringValue"].encode("utf-8"))
    return size


def batch_entries(entries: Sequence[Mapping[str, Any]], entry_kind: str) -> None:
    """The checks every *Batch operation makes before touching any entry."""
    if not entries:
        raise SqsError(
            "EmptyBatchRequest",
            f"There should be at least one {entry_kind} in the request.",
        )
    if len(entries) > MAX_BATCH:
        raise SqsError(
            "TooManyEntriesInBatchRequest",
            f"Maximum number of entries per request are {MAX_BATCH}. You have sent {len(entries)}.",
        )
    seen: set[str] = set()
    for entry in entries:
        entry_id = str(entry.get("Id", ""))
        if not _BATCH_ID.fullmatch(entry_id):
            raise SqsError(
                "InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and "
                "underscores. It can be at most 80 letters long.",
            )
        if entry_id in seen:
            raise SqsError("BatchEntryIdsNotDistinct", f"Id {entry_id} repeated.")
        seen.add(entry_id)
