"""Rules on single values: AWS's ranges, name formats, SNS filter-policy limits and schedule
expressions. Each check returns ``Problem`` values; ``gearbox.graph.validate`` runs them.

Ranges (AWS documentation): function timeout 1-900 s, memory 128-10,240 MB, async retry
attempts 0-2, maximum event age 60-21,600 s, reserved concurrency >= 0; queue visibility
timeout 0-43,200 s, retention 60-1,209,600 s, delay 0-900 s, maxReceiveCount 1-1,000; SQS
mapping batch size 1-10,000 (over 10 needs a batching window of at least 1 s), window
0-300 s, maximum concurrency 2-1,000; stream mapping batch size 1-10,000, maximum retries -1
to 10,000, maximum record age -1 or 60-604,800 s.

Names: app ``[a-z][a-z0-9-]{0,39}``; physical names as AWS allows them (bucket 3-63 of
``a-z0-9.-``; queue 1-80 of ``A-Za-z0-9_-`` plus ``.fifo``; topic 1-256 likewise; table 3-255
of ``A-Za-z0-9_.-``; rule and function 1-64).

Filter policies: valid JSON object, at most 5 keys, at most 150 combinations (the product of
the number of values of each key; a ``$or`` adds its branches' combinations; body-scope
policies count nested leaf keys). ``MessageAttributes`` scope does not allow nesting.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from gearbox.app.specs import (
    FunctionSpec,
    Origin,
    QueueSpec,
    ScheduleSpec,
    SnsTrigger,
    SqsTrigger,
    StreamTrigger,
)
from gearbox.graph.model import Graph
from gearbox.graph.problem import (
    Problem,
    function_where,
    problem,
    resource_where,
    trigger_where,
)
from gearbox.local.schedules.expressions import InvalidScheduleExpression, parse

MAX_FILTER_KEYS = 5
MAX_FILTER_COMBINATIONS = 150
FILTER_SCOPES = ("MessageAttributes", "MessageBody")

APP_NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")
PHYSICAL_NAMES = {
    "bucket": re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]"),
    "queue": re.compile(r"(?=.{1,80}$)[A-Za-z0-9_-]+(\.fifo)?"),
    "topic": re.compile(r"(?=.{1,256}$)[A-Za-z0-9_-]+(\.fifo)?"),
    "table": re.compile(r"[A-Za-z0-9_.-]{3,255}"),
    "schedule": re.compile(r"[A-Za-z0-9_.-]{1,64}"),
    "function": re.compile(r"[A-Za-z0-9_-]{1,64}"),
}


def _out_of_range(value: object, low: int, high: int) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    return not low <= value <= high


def _range(
    at: tuple[Origin, str], what: str, value: object, low: int, high: int
) -> Iterator[Problem]:
    """A problem when ``value`` is not an integer from ``low`` to ``high``."""
    origin, where = at
    if _out_of_range(value, low, high):
        text = f"{what} is {value!r}; AWS allows {low} to {high}"
        yield problem("range", origin, where, text)


def value_ranges(graph: Graph) -> Iterator[Problem]:
    queues = [r.spec for r in graph.resources if isinstance(r.spec, QueueSpec)]
    derived = {q.dlq for q in queues if q.dlq is not None}
    for queue in queues:
        if queue not in derived:  # a DLQ's values come from its queue: reported there
            yield from _queue_ranges(queue)
    for function in graph.functions:
        yield from _function_ranges(function.spec)
        for trigger in function.spec.triggers:
            if isinstance(trigger, SqsTrigger):
                yield from _sqs_ranges(trigger, trigger_where(trigger, function.spec))
            elif isinstance(trigger, StreamTrigger):
                yield from _stream_ranges(trigger, trigger_where(trigger, function.spec))


def _queue_ranges(queue: QueueSpec) -> Iterator[Problem]:
    at = (queue.origin, resource_where("queue", queue))
    yield from _range(at, "visibility_timeout", queue.visibility_timeout, 0, 43200)
    yield from _range(at, "retention", queue.retention, 60, 1209600)
    yield from _range(at, "delay", queue.delay, 0, 900)
    if queue.dlq is not None:
        count = queue.max_receive_count
        yield from _range(at, "max_receive_count", count, 1, 1000)


def _function_ranges(spec: FunctionSpec) -> Iterator[Problem]:
    at = (spec.origin, function_where(spec))
    yield from _range(at, "timeout", spec.timeout, 1, 900)
    yield from _range(at, "memory", spec.memory, 128, 10240)
    yield from _range(at, "retry_attempts", spec.retry_attempts, 0, 2)
    yield from _range(at, "max_event_age", spec.max_event_age, 60, 21600)
    if spec.reserved_concurrency is not None:
        concurrency = spec.reserved_concurrency
        yield from _range(at, "reserved_concurrency", concurrency, 0, 1_000_000)


def _sqs_ranges(trigger: SqsTrigger, where: str) -> Iterator[Problem]:
    at = (trigger.origin, where)
    yield from _range(at, "batch_size", trigger.batch_size, 1, 10000)
    yield from _range(at, "window", trigger.window, 0, 300)
    if trigger.max_concurrency is not None:
        yield from _range(at, "max_concurrency", trigger.max_concurrency, 2, 1000)
    big = isinstance(trigger.batch_size, int) and trigger.batch_size > 10
    if big and isinstance(trigger.window, int) and trigger.window < 1:
        text = f"batch_size {trigger.batch_size} is over 10, which needs window >= 1 (AWS)"
        yield problem("range", trigger.origin, where, text)


def _stream_ranges(trigger: StreamTrigger, where: str) -> Iterator[Problem]:
    at = (trigger.origin, where)
    yield from _range(at, "batch_size", trigger.batch_size, 1, 10000)
    yield from _range(at, "max_retries", trigger.max_retries, -1, 10000)
    if trigger.max_record_age != -1:
        age = trigger.max_record_age
        yield from _range(at, "max_record_age (or -1)", age, 60, 604800)


# names


def name_formats(graph: Graph) -> Iterator[Problem]:
    for app, origin in graph.app_origins:
        if not APP_NAME.fullmatch(app):
            text = "an app name is a lowercase letter, then up to 39 of a-z, 0-9 and '-'"
            yield problem("name", origin, f"App({app!r})", text)
    for resource in graph.resources:
        if not PHYSICAL_NAMES[resource.kind].fullmatch(resource.physical):
            where = resource_where(resource.kind, resource.spec)
            text = f"{resource.kind} name {resource.physical!r} is not one AWS accepts"
            yield problem("name", resource.spec.origin, where, text)
    for function in graph.functions:
        if not PHYSICAL_NAMES["function"].fullmatch(function.physical):
            text = (
                f"function name {function.physical!r} is not one AWS accepts "
                "(1-64 of A-Z a-z 0-9 - _)"
            )
            yield problem("name", function.spec.origin, function_where(function.spec), text)


# SNS filter policies


def filter_policies(graph: Graph) -> Iterator[Problem]:
    for function in graph.functions:
        for trigger in function.spec.triggers:
            if isinstance(trigger, SnsTrigger):
                where = trigger_where(trigger, function.spec)
                for text in filter_policy_errors(trigger.filter_policy, trigger.filter_scope):
                    yield problem("filter-policy", trigger.origin, where, text)


def filter_policy_errors(policy_text: str | None, scope: str) -> list[str]:
    """What is wrong with a filter policy (JSON text) under ``scope``; empty when valid."""
    if scope not in FILTER_SCOPES:
        return [f"filter_scope is {scope!r}; AWS allows {' or '.join(FILTER_SCOPES)}"]
    if policy_text is None:
        return []
    try:
        policy = json.loads(policy_text)
    except ValueError as exc:
        return [f"filter_policy is not valid JSON ({exc})"]
    if not isinstance(policy, dict) or not policy:
        return ["filter_policy must be a non-empty JSON object"]
    errors: list[str] = []
    if scope == "MessageAttributes" and _nested(policy):
        errors.append("a nested filter_policy needs filter_scope='MessageBody'")
    keys = _leaf_keys(policy)
    if len(keys) > MAX_FILTER_KEYS:
        errors.append(f"filter_policy has {len(keys)} keys; AWS allows {MAX_FILTER_KEYS}")
    combinations = _combinations(policy)
    if combinations > MAX_FILTER_COMBINATIONS:
        errors.append(
            f"filter_policy has {combinations} combinations; AWS allows {MAX_FILTER_COMBINATIONS}"
        )
    return errors


def _nested(policy: dict[str, Any]) -> bool:
    for key, value in policy.items():
        if key == "$or":
            if any(isinstance(b, dict) and _nested(b) for b in value):
                return True
        elif isinstance(value, dict):
            return True
    return False


def _leaf_keys(policy: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for key, value in policy.items():
        if key == "$or" and isinstance(value, list):
            for branch in value:
                keys |= _leaf_keys(branch, prefix) if isinstance(branch, dict) else set()
        elif isinstance(value, dict):
            keys |= _leaf_keys(value, f"{prefix}{key}.")
        else:
            keys.add(prefix + key)
    return keys


def _combinations(policy: dict[str, Any]) -> int:
    total = 1
    for key, value in policy.items():
        if key == "$or" and isinstance(value, list):
            total *= sum(_combinations(b) for b in value if isinstance(b, dict)) or 1
        elif isinstance(value, dict):
            total *= _combinations(value)
        elif isinstance(value, list):
            total *= max(len(value), 1)
    return total


# schedules


def schedule_expressions(graph: Graph) -> Iterator[Problem]:
    for resource in graph.resources:
        spec = resource.spec
        if isinstance(spec, ScheduleSpec):
            try:
                parse(spec.expression)
            except InvalidScheduleExpression:
                where = resource_where("schedule", spec)
                text = f"{spec.expression!r} is not a rate(...) or cron(...) expression AWS accepts"
                yield problem("schedule", spec.origin, where, text)
