"""The checksums SQS returns, computed exactly as AWS computes them.

boto3 and the aws CLI check ``MD5OfMessageBody`` and ``MD5OfMessageAttributes`` on every send
and receive, so these functions are verified by the clients themselves. The attribute digest
covers the attributes sorted by name, each encoded as: name length (4 bytes, big-endian) and
name, data type length and data type, one transport byte (1 for String and Number, 2 for
Binary), value length and value, all UTF-8.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Mapping
from typing import Any

_STRING = b"\x01"
_BINARY = b"\x02"


def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8"), usedforsecurity=False).hexdigest()


def md5_of_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    for name in sorted(attributes):
        value = attributes[name]
        data_type = str(value["DataType"])
        _add(digest, name.encode("utf-8"))
        _add(digest, data_type.encode("utf-8"))
        if data_type.startswith("Binary"):
            digest.update(_BINARY)
            _add(digest, base64.b64decode(value["BinaryValue"]))
        else:
            digest.update(_STRING)
            _add(digest, str(value["StringValue"]).encode("utf-8"))
    return digest.hexdigest()


def _add(digest: Any, data: bytes) -> None:
    digest.update(struct.pack(">I", len(data)))
    digest.update(data)
