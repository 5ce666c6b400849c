"""The one place that derives names: physical names, node ids, logical ids, ARNs, queue URLs
and the values environment variables resolve to.

- Physical name: ``<app>-<name>`` for buckets, queues, topics, tables, schedule rules and
  functions (a FIFO name's ``.fifo`` stays at the end, as it is the end of ``name``).
- Node id in the graph: ``<app>/<kind>/<name>``.
- Logical id (the template's resource key): CamelCase of the app, the name and the kind,
  letters and digits only, e.g. ``ObjectMetadataExtractJobsQueue``.
- Account and region are arguments; ``LOCAL_ACCOUNT`` and ``LOCAL_REGION`` are the local
  cloud's, for callers that run locally.

Where it differs from AWS: nothing is looked up; a name AWS would reject is reported by
``gearbox.graph.validate``, not here.
"""

from __future__ import annotations

import re
from typing import Literal, TypeAlias

Kind: TypeAlias = Literal["bucket", "queue", "topic", "table", "schedule", "function"]
KINDS: tuple[Kind, ...] = ("bucket", "queue", "topic", "table", "schedule", "function")

LOCAL_ACCOUNT = "000000000000"
LOCAL_REGION = "us-east-1"

_WORDS = re.compile(r"[A-Za-z0-9]+")


def physical_name(app: str, name: str) -> str:
    """The name AWS knows a resource or function by."""
    return f"{app}-{name}"


def function_name(app: str, name: str) -> str:
    """A Lambda function's name (AWS allows 64 characters; ``validate`` checks it)."""
    return physical_name(app, name)


def node_id(app: str, kind: str, name: str) -> str:
    """The id of a resource or function in the graph."""
    return f"{app}/{kind}/{name}"


def logical_id(app: str, kind: str, name: str) -> str:
    """A CloudFormation logical id: alphanumeric CamelCase, unique per (app, kind, name)
    as long as names differ in more than punctuation (``validate`` reports clashes)."""
    words = _WORDS.findall(f"{app} {name} {kind}")
    return "".join(word[:1].upper() + word[1:] for word in words)


def arn(kind: str, physical: str, region: str, account: str) -> str:
    """The ARN of a resource or function of ``kind`` named ``physical``."""
    if kind == "bucket":
        return f"arn:aws:s3:::{physical}"
    service, resource = _ARN_PARTS[kind]
    return f"arn:aws:{service}:{region}:{account}:{resource}{physical}"


_ARN_PARTS = {
    "queue": ("sqs", ""),
    "topic": ("sns", ""),
    "table": ("dynamodb", "table/"),
    "schedule": ("events", "rule/"),
    "function": ("lambda", "function:"),
}


def queue_url(endpoint: str, account: str, physical: str) -> str:
    """A queue's URL at ``endpoint`` (``https://sqs.us-east-1.amazonaws.com`` on AWS)."""
    return f"{endpoint.rstrip('/')}/{account}/{physical}"


def environment_value(kind: str, physical: str, *, region: str, account: str, endpoint: str) -> str:
    """What an environment variable naming a resource holds: bucket, table and function ->
    name; queue -> URL; topic -> ARN; schedule -> rule name."""
    if kind == "queue":
        return queue_url(endpoint, account, physical)
    if kind == "topic":
        return arn(kind, physical, region, account)
    return physical
