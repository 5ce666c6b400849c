"""``gearbox.graph.names``: the one place names, ids, ARNs and URLs are derived."""

from __future__ import annotations

import pytest

from gearbox.graph.names import (
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    arn,
    environment_value,
    function_name,
    logical_id,
    node_id,
    physical_name,
    queue_url,
)


def test_physical_names_prefix_the_app_and_keep_fifo_at_the_end() -> None:
    assert physical_name("object-metadata", "uploads") == "object-metadata-uploads"
    assert physical_name("shop", "orders.fifo") == "shop-orders.fifo"
    assert function_name("shop", "extract") == "shop-extract"


def test_node_and_logical_ids() -> None:
    assert node_id("shop", "queue", "jobs") == "shop/queue/jobs"
    assert (
        logical_id("object-metadata", "queue", "extract-jobs") == "ObjectMetadataExtractJobsQueue"
    )
    assert logical_id("shop", "queue", "orders.fifo") == "ShopOrdersFifoQueue"
    assert logical_id("shop", "function", "on_dead_letter") == "ShopOnDeadLetterFunction"
    assert logical_id("a1", "table", "x").isalnum()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("bucket", "arn:aws:s3:::shop-x"),
        ("queue", "arn:aws:sqs:eu-west-1:123456789012:shop-x"),
        ("topic", "arn:aws:sns:eu-west-1:123456789012:shop-x"),
        ("table", "arn:aws:dynamodb:eu-west-1:123456789012:table/shop-x"),
        ("schedule", "arn:aws:events:eu-west-1:123456789012:rule/shop-x"),
        ("function", "arn:aws:lambda:eu-west-1:123456789012:function:shop-x"),
    ],
)
def test_arns_follow_each_services_format(kind: str, expected: str) -> None:
    assert arn(kind, "shop-x", "eu-west-1", "123456789012") == expected


def test_queue_url_and_environment_values() -> None:
    endpoint = "http://127.0.0.1:4566/"
    assert queue_url(endpoint, LOCAL_ACCOUNT, "shop-jobs") == (
        "http://127.0.0.1:4566/000000000000/shop-jobs"
    )
    where = {"region": LOCAL_REGION, "account": LOCAL_ACCOUNT, "endpoint": endpoint}
    assert environment_value("queue", "shop-jobs", **where).endswith("/000000000000/shop-jobs")
    assert environment_value("topic", "shop-t", **where) == (
        "arn:aws:sns:us-east-1:000000000000:shop-t"
    )
    for kind in ("bucket", "table", "function", "schedule"):
        assert environment_value(kind, "shop-x", **where) == "shop-x"
