"""The frozen, typed records that ``App`` and its decorators produce: one class per resource
and per trigger kind, plus the function that ties them together.

Nothing here does anything: these are plain data, compared by value, read by the graph stage
(``gearbox.graph``), the local cloud, the template and the policy generator. They hold
declaration names (``"extract-jobs"``), never physical names; ``gearbox.graph.names`` derives
those. ``origin`` is where the declaration was made (the decorator or resource call), so an
error can name the file and line at fault.

Where it differs from AWS: values are recorded as given, not checked; ``gearbox.graph.validate``
checks them against AWS's limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a declaration was made: a file and a 1-based line."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Key:
    """A DynamoDB key attribute: name and scalar type (S, N or B)."""

    name: str
    type: Literal["S", "N", "B"] = "S"


@dataclass(frozen=True, slots=True)
class Index:
    """A global secondary index (projection ALL)."""

    name: str
    partition_key: Key
    sort_key: Key | None = None


@dataclass(frozen=True, slots=True)
class BucketSpec:
    app: str
    name: str
    versioned: bool
    origin: Origin


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """An SQS queue; ``dlq`` is its dead-letter queue's spec (None when opted out)."""

    app: str
    name: str
    visibility_timeout: int
    retention: int
    fifo: bool
    delay: int
    content_based_deduplication: bool
    max_receive_count: int
    dlq: QueueSpec | None
    origin: Origin


@dataclass(frozen=True, slots=True)
class TopicSpec:
    app: str
    name: str
    fifo: bool
    origin: Origin


@dataclass(frozen=True, slots=True)
class TableSpec:
    """A DynamoDB table (on-demand); ``stream`` is the stream view type or None."""

    app: str
    name: str
    partition_key: Key
    sort_key: Key | None
    indexes: tuple[Index, ...]
    stream: str | None
    ttl_attribute: str | None
    origin: Origin


@dataclass(frozen=True, slots=True)
class ScheduleSpec:
    """A scheduled rule; ``input`` is the JSON text sent as the event (None: AWS's event)."""

    app: str
    name: str
    expression: str
    input: str | None
    origin: Origin


RefKind: TypeAlias = Literal["bucket", "queue", "topic", "table", "function"]


@dataclass(frozen=True, slots=True)
class RefSpec:
    """A resource or function that ``target_app`` declares, used from ``app``."""

    app: str
    target_app: str
    kind: RefKind
    name: str
    origin: Origin


ResourceSpec: TypeAlias = BucketSpec | QueueSpec | TopicSpec | TableSpec | ScheduleSpec
"""What ``App.resources`` holds."""

Target: TypeAlias = ResourceSpec | RefSpec
"""Anything a function can point at: an environment value, a destination, a permission."""


@dataclass(frozen=True, slots=True)
class Permission:
    """Extra IAM actions on resources (ARN strings, or specs resolved to their ARNs)."""

    actions: tuple[str, ...]
    resources: tuple[str | Target, ...]


@dataclass(frozen=True, slots=True)
class S3Trigger:
    """S3 notifies the function directly, or through the queue ``via`` (S3 -> SQS -> function,
    with the SQS trigger's defaults)."""

    bucket: BucketSpec | RefSpec
    events: tuple[str, ...]
    prefix: str
    suffix: str
    via: QueueSpec | RefSpec | None
    origin: Origin


@dataclass(frozen=True, slots=True)
class SqsTrigger:
    queue: QueueSpec | RefSpec
    batch_size: int
    window: int
    partial_failures: bool
    max_concurrency: int | None
    origin: Origin


@dataclass(frozen=True, slots=True)
class SnsTrigger:
    """``filter_policy`` is JSON text (None: every message)."""

    topic: TopicSpec | RefSpec
    filter_policy: str | None
    filter_scope: str
    raw: bool
    origin: Origin


@dataclass(frozen=True, slots=True)
class StreamTrigger:
    table: TableSpec | RefSpec
    starting_position: str
    batch_size: int
    bisect_on_error: bool
    max_retries: int
    max_record_age: int
    on_failure: QueueSpec | TopicSpec | RefSpec | None
    origin: Origin


@dataclass(frozen=True, slots=True)
class ScheduleTrigger:
    schedule: ScheduleSpec
    origin: Origin


Trigger: TypeAlias = S3Trigger | SqsTrigger | SnsTrigger | StreamTrigger | ScheduleTrigger

Destination: TypeAlias = QueueSpec | TopicSpec | RefSpec
"""An on-success / on-failure destination; a handler becomes a ``RefSpec`` of kind
``"function"``."""


@dataclass(frozen=True, slots=True)
class FunctionSpec:
    """One Lambda function: the handler ``module:qualname`` in ``file`` and its settings.

    ``environment`` values are text, or a spec resolved when deployed (bucket -> name, queue ->
    URL, topic -> ARN, table -> name, schedule -> rule name, function ref -> function name).
    ``origin`` is the ``@app.function`` decorator's, or the handler's first line without one.
    """

    app: str
    name: str
    module: str
    qualname: str
    file: str
    timeout: int
    memory: int
    environment: tuple[tuple[str, str | Target], ...]
    reserved_concurrency: int | None
    retry_attempts: int
    max_event_age: int
    on_success: Destination | None
    on_failure: Destination | None
    requirements: tuple[str, ...]
    extra_permissions: tuple[Permission, ...]
    triggers: tuple[Trigger, ...]
    origin: Origin

    @property
    def handler(self) -> str:
        """``module.qualname``, Lambda's handler setting."""
        return f"{self.module}.{self.qualname}"
