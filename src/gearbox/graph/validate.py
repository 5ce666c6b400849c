"""Stage ``graph -> validated graph``: check every rule, report every problem at once.

``validate(graph)`` raises ``gearbox.errors.DeclarationError`` listing each ``Problem`` (rule,
message, origin), one line each, sorted by file and line; ``problems(graph)`` returns them.
Each message names the file, line and declaration at fault. Rules:

- ``dangling-reference``: a ``ref_*`` (or a handler used as a value) naming an app or a
  resource that does not exist; a trigger, destination, environment value or permission that
  uses another app's resource directly instead of through ``app.ref_*``.
- ``visibility-timeout``: a queue whose visibility timeout is shorter than the timeout of a
  function it triggers, directly or as the ``via`` queue of an S3 trigger (AWS refuses the
  event source mapping).
- ``fifo``: a FIFO queue or topic whose name does not end in ``.fifo`` (and a standard one
  whose name does); a dead-letter queue whose FIFO-ness differs from its queue's; S3
  notifying a FIFO queue; a FIFO queue's mapping with batch_size over 10 or a batching
  window; a standard topic delivering to a FIFO queue; a function subscribed to a FIFO topic
  or using a FIFO queue or topic as a destination (AWS delivers those only to standard ones).
- ``filter-policy``, ``range``, ``name``, ``schedule``: see ``gearbox.graph.limits``.
- ``name-clash``: two apps, resources of a kind, or functions with the same name, or two
  nodes with the same logical id.
- ``stream``: a stream trigger on a table without a stream, an unknown stream view type or
  starting position.
- ``duplicate-mapping``: a queue (directly, or as the ``via`` queue of S3 triggers) or a
  table's stream that triggers one function twice with different settings. AWS keeps one
  event source mapping per source and function (a second is a ``ResourceConflictException``);
  the same settings twice, as two S3 triggers through one queue give, are one mapping.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from gearbox.app.specs import (
    FunctionSpec,
    Origin,
    QueueSpec,
    RefSpec,
    S3Trigger,
    SnsTrigger,
    SqsTrigger,
    StreamTrigger,
    TableSpec,
    Target,
    TopicSpec,
)
from gearbox.errors import DeclarationError
from gearbox.graph import limits
from gearbox.graph.build import function_id, target_id, trigger_edges, trigger_targets
from gearbox.graph.model import Graph
from gearbox.graph.names import logical_id
from gearbox.graph.problem import (
    Problem,
    function_where,
    problem,
    resource_where,
    trigger_where,
)

STREAM_VIEWS = ("NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY")
STARTING_POSITIONS = ("LATEST", "TRIM_HORIZON")


def validate(graph: Graph) -> None:
    """Raise ``DeclarationError`` listing every problem; return when there is none."""
    found = problems(graph)
    if found:
        raise DeclarationError([str(p) for p in found], found)


def problems(graph: Graph) -> list[Problem]:
    """Every problem of the graph, sorted by file, line, rule and message."""
    found = {p for rule in RULES for p in rule(graph)}
    return sorted(found, key=lambda p: (p.origin.file, p.origin.line, p.rule, p.message))


# references


def dangling_references(graph: Graph) -> Iterator[Problem]:
    apps = set(graph.apps)
    for ref in graph.refs:
        if ref.kind == "function" and ref.target_app == ref.app:
            yield from _own_function(graph, ref)
            continue
        where = f"app.ref_{ref.kind}({ref.target_app!r}, {ref.name!r})"
        if ref.target_app not in apps:
            text = f"no app named {ref.target_app!r} in the project ({', '.join(sorted(apps))})"
            yield problem("dangling-reference", ref.origin, where, text)
        elif not graph.has(target_id(ref)):
            text = f"app {ref.target_app!r} declares no {ref.kind} named {ref.name!r}"
            yield problem("dangling-reference", ref.origin, where, text)
    for function in graph.functions:
        yield from _foreign_uses(function.spec)


def _own_function(graph: Graph, ref: RefSpec) -> Iterator[Problem]:
    """A handler used as a value (or ``ref_function`` to the app itself) must be one of the
    app's functions."""
    if not graph.has(target_id(ref)):
        text = (
            f"function {ref.name!r} is not declared by app {ref.app!r} (decorate the handler "
            "with this app, or use app.ref_function(other_app, name) for another app's)"
        )
        yield problem("dangling-reference", ref.origin, "function reference", text)


def _foreign_uses(spec: FunctionSpec) -> Iterator[Problem]:
    for trigger in spec.triggers:
        for target in trigger_targets(trigger):
            if _foreign(target, spec):
                where = trigger_where(trigger, spec)
                yield problem("dangling-reference", trigger.origin, where, _foreign_text(target))
    others: list[Target] = [d for d in (spec.on_success, spec.on_failure) if d is not None]
    others += [v for _, v in spec.environment if not isinstance(v, str)]
    others += [r for p in spec.extra_permissions for r in p.resources if not isinstance(r, str)]
    for target in others:
        if _foreign(target, spec):
            where = function_where(spec)
            yield problem("dangling-reference", spec.origin, where, _foreign_text(target))


def _foreign(target: Target, spec: FunctionSpec) -> bool:
    return not isinstance(target, RefSpec) and target.app != spec.app


def _foreign_text(target: Target) -> str:
    kind = target_id(target).split("/")[1]
    return (
        f"{kind} {target.name!r} belongs to app {target.app!r}; use "
        f"app.ref_{kind}({target.app!r}, {target.name!r})"
    )


# queues


def _int(value: object) -> int:
    """``value`` if an int; 0 otherwise (``limits.value_ranges`` reports non-integers)."""
    return value if isinstance(value, int) else 0


def _queue(graph: Graph, target: QueueSpec | RefSpec) -> QueueSpec | None:
    if isinstance(target, QueueSpec):
        return target
    resource = graph.resource(target_id(target))
    return resource.spec if resource and isinstance(resource.spec, QueueSpec) else None


def _topic(graph: Graph, target: Target) -> TopicSpec | None:
    resource = graph.resource(target_id(target))
    spec = target if isinstance(target, TopicSpec) else resource.spec if resource else None
    return spec if isinstance(spec, TopicSpec) else None


def visibility_timeouts(graph: Graph) -> Iterator[Problem]:
    for function in graph.functions:
        spec = function.spec
        for trigger in spec.triggers:
            via = trigger.via if isinstance(trigger, S3Trigger) else None
            target = trigger.queue if isinstance(trigger, SqsTrigger) else via
            queue = _queue(graph, target) if target is not None else None
            if queue is not None and _int(queue.visibility_timeout) < _int(spec.timeout):
                text = (
                    f"queue {queue.name!r} has visibility_timeout {queue.visibility_timeout} s, "
                    f"shorter than function {spec.name!r}'s timeout {spec.timeout} s"
                )
                yield problem(
                    "visibility-timeout", trigger.origin, trigger_where(trigger, spec), text
                )


# FIFO


def fifo_names(graph: Graph) -> Iterator[Problem]:
    for resource in graph.resources:
        spec = resource.spec
        if not isinstance(spec, QueueSpec | TopicSpec):
            continue
        where = resource_where(resource.kind, spec)
        if spec.fifo != spec.name.endswith(".fifo"):
            text = (
                f"a FIFO {resource.kind}'s name ends in '.fifo'"
                if spec.fifo
                else f"only a FIFO {resource.kind}'s name ends in '.fifo' (add fifo=True)"
            )
            yield problem("fifo", spec.origin, where, text)
        if isinstance(spec, QueueSpec) and spec.dlq is not None and spec.dlq.fifo != spec.fifo:
            text = "the dead-letter queue of a FIFO queue is FIFO, and of a standard one standard"
            yield problem("fifo", spec.origin, where, text)


def fifo_triggers(graph: Graph) -> Iterator[Problem]:
    for function in graph.functions:
        spec = function.spec
        for trigger in spec.triggers:
            for text in _fifo_trigger_errors(graph, trigger):
                yield problem("fifo", trigger.origin, trigger_where(trigger, spec), text)
        yield from _fifo_destinations(graph, spec)


def _fifo_trigger_errors(graph: Graph, trigger: object) -> Iterator[str]:
    if isinstance(trigger, S3Trigger) and trigger.via is not None:
        queue = _queue(graph, trigger.via)
        if queue is not None and queue.fifo:
            yield f"S3 cannot notify a FIFO queue ({queue.name!r})"
    if isinstance(trigger, SqsTrigger):
        queue = _queue(graph, trigger.queue)
        if queue is not None and queue.fifo and _int(trigger.batch_size) > 10:
            yield f"batch_size is {trigger.batch_size}; a FIFO queue allows at most 10"
        if queue is not None and queue.fifo and trigger.window:
            yield "a FIFO queue's mapping has no batching window (window must be 0)"
    if isinstance(trigger, SnsTrigger):
        topic = _topic(graph, trigger.topic)
        if topic is not None and topic.fifo:
            yield f"a FIFO topic ({topic.name!r}) delivers only to SQS queues, not to functions"


def _fifo_destinations(graph: Graph, spec: FunctionSpec) -> Iterator[Problem]:
    stream = [t.on_failure for t in spec.triggers if isinstance(t, StreamTrigger)]
    for destination in (spec.on_success, spec.on_failure, *stream):
        if destination is None:
            continue
        node = graph.resource(target_id(destination))
        target = node.spec if node else destination
        if isinstance(target, QueueSpec | TopicSpec) and target.fifo:
            text = f"a destination is a standard queue or topic; {target.name!r} is FIFO"
            yield problem("fifo", spec.origin, function_where(spec), text)


def fifo_subscriptions(graph: Graph) -> Iterator[Problem]:
    """A standard topic subscribed by a FIFO queue (an edge no ``App`` method makes yet)."""
    for edge in graph.edges:
        topic, queue = graph.resource(edge.source), graph.resource(edge.target)
        if edge.kind != "subscription" or topic is None or queue is None:
            continue
        if not isinstance(topic.spec, TopicSpec) or not isinstance(queue.spec, QueueSpec):
            continue
        if queue.spec.fifo and not topic.spec.fifo:
            where = resource_where("topic", topic.spec)
            text = f"a standard topic cannot deliver to FIFO queue {queue.name!r}"
            yield problem("fifo", topic.spec.origin, where, text)


# clashes


def name_clashes(graph: Graph) -> Iterator[Problem]:
    apps: list[tuple[str, Origin, str]] = [(n, o, f"App({n!r})") for n, o in graph.app_origins]
    yield from _clashes(apps, "app")
    for kind in ("bucket", "queue", "topic", "table", "schedule"):
        nodes = [
            (r.physical, r.spec.origin, resource_where(kind, r.spec))
            for r in graph.resources
            if r.kind == kind
        ]
        yield from _clashes(nodes, f"{kind} name")
    functions = [(f.physical, f.spec.origin, function_where(f.spec)) for f in graph.functions]
    yield from _clashes(functions, "function name")


def logical_id_clashes(graph: Graph) -> Iterator[Problem]:
    """Clashing logical ids, except where the physical names clash already (one report)."""
    reported = {p.origin for p in name_clashes(graph)}
    for found in _clashes(_logical_ids(graph), "logical id"):
        if found.origin not in reported:
            yield found


def _logical_ids(graph: Graph) -> list[tuple[str, Origin, str]]:
    """One entry per distinct node id, so a node clashing by name is not reported twice."""
    seen: dict[str, tuple[str, Origin, str]] = {}
    for r in graph.resources:
        where = resource_where(r.kind, r.spec)
        seen.setdefault(r.id, (logical_id(r.app, r.kind, r.name), r.spec.origin, where))
    for f in graph.functions:
        where = function_where(f.spec)
        seen.setdefault(f.id, (logical_id(f.app, "function", f.name), f.spec.origin, where))
    return list(seen.values())


def _clashes(nodes: Iterable[tuple[str, Origin, str]], what: str) -> Iterator[Problem]:
    groups: dict[str, list[tuple[Origin, str]]] = defaultdict(list)
    for name, origin, where in nodes:
        groups[name].append((origin, where))
    for name, places in groups.items():
        places.sort(key=lambda p: (p[0].file, p[0].line))
        first = places[0][0]
        for origin, where in places[1:]:
            text = f"{what} {name!r} is already declared at {first}"
            yield problem("name-clash", origin, where, text)


# streams


def streams(graph: Graph) -> Iterator[Problem]:
    for resource in graph.resources:
        spec = resource.spec
        if (
            isinstance(spec, TableSpec)
            and spec.stream is not None
            and spec.stream not in STREAM_VIEWS
        ):
            text = f"stream is {spec.stream!r}; AWS allows {', '.join(STREAM_VIEWS)} or None"
            yield problem("stream", spec.origin, resource_where("table", spec), text)
    for function in graph.functions:
        for trigger in function.spec.triggers:
            if isinstance(trigger, StreamTrigger):
                for text in _stream_trigger_errors(graph, trigger):
                    where = trigger_where(trigger, function.spec)
                    yield problem("stream", trigger.origin, where, text)


def _stream_trigger_errors(graph: Graph, trigger: StreamTrigger) -> Iterator[str]:
    if trigger.starting_position not in STARTING_POSITIONS:
        allowed = " or ".join(STARTING_POSITIONS)
        yield f"starting_position is {trigger.starting_position!r}; use {allowed}"
    node = graph.resource(target_id(trigger.table))
    table = node.spec if node else trigger.table
    if isinstance(table, TableSpec) and table.stream is None:
        yield f"table {table.name!r} has no stream (declare it with stream='NEW_AND_OLD_IMAGES')"


# one mapping per source and function


def duplicate_mappings(graph: Graph) -> Iterator[Problem]:
    for function in graph.functions:
        spec = function.spec
        first: dict[str, dict[str, object]] = {}
        for trigger in spec.triggers:
            for edge in trigger_edges(trigger, function_id(spec)):
                if edge.kind not in ("mapping", "stream"):
                    continue
                settings = first.setdefault(edge.source, edge.settings)
                if settings != edge.settings:
                    kind = "queue" if edge.kind == "mapping" else "table"
                    text = (
                        f"{kind} {edge.source.rsplit('/', 1)[-1]!r} already triggers function "
                        f"{spec.name!r} with other settings ({_settings(settings)}); AWS "
                        "allows one event source mapping per source and function"
                    )
                    where = trigger_where(trigger, spec)
                    yield problem("duplicate-mapping", trigger.origin, where, text)


def _settings(settings: dict[str, object]) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in sorted(settings.items()))


RULES: tuple[Callable[[Graph], Iterable[Problem]], ...] = (
    dangling_references,
    duplicate_mappings,
    visibility_timeouts,
    fifo_names,
    fifo_triggers,
    fifo_subscriptions,
    name_clashes,
    logical_id_clashes,
    streams,
    limits.value_ranges,
    limits.name_formats,
    limits.filter_policies,
    limits.schedule_expressions,
)
