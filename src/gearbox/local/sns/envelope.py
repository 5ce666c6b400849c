"""What SNS delivers: the notification envelope (SQS and HTTP/S), the Lambda event, and the
message attributes of a raw delivery.

AWS:

- Envelope (https://docs.aws.amazon.com/sns/latest/dg/http-notification-json.html): Type
  "Notification", MessageId, TopicArn, Subject (only when the publisher gave one), Message,
  Timestamp (ISO 8601, milliseconds, UTC), SignatureVersion, Signature, SigningCertURL,
  UnsubscribeURL, and MessageAttributes ({name: {Type, Value}}) when the message has any.
- Lambda event (https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html):
  ``{"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn",
  "Sns": {...}}]}`` where ``Sns`` is the envelope with ``SigningCertUrl`` and
  ``UnsubscribeUrl`` spelt in that casing, ``Subject`` null when absent and
  ``MessageAttributes`` always present.
- Raw delivery to SQS keeps the message as the body and the message attributes as SQS
  message attributes (same names, data types and values).

Where it differs from AWS: the signature. SignatureVersion is "1" and ``Signature`` is a
base64 HMAC-SHA1 of AWS's string to sign (Message, MessageId, Subject, Timestamp, TopicArn,
Type) under a key local to this process; it will NOT verify against AWS's signing
certificate, and ``SigningCertURL`` names a certificate the local cloud does not serve.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from typing import Any

_SIGNING_KEY = os.urandom(32)


@dataclass(frozen=True)
class Notification:
    """One published message, as SNS stamps it before fanning out."""

    message_id: str
    topic_arn: str
    message: str
    timestamp: float
    subject: str | None = None
    # name -> (DataType, value: the string, or the base64 text of a binary value)
    attributes: dict[str, tuple[str, str]] = field(default_factory=dict)
    structure: str | None = None
    group_id: str | None = None
    deduplication_id: str | None = None

    def message_for(self, protocol: str) -> str:
        """The message a subscription of ``protocol`` receives (``MessageStructure=json``
        picks the protocol's key, else ``default``)."""
        if self.structure != "json":
            return self.message
        import json

        try:
            parts = json.loads(self.message)
        except ValueError:
            return self.message
        if not isinstance(parts, dict):
            return self.message
        return str(parts.get(protocol, parts.get("default", self.message)))


def timestamp(seconds: float) -> str:
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def signature(fields: dict[str, Any]) -> str:
    """Base64 HMAC-SHA1 of AWS's string to sign for a notification (not AWS's RSA key)."""
    lines = []
    for name in ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"):
        value = fields.get(name)
        if value is not None:
            lines.append(f"{name}\n{value}\n")
    digest = hmac.new(_SIGNING_KEY, "".join(lines).encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def envelope(
    notification: Notification, subscription_arn: str, protocol: str, endpoint_url: str
) -> dict[str, Any]:
    """The JSON document SNS delivers to SQS (non-raw) and HTTP/S subscriptions."""
    fields: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": notification.message_id,
        "TopicArn": notification.topic_arn,
    }
    if notification.subject is not None:
        fields["Subject"] = notification.subject
    fields["Message"] = notification.message_for(protocol)
    fields["Timestamp"] = timestamp(notification.timestamp)
    fields["SignatureVersion"] = "1"
    fields["Signature"] = signature(fields)
    fields["SigningCertURL"] = signing_cert_url(endpoint_url)
    fields["UnsubscribeURL"] = unsubscribe_url(endpoint_url, subscription_arn)
    if notification.attributes:
        fields["MessageAttributes"] = _attributes(notification)
    return fields


def lambda_event(
    notification: Notification, subscription_arn: str, endpoint_url: str
) -> dict[str, Any]:
    """The event a Lambda subscription's function is invoked with."""
    fields = envelope(notification, subscription_arn, "lambda", endpoint_url)
    sns = {
        "Type": fields["Type"],
        "MessageId": fields["MessageId"],
        "TopicArn": fields["TopicArn"],
        "Subject": notification.subject,
        "Message": fields["Message"],
        "Timestamp": fields["Timestamp"],
        "SignatureVersion": fields["SignatureVersion"],
        "Signature": fields["Signature"],
        "SigningCertUrl": fields["SigningCertURL"],
        "UnsubscribeUrl": fields["UnsubscribeURL"],
        "MessageAttributes": _attributes(notification),
    }
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": sns,
            }
        ]
    }


def sqs_attributes(notification: Notification) -> dict[str, dict[str, Any]]:
    """The SQS message attributes of a raw delivery."""
    mapped: dict[str, dict[str, Any]] = {}
    for name, (data_type, value) in notification.attributes.items():
        if data_type.startswith("Binary"):
            mapped[name] = {"DataType": data_type, "BinaryValue": base64.b64decode(value)}
        else:
            mapped[name] = {"DataType": data_type, "StringValue": value}
    return mapped


def signing_cert_url(endpoint_url: str) -> str:
    return f"{endpoint_url}/SimpleNotificationService-gearbox-local.pem"


def unsubscribe_url(endpoint_url: str, subscription_arn: str) -> str:
    return f"{endpoint_url}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}"


def _attributes(notification: Notification) -> dict[str, dict[str, str]]:
    return {
        name: {"Type": data_type, "Value": value}
        for name, (data_type, value) in notification.attributes.items()
    }
