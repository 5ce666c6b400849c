"""``App``: one microservice's declarations, recorded as frozen specs.

Resource methods (``bucket``, ``queue``, ``topic``, ``table``, ``schedule``, ``ref_*``) return
the spec they record. Decorators (``function``, ``on_s3``, ``on_sqs``, ``on_sns``,
``on_dynamodb_stream``, ``on_schedule``) record settings or a trigger for the handler and
return the handler itself, unchanged, so it stays a plain ``handler(event, context)`` that a
unit test can call. Decorators stack in any order; a handler is keyed by ``module:qualname``.
Every record carries the ``Origin`` (file, line) of the call that made it.

Choices the shared spec leaves open, made as a user would expect:

- A queue's dead-letter queue is in ``App.resources`` right after its queue. It keeps the
  queue's visibility timeout, FIFO and deduplication settings, and AWS's longest retention
  (14 days), so a message that failed has the most time to be looked at.
- A handler used as an environment value or a destination becomes a ``RefSpec`` of kind
  ``"function"`` naming this app and the handler's function name; a handler that this app does
  not declare is therefore reported by the graph as a dangling reference (use
  ``app.ref_function(other_app, name)`` for another app's function).
- ``on_schedule("rate(5 minutes)")`` creates a ``ScheduleSpec`` named ``<function>-schedule``
  when ``App.functions`` is read, so it follows a ``name=`` given to ``@app.function``. It is
  not in ``App.resources`` (the graph takes schedules from triggers too).
- Wrong argument types (a topic given to ``on_sqs``) raise ``TypeError`` at once; values (a
  timeout of 0, a FIFO name without ``.fifo``) are checked by ``gearbox.graph.validate``.

This module imports only the standard library: it ships inside every function's package.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from gearbox.app.specs import (
    BucketSpec,
    Destination,
    FunctionSpec,
    Index,
    Key,
    Origin,
    Permission,
    QueueSpec,
    RefKind,
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

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R", BucketSpec, QueueSpec, TopicSpec, TableSpec, ScheduleSpec)
Handler = Callable[..., Any]
EnvValue = str | Target | Handler
DestinationValue = QueueSpec | TopicSpec | RefSpec | Handler

DLQ_RETENTION = 1_209_600  # 14 days, SQS's longest
_TARGET_TYPES = (BucketSpec, QueueSpec, TopicSpec, TableSpec, ScheduleSpec, RefSpec)

_collectors: list[list[App]] = []


@contextmanager
def collect_apps() -> Iterator[list[App]]:
    """Collect every ``App`` created inside the ``with`` block (``gearbox.graph.load``)."""
    created: list[App] = []
    _collectors.append(created)
    try:
        yield created
    finally:
        _collectors.remove(created)


def _origin(depth: int = 2) -> Origin:
    """The file and line of the user's call (``depth`` frames above this function)."""
    frame = sys._getframe(depth)
    return Origin(frame.f_code.co_filename, frame.f_lineno)


def _key(handler: Handler) -> str:
    return f"{handler.__module__}:{handler.__qualname__}"


def _default_name(handler: Handler) -> str:
    return str(handler.__name__).replace("_", "-")


def _json_text(value: Mapping[str, Any] | str | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _require(value: object, types: tuple[type, ...], kind: str, origin: Origin) -> None:
    if isinstance(value, RefSpec):
        if value.kind == kind:
            return
        raise TypeError(f"{origin}: expected a {kind}, got a reference to a {value.kind}")
    if not isinstance(value, types):
        raise TypeError(f"{origin}: expected a {kind}, got {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class _Settings:
    """What ``@app.function`` recorded, before handler references are resolved."""

    name: str | None
    timeout: int
    memory: int
    environment: tuple[tuple[str, EnvValue], ...]
    reserved_concurrency: int | None
    retry_attempts: int
    max_event_age: int
    on_success: DestinationValue | None
    on_failure: DestinationValue | None
    requirements: tuple[str, ...]
    extra_permissions: tuple[Permission, ...]
    origin: Origin


_DEFAULTS = _Settings(
    name=None,
    timeout=3,
    memory=128,
    environment=(),
    reserved_concurrency=None,
    retry_attempts=2,
    max_event_age=21600,
    on_success=None,
    on_failure=None,
    requirements=(),
    extra_permissions=(),
    origin=Origin("", 0),
)


@dataclass(frozen=True, slots=True)
class _BareSchedule:
    """``on_schedule("rate(...)")``: becomes a ``ScheduleSpec`` once the name is known."""

    expression: str
    origin: Origin


@dataclass(slots=True)
class _Entry:
    handler: Handler
    settings: list[_Settings] = field(default_factory=list)
    triggers: list[Trigger | _BareSchedule] = field(default_factory=list)


class App:
    """One microservice (a bounded context): its resources, references and functions."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.origin = _origin()
        self._resources: list[ResourceSpec] = []
        self._refs: list[RefSpec] = []
        self._entries: dict[str, _Entry] = {}
        for collector in _collectors:
            collector.append(self)

    def __repr__(self) -> str:
        return f"App({self.name!r})"

    # resources

    def bucket(self, name: str, *, versioned: bool = False) -> BucketSpec:
        return self._add(BucketSpec(self.name, name, versioned, _origin()))

    def queue(
        self,
        name: str,
        *,
        visibility_timeout: int = 30,
        retention: int = 345600,
        fifo: bool = False,
        delay: int = 0,
        content_based_deduplication: bool = False,
        dlq: bool = True,
        max_receive_count: int = 3,
    ) -> QueueSpec:
        """An SQS queue, with a dead-letter queue ``<name>-dlq`` unless ``dlq=False``."""
        origin = _origin()
        dead = None
        if dlq:
            base = name.removesuffix(".fifo")
            dead = QueueSpec(
                self.name,
                f"{base}-dlq.fifo" if fifo else f"{base}-dlq",
                visibility_timeout,
                DLQ_RETENTION,
                fifo,
                0,
                content_based_deduplication,
                max_receive_count,
                None,
                origin,
            )
        spec = QueueSpec(
            self.name,
            name,
            visibility_timeout,
            retention,
            fifo,
            delay,
            content_based_deduplication,
            max_receive_count,
            dead,
            origin,
        )
        self._add(spec)
        if dead is not None:
            self._add(dead)
        return spec

    def topic(self, name: str, *, fifo: bool = False) -> TopicSpec:
        return self._add(TopicSpec(self.name, name, fifo, _origin()))

    def table(
        self,
        name: str,
        *,
        partition_key: Key,
        sort_key: Key | None = None,
        indexes: Sequence[Index] = (),
        stream: str | None = None,
        ttl_attribute: str | None = None,
    ) -> TableSpec:
        """A DynamoDB table; ``stream`` is a view type (``"NEW_IMAGE"``, ...) or None."""
        spec = TableSpec(
            self.name,
            name,
            partition_key,
            sort_key,
            tuple(indexes),
            stream,
            ttl_attribute,
            _origin(),
        )
        return self._add(spec)

    def schedule(
        self, name: str, expression: str, *, input: Mapping[str, Any] | None = None
    ) -> ScheduleSpec:
        """A rule firing on ``rate(...)`` / ``cron(...)``; ``input`` replaces AWS's event."""
        return self._add(ScheduleSpec(self.name, name, expression, _json_text(input), _origin()))

    def _add(self, spec: R) -> R:
        self._resources.append(spec)
        return spec

    # references to another app's declarations

    def ref_bucket(self, app: str, name: str) -> RefSpec:
        return self._ref(app, "bucket", name, _origin())

    def ref_queue(self, app: str, name: str) -> RefSpec:
        return self._ref(app, "queue", name, _origin())

    def ref_topic(self, app: str, name: str) -> RefSpec:
        return self._ref(app, "topic", name, _origin())

    def ref_table(self, app: str, name: str) -> RefSpec:
        return self._ref(app, "table", name, _origin())

    def ref_function(self, app: str, name: str) -> RefSpec:
        return self._ref(app, "function", name, _origin())

    def _ref(self, app: str, kind: RefKind, name: str, origin: Origin) -> RefSpec:
        ref = RefSpec(self.name, app, kind, name, origin)
        self._refs.append(ref)
        return ref

    # decorators

    def function(
        self,
        *,
        timeout: int = 3,
        memory: int = 128,
        environment: Mapping[str, EnvValue] | None = None,
        reserved_concurrency: int | None = None,
        retry_attempts: int = 2,
        max_event_age: int = 21600,
        on_success: DestinationValue | None = None,
        on_failure: DestinationValue | None = None,
        requirements: Sequence[str] = (),
        extra_permissions: Sequence[Permission] = (),
        name: str | None = None,
    ) -> Callable[[F], F]:
        """Settings of the handler's function (optional: AWS's defaults without it)."""
        settings = _Settings(
            name=name,
            timeout=timeout,
            memory=memory,
            environment=tuple((environment or {}).items()),
            reserved_concurrency=reserved_concurrency,
            retry_attempts=retry_attempts,
            max_event_age=max_event_age,
            on_success=on_success,
            on_failure=on_failure,
            requirements=tuple(requirements),
            extra_permissions=tuple(extra_permissions),
            origin=_origin(),
        )

        def record(handler: F) -> F:
            entry = self._entry(handler)
            if entry.settings:
                raise TypeError(
                    f"{settings.origin}: @app.function is already applied to "
                    f"{handler.__qualname__} at {entry.settings[0].origin}"
                )
            entry.settings.append(settings)
            return handler

        return record

    def on_s3(
        self,
        bucket: BucketSpec | RefSpec,
        *,
        events: Sequence[str] = ("s3:ObjectCreated:*",),
        prefix: str = "",
        suffix: str = "",
        via: QueueSpec | RefSpec | None = None,
    ) -> Callable[[F], F]:
        """S3 notifies the function, or the queue ``via`` that triggers it."""
        origin = _origin()
        _require(bucket, (BucketSpec,), "bucket", origin)
        if via is not None:
            _require(via, (QueueSpec,), "queue", origin)
        return self._trigger(S3Trigger(bucket, tuple(events), prefix, suffix, via, origin))

    def on_sqs(
        self,
        queue: QueueSpec | RefSpec,
        *,
        batch_size: int = 10,
        window: int = 0,
        partial_failures: bool = True,
        max_concurrency: int | None = None,
    ) -> Callable[[F], F]:
        origin = _origin()
        _require(queue, (QueueSpec,), "queue", origin)
        spec = SqsTrigger(queue, batch_size, window, partial_failures, max_concurrency, origin)
        return self._trigger(spec)

    def on_sns(
        self,
        topic: TopicSpec | RefSpec,
        *,
        filter_policy: Mapping[str, Any] | str | None = None,
        filter_scope: str = "MessageAttributes",
        raw: bool = False,
    ) -> Callable[[F], F]:
        origin = _origin()
        _require(topic, (TopicSpec,), "topic", origin)
        policy = _json_text(filter_policy)
        return self._trigger(SnsTrigger(topic, policy, filter_scope, raw, origin))

    def on_dynamodb_stream(
        self,
        table: TableSpec | RefSpec,
        *,
        starting_position: str = "LATEST",
        batch_size: int = 100,
        bisect_on_error: bool = False,
        max_retries: int = -1,
        max_record_age: int = -1,
        on_failure: QueueSpec | TopicSpec | RefSpec | None = None,
    ) -> Callable[[F], F]:
        origin = _origin()
        _require(table, (TableSpec,), "table", origin)
        spec = StreamTrigger(
            table,
            starting_position,
            batch_size,
            bisect_on_error,
            max_retries,
            max_record_age,
            on_failure,
            origin,
        )
        return self._trigger(spec)

    def on_schedule(self, schedule: ScheduleSpec | str) -> Callable[[F], F]:
        """A declared schedule, or a bare ``rate(...)`` / ``cron(...)`` expression."""
        origin = _origin()
        if isinstance(schedule, str):
            return self._trigger(_BareSchedule(schedule, origin))
        _require(schedule, (ScheduleSpec,), "schedule", origin)
        return self._trigger(ScheduleTrigger(schedule, origin))

    def _trigger(self, trigger: Trigger | _BareSchedule) -> Callable[[F], F]:
        def record(handler: F) -> F:
            self._entry(handler).triggers.append(trigger)
            return handler

        return record

    def _entry(self, handler: Handler) -> _Entry:
        if not callable(handler):
            raise TypeError(f"expected a handler function, got {type(handler).__name__}")
        key = _key(handler)
        entry = self._entries.get(key)
        if entry is None:
            entry = self._entries[key] = _Entry(handler)
        return entry

    # what the graph reads

    @property
    def resources(self) -> tuple[ResourceSpec, ...]:
        """Declared resources (and dead-letter queues) in declaration order."""
        return tuple(self._resources)

    @property
    def refs(self) -> tuple[RefSpec, ...]:
        """References declared with ``ref_*``, in declaration order."""
        return tuple(self._refs)

    @property
    def functions(self) -> tuple[FunctionSpec, ...]:
        """One ``FunctionSpec`` per decorated handler, in the order handlers were declared."""
        return tuple(self._function(entry) for entry in self._entries.values())

    def function_name(self, handler: Handler) -> str | None:
        """The function name this app gives ``handler``, or None if it does not declare it."""
        entry = self._entries.get(_key(handler))
        if entry is None:
            return None
        settings = entry.settings[0] if entry.settings else _DEFAULTS
        return settings.name or _default_name(handler)

    def _function(self, entry: _Entry) -> FunctionSpec:
        handler = entry.handler
        settings = entry.settings[0] if entry.settings else _DEFAULTS
        name = settings.name or _default_name(handler)
        code = getattr(handler, "__code__", None)
        file = code.co_filename if code else ""
        origin = settings.origin if entry.settings else Origin(file, _first_line(handler))
        return FunctionSpec(
            app=self.name,
            name=name,
            module=handler.__module__,
            qualname=handler.__qualname__,
            file=file,
            timeout=settings.timeout,
            memory=settings.memory,
            environment=tuple(
                (var, self._target(value, settings.origin)) for var, value in settings.environment
            ),
            reserved_concurrency=settings.reserved_concurrency,
            retry_attempts=settings.retry_attempts,
            max_event_age=settings.max_event_age,
            on_success=self._destination(settings.on_success, settings.origin),
            on_failure=self._destination(settings.on_failure, settings.origin),
            requirements=settings.requirements,
            extra_permissions=settings.extra_permissions,
            triggers=self._triggers(entry, name),
            origin=origin,
        )

    def _triggers(self, entry: _Entry, name: str) -> tuple[Trigger, ...]:
        """Triggers in source order (decorators run bottom-up)."""
        done: list[Trigger] = []
        for trigger in entry.triggers:
            if isinstance(trigger, _BareSchedule):
                schedule = ScheduleSpec(
                    self.name, f"{name}-schedule", trigger.expression, None, trigger.origin
                )
                done.append(ScheduleTrigger(schedule, trigger.origin))
            else:
                done.append(trigger)
        return tuple(sorted(done, key=lambda t: (t.origin.file, t.origin.line)))

    def _target(self, value: EnvValue, origin: Origin) -> str | Target:
        if isinstance(value, (str, *_TARGET_TYPES)):
            return value
        if callable(value):
            return self._handler_ref(value, origin)
        raise TypeError(f"{origin}: cannot use a {type(value).__name__} as an environment value")

    def _destination(self, value: DestinationValue | None, origin: Origin) -> Destination | None:
        if value is None or isinstance(value, QueueSpec | TopicSpec | RefSpec):
            return value
        if callable(value):
            return self._handler_ref(value, origin)
        raise TypeError(f"{origin}: a destination is a queue, a topic or a handler")

    def _handler_ref(self, handler: Handler, origin: Origin) -> RefSpec:
        name = self.function_name(handler) or _default_name(handler)
        return RefSpec(self.name, self.name, "function", name, origin)


def _first_line(handler: Handler) -> int:
    """The first line of the handler's definition (its first decorator's, in Python 3.11)."""
    code = getattr(handler, "__code__", None)
    return int(code.co_firstlineno) if code else 0
