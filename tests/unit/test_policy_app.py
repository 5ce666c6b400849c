"""App-mode policies: the code's calls scoped through the declaration's bindings, plus what
the graph's triggers, destinations and logs need, plus extra_permissions; and the reference
service's policies, saved, with no ``*`` resource and nothing parliament objects to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from parliament import analyze_policy_string

from gearbox.dev.session import load_graph
from gearbox.policy.app import app_policies
from tests.unit.object_metadata_paths import EXAMPLE

HERE = Path(__file__).parent
ACCOUNT, REGION = "123456789012", "us-east-1"


def statements(document: dict[str, Any]) -> dict[str, tuple[list[str], Any]]:
    return {s["Sid"]: (s["Action"], s["Resource"]) for s in document["Statement"]}


@pytest.fixture(scope="module")
def small() -> dict[str, Any]:
    graph = load_graph(HERE / "apps" / "policy_app.py")
    return {n: p.policy.document for n, p in app_policies(graph, ACCOUNT, REGION).items()}


def test_event_named_bucket_is_scoped_to_the_triggering_bucket(small: dict[str, Any]) -> None:
    found = statements(small["pol-resize"])
    assert found["S3ObjectPolPhotos"] == (["s3:GetObject"], "arn:aws:s3:::pol-photos/*")
    assert found["DynamodbTablePolAudit"] == (
        ["dynamodb:PutItem"],
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/pol-audit",
    )
    assert found["DestinationPolQueueDead"] == (
        ["sqs:SendMessage"],
        f"arn:aws:sqs:{REGION}:{ACCOUNT}:pol-dead",
    )
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/pol-resize"
    assert found["Logs"][1] == [group, f"{group}:*"]


def test_stream_trigger_reads_the_stream_and_extra_permissions_are_kept(
    small: dict[str, Any],
) -> None:
    found = statements(small["pol-ship"])
    assert found["TriggerStreamPolTableOrders"] == (
        [
            "dynamodb:DescribeStream",
            "dynamodb:GetRecords",
            "dynamodb:GetShardIterator",
            "dynamodb:ListStreams",
        ],
        f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/pol-orders/stream/*",
    )
    assert found["DestinationPolQueueDead"][0] == ["sqs:SendMessage"]  # the stream's on-failure
    assert found["Extra1"] == (["kms:Decrypt"], f"arn:aws:kms:{REGION}:{ACCOUNT}:key/k1")


def test_a_function_pushed_to_needs_only_its_logs(small: dict[str, Any]) -> None:
    assert set(statements(small["pol-noted"])) == {"Logs"}


def test_reference_service_policies_are_saved_scoped_and_clean() -> None:
    graph = load_graph(EXAMPLE)
    policies = {n: p.policy.document for n, p in app_policies(graph, ACCOUNT, REGION).items()}
    saved = json.loads((HERE / "expected" / "object_metadata.policies.json").read_text())
    assert policies == saved
    for name, document in policies.items():
        for statement in document["Statement"]:
            assert statement["Resource"] != "*", (name, statement)
        findings = analyze_policy_string(json.dumps(document)).findings
        assert findings == [], (name, [(f.issue, f.detail) for f in findings])


def _fed_twice(event: Any, context: Any) -> None:
    return None


def test_a_resource_named_twice_gets_one_statement() -> None:
    from gearbox.app import App, Key
    from gearbox.graph import build

    app = App("twice")
    jobs, dead = app.queue("jobs"), app.queue("dead")
    orders = app.table("orders", partition_key=Key("id"), stream="NEW_IMAGE")
    fed = app.function(on_failure=dead)(_fed_twice)  # the function's and the stream's on-failure
    app.on_dynamodb_stream(orders, on_failure=dead)(fed)
    app.on_s3(app.bucket("a"), via=jobs)(app.on_s3(app.bucket("b"), via=jobs)(fed))
    [policy] = app_policies(build([app]), ACCOUNT, REGION).values()
    sids = [s["Sid"] for s in policy.policy.document["Statement"]]
    assert len(sids) == len(set(sids))
    assert {"TriggerQueueTwiceQueueJobs", "DestinationTwiceQueueDead"} <= set(sids)
