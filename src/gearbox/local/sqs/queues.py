"""A queue's identity and attributes: names, ARNs, URLs, defaults and valid ranges.

Queue URLs have the form ``http://<endpoint host:port>/<account>/<name>``; the region of a
request comes from its credential scope, so the same URL names the queue of that name in the
caller's region, as a regional AWS endpoint does.

Where it differs from AWS: KMS attributes are stored and returned but nothing is encrypted;
``Policy`` is stored but not enforced (IAM enforcement is the least-privilege issue's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from gearbox.local.sqs.errors import SqsError, invalid_parameter

# name -> (lowest, highest, default) for the integer attributes
INTEGER_ATTRIBUTES: dict[str, tuple[int, int, int]] = {
    "DelaySeconds": (0, 900, 0),
    "MaximumMessageSize": (1024, 1_048_576, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600, 345_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20, 0),
    "VisibilityTimeout": (0, 43_200, 30),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400, 300),
}
_BOOLEAN_ATTRIBUTES = {"SqsManagedSseEnabled", "FifoQueue", "ContentBasedDeduplication"}
_CHOICE_ATTRIBUTES = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
_FIFO_ONLY = {"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
_FREE_TEXT = {"Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"}
SETTABLE = set(INTEGER_ATTRIBUTES) | _BOOLEAN_ATTRIBUTES | set(_CHOICE_ATTRIBUTES) | _FREE_TEXT
COMPUTED = {
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
}
READABLE = SETTABLE | COMPUTED
MAX_RECEIVE_COUNT = 1000


@dataclass
class Queue:
    id: int
    region: str
    account: str
    name: str
    attributes: dict[str, str]
    tags: dict[str, str] = field(default_factory=dict)
    created: float = 0.0
    modified: float = 0.0
    last_purge: float | None = None

    @property
    def fifo(self) -> bool:
        return self.attributes.get("FifoQueue") == "true"

    @property
    def arn(self) -> str:
        return queue_arn(self.region, self.account, self.name)

    def integer(self, name: str) -> int:
        return int(self.attributes.get(name, INTEGER_ATTRIBUTES[name][2]))

    @property
    def redrive(self) -> tuple[str, int] | None:
        """(dead-letter target ARN, maxReceiveCount), or None without a redrive policy."""
        raw = self.attributes.get("RedrivePolicy")
        if not raw:
            return None
        policy = json.loads(raw)
        return str(policy["deadLetterTargetArn"]), int(policy["maxReceiveCount"])


def queue_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sqs:{region}:{account}:{name}"


def parse_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of an SQS queue ARN, or None."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "sqs":
        return None
    return parts[3], parts[4], parts[5]


def default_attributes(fifo: bool) -> dict[str, str]:
    attributes = {
        name: str(default)
        for name, (_, _, default) in INTEGER_ATTRIBUTES.items()
        if name != "KmsDataKeyReusePeriodSeconds"
    }
    attributes["SqsManagedSseEnabled"] = "true"
    if fifo:
        attributes.update(
            FifoQueue="true",
            ContentBasedDeduplication="false",
            DeduplicationScope="queue",
            FifoThroughputLimit="perQueue",
        )
    return attributes


def check_attributes(attributes: dict[str, Any], fifo: bool, *, creating: bool) -> dict[str, str]:
    """Validate settable attributes; return them as the strings AWS stores."""
    cleaned: dict[str, str] = {}
    for name, raw in attributes.items():
        if name not in SETTABLE or (name in _FIFO_ONLY and not fifo):
            raise SqsError("InvalidAttributeName", f"Unknown Attribute {name}.")
        if name == "FifoQueue" and not creating:
            raise SqsError("InvalidAttributeName", f"Unknown Attribute {name}.")
        value = str(raw)
        if name in INTEGER_ATTRIBUTES:
            value = _integer(name, value)
        elif name in _BOOLEAN_ATTRIBUTES:
            value = _boolean(name, value)
        elif name in _CHOICE_ATTRIBUTES and value not in _CHOICE_ATTRIBUTES[name]:
            raise _invalid_value(name)
        elif name == "RedrivePolicy" and value:
            value = _redrive_policy(value)
        cleaned[name] = value
    return cleaned


def _integer(name: str, value: str) -> str:
    low, high, _ = INTEGER_ATTRIBUTES[name]
    try:
        number = int(value)
    except ValueError:
        number = None
    if number is None or not low <= number <= high:
        raise _invalid_value(name)
    return str(number)


def _boolean(name: str, value: str) -> str:
    if value.lower() not in ("true", "false"):
        raise _invalid_value(name)
    return value.lower()


def _invalid_value(name: str) -> SqsError:
    return SqsError("InvalidAttributeValue", f"Invalid value for the parameter {name}.")


def _redrive_policy(value: str) -> str:
    try:
        policy = json.loads(value)
    except ValueError:
        policy = None
    if not isinstance(policy, dict):
        raise invalid_parameter("RedrivePolicy", value, "Redrive policy is not a valid JSON map.")
    target = policy.get("deadLetterTargetArn")
    count = policy.get("maxReceiveCount")
    if not isinstance(target, str) or parse_arn(target) is None:
        raise invalid_parameter("RedrivePolicy", value, "Invalid value for deadLetterTargetArn.")
    try:
        number = int(count)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= MAX_RECEIVE_COUNT:
        raise invalid_parameter(
            "RedrivePolicy",
            value,
            f"Invalid value for maxReceiveCount: {count}, valid values are from 1 to "
            f"{MAX_RECEIVE_COUNT} both inclusive.",
        )
    return json.dumps(
        {"deadLetterTargetArn": target, "maxReceiveCount": number}, separators=(",", ":")
    )
