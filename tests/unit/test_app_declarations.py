"""The declaration API: resources, refs and decorators record frozen specs with the caller's
file and line, and hand the handler back unchanged."""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

import pytest

from gearbox.app import (
    App,
    BucketSpec,
    FunctionSpec,
    Index,
    Key,
    Origin,
    Permission,
    QueueSpec,
    RefSpec,
    S3Trigger,
    ScheduleSpec,
    ScheduleTrigger,
    SnsTrigger,
    SqsTrigger,
    StreamTrigger,
)
from gearbox.app.app import collect_apps

HERE = __file__


def line() -> int:
    """The caller's line."""
    return sys._getframe(1).f_lineno


def only(app: App) -> FunctionSpec:
    [spec] = app.functions
    return spec


def without_origin(spec: Any) -> Any:
    return dataclasses.replace(spec, origin=Origin("", 0))


def test_resources_record_their_settings_and_origin_in_declaration_order() -> None:
    app = App("svc")
    bucket, at_bucket = app.bucket("uploads", versioned=True), line()
    topic, at_topic = app.topic("events.fifo", fifo=True), line()
    table, at_table = (
        app.table(
            "meta",
            partition_key=Key("bucket"),
            sort_key=Key("size", "N"),
            indexes=[Index("by-type", Key("content_type"))],
            stream="NEW_AND_OLD_IMAGES",
            ttl_attribute="expires",
        ),
        line(),
    )
    nightly = app.schedule("nightly", "rate(1 day)", input={"b": 1, "a": [2]})

    assert bucket == BucketSpec("svc", "uploads", True, Origin(HERE, at_bucket))
    assert topic.fifo and topic.origin == Origin(HERE, at_topic)
    assert table.indexes == (Index("by-type", Key("content_type")),)
    assert table.sort_key == Key("size", "N")
    assert (table.stream, table.ttl_attribute) == ("NEW_AND_OLD_IMAGES", "expires")
    assert table.origin.file == HERE and at_table - 9 <= table.origin.line <= at_table
    assert nightly.input is not None and json.loads(nightly.input) == {"a": [2], "b": 1}
    assert app.resources == (bucket, topic, table, nightly)
    assert app.functions == ()


def test_queue_defaults_include_a_dead_letter_queue_after_it() -> None:
    app = App("svc")
    jobs, at = app.queue("jobs"), line()
    assert (jobs.visibility_timeout, jobs.retention, jobs.delay) == (30, 345600, 0)
    assert (jobs.fifo, jobs.content_based_deduplication, jobs.max_receive_count) == (
        False,
        False,
        3,
    )
    assert jobs.dlq is not None
    assert jobs.dlq.name == "jobs-dlq"
    assert jobs.dlq.dlq is None
    assert jobs.dlq.retention == 1209600
    assert jobs.dlq.origin == jobs.origin == Origin(HERE, at)
    assert app.resources == (jobs, jobs.dlq)


def test_fifo_queue_gets_a_fifo_dead_letter_queue() -> None:
    app = App("svc")
    orders = app.queue("orders.fifo", fifo=True, content_based_deduplication=True)
    assert orders.dlq is not None
    assert orders.dlq.name == "orders-dlq.fifo"
    assert orders.dlq.fifo and orders.dlq.content_based_deduplication


def test_dlq_opt_out_is_explicit() -> None:
    app = App("svc")
    plain = app.queue("plain", dlq=False, max_receive_count=5)
    assert plain.dlq is None
    assert app.resources == (plain,)


def test_decorators_return_the_handler_unchanged_and_it_stays_callable() -> None:
    app = App("svc")
    jobs = app.queue("jobs")

    def handler(event: Any, context: Any) -> Any:
        return {"got": event}

    decorated = app.on_sqs(jobs)(app.function(timeout=10)(handler))
    assert decorated is handler
    assert handler({"a": 1}, None) == {"got": {"a": 1}}
    assert not hasattr(handler, "__wrapped__")
    assert set(vars(handler)) == set()


def test_function_without_app_function_gets_aws_defaults_and_its_first_line() -> None:
    app = App("svc")
    jobs = app.queue("jobs")
    first = line() + 2

    @app.on_sqs(jobs)
    def on_job(event: Any, context: Any) -> None:
        return None

    spec = only(app)
    assert (spec.name, spec.app, spec.timeout, spec.memory) == ("on-job", "svc", 3, 128)
    assert (spec.retry_attempts, spec.max_event_age, spec.reserved_concurrency) == (2, 21600, None)
    assert (spec.on_success, spec.on_failure, spec.environment) == (None, None, ())
    assert (spec.requirements, spec.extra_permissions) == ((), ())
    assert spec.module == __name__
    assert spec.qualname.endswith("on_job")
    assert spec.handler == f"{__name__}.{spec.qualname}"
    assert spec.file == HERE
    assert spec.origin == Origin(HERE, first)
    assert spec.triggers == (SqsTrigger(jobs, 10, 0, True, None, Origin(HERE, first)),)


def test_function_settings_are_recorded_with_the_decorator_origin() -> None:
    app = App("svc")
    table = app.table("meta", partition_key=Key("id"))
    topic = app.topic("done")
    at = line() + 2

    @app.function(
        timeout=30,
        memory=512,
        environment={"TABLE_NAME": table, "MODE": "fast"},
        reserved_concurrency=5,
        retry_attempts=0,
        max_event_age=600,
        on_success=topic,
        requirements=["Pillow", "pypdf"],
        extra_permissions=[Permission(("s3:GetObject",), ("arn:aws:s3:::x/*", table))],
        name="custom",
    )
    def handler(event: Any, context: Any) -> None:
        return None

    spec = only(app)
    assert spec.name == "custom"
    assert spec.origin == Origin(HERE, at)
    assert (spec.timeout, spec.memory, spec.reserved_concurrency) == (30, 512, 5)
    assert (spec.retry_attempts, spec.max_event_age) == (0, 600)
    assert spec.environment == (("TABLE_NAME", table), ("MODE", "fast"))
    assert spec.on_success == topic
    assert spec.requirements == ("Pillow", "pypdf")
    assert spec.extra_permissions[0].resources == ("arn:aws:s3:::x/*", table)
    assert spec.triggers == ()


def stack(app: App, order: str) -> Any:
    jobs = app.queue("jobs", visibility_timeout=60)
    topic = app.topic("t")

    def handler(event: Any, context: Any) -> None:
        return None

    decorators = {
        "f": app.function(timeout=20),
        "q": app.on_sqs(jobs, batch_size=5),
        "t": app.on_sns(topic, filter_policy={"k": ["v"]}),
    }
    for key in reversed(order):  # the last listed is the innermost, applied first
        decorators[key](handler)
    return only(app)


@pytest.mark.parametrize("order", ["fqt", "qft", "tqf", "qtf"])
def test_decorators_stack_in_any_order(order: str) -> None:
    spec = stack(App("svc"), order)
    assert spec.timeout == 20
    kinds = sorted(type(t).__name__ for t in spec.triggers)
    assert kinds == ["SnsTrigger", "SqsTrigger"]
    reference = stack(App("svc"), "fqt")
    assert {without_origin(t) for t in spec.triggers} == {
        without_origin(t) for t in reference.triggers
    }


def test_triggers_are_listed_in_source_order() -> None:
    app = App("svc")
    a, b = app.queue("a"), app.queue("b")

    @app.on_sqs(a)
    @app.on_sqs(b)
    def handler(event: Any, context: Any) -> None:
        return None

    assert [t.queue for t in only(app).triggers if isinstance(t, SqsTrigger)] == [a, b]


def test_all_trigger_kinds_record_their_settings() -> None:
    app = App("svc")
    bucket, jobs, topic = app.bucket("b"), app.queue("jobs"), app.topic("t")
    table = app.table("tb", partition_key=Key("id"), stream="NEW_IMAGE")
    nightly = app.schedule("nightly", "cron(0 3 * * ? *)")

    @app.on_s3(bucket, events=["s3:ObjectRemoved:*"], prefix="in/", suffix=".jpg", via=jobs)
    @app.on_sns(topic, filter_policy='{"a": ["b"]}', filter_scope="MessageBody", raw=True)
    @app.on_dynamodb_stream(
        table,
        starting_position="TRIM_HORIZON",
        batch_size=5,
        bisect_on_error=True,
        max_retries=2,
        max_record_age=120,
        on_failure=jobs,
    )
    @app.on_schedule(nightly)
    def handler(event: Any, context: Any) -> None:
        return None

    s3, sns, stream, schedule = only(app).triggers
    assert isinstance(s3, S3Trigger)
    assert (s3.bucket, s3.events, s3.prefix, s3.suffix, s3.via) == (
        bucket,
        ("s3:ObjectRemoved:*",),
        "in/",
        ".jpg",
        jobs,
    )
    assert isinstance(sns, SnsTrigger)
    assert (sns.filter_policy, sns.filter_scope, sns.raw) == ('{"a": ["b"]}', "MessageBody", True)
    assert stream == StreamTrigger(table, "TRIM_HORIZON", 5, True, 2, 120, jobs, stream.origin)
    assert schedule == ScheduleTrigger(nightly, schedule.origin)


def test_on_s3_defaults_to_object_created_direct() -> None:
    app = App("svc")
    bucket = app.bucket("b")

    @app.on_s3(bucket)
    def handler(event: Any, context: Any) -> None:
        return None

    [trigger] = only(app).triggers
    assert isinstance(trigger, S3Trigger)
    assert (trigger.events, trigger.prefix, trigger.suffix, trigger.via) == (
        ("s3:ObjectCreated:*",),
        "",
        "",
        None,
    )


def test_filter_policy_dict_is_recorded_as_json_text() -> None:
    app = App("svc")
    topic = app.topic("t")

    @app.on_sns(topic, filter_policy={"store": ["a"], "price": [{"numeric": [">", 0]}]})
    def handler(event: Any, context: Any) -> None:
        return None

    [trigger] = only(app).triggers
    assert isinstance(trigger, SnsTrigger) and trigger.filter_policy is not None
    assert json.loads(trigger.filter_policy) == {
        "store": ["a"],
        "price": [{"numeric": [">", 0]}],
    }


def test_bare_schedule_expression_creates_a_schedule_named_after_the_function() -> None:
    app = App("svc")
    at = line() + 3

    @app.function(name="sweeper")
    @app.on_schedule("rate(5 minutes)")
    def sweep(event: Any, context: Any) -> None:
        return None

    [trigger] = only(app).triggers
    assert isinstance(trigger, ScheduleTrigger)
    assert trigger.schedule == ScheduleSpec(
        "svc", "sweeper-schedule", "rate(5 minutes)", None, Origin(HERE, at)
    )


def test_environment_values_may_be_text_resources_refs_or_handlers() -> None:
    app = App("svc")
    bucket, queue = app.bucket("b"), app.queue("q")
    other = app.ref_table("billing", "invoices")

    @app.function(name="next-step")
    def step(event: Any, context: Any) -> None:
        return None

    @app.function(environment={"B": bucket, "Q": queue, "T": other, "NEXT": step, "X": "y"})
    def first(event: Any, context: Any) -> None:
        return None

    spec = next(f for f in app.functions if f.name == "first")
    env = dict(spec.environment)
    assert (env["B"], env["Q"], env["T"], env["X"]) == (bucket, queue, other, "y")
    assert env["NEXT"] == RefSpec("svc", "svc", "function", "next-step", spec.origin)


def test_a_handler_destination_becomes_a_function_reference() -> None:
    app = App("svc")

    @app.function(on_failure=lambda event, context: None)
    def undeclared_target(event: Any, context: Any) -> None:
        return None

    @app.function()
    def recorder(event: Any, context: Any) -> None:
        return None

    @app.function(on_success=recorder)
    def worker(event: Any, context: Any) -> None:
        return None

    specs = {f.name: f for f in app.functions}
    worker_spec = specs["worker"]
    assert worker_spec.on_success == RefSpec(
        "svc", "svc", "function", "recorder", worker_spec.origin
    )
    failure = specs["undeclared-target"].on_failure
    assert isinstance(failure, RefSpec) and failure.name == "<lambda>"


def test_refs_are_recorded_and_usable_as_trigger_sources() -> None:
    app = App("svc")
    refs = [
        app.ref_bucket("a", "b"),
        app.ref_queue("a", "q"),
        app.ref_topic("a", "t"),
        app.ref_table("a", "tb"),
        app.ref_function("a", "f"),
    ]
    assert [r.kind for r in refs] == ["bucket", "queue", "topic", "table", "function"]
    assert all(r.app == "svc" and r.target_app == "a" for r in refs)
    assert app.refs == tuple(refs)

    @app.on_sqs(refs[1])
    def handler(event: Any, context: Any) -> None:
        return None

    [trigger] = only(app).triggers
    assert isinstance(trigger, SqsTrigger) and trigger.queue == refs[1]


def test_wrong_kinds_are_refused_at_once_with_the_line() -> None:
    app = App("svc")
    topic = app.topic("t")
    with pytest.raises(TypeError, match=rf"{HERE}:\d+: expected a queue, got TopicSpec"):
        app.on_sqs(topic)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="reference to a topic"):
        app.on_sqs(app.ref_topic("x", "t"))
    with pytest.raises(TypeError, match="expected a bucket"):
        app.on_s3(topic)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="cannot use a int as an environment value"):

        @app.function(environment={"N": 5})  # type: ignore[dict-item]
        def handler(event: Any, context: Any) -> None:
            return None

        _ = app.functions


def test_app_function_twice_on_one_handler_is_refused() -> None:
    app = App("svc")
    with pytest.raises(TypeError, match="already applied"):

        @app.function(timeout=5)
        @app.function(timeout=6)
        def handler(event: Any, context: Any) -> None:
            return None


def test_specs_are_frozen_and_slotted() -> None:
    app = App("svc")
    queue = app.queue("q")
    with pytest.raises(dataclasses.FrozenInstanceError):
        queue.name = "other"  # type: ignore[misc]
    assert not hasattr(queue, "__dict__")
    assert isinstance(queue, QueueSpec)


def test_collect_apps_sees_every_app_created_inside() -> None:
    before = App("outside")
    with collect_apps() as apps:
        a, b = App("a"), App("b")
    assert apps == [a, b]
    assert before not in apps
    assert a.origin.file == HERE
