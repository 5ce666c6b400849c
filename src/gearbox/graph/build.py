"""Stage ``registry -> graph``: turn the apps' specs into a ``Graph`` of nodes and edges.

Pure: no validation (``gearbox.graph.validate`` does that) and no I/O. A reference is turned
into the id it names whether or not that node exists, so the graph keeps what the user wrote
and ``validate`` can say what is missing. Schedules created by a bare expression in
``on_schedule`` become resources here, like declared ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from gearbox.app import App
from gearbox.app.specs import (
    BucketSpec,
    FunctionSpec,
    Permission,
    QueueSpec,
    RefSpec,
    ResourceSpec,
    S3Trigger,
    ScheduleSpec,
    ScheduleTrigger,
    SnsTrigger,
    SqsTrigger,
    StreamTrigger,
    TableSpec,
    Target,
    TopicSpec,
    Trigger,
)
from gearbox.graph.model import Edge, Function, Graph, Resource
from gearbox.graph.names import node_id, physical_name

_KINDS: dict[type, str] = {
    BucketSpec: "bucket",
    QueueSpec: "queue",
    TopicSpec: "topic",
    TableSpec: "table",
    ScheduleSpec: "schedule",
}


def kind_of(spec: ResourceSpec) -> str:
    return _KINDS[type(spec)]


def target_parts(target: Target) -> tuple[str, str, str]:
    """(kind, app, name) of what a spec or a reference names."""
    if isinstance(target, RefSpec):
        return target.kind, target.target_app, target.name
    return kind_of(target), target.app, target.name


def target_id(target: Target) -> str:
    """The node id a spec or a reference names."""
    kind, app, name = target_parts(target)
    return node_id(app, kind, name)


def function_id(spec: FunctionSpec) -> str:
    return node_id(spec.app, "function", spec.name)


def build(apps: Iterable[App]) -> Graph:
    """The graph of every resource, function and edge the apps declare."""
    apps = tuple(apps)
    specs = [f for app in apps for f in app.functions]
    declared = [r for app in apps for r in app.resources]
    scheduled = [t.schedule for f in specs for t in f.triggers if isinstance(t, ScheduleTrigger)]
    resources = [_resource(spec) for spec in _unique([*declared, *scheduled])]
    functions = [
        Function(function_id(s), s.app, s.name, physical_name(s.app, s.name), s) for s in specs
    ]
    edges = [e for s in declared if isinstance(s, QueueSpec) for e in _dlq_edges(s)]
    edges += [e for spec in specs for e in _function_edges(spec)]
    # two S3 triggers through one queue name its mapping twice: one edge, as AWS has one
    edges = list({e.sort_key(): e for e in edges}.values())
    refs = _unique([*(r for app in apps for r in app.refs), *(r for s in specs for r in _refs(s))])
    return Graph(
        resources=tuple(sorted(resources, key=lambda r: (r.id, str(r.spec.origin)))),
        functions=tuple(sorted(functions, key=lambda f: (f.id, str(f.spec.origin)))),
        edges=tuple(sorted(edges, key=Edge.sort_key)),
        refs=tuple(sorted(refs, key=_ref_key)),
        app_origins=tuple(sorted(((a.name, a.origin) for a in apps), key=_app_key)),
    )


def _app_key(item: tuple[str, Any]) -> tuple[str, str, int]:
    name, origin = item
    return (name, origin.file, origin.line)


def _ref_key(ref: RefSpec) -> tuple[str, int, str, str, str]:
    return (ref.origin.file, ref.origin.line, ref.target_app, ref.kind, ref.name)


def _unique(items: Iterable[Any]) -> list[Any]:
    return list(dict.fromkeys(items))


def _resource(spec: ResourceSpec) -> Resource:
    kind = kind_of(spec)
    return Resource(
        node_id(spec.app, kind, spec.name),
        kind,
        spec.app,
        spec.name,
        physical_name(spec.app, spec.name),
        spec,
    )


def _dlq_edges(queue: QueueSpec) -> Iterator[Edge]:
    if queue.dlq is not None:
        settings = {"max_receive_count": queue.max_receive_count}
        yield Edge("dlq", target_id(queue), target_id(queue.dlq), settings)


def _function_edges(spec: FunctionSpec) -> Iterator[Edge]:
    fid = function_id(spec)
    for trigger in spec.triggers:
        yield from trigger_edges(trigger, fid)
    for on, destination in (("success", spec.on_success), ("failure", spec.on_failure)):
        if destination is not None:
            yield Edge("destination", fid, target_id(destination), {"on": on})
    for variable, value in spec.environment:
        if not isinstance(value, str):
            yield Edge("environment", fid, target_id(value), {"variable": variable})


SQS_DEFAULTS: dict[str, Any] = {
    "batch_size": 10,
    "window": 0,
    "partial_failures": True,
    "max_concurrency": None,
}
"""The mapping of an ``on_s3(..., via=queue)`` trigger: ``on_sqs``'s defaults."""


def trigger_edges(trigger: Trigger, fid: str) -> Iterator[Edge]:
    """The edges one trigger of function ``fid`` makes."""
    if isinstance(trigger, S3Trigger):
        yield from _s3_edges(trigger, fid)
    elif isinstance(trigger, SqsTrigger):
        yield Edge("mapping", target_id(trigger.queue), fid, _sqs_settings(trigger))
    elif isinstance(trigger, SnsTrigger):
        settings = {
            "filter_policy": trigger.filter_policy,
            "filter_scope": trigger.filter_scope,
            "raw": trigger.raw,
        }
        yield Edge("subscription", target_id(trigger.topic), fid, settings)
    elif isinstance(trigger, StreamTrigger):
        yield from _stream_edges(trigger, fid)
    else:
        yield Edge("schedule", target_id(trigger.schedule), fid, {"input": trigger.schedule.input})


def _sqs_settings(trigger: SqsTrigger) -> dict[str, Any]:
    return {
        "batch_size": trigger.batch_size,
        "window": trigger.window,
        "partial_failures": trigger.partial_failures,
        "max_concurrency": trigger.max_concurrency,
    }


def _s3_edges(trigger: S3Trigger, fid: str) -> Iterator[Edge]:
    settings = {"events": list(trigger.events), "prefix": trigger.prefix, "suffix": trigger.suffix}
    bucket = target_id(trigger.bucket)
    if trigger.via is None:
        yield Edge("notification", bucket, fid, settings)
        return
    queue = target_id(trigger.via)
    yield Edge("notification", bucket, queue, settings)
    yield Edge("mapping", queue, fid, dict(SQS_DEFAULTS))


def _stream_edges(trigger: StreamTrigger, fid: str) -> Iterator[Edge]:
    table = target_id(trigger.table)
    settings = {
        "starting_position": trigger.starting_position,
        "batch_size": trigger.batch_size,
        "bisect_on_error": trigger.bisect_on_error,
        "max_retries": trigger.max_retries,
        "max_record_age": trigger.max_record_age,
    }
    yield Edge("stream", table, fid, settings)
    if trigger.on_failure is not None:
        settings = {"on": "stream-failure", "mapping": table}
        yield Edge("destination", fid, target_id(trigger.on_failure), settings)


def targets(spec: FunctionSpec) -> Iterator[Target]:
    """Every spec or reference a function uses, triggers first."""
    for trigger in spec.triggers:
        yield from trigger_targets(trigger)
    for destination in (spec.on_success, spec.on_failure):
        if destination is not None:
            yield destination
    for _, value in spec.environment:
        if not isinstance(value, str):
            yield value
    yield from _permission_targets(spec.extra_permissions)


def trigger_targets(trigger: Trigger) -> tuple[Target, ...]:
    if isinstance(trigger, S3Trigger):
        return (trigger.bucket,) if trigger.via is None else (trigger.bucket, trigger.via)
    if isinstance(trigger, SqsTrigger):
        return (trigger.queue,)
    if isinstance(trigger, SnsTrigger):
        return (trigger.topic,)
    if isinstance(trigger, StreamTrigger):
        extra = () if trigger.on_failure is None else (trigger.on_failure,)
        return (trigger.table, *extra)
    return (trigger.schedule,)


def _permission_targets(permissions: Iterable[Permission]) -> Iterator[Target]:
    for permission in permissions:
        for resource in permission.resources:
            if not isinstance(resource, str):
                yield resource


def _refs(spec: FunctionSpec) -> Iterator[RefSpec]:
    return (t for t in targets(spec) if isinstance(t, RefSpec))
