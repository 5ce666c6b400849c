"""An app function's least-privilege policy: one document from four sources.

::

    the handler's code   -> analyze -> actions, scoped through the environment's bindings
    the graph's edges    -> what the triggers, destinations and DLQ sends need
    Lambda's own logging -> logs:CreateLogGroup / CreateLogStream / PutLogEvents
    extra_permissions=   -> checked hand-written statements (``Extra1``, ...)

Bindings: each environment variable the declaration maps to a resource names that resource
(``TABLE_NAME`` -> the table's physical name), so ``os.environ["TABLE_NAME"]`` in the code
scopes to that table's ARN. A call whose bucket the analysis cannot know (it comes from the
event) is scoped to the buckets whose notifications trigger the function, directly or
through a queue: their events are where such names come from. Trigger statements follow
AWS's managed execution roles (AWSLambdaSQSQueueExecutionRole, AWSLambdaDynamoDBExecutionRole,
AWSLambdaBasicExecutionRole) but name the one queue, stream or log group instead of ``*``.

Differs from AWS: the pushing services' side (S3, SNS, EventBridge invoking the function) is
the function's resource policy, set by ``gearbox dev``, not part of this role.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gearbox.app.specs import FunctionSpec, Permission, Target
from gearbox.graph import names
from gearbox.graph.build import target_parts
from gearbox.graph.model import Edge, Function, Graph
from gearbox.policy.analyze import analyze_handler
from gearbox.policy.extra import ExtraPermission
from gearbox.policy.generate import GeneratedPolicy, build_policy, camel
from gearbox.policy.model import RESOURCE_KINDS, Analysis, ResourceBinding

_SEND = {
    "queue": ("sqs:SendMessage",),
    "topic": ("sns:Publish",),
    "function": ("lambda:InvokeFunction",),
}
_POLL_QUEUE = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
)
_READ_STREAM = (
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
)


@dataclass(frozen=True)
class FunctionPolicy:
    function: str  # physical name
    policy: GeneratedPolicy
    analysis: Analysis


def app_policies(graph: Graph, account: str, region: str) -> dict[str, FunctionPolicy]:
    """Every function's policy, by physical name."""
    return {f.physical: function_policy(graph, f, account, region) for f in graph.functions}


def function_policy(graph: Graph, function: Function, account: str, region: str) -> FunctionPolicy:
    spec = function.spec
    analysis = analyze_handler(Path(spec.file), spec.qualname)
    generated = build_policy(
        analysis,
        bindings(spec),
        account,
        region,
        extra=[_extra(p, account, region) for p in spec.extra_permissions],
        fallback={"s3": {"BucketName": trigger_buckets(graph, function)}},
    )
    statements = [
        *generated.document["Statement"],
        *_graph_statements(graph, function, account, region),
    ]
    statements.sort(key=lambda s: str(s["Sid"]))
    document = {"Version": generated.document["Version"], "Statement": statements}
    return FunctionPolicy(
        function.physical,
        GeneratedPolicy(document, generated.notes, generated.unmapped),
        analysis,
    )


def bindings(spec: FunctionSpec) -> dict[str, ResourceBinding]:
    found = {}
    for variable, value in spec.environment:
        if isinstance(value, str):
            continue
        kind, physical = _kind_physical(value)
        if kind in RESOURCE_KINDS:
            found[variable] = ResourceBinding(kind, physical)
    return found


def trigger_buckets(graph: Graph, function: Function) -> list[str]:
    """Buckets whose notifications reach the function, directly or through a queue."""
    feeding = {e.source for e in graph.edges if e.kind == "mapping" and e.target == function.id}
    targets = feeding | {function.id}
    sources = {e.source for e in graph.edges if e.kind == "notification" and e.target in targets}
    return sorted(r.physical for r in graph.resources if r.id in sources)


def _kind_physical(target: Target) -> tuple[str, str]:
    kind, app, name = target_parts(target)
    return kind, names.physical_name(app, name)


def _extra(permission: Permission, account: str, region: str) -> ExtraPermission:
    resources = []
    for resource in permission.resources:
        if isinstance(resource, str):
            resources.append(resource)
        else:
            kind, physical = _kind_physical(resource)
            resources.append(names.arn(kind, physical, region, account))
    return ExtraPermission(tuple(permission.actions), tuple(resources))


def _graph_statements(
    graph: Graph, function: Function, account: str, region: str
) -> Iterator[dict[str, Any]]:
    by_id = {r.id: r for r in graph.resources} | {f.id: f for f in graph.functions}

    def arn_of(node: str) -> tuple[str, str]:
        found = by_id[node]
        kind = getattr(found, "kind", "function")
        return kind, names.arn(kind, found.physical, region, account)

    written: set[str] = set()
    for statement in _edge_statements(graph, function, arn_of):
        if statement["Sid"] not in written:  # a destination named twice (function, stream)
            written.add(statement["Sid"])
            yield statement
    group = f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{function.physical}"
    yield {
        "Sid": "Logs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [group, f"{group}:*"],
    }


def _edge_statements(
    graph: Graph, function: Function, arn_of: Callable[[str], tuple[str, str]]
) -> Iterator[dict[str, Any]]:
    by_id = {r.id for r in graph.resources} | {f.id for f in graph.functions}
    for edge in sorted(graph.edges, key=Edge.sort_key):
        if edge.kind == "mapping" and edge.target == function.id:
            _, arn = arn_of(edge.source)
            yield _statement("TriggerQueue", edge.source, _POLL_QUEUE, arn)
        elif edge.kind == "stream" and edge.target == function.id:
            _, arn = arn_of(edge.source)
            yield _statement("TriggerStream", edge.source, _READ_STREAM, f"{arn}/stream/*")
        elif edge.kind == "destination" and edge.source == function.id and edge.target in by_id:
            kind, arn = arn_of(edge.target)
            yield _statement("Destination", edge.target, _SEND[kind], arn)


def _statement(prefix: str, node: str, actions: tuple[str, ...], arn: str) -> dict[str, Any]:
    sid = (prefix + camel(node))[:100]
    return {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": arn}
