"""What one request asks IAM for: the action(s) and the resource ARN(s) they touch.

``requested_calls(exchange, account)`` reads the request's parameters (JSON body, query or
form parameters, REST path) and names, per service:

- S3: the bucket (``arn:aws:s3:::bucket``) or the object (``arn:aws:s3:::bucket/key``), from
  the path or a virtual-hosted ``Host``; ``CopyObject``/``UploadPartCopy`` also need
  ``s3:GetObject`` on the source; ``DeleteObjects`` needs ``s3:DeleteObject`` on each key of
  its body; a ``versionId`` turns ``GetObject`` into ``GetObjectVersion`` (and the like);
  ``s3:prefix``, ``s3:delimiter``, ``s3:max-keys`` of listings;
- DynamoDB: ``TableName`` (an index ARN with ``IndexName``), each table of batch operations,
  and each item of ``TransactWriteItems``/``TransactGetItems`` with the item action it needs
  (``PutItem``, ``UpdateItem``, ``DeleteItem``, ``ConditionCheckItem``, ``GetItem``);
  ``StreamArn``; ``dynamodb:LeadingKeys`` when the item key has a single attribute;
- SQS ``QueueUrl``/``QueueName``, SNS ``TopicArn``/``TargetArn``/``Name``, Lambda
  ``FunctionName`` (a name, a partial or a full ARN), Secrets Manager ``SecretId``, SSM
  parameter ``Name``/``Names``, KMS ``KeyId``, Kinesis streams, CloudWatch Logs groups,
  EventBridge buses, Step Functions ARNs, IAM roles and users.

Anything else is checked against ``*``, which only a policy naming ``*`` allows: for actions
that AWS scopes to a resource Gearbox does not read here, the local check is stricter than
AWS's. A Secrets Manager secret given by name is ``...:secret:<name>`` without the six random
characters AWS appends, so a policy for it should end in ``<name>*`` (AWS's own advice).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse
from xml.etree import ElementTree

from gearbox.local.edge.actions import UNCHECKED, action_name, service_model
from gearbox.local.edge.chain import Exchange

Values = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Call:
    """One (action, resource) the request needs, with the condition keys it brings."""

    action: str
    resource: str
    context: Values = field(default_factory=dict)
    known: frozenset[str] = frozenset()  # keys whose absence from ``context`` is a fact


@dataclass(frozen=True)
class _Request:
    prefix: str
    operation: str
    params: Mapping[str, Any]
    region: str
    account: str
    exchange: Exchange

    def arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{self.account}:{resource}"

    def call(self, resource: str, context: Values | None = None) -> Call:
        return Call(action_name(self.prefix, self.operation), resource, context or {})


def requested_calls(exchange: Exchange, account: str) -> list[Call]:
    """The calls ``exchange`` needs allowed; empty when AWS checks nothing (or the operation
    is unknown)."""
    if exchange.service is None or exchange.operation is None:
        return []
    prefix = service_model(exchange.service).prefix
    if (prefix, exchange.operation) in UNCHECKED:
        return []
    request = _Request(
        prefix, exchange.operation, _params(exchange), exchange.region, account, exchange
    )
    resolver = _RESOLVERS.get(prefix)
    calls = resolver(request) if resolver is not None else []
    return calls or [request.call("*")]


def _params(exchange: Exchange) -> dict[str, Any]:
    request = exchange.request
    params: dict[str, Any] = {k: unquote(v) for k, v in exchange.path_params.items()}
    for key, values in request.query().items():
        params.setdefault(key, values[0])
    content_type = request.header("content-type")
    if content_type.startswith("application/x-www-form-urlencoded"):
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        params.update({k: v[0] if len(v) == 1 else v for k, v in form.items()})
    elif request.body[:1] == b"{" and "json" in content_type:
        try:
            body = json.loads(request.body)
        except ValueError:
            body = None
        if isinstance(body, dict):
            params.update(body)
    return params


def _text(params: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = params.get(name)
        if isinstance(value, str) and value:
            return value
    return None


# S3


_S3_KNOWN = frozenset({"s3:prefix", "s3:delimiter", "s3:max-keys"})
# Object operations on a given version (``versionId``) need the version's action.
_S3_VERSIONED = {
    "GetObject": "GetObjectVersion",
    "HeadObject": "GetObjectVersion",
    "DeleteObject": "DeleteObjectVersion",
    "GetObjectAcl": "GetObjectVersionAcl",
    "PutObjectAcl": "PutObjectVersionAcl",
    "GetObjectTagging": "GetObjectVersionTagging",
    "PutObjectTagging": "PutObjectVersionTagging",
    "DeleteObjectTagging": "DeleteObjectVersionTagging",
}


def _s3(r: _Request) -> list[Call]:
    bucket = r.params.get("Bucket")
    key = r.params.get("Key")
    if not bucket:
        bucket = _virtual_host_bucket(r.exchange)
        path = r.exchange.request.path.lstrip("/")
        key = unquote(path) if bucket and path else key
    if not bucket:
        return []
    if r.operation == "DeleteObjects":
        keys = _deleted_keys(r.exchange.request.body)
        return [Call("s3:DeleteObject", f"arn:aws:s3:::{bucket}/{k}", {}, _S3_KNOWN) for k in keys]
    context = _s3_list_keys(r) if r.operation in ("ListObjects", "ListObjectsV2") else {}
    operation = r.operation
    if "versionId" in r.exchange.request.query():
        operation = _S3_VERSIONED.get(operation, operation)
    resource = f"arn:aws:s3:::{bucket}/{key}" if key else f"arn:aws:s3:::{bucket}"
    calls = [Call(action_name("s3", operation), resource, context, _S3_KNOWN)]
    source = r.exchange.request.header("x-amz-copy-source")
    if source and r.operation in ("CopyObject", "UploadPartCopy"):
        path = unquote(source.partition("?")[0]).lstrip("/")
        calls.append(Call("s3:GetObject", f"arn:aws:s3:::{path}", {}, _S3_KNOWN))
    return calls


def _deleted_keys(body: bytes) -> list[str]:
    """The object keys of a DeleteObjects request (``<Delete><Object><Key>``)."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return []
    return sorted({e.text or "" for e in root.iter() if e.tag.rpartition("}")[2] == "Key"})


def _s3_list_keys(r: _Request) -> dict[str, tuple[str, ...]]:
    query = r.exchange.request.query()
    return {
        f"s3:{name}": (query[name][0],)
        for name in ("prefix", "delimiter", "max-keys")
        if name in query
    }


def _virtual_host_bucket(exchange: Exchange) -> str | None:
    host = exchange.request.header("host").partition(":")[0]
    bucket, dot, rest = host.partition(".")
    if dot and rest.startswith(("s3.", "s3-")):
        return bucket
    return None


# DynamoDB

_TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
    "Get": "GetItem",
}


def _dynamodb(r: _Request) -> list[Call]:
    params = r.params
    if r.operation in ("BatchGetItem", "BatchWriteItem"):
        items = params.get("RequestItems")
        return [r.call(_table_arn(r, t)) for t in sorted(items)] if isinstance(items, dict) else []
    if r.operation in ("TransactWriteItems", "TransactGetItems"):
        return _transact(r)
    stream = _text(params, "StreamArn")
    if stream:
        return [r.call(stream)]
    table = _text(params, "TableName", "TableArn", "ResourceArn")
    if table is None:
        return []
    arn = _table_arn(r, table)
    index = _text(params, "IndexName")
    resource = f"{arn}/index/{index}" if index else arn
    return [r.call(resource, _leading_keys(params.get("Key")))]


def _transact(r: _Request) -> list[Call]:
    calls = []
    items = r.params.get("TransactItems")
    for item in items if isinstance(items, list) else []:
        for kind, detail in item.items() if isinstance(item, dict) else ():
            table = detail.get("TableName") if isinstance(detail, dict) else None
            if kind in _TRANSACT_ACTIONS and isinstance(table, str):
                keys = _leading_keys(detail.get("Key") or detail.get("Item"))
                action = action_name("dynamodb", _TRANSACT_ACTIONS[kind])
                calls.append(Call(action, _table_arn(r, table), keys))
    return calls


def _table_arn(r: _Request, table: str) -> str:
    return table if table.startswith("arn:") else r.arn("dynamodb", f"table/{table}")


def _leading_keys(key: Any) -> dict[str, tuple[str, ...]]:
    """``dynamodb:LeadingKeys`` of an item key with a single attribute (then it is the
    partition key); with two the schema would be needed, and the key stays unknown."""
    if not isinstance(key, dict) or len(key) != 1:
        return {}
    (value,) = key.values()
    scalar = next(iter(value.values()), None) if isinstance(value, dict) else None
    return {"dynamodb:LeadingKeys": (str(scalar),)} if scalar is not None else {}


# the other services


def _sqs(r: _Request) -> list[Call]:
    url = _text(r.params, "QueueUrl")
    if url:
        path = urlparse(url).path.strip("/").split("/")
        if len(path) == 2:
            return [r.call(f"arn:aws:sqs:{r.region}:{path[0]}:{path[1]}")]
    name = _text(r.params, "QueueName")
    if name:
        owner = _text(r.params, "QueueOwnerAWSAccountId") or r.account
        return [r.call(f"arn:aws:sqs:{r.region}:{owner}:{name}")]
    return []


def _sns(r: _Request) -> list[Call]:
    arn = _text(r.params, "TopicArn", "TargetArn", "ResourceArn")
    if arn:
        return [r.call(arn)]
    subscription = _text(r.params, "SubscriptionArn")
    if subscription:
        return [r.call(subscription.rpartition(":")[0])]
    name = _text(r.params, "Name")
    return [r.call(r.arn("sns", name))] if name and r.operation == "CreateTopic" else []


def _lambda(r: _Request) -> list[Call]:
    name = _text(r.params, "FunctionName")
    if name is None:
        return []
    parts = name.split(":")
    if name.startswith("arn:"):
        return [r.call(name)]
    if len(parts) >= 3 and parts[1] == "function":  # 123456789012:function:name[:qualifier]
        return [r.call(f"arn:aws:lambda:{r.region}:{name}")]
    return [r.call(r.arn("lambda", f"function:{name}"))]


def _secretsmanager(r: _Request) -> list[Call]:
    secret = _text(r.params, "SecretId", "Name")
    if secret is None:
        return []
    return [
        r.call(secret if secret.startswith("arn:") else r.arn("secretsmanager", f"secret:{secret}"))
    ]


def _ssm(r: _Request) -> list[Call]:
    names = r.params.get("Names")
    single = _text(r.params, "Name", "Path")
    found = [n for n in names if isinstance(n, str)] if isinstance(names, list) else []
    found += [single] if single else []
    return [
        r.call(n if n.startswith("arn:") else r.arn("ssm", "parameter/" + n.lstrip("/")))
        for n in found
    ]


def _kms(r: _Request) -> list[Call]:
    key = _text(r.params, "KeyId")
    if key is None:
        return []
    if key.startswith("arn:"):
        return [r.call(key)]
    return [r.call(r.arn("kms", key if key.startswith("alias/") else f"key/{key}"))]


def _kinesis(r: _Request) -> list[Call]:
    arn = _text(r.params, "StreamARN")
    name = _text(r.params, "StreamName")
    if arn or name:
        return [r.call(arn or r.arn("kinesis", f"stream/{name}"))]
    return []


def _logs(r: _Request) -> list[Call]:
    group = _text(r.params, "logGroupName")
    if group is None:
        return []
    stream = _text(r.params, "logStreamName")
    suffix = f":log-stream:{stream}" if stream else ""
    return [r.call(r.arn("logs", f"log-group:{group}{suffix}"))]


def _events(r: _Request) -> list[Call]:
    entries = r.params.get("Entries")
    if r.operation == "PutEvents" and isinstance(entries, list):
        buses = {e.get("EventBusName") or "default" for e in entries if isinstance(e, dict)}
        return [
            r.call(b if b.startswith("arn:") else r.arn("events", f"event-bus/{b}"))
            for b in sorted(buses)
        ]
    bus = _text(r.params, "EventBusName", "Name")
    return (
        [r.call(r.arn("events", f"event-bus/{bus}"))] if bus and "EventBus" in r.operation else []
    )


def _states(r: _Request) -> list[Call]:
    arn = _text(r.params, "stateMachineArn", "executionArn", "activityArn")
    return [r.call(arn)] if arn else []


def _iam(r: _Request) -> list[Call]:
    for param, kind in (("RoleName", "role"), ("UserName", "user"), ("GroupName", "group")):
        name = _text(r.params, param)
        if name:
            return [r.call(r.arn("iam", f"{kind}/{name}", region=False))]
    arn = _text(r.params, "PolicyArn")
    return [r.call(arn)] if arn else []


def _sts(r: _Request) -> list[Call]:
    arn = _text(r.params, "RoleArn")
    return [r.call(arn)] if arn else []


_RESOLVERS: dict[str, Callable[[_Request], list[Call]]] = {
    "s3": _s3,
    "dynamodb": _dynamodb,
    "sqs": _sqs,
    "sns": _sns,
    "lambda": _lambda,
    "secretsmanager": _secretsmanager,
    "ssm": _ssm,
    "kms": _kms,
    "kinesis": _kinesis,
    "logs": _logs,
    "events": _events,
    "states": _states,
    "iam": _iam,
    "sts": _sts,
}
