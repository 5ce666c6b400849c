"""Every validation rule has a failing case; each message names the file, line and
declaration at fault. A line is found by the marker comment at its end (``# <- name``)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from gearbox.app import App, Key, QueueSpec
from gearbox.errors import DeclarationError, GearboxError
from gearbox.graph import Edge, Problem, build, problems, validate

HERE = __file__
SOURCE = Path(HERE).read_text().splitlines()


def at(marker: str) -> str:
    """``file:line`` of the line ending with ``# <- marker``."""
    [number] = [i + 1 for i, text in enumerate(SOURCE) if text.endswith(f"# <- {marker}")]
    return f"{HERE}:{number}"


def only(apps: Any, rule: str) -> Problem:
    found = problems(build(apps if isinstance(apps, list) else [apps]))
    assert [p.rule for p in found] == [rule], found
    return found[0]


def check(problem: Problem, marker: str, *parts: str) -> None:
    assert problem.message.startswith(f"{at(marker)}: "), problem.message
    assert f"{problem.origin.file}:{problem.origin.line}" == at(marker)
    for part in parts:
        assert part in problem.message, problem.message


def handler(event: Any, context: Any) -> None:
    return None


def test_a_valid_project_has_no_problem() -> None:
    from tests.unit.apps import sample_app

    graph = build([sample_app.shop, sample_app.billing])
    assert problems(graph) == []
    validate(graph)


def test_validate_raises_one_line_per_problem_sorted_by_line() -> None:
    app = App("svc")
    app.queue("a", visibility_timeout=-1)  # <- first
    app.queue("b.fifo")  # <- second
    with pytest.raises(DeclarationError) as raised:
        validate(build([app]))
    error = raised.value
    assert isinstance(error, GearboxError)
    assert [p.rule for p in error.problems] == ["range", "fifo"]  # type: ignore[attr-defined]
    lines = str(error).splitlines()
    assert lines[0].startswith(at("first")) and lines[0].endswith("[range]")
    assert lines[1].startswith(at("second")) and lines[1].endswith("[fifo]")


# dangling references


def test_ref_to_an_unknown_app() -> None:
    app = App("svc")
    app.ref_queue("billing", "invoices")  # <- unknown-app
    problem = only(app, "dangling-reference")
    check(problem, "unknown-app", "app.ref_queue('billing', 'invoices')", "no app named 'billing'")


def test_ref_to_an_unknown_resource_of_a_known_app() -> None:
    app, billing = App("svc"), App("billing")
    billing.queue("invoices", dlq=False)
    app.ref_topic("billing", "invoices")  # <- unknown-resource
    problem = only([app, billing], "dangling-reference")
    check(problem, "unknown-resource", "app 'billing' declares no topic named 'invoices'")


def test_trigger_on_another_apps_resource_without_a_ref() -> None:
    app, billing = App("svc"), App("billing")
    invoices = billing.queue("invoices", dlq=False)
    app.on_sqs(invoices)(handler)  # <- foreign-trigger
    problem = only([app, billing], "dangling-reference")
    check(
        problem,
        "foreign-trigger",
        "@app.on_sqs on handler",
        "belongs to app 'billing'; use app.ref_queue('billing', 'invoices')",
    )


def test_environment_value_of_another_apps_resource_without_a_ref() -> None:
    app, billing = App("svc"), App("billing")
    table = billing.table("t", partition_key=Key("id"))
    app.function(environment={"T": table})(handler)  # <- foreign-env
    check(only([app, billing], "dangling-reference"), "foreign-env", "@app.function on handler")


def test_a_handler_the_app_does_not_declare_used_as_a_destination() -> None:
    app = App("svc")

    def elsewhere(event: Any, context: Any) -> None:
        return None

    app.function(on_failure=elsewhere)(handler)  # <- undeclared-handler
    problem = only(app, "dangling-reference")
    check(problem, "undeclared-handler", "function 'elsewhere' is not declared by app 'svc'")


# visibility timeout


def test_queue_visibility_shorter_than_the_function_timeout() -> None:
    app = App("svc")
    jobs = app.queue("jobs", visibility_timeout=30)

    @app.on_sqs(jobs)  # <- visibility
    @app.function(timeout=60)
    def slow(event: Any, context: Any) -> None:
        return None

    problem = only(app, "visibility-timeout")
    check(problem, "visibility", "@app.on_sqs on", "visibility_timeout 30 s", "timeout 60 s")


def test_visibility_through_s3_via_and_through_a_ref() -> None:
    app, billing = App("svc"), App("billing")
    uploads = app.bucket("uploads")
    short = app.ref_queue("billing", "short")
    jobs = billing.queue("short", visibility_timeout=5)
    billing_queue = app.queue("jobs", visibility_timeout=5)
    app.on_s3(uploads, via=billing_queue)(app.function(timeout=6)(handler))  # <- via

    @app.on_sqs(short)  # <- via-ref
    @app.function(timeout=6)
    def other(event: Any, context: Any) -> None:
        return None

    found = problems(build([app, billing]))
    assert [p.rule for p in found] == ["visibility-timeout", "visibility-timeout"]
    check(found[0], "via", "@app.on_s3", "queue 'jobs'")
    check(found[1], "via-ref", "@app.on_sqs", f"queue {jobs.name!r}")


def test_equal_visibility_and_timeout_are_fine() -> None:
    app = App("svc")
    jobs = app.queue("jobs", visibility_timeout=60)
    app.on_sqs(jobs)(app.function(timeout=60)(handler))
    assert problems(build([app])) == []


# FIFO


def test_fifo_queue_and_topic_names_end_in_fifo_and_only_theirs() -> None:
    app = App("svc")
    app.queue("orders", fifo=True, dlq=False)  # <- fifo-queue
    app.queue("plain.fifo", dlq=False)  # <- standard-fifo-name
    app.topic("events", fifo=True)  # <- fifo-topic
    found = problems(build([app]))
    assert [p.rule for p in found] == ["fifo", "fifo", "fifo"]
    check(found[0], "fifo-queue", "app.queue('orders')", "a FIFO queue's name ends in '.fifo'")
    check(found[1], "standard-fifo-name", "add fifo=True")
    check(found[2], "fifo-topic", "app.topic('events')")


def test_the_dead_letter_queue_of_a_fifo_queue_is_fifo() -> None:
    app = App("svc")
    app.queue("orders.fifo", fifo=True)  # <- dlq-fifo
    graph = build([app])
    broken = []
    for resource in graph.resources:
        spec = resource.spec
        if isinstance(spec, QueueSpec) and spec.dlq is not None:
            dlq = dataclasses.replace(spec.dlq, fifo=False, name="orders-dlq")
            spec = dataclasses.replace(spec, dlq=dlq)
        broken.append(dataclasses.replace(resource, spec=spec))
    found = problems(dataclasses.replace(graph, resources=tuple(broken)))
    assert [p.rule for p in found] == ["fifo"]
    check(found[0], "dlq-fifo", "the dead-letter queue of a FIFO queue is FIFO")


def test_s3_cannot_notify_a_fifo_queue() -> None:
    app = App("svc")
    uploads, orders = app.bucket("uploads"), app.queue("orders.fifo", fifo=True)
    app.on_s3(uploads, via=orders)(handler)  # <- s3-fifo
    check(only(app, "fifo"), "s3-fifo", "@app.on_s3", "S3 cannot notify a FIFO queue")


def test_fifo_mapping_batch_size_and_window() -> None:
    app = App("svc")
    orders = app.queue("orders.fifo", fifo=True)
    app.on_sqs(orders, batch_size=11, window=1)(handler)  # <- fifo-batch
    found = problems(build([app]))
    assert [p.rule for p in found] == ["fifo", "fifo"]
    check(found[0], "fifo-batch", "window must be 0")
    check(found[1], "fifo-batch", "batch_size is 11; a FIFO queue allows at most 10")


def test_a_function_cannot_subscribe_to_a_fifo_topic() -> None:
    app = App("svc")
    topic = app.topic("events.fifo", fifo=True)
    app.on_sns(topic)(handler)  # <- sns-fifo
    check(only(app, "fifo"), "sns-fifo", "@app.on_sns", "delivers only to SQS queues")


def test_a_destination_cannot_be_fifo() -> None:
    app = App("svc")
    orders = app.queue("orders.fifo", fifo=True)
    app.function(on_failure=orders)(handler)  # <- destination-fifo
    check(only(app, "fifo"), "destination-fifo", "@app.function", "'orders.fifo' is FIFO")


def test_a_standard_topic_cannot_deliver_to_a_fifo_queue() -> None:
    app = App("svc")
    app.topic("events")  # <- standard-topic
    app.queue("orders.fifo", fifo=True)
    graph = build([app])
    edge = Edge("subscription", "svc/topic/events", "svc/queue/orders.fifo", {})
    found = problems(dataclasses.replace(graph, edges=(*graph.edges, edge)))
    assert [p.rule for p in found] == ["fifo"]
    check(found[0], "standard-topic", "a standard topic cannot deliver to FIFO queue")


# SNS filter policies


@pytest.mark.parametrize(
    ("policy", "scope", "expected"),
    [
        ("{not json", "MessageAttributes", "not valid JSON"),
        ('["a"]', "MessageAttributes", "non-empty JSON object"),
        ({f"k{i}": ["v"] for i in range(6)}, "MessageAttributes", "6 keys; AWS allows 5"),
        (
            {"a": list("abcd"), "b": list("abcd"), "c": list("abcd"), "d": list("abc")},
            "MessageAttributes",
            "192 combinations; AWS allows 150",
        ),
        (
            {"$or": [{"a": list("abcdefghij")}, {"b": list("abcdefghij")}], "c": list("abcdefgh")},
            "MessageBody",
            "160 combinations",
        ),
        ({"a": {"b": ["c"]}}, "MessageAttributes", "needs filter_scope='MessageBody'"),
        ({"a": ["b"]}, "Body", "filter_scope is 'Body'"),
    ],
)
def test_filter_policy_limits(policy: Any, scope: str, expected: str) -> None:
    app = App("svc")
    topic = app.topic("events")
    app.on_sns(topic, filter_policy=policy, filter_scope=scope)(handler)  # <- filter
    check(only(app, "filter-policy"), "filter", "@app.on_sns on handler", expected)


def test_filter_policies_within_the_limits_are_fine() -> None:
    app = App("svc")
    topic = app.topic("events")
    nested = {"order": {"kind": ["a", "b"], "size": [{"numeric": [">", 1]}]}, "x": ["y"]}
    app.on_sns(topic, filter_policy=nested, filter_scope="MessageBody")(handler)
    five = {f"k{i}": ["a", "b", "c"] for i in range(4)} | {"k4": ["a"]}
    app.on_sns(topic, filter_policy=json.dumps(five))(app.function(name="other")(handler))
    assert problems(build([app])) == []


# name clashes


def test_two_resources_of_a_kind_with_one_name() -> None:
    app = App("svc")
    app.queue("jobs", dlq=False)
    app.queue("jobs", dlq=False)  # <- clash
    check(only(app, "name-clash"), "clash", "queue name 'svc-jobs' is already declared at")


def test_a_dead_letter_queue_clashing_with_a_declared_queue() -> None:
    app = App("svc")
    app.queue("jobs")
    app.queue("jobs-dlq", dlq=False)  # <- dlq-clash
    assert "svc-jobs-dlq" in only(app, "name-clash").message


def test_physical_names_clash_across_apps() -> None:
    first, second = App("a-b"), App("a")
    first.bucket("c")
    second.bucket("b-c")  # <- cross-app
    check(only([first, second], "name-clash"), "cross-app", "bucket name 'a-b-c'")


def test_two_functions_with_one_name_and_two_apps_with_one_name() -> None:
    app = App("svc")
    twin = App("svc")  # <- app-clash

    def one(event: Any, context: Any) -> None:
        return None

    def two(event: Any, context: Any) -> None:
        return None

    app.function(name="same")(one)
    twin.function(name="same")(two)  # <- function-clash
    found = problems(build([app, twin]))
    assert [p.rule for p in found] == ["name-clash", "name-clash"]
    check(found[0], "app-clash", "App('svc')", "app 'svc' is already declared at")
    check(found[1], "function-clash", "function name 'svc-same'")


def test_logical_ids_clash_when_names_differ_only_in_punctuation() -> None:
    app = App("svc")
    app.queue("a_b", dlq=False)
    app.queue("a-b", dlq=False)  # <- logical
    problem = only(app, "name-clash")
    assert "logical id 'SvcABQueue'" in problem.message


# value ranges


RANGES: list[tuple[str, dict[str, Any], str]] = [
    ("queue", {"visibility_timeout": 43201}, "visibility_timeout is 43201"),
    ("queue", {"retention": 59}, "retention is 59"),
    ("queue", {"retention": 1209601}, "retention is 1209601"),
    ("queue", {"delay": 901}, "delay is 901"),
    ("queue", {"max_receive_count": 0}, "max_receive_count is 0"),
    ("queue", {"max_receive_count": 1001}, "max_receive_count is 1001"),
    ("function", {"timeout": 0}, "timeout is 0"),
    ("function", {"timeout": 901}, "timeout is 901"),
    ("function", {"memory": 127}, "memory is 127"),
    ("function", {"memory": 10241}, "memory is 10241"),
    ("function", {"retry_attempts": 3}, "retry_attempts is 3"),
    ("function", {"max_event_age": 59}, "max_event_age is 59"),
    ("function", {"max_event_age": 21601}, "max_event_age is 21601"),
    ("function", {"reserved_concurrency": -1}, "reserved_concurrency is -1"),
    ("function", {"timeout": "30"}, "timeout is '30'"),
    ("sqs", {"batch_size": 0}, "batch_size is 0"),
    ("sqs", {"batch_size": 10001, "window": 1}, "batch_size is 10001"),
    ("sqs", {"window": 301}, "window is 301"),
    ("sqs", {"max_concurrency": 1}, "max_concurrency is 1"),
    ("sqs", {"batch_size": 11}, "needs window >= 1"),
    ("stream", {"batch_size": 10001}, "batch_size is 10001"),
    ("stream", {"max_retries": 10001}, "max_retries is 10001"),
    ("stream", {"max_record_age": 59}, "max_record_age (or -1) is 59"),
]


@pytest.mark.parametrize(("where", "settings", "expected"), RANGES)
def test_values_out_of_range(where: str, settings: dict[str, Any], expected: str) -> None:
    app = App("svc")
    table = app.table("t", partition_key=Key("id"), stream="NEW_IMAGE")
    if where == "queue":
        app.queue("jobs", **{"visibility_timeout": 900, **settings})  # <- range-queue
        marker = "range-queue"
    elif where == "function":
        app.function(**settings)(handler)  # <- range-function
        marker = "range-function"
    elif where == "sqs":
        jobs = app.queue("jobs", dlq=False)
        app.on_sqs(jobs, **settings)(handler)  # <- range-sqs
        marker = "range-sqs"
    else:
        app.on_dynamodb_stream(table, **settings)(handler)  # <- range-stream
        marker = "range-stream"
    check(only(app, "range"), marker, expected)


# names


def test_app_and_resource_names_that_aws_would_refuse() -> None:
    app = App("Shop_Service")  # <- app-name
    app.bucket("Uploads")  # <- bucket-name
    app.queue("has space", dlq=False)  # <- queue-name
    app.function(name="x" * 60)(handler)  # <- function-name
    found = problems(build([app]))
    assert [p.rule for p in found] == ["name"] * 4
    check(found[0], "app-name", "App('Shop_Service')", "an app name is a lowercase letter")
    check(found[1], "bucket-name", "bucket name 'Shop_Service-Uploads'")
    check(found[2], "queue-name", "app.queue('has space')")
    check(found[3], "function-name", "@app.function on handler", "1-64")


# schedules and streams


def test_an_invalid_schedule_expression() -> None:
    app = App("svc")
    app.schedule("nightly", "rate(1 days)")  # <- schedule
    app.on_schedule("every 5 minutes")(handler)  # <- bare-schedule
    found = problems(build([app]))
    assert [p.rule for p in found] == ["schedule", "schedule"]
    check(found[0], "schedule", "app.schedule('nightly')", "'rate(1 days)'")
    check(found[1], "bare-schedule", "'every 5 minutes'")


def test_stream_trigger_on_a_table_without_a_stream() -> None:
    app = App("svc")
    table = app.table("t", partition_key=Key("id"))
    app.on_dynamodb_stream(table)(handler)  # <- no-stream
    check(only(app, "stream"), "no-stream", "@app.on_dynamodb_stream", "table 't' has no stream")


def test_unknown_stream_view_and_starting_position() -> None:
    app = App("svc")
    table = app.table("t", partition_key=Key("id"), stream="NEW")  # <- view
    app.on_dynamodb_stream(table, starting_position="AT_TIMESTAMP")(handler)  # <- position
    found = problems(build([app]))
    assert [p.rule for p in found] == ["stream", "stream"]
    check(found[0], "view", "stream is 'NEW'")
    check(found[1], "position", "starting_position is 'AT_TIMESTAMP'")


# one mapping per source and function


def test_two_s3_triggers_through_one_queue_are_one_mapping() -> None:
    app = App("svc")
    jobs = app.queue("jobs")
    app.on_s3(app.bucket("a"), via=jobs)(app.on_s3(app.bucket("b"), via=jobs)(handler))
    graph = build([app])
    assert problems(graph) == []
    mappings = [e for e in graph.edges if e.kind == "mapping"]
    assert [(e.source, e.target) for e in mappings] == [("svc/queue/jobs", "svc/function/handler")]
    assert len([e for e in graph.edges if e.kind == "notification"]) == 2


def test_one_queue_triggering_a_function_twice_with_other_settings() -> None:
    app = App("svc")
    jobs = app.queue("jobs")
    app.on_s3(app.bucket("a"), via=jobs)(handler)
    app.on_sqs(jobs, batch_size=5)(handler)  # <- twice
    problem = only(app, "duplicate-mapping")
    check(
        problem,
        "twice",
        "@app.on_sqs on handler",
        "queue 'jobs' already triggers function 'handler' with other settings (batch_size=10,",
        "one event source mapping per source and function",
    )
