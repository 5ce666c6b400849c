"""The journal, read as ``gearbox dev`` reads it: ``GET /_gearbox/journal`` on the edge."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest

from gearbox.clock import ManualClock
from gearbox.local.cloud import LocalCloud
from tests.functional.lambda_helpers import allow_invoke, create_function
from tests.functional.sqs_helpers import arn_of, counts
from tests.waiting import wait_for

FAILS = """
def handler(event, context):
    raise ValueError("bad object")
"""
ECHO = """
def handler(event, context):
    return event
"""


@pytest.fixture
def lam(client: Any) -> Any:
    return client("lambda")


def journal(cloud: LocalCloud, after: int = 0) -> list[dict[str, Any]]:
    url = f"{cloud.endpoint_url}/_gearbox/journal?after={after}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return list(json.load(response)["entries"])


def test_sync_invocations_are_journaled_cold_then_warm(cloud: LocalCloud, lam: Any) -> None:
    create_function(lam, "echo", ECHO)
    lam.invoke(FunctionName="echo", Payload=b'{"a": 1}')
    lam.invoke(FunctionName="echo", Payload=b'{"a": 2}')
    first, second = [e for e in journal(cloud) if e["kind"] == "invocation"]
    assert first["function"] == "echo"
    assert first["trigger"] == "invoke"
    assert first["outcome"] == "ok"
    assert first["cold"] is True
    assert first["init_ms"] > 0
    assert second["cold"] is False
    assert second["id"] > first["id"]
    assert journal(cloud, after=second["id"]) == []


def test_failed_deliveries_and_the_dead_letter_are_journaled(
    cloud: LocalCloud, lam: Any, sqs: Any, clock: ManualClock
) -> None:
    dlq = sqs.create_queue(QueueName="work-dlq")["QueueUrl"]
    policy = {"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 2}
    url = sqs.create_queue(
        QueueName="work",
        Attributes={"VisibilityTimeout": "5", "RedrivePolicy": json.dumps(policy)},
    )["QueueUrl"]
    create_function(lam, "fails", FAILS)
    sent = sqs.send_message(QueueUrl=url, MessageBody="doomed")["MessageId"]
    lam.create_event_source_mapping(EventSourceArn=arn_of(sqs, url), FunctionName="fails")
    for _ in range(2):
        wait_for(lambda: counts(sqs, url) == (0, 1, 0))
        time.sleep(0.3)
        clock.advance(6)
    [dead] = wait_for(lambda: [e for e in journal(cloud) if e["kind"] == "dead-letter"])
    assert dead["queue"] == "work"
    assert dead["dead_letter_queue"] == "work-dlq"
    assert dead["message_id"] == sent
    invocations = [e for e in journal(cloud) if e["kind"] == "invocation"]
    assert [(e["trigger"], e["attempt"], e["outcome"]) for e in invocations] == [
        ("sqs:work", 1, "error"),
        ("sqs:work", 2, "error"),
    ]
    assert invocations[0]["error_type"] == "ValueError"
    assert invocations[0]["error_message"] == "bad object"


def test_async_invoke_from_s3_names_its_source(cloud: LocalCloud, lam: Any, client: Any) -> None:
    create_function(lam, "echo", ECHO)
    s3 = client("s3")
    s3.create_bucket(Bucket="uploads")
    arn = lam.get_function(FunctionName="echo")["Configuration"]["FunctionArn"]
    allow_invoke(lam, "echo", "s3.amazonaws.com", "arn:aws:s3:::uploads")
    s3.put_bucket_notification_configuration(
        Bucket="uploads",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    s3.put_object(Bucket="uploads", Key="a.txt", Body=b"hello")
    [entry] = wait_for(lambda: [e for e in journal(cloud) if e["kind"] == "invocation"])
    assert entry["trigger"] == "async:s3"
    assert entry["attempt"] == 1


def test_unknown_internal_route_is_404(cloud: LocalCloud) -> None:
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(f"{cloud.endpoint_url}/_gearbox/nothing", timeout=5)
    assert caught.value.code == 404
