"""A bucket's notification configuration: S3's XML, validation, and event matching.

Pure: no I/O. ``parse`` reads the body of PutBucketNotificationConfiguration, ``to_xml``
writes that of GetBucketNotificationConfiguration, ``check_overlaps`` refuses what AWS refuses
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html),
``matches`` decides whether an event goes to a configuration.

Errors: ``S3Error`` (code, message, HTTP status, extra ``ArgumentName``/``ArgumentValue``
pairs), answered as S3's XML error by the service.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

NAMESPACE = "http://s3.amazonaws.com/doc/2006-03-01/"

# element names: (configuration, destination) per kind, as boto3 serializes them
KINDS = {
    "Queue": ("QueueConfiguration", "Queue"),
    "Topic": ("TopicConfiguration", "Topic"),
    "CloudFunction": ("CloudFunctionConfiguration", "CloudFunction"),
}

EVENT_TYPES = frozenset(
    {
        "s3:ReducedRedundancyLostObject",
        "s3:ObjectCreated:*",
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Post",
        "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectRemoved:*",
        "s3:ObjectRemoved:Delete",
        "s3:ObjectRemoved:DeleteMarkerCreated",
        "s3:ObjectRestore:*",
        "s3:ObjectRestore:Post",
        "s3:ObjectRestore:Completed",
        "s3:ObjectRestore:Delete",
        "s3:Replication:*",
        "s3:Replication:OperationFailedReplication",
        "s3:Replication:OperationNotTracked",
        "s3:Replication:OperationMissedThreshold",
        "s3:Replication:OperationReplicatedAfterThreshold",
        "s3:LifecycleExpiration:*",
        "s3:LifecycleExpiration:Delete",
        "s3:LifecycleExpiration:DeleteMarkerCreated",
        "s3:LifecycleTransition",
        "s3:IntelligentTiering",
        "s3:ObjectTagging:*",
        "s3:ObjectTagging:Put",
        "s3:ObjectTagging:Delete",
        "s3:ObjectAcl:Put",
    }
)


@dataclass
class S3Error(Exception):
    code: str
    message: str
    status: int = 400
    arguments: list[tuple[str, str]] = field(default_factory=list)
    bucket: str | None = None

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def invalid_argument(message: str, arguments: list[tuple[str, str]]) -> S3Error:
    return S3Error("InvalidArgument", message, 400, arguments)


@dataclass(frozen=True)
class NotificationConfig:
    """One QueueConfiguration, TopicConfiguration or CloudFunctionConfiguration."""

    id: str
    kind: str  # a key of KINDS
    arn: str
    events: tuple[str, ...]
    prefix: str = ""
    suffix: str = ""

    def matches(self, event_name: str, key: str) -> bool:
        """Whether the event ``event_name`` (``ObjectCreated:Put``) on the decoded ``key``
        goes to this configuration."""
        return (
            any(event_matches(pattern, event_name) for pattern in self.events)
            and key.startswith(self.prefix)
            and key.endswith(self.suffix)
        )


def event_matches(pattern: str, event_name: str) -> bool:
    """``s3:ObjectCreated:*`` matches ``ObjectCreated:Put``; otherwise names must be equal."""
    name = pattern.removeprefix("s3:")
    if name.endswith(":*"):
        return event_name.startswith(name[:-1])
    return name == event_name


def events_overlap(a: str, b: str) -> bool:
    family_a, _, rest_a = a.removeprefix("s3:").partition(":")
    family_b, _, rest_b = b.removeprefix("s3:").partition(":")
    return family_a == family_b and (rest_a == rest_b or "*" in (rest_a, rest_b))


def overlap(a: NotificationConfig, b: NotificationConfig) -> bool:
    """Whether some key and event would match both: a shared event type, prefixes of which
    one starts the other, suffixes of which one ends the other."""
    shared = any(events_overlap(x, y) for x in a.events for y in b.events)
    prefixes = a.prefix.startswith(b.prefix) or b.prefix.startswith(a.prefix)
    suffixes = a.suffix.endswith(b.suffix) or b.suffix.endswith(a.suffix)
    return shared and prefixes and suffixes


def check_overlaps(configs: list[NotificationConfig]) -> None:
    for i, a in enumerate(configs):
        for b in configs[i + 1 :]:
            if overlap(a, b):
                raise invalid_argument(
                    "Configurations overlap. Configurations on the same bucket cannot share a "
                    "common event type.",
                    [("Event", ", ".join(sorted(set(a.events) & set(b.events)) or a.events))],
                )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == name]


def _text(element: ET.Element, name: str) -> str | None:
    found = _children(element, name)
    return (found[0].text or "").strip() if found else None


def parse(body: bytes) -> list[NotificationConfig]:
    """The configurations in a PutBucketNotificationConfiguration body."""
    try:
        root = ET.fromstring(body) if body.strip() else ET.Element("NotificationConfiguration")
    except ET.ParseError as exc:
        raise S3Error(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our "
            "published schema",
        ) from exc
    configs: list[NotificationConfig] = []
    for kind, (element_name, arn_name) in KINDS.items():
        for element in _children(root, element_name):
            configs.append(_parse_one(kind, element, arn_name))
    return configs


def _parse_one(kind: str, element: ET.Element, arn_name: str) -> NotificationConfig:
    arn = _text(element, arn_name)
    events = tuple((e.text or "").strip() for e in _children(element, "Event"))
    if not arn or not events:
        raise S3Error(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our "
            "published schema",
        )
    for event in events:
        if event not in EVENT_TYPES:
            raise invalid_argument("The event is not supported for notifications", [(event, event)])
    rules: dict[str, str] = {}
    for rule in (e for e in element.iter() if _local(e.tag) == "FilterRule"):
        name = (_text(rule, "Name") or "").lower()
        if name not in ("prefix", "suffix"):
            raise invalid_argument(
                "filter rule name must be either prefix or suffix",
                [("FilterRule", name)],
            )
        if name in rules:
            raise invalid_argument(
                "Cannot specify more than one " + name + " rule in a filter.",
                [("FilterRule", name)],
            )
        rules[name] = _text(rule, "Value") or ""
    return NotificationConfig(
        id=_text(element, "Id") or _new_id(),
        kind=kind,
        arn=arn,
        events=events,
        prefix=rules.get("prefix", ""),
        suffix=rules.get("suffix", ""),
    )


def _new_id() -> str:
    return uuid.uuid4().hex


def to_xml(configs: list[NotificationConfig]) -> bytes:
    """The body of GetBucketNotificationConfiguration."""
    root = ET.Element("NotificationConfiguration", xmlns=NAMESPACE)
    for kind, (element_name, arn_name) in KINDS.items():
        for config in (c for c in configs if c.kind == kind):
            element = ET.SubElement(root, element_name)
            ET.SubElement(element, "Id").text = config.id
            ET.SubElement(element, arn_name).text = config.arn
            for event in config.events:
                ET.SubElement(element, "Event").text = event
            if config.prefix or config.suffix:
                key = ET.SubElement(ET.SubElement(element, "Filter"), "S3Key")
                for name, value in (("Prefix", config.prefix), ("Suffix", config.suffix)):
                    if value:
                        rule = ET.SubElement(key, "FilterRule")
                        ET.SubElement(rule, "Name").text = name
                        ET.SubElement(rule, "Value").text = value
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + bytes(ET.tostring(root, encoding="utf-8"))


def error_xml(error: S3Error, request_id: str, host_id: str) -> bytes:
    root = ET.Element("Error")
    ET.SubElement(root, "Code").text = error.code
    ET.SubElement(root, "Message").text = error.message
    if error.bucket is not None:
        ET.SubElement(root, "BucketName").text = error.bucket
    for number, (name, value) in enumerate(error.arguments, start=1):
        ET.SubElement(root, f"ArgumentName{number}").text = name
        ET.SubElement(root, f"ArgumentValue{number}").text = value
    ET.SubElement(root, "RequestId").text = request_id
    ET.SubElement(root, "HostId").text = host_id
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + bytes(ET.tostring(root, encoding="utf-8"))
