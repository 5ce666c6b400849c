"""``build``: the apps' specs become sorted resources, functions and edges."""

from __future__ import annotations

from typing import Any

from gearbox.app import App, Key
from gearbox.graph import Edge, build


def shop() -> tuple[App, App]:
    app = App("shop")
    billing = App("billing")
    uploads = app.bucket("uploads")
    jobs = app.queue("jobs", visibility_timeout=60, max_receive_count=5)
    topic = app.topic("events")
    table = app.table("meta", partition_key=Key("id"), stream="NEW_IMAGE")
    failures = app.queue("failures", dlq=False)
    invoices = app.ref_queue("billing", "invoices")
    billing.queue("invoices", dlq=False)

    @app.on_s3(uploads, prefix="in/", via=jobs)
    @app.function(timeout=30, environment={"TABLE": table, "OUT": invoices, "MODE": "x"})
    def extract(event: Any, context: Any) -> None:
        return None

    @app.on_s3(uploads, suffix=".pdf")
    @app.on_sns(topic, filter_policy={"k": ["v"]})
    @app.on_dynamodb_stream(table, on_failure=failures)
    @app.on_schedule("rate(1 hour)")
    @app.function(on_success=extract, on_failure=topic)
    def audit(event: Any, context: Any) -> None:
        return None

    return app, billing


def test_nodes_have_ids_physical_names_and_their_specs() -> None:
    app, billing = shop()
    graph = build([app, billing])
    assert [r.id for r in graph.resources] == [
        "billing/queue/invoices",
        "shop/bucket/uploads",
        "shop/queue/failures",
        "shop/queue/jobs",
        "shop/queue/jobs-dlq",
        "shop/schedule/audit-schedule",
        "shop/table/meta",
        "shop/topic/events",
    ]
    assert [f.id for f in graph.functions] == ["shop/function/audit", "shop/function/extract"]
    jobs = graph.resource("shop/queue/jobs")
    assert jobs is not None and jobs.physical == "shop-jobs" and jobs.kind == "queue"
    extract = graph.function("shop/function/extract")
    assert extract is not None and extract.physical == "shop-extract"
    assert extract.spec.timeout == 30
    assert graph.apps == ("billing", "shop")
    assert [r.kind for r in graph.refs] == ["queue", "function"]  # on_success=extract


def test_every_trigger_destination_dlq_and_environment_value_is_an_edge() -> None:
    app, billing = shop()
    graph = build([app, billing])

    def find(kind: str, source: str, target: str) -> Edge:
        [edge] = [e for e in graph.edges if (e.kind, e.source, e.target) == (kind, source, target)]
        return edge

    dlq = find("dlq", "shop/queue/jobs", "shop/queue/jobs-dlq")
    assert dlq.settings == {"max_receive_count": 5}
    notify = find("notification", "shop/bucket/uploads", "shop/queue/jobs")
    assert notify.settings == {"events": ["s3:ObjectCreated:*"], "prefix": "in/", "suffix": ""}
    assert find("mapping", "shop/queue/jobs", "shop/function/extract").settings == {
        "batch_size": 10,
        "window": 0,
        "partial_failures": True,
        "max_concurrency": None,
    }
    direct = find("notification", "shop/bucket/uploads", "shop/function/audit")
    assert direct.settings["suffix"] == ".pdf"
    sub = find("subscription", "shop/topic/events", "shop/function/audit")
    assert sub.settings == {
        "filter_policy": '{"k":["v"]}',
        "filter_scope": "MessageAttributes",
        "raw": False,
    }
    stream = find("stream", "shop/table/meta", "shop/function/audit")
    assert stream.settings["starting_position"] == "LATEST"
    stream_failure = find("destination", "shop/function/audit", "shop/queue/failures")
    assert stream_failure.settings == {"on": "stream-failure", "mapping": "shop/table/meta"}
    assert find("destination", "shop/function/audit", "shop/function/extract").settings == {
        "on": "success"
    }
    assert find("destination", "shop/function/audit", "shop/topic/events").settings == {
        "on": "failure"
    }
    assert find("schedule", "shop/schedule/audit-schedule", "shop/function/audit").settings == {
        "input": None
    }
    env = [e for e in graph.edges if e.kind == "environment"]
    assert {(e.target, e.settings["variable"]) for e in env} == {
        ("shop/table/meta", "TABLE"),
        ("billing/queue/invoices", "OUT"),
    }


def test_the_same_apps_build_an_equal_graph_with_sorted_edges() -> None:
    first, second = build(shop()), build(shop())
    assert [e.sort_key() for e in first.edges] == sorted(e.sort_key() for e in first.edges)
    assert [(e.kind, e.source, e.target, e.settings) for e in first.edges] == [
        (e.kind, e.source, e.target, e.settings) for e in second.edges
    ]
    assert [r.id for r in first.resources] == [r.id for r in second.resources]


def test_a_dangling_reference_still_becomes_an_edge_to_the_id_it_names() -> None:
    app = App("shop")
    missing = app.ref_queue("billing", "nope")

    @app.on_sqs(missing)
    def handler(event: Any, context: Any) -> None:
        return None

    graph = build([app])
    [edge] = graph.edges
    assert (edge.source, edge.target) == ("billing/queue/nope", "shop/function/handler")
    assert not graph.has("billing/queue/nope")
