"""S3 event records, key encoding, event matching and overlap detection: pure functions,
checked against AWS's documented sample."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import pytest

from gearbox.local.s3events.config import (
    NotificationConfig,
    S3Error,
    check_overlaps,
    event_matches,
    overlap,
    parse,
    to_xml,
)
from gearbox.local.s3events.records import (
    Context,
    ObjectChange,
    Sequencer,
    encode_key,
    event_time,
    record,
    s3_test_event,
)

SAMPLES = Path(__file__).parent / "samples"

CONTEXT = Context(
    region="us-east-1",
    time=0.0,
    principal="EXAMPLE",
    source_ip="127.0.0.1",
    request_id="EXAMPLE123456789",
    host_id="EXAMPLE123/5678abcdefghijklambdaisawesome/mnopqrstuvwxyzABCDEFGH",
    owner="EXAMPLE",
)


def sample() -> dict[str, Any]:
    return dict(json.loads((SAMPLES / "s3_event_put.json").read_text())["Records"][0])


def test_record_matches_aws_sample() -> None:
    expected = sample()
    change = ObjectChange(
        event_name="ObjectCreated:Put",
        bucket="example-bucket",
        key=unquote_plus(expected["s3"]["object"]["key"]),
        sequencer="0A1B2C3D4E5F678901",
        size=1024,
        etag='"0123456789abcdef0123456789abcdef"',
    )
    made = record(change, "testConfigRule", CONTEXT)
    # AWS's sample shows "/" encoded; S3 itself keeps "/" in keys (see records.py)
    assert made["s3"]["object"].pop("key") == "test/key"
    expected_without_key = copy.deepcopy(expected)
    del expected_without_key["s3"]["object"]["key"]
    assert made == expected_without_key
    assert list(made) == list(expected)  # and in AWS's order
    assert list(made["s3"]) == list(expected["s3"])


def test_version_id_only_when_versioned() -> None:
    change = ObjectChange("ObjectRemoved:DeleteMarkerCreated", "b", "k", "01", version_id="v1")
    assert record(change, "c", CONTEXT)["s3"]["object"] == {
        "key": "k",
        "versionId": "v1",
        "sequencer": "01",
    }
    unversioned = ObjectChange("ObjectRemoved:Delete", "b", "k", "02", version_id="null")
    assert record(unversioned, "c", CONTEXT)["s3"]["object"] == {"key": "k", "sequencer": "02"}


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("plain.txt", "plain.txt"),
        ("dir/a b.txt", "dir/a+b.txt"),
        ("résumé.pdf", "r%C3%A9sum%C3%A9.pdf"),
        ("year=2024/(1)+x,y.csv", "year%3D2024/%281%29%2Bx%2Cy.csv"),
        ("tilde~star*", "tilde%7Estar*"),
    ],
)
def test_keys_are_url_encoded_as_s3_does(key: str, encoded: str) -> None:
    assert encode_key(key) == encoded
    assert unquote_plus(encoded) == key


def test_event_time_and_test_event() -> None:
    assert event_time(1_767_225_600.1234) == "2026-01-01T00:00:00.123Z"
    assert s3_test_event("bkt", CONTEXT) == {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": "1970-01-01T00:00:00.000Z",
        "Bucket": "bkt",
        "RequestId": CONTEXT.request_id,
        "HostId": CONTEXT.host_id,
    }


def test_sequencer_increases_even_when_the_clock_does_not() -> None:
    sequencer = Sequencer(now_ns=lambda: 1000)
    first, second = sequencer.next(), sequencer.next()
    assert int(second, 16) > int(first, 16)
    assert first == first.upper()


def config(events: tuple[str, ...], prefix: str = "", suffix: str = "") -> NotificationConfig:
    return NotificationConfig("id", "Queue", "arn:aws:sqs:us-east-1:1:q", events, prefix, suffix)


@pytest.mark.parametrize(
    ("pattern", "event", "matched"),
    [
        ("s3:ObjectCreated:*", "ObjectCreated:Put", True),
        ("s3:ObjectCreated:*", "ObjectCreated:CompleteMultipartUpload", True),
        ("s3:ObjectCreated:Put", "ObjectCreated:Copy", False),
        ("s3:ObjectRemoved:*", "ObjectRemoved:DeleteMarkerCreated", True),
        ("s3:ObjectRemoved:Delete", "ObjectRemoved:DeleteMarkerCreated", False),
        ("s3:ObjectCreated:*", "ObjectRemoved:Delete", False),
    ],
)
def test_event_wildcards(pattern: str, event: str, matched: bool) -> None:
    assert event_matches(pattern, event) is matched


def test_prefix_and_suffix_apply_to_the_decoded_key() -> None:
    watched = config(("s3:ObjectCreated:*",), prefix="images/", suffix=".jpg")
    assert watched.matches("ObjectCreated:Put", "images/a b.jpg")
    assert not watched.matches("ObjectCreated:Put", "images/a.png")
    assert not watched.matches("ObjectCreated:Put", "docs/a.jpg")
    assert not watched.matches("ObjectRemoved:Delete", "images/a.jpg")


@pytest.mark.parametrize(
    ("a", "b", "overlapping"),
    [
        (config(("s3:ObjectCreated:*",)), config(("s3:ObjectCreated:Put",)), True),
        (config(("s3:ObjectCreated:Put",)), config(("s3:ObjectCreated:Copy",)), False),
        (config(("s3:ObjectCreated:*",)), config(("s3:ObjectRemoved:*",)), False),
        (
            config(("s3:ObjectCreated:*",), prefix="images/"),
            config(("s3:ObjectCreated:*",), prefix="logs/"),
            False,
        ),
        (
            config(("s3:ObjectCreated:*",), prefix="images/"),
            config(("s3:ObjectCreated:*",), prefix="images/2024/"),
            True,
        ),
        (
            config(("s3:ObjectCreated:*",), prefix="images/"),
            config(("s3:ObjectCreated:*",), suffix=".jpg"),
            True,
        ),
        (
            config(("s3:ObjectCreated:*",), suffix=".jpg"),
            config(("s3:ObjectCreated:*",), suffix=".png"),
            False,
        ),
    ],
)
def test_overlap(a: NotificationConfig, b: NotificationConfig, overlapping: bool) -> None:
    assert overlap(a, b) is overlapping
    if overlapping:
        with pytest.raises(S3Error, match="Configurations overlap"):
            check_overlaps([a, b])


def test_xml_round_trip_and_unknown_event() -> None:
    body = (
        b'<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<QueueConfiguration><Id>q</Id><Queue>arn:aws:sqs:us-east-1:1:q</Queue>"
        b"<Event>s3:ObjectCreated:*</Event><Filter><S3Key><FilterRule><Name>prefix</Name>"
        b"<Value>in/</Value></FilterRule></S3Key></Filter></QueueConfiguration>"
        b"<CloudFunctionConfiguration><Id>f</Id>"
        b"<CloudFunction>arn:aws:lambda:us-east-1:1:function:f</CloudFunction>"
        b"<Event>s3:ObjectRemoved:*</Event></CloudFunctionConfiguration>"
        b"</NotificationConfiguration>"
    )
    configs = parse(body)
    assert configs == [
        NotificationConfig(
            "q", "Queue", "arn:aws:sqs:us-east-1:1:q", ("s3:ObjectCreated:*",), "in/"
        ),
        NotificationConfig(
            "f", "CloudFunction", "arn:aws:lambda:us-east-1:1:function:f", ("s3:ObjectRemoved:*",)
        ),
    ]
    assert parse(to_xml(configs)) == configs
    with pytest.raises(S3Error, match="not supported"):
        parse(body.replace(b"s3:ObjectRemoved:*", b"s3:ObjectMoved:*"))
