"""SQS digests against values computed by hand from AWS's documented encoding."""

from __future__ import annotations

import base64
import hashlib
import struct

from gearbox.local.sqs.md5 import md5_of_attributes, md5_of_body


def encode(*parts: bytes) -> bytes:
    return b"".join(struct.pack(">I", len(p)) + p for p in parts)


def test_md5_of_body_is_hex_md5_of_utf8() -> None:
    assert md5_of_body("hello") == "5d41402abc4b2a76b9719d911017c592"
    assert md5_of_body("é") == hashlib.md5("é".encode()).hexdigest()


def test_attributes_are_sorted_by_name_with_transport_bytes() -> None:
    attributes = {
        "zeta": {"DataType": "Number", "StringValue": "1"},
        "alpha": {"DataType": "Binary", "BinaryValue": base64.b64encode(b"\x01\x02").decode()},
    }
    expected = (
        encode(b"alpha")
        + encode(b"Binary")[: 4 + 6]
        + b"\x02"
        + encode(b"\x01\x02")
        + encode(b"zeta")
        + encode(b"Number")
        + b"\x01"
        + encode(b"1")
    )
    assert md5_of_attributes(attributes) == hashlib.md5(expected).hexdigest()


def test_known_value_from_aws_sdk_documentation_style_example() -> None:
    # One String attribute "a" = "b": encoded bytes written out literally.
    literal = b"\x00\x00\x00\x01a\x00\x00\x00\x06String\x01\x00\x00\x00\x01b"
    assert md5_of_attributes({"a": {"DataType": "String", "StringValue": "b"}}) == (
        hashlib.md5(literal).hexdigest()
    )
