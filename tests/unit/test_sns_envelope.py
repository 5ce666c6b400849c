"""The SNS envelope and Lambda event, compared with AWS's documented samples."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from gearbox.local.sns import envelope as env

SAMPLES = Path(__file__).parent / "samples"
TOPIC = "arn:aws:sns:us-east-1:123456789012:sns-lambda"
SUBSCRIPTION = f"{TOPIC}:21be56ed-a058-49f5-8c98-aedd2564c486"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text())


def notification(**overrides: Any) -> env.Notification:
    fields: dict[str, Any] = {
        "message_id": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
        "topic_arn": TOPIC,
        "message": "Hello from SNS!",
        "timestamp": 1546433107.0,
        "subject": "TestInvoke",
        "attributes": {"Test": ("String", "TestString"), "TestBinary": ("Binary", "VGVzdA==")},
    }
    fields.update(overrides)
    return env.Notification(**fields)


def test_lambda_event_has_the_samples_shape() -> None:
    [expected] = sample("sns_lambda_event.json")["Records"]
    [got] = env.lambda_event(notification(), SUBSCRIPTION, "http://127.0.0.1:4566")["Records"]
    assert got.keys() == expected.keys()
    assert got["EventSource"] == expected["EventSource"] == "aws:sns"
    assert got["EventVersion"] == expected["EventVersion"]
    assert got["EventSubscriptionArn"] == SUBSCRIPTION
    assert got["Sns"].keys() == expected["Sns"].keys()
    assert "SigningCertUrl" in got["Sns"] and "UnsubscribeUrl" in got["Sns"]
    sns = got["Sns"]
    assert sns["Type"] == "Notification"
    assert sns["SignatureVersion"] == "1"
    assert sns["Timestamp"] == "2019-01-02T12:45:07.000Z"
    assert ISO_MS.match(expected["Sns"]["Timestamp"])
    assert sns["MessageAttributes"]["Test"] == expected["Sns"]["MessageAttributes"]["Test"]
    assert sns["MessageAttributes"]["TestBinary"]["Type"] == "Binary"
    assert SUBSCRIPTION in sns["UnsubscribeUrl"]


def test_lambda_event_without_subject_or_attributes() -> None:
    [got] = env.lambda_event(notification(subject=None, attributes={}), SUBSCRIPTION, "http://x")[
        "Records"
    ]
    assert got["Sns"]["Subject"] is None
    assert got["Sns"]["MessageAttributes"] == {}


def test_envelope_has_the_http_samples_fields_in_order() -> None:
    expected = sample("sns_http_notification.json")
    got = env.envelope(notification(attributes={}), SUBSCRIPTION, "http", "http://127.0.0.1:1")
    assert list(got) == list(expected)
    assert ISO_MS.match(got["Timestamp"]) and ISO_MS.match(expected["Timestamp"])
    assert got["UnsubscribeURL"].endswith(f"?Action=Unsubscribe&SubscriptionArn={SUBSCRIPTION}")


def test_envelope_leaves_out_a_missing_subject_and_adds_attributes() -> None:
    got = env.envelope(notification(subject=None), SUBSCRIPTION, "sqs", "http://x")
    assert "Subject" not in got
    assert got["MessageAttributes"]["Test"] == {"Type": "String", "Value": "TestString"}


def test_signature_covers_the_signed_fields() -> None:
    one = env.envelope(notification(), SUBSCRIPTION, "sqs", "http://x")
    two = env.envelope(notification(message="other"), SUBSCRIPTION, "sqs", "http://x")
    assert one["Signature"] != two["Signature"]
    assert (
        one["Signature"]
        == env.envelope(notification(), SUBSCRIPTION, "sqs", "http://x")["Signature"]
    )


def test_message_structure_json_picks_the_protocol() -> None:
    n = notification(message=json.dumps({"default": "d", "sqs": "q"}), structure="json")
    assert n.message_for("sqs") == "q"
    assert n.message_for("lambda") == "d"


def test_raw_attributes_for_sqs() -> None:
    got = env.sqs_attributes(notification())
    assert got["Test"] == {"DataType": "String", "StringValue": "TestString"}
    assert got["TestBinary"] == {"DataType": "Binary", "BinaryValue": b"Test"}
