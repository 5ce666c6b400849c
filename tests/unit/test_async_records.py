"""Invocation records and dead-letter messages, compared with AWS's own samples.

Samples (sources in ``samples/README.md``):

- ``lambda_destination_retries_exhausted.json``: the *Example invocation record* of
  https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
- ``lambda_destination_success.json``: the success record of the AWS CDK
  ``aws-lambda-destinations`` README,
  https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_destinations-readme.html
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from gearbox.local.sinks.decisions import Condition
from gearbox.local.sinks.records import (
    LastResponse,
    dead_letter_attributes,
    detail_type,
    error_message,
    invocation_record,
    qualified,
    timestamp,
)

SAMPLES = Path(__file__).parent / "samples"


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((SAMPLES / name).read_text()))


def epoch(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def unqualified(arn: str) -> str:
    return arn.rsplit(":", 1)[0]


def test_retries_exhausted_record_matches_the_aws_sample() -> None:
    expected = sample("lambda_destination_retries_exhausted.json")
    context = expected["requestContext"]
    record = invocation_record(
        request_id=context["requestId"],
        function_arn=unqualified(context["functionArn"]),
        condition=Condition.RETRIES_EXHAUSTED,
        approximate_invoke_count=3,
        request_payload=json.dumps(expected["requestPayload"]).encode(),
        response=LastResponse(json.dumps(expected["responsePayload"]).encode(), "Unhandled"),
        now=epoch(expected["timestamp"]),
    )
    assert record == expected
    assert list(record) == list(expected)
    assert list(record["requestContext"]) == list(context)
    assert list(record["responseContext"]) == list(expected["responseContext"])


def test_success_record_matches_the_aws_sample() -> None:
    expected = sample("lambda_destination_success.json")
    context = expected["requestContext"]
    record = invocation_record(
        request_id=context["requestId"],
        function_arn=unqualified(context["functionArn"]),
        condition=Condition.SUCCESS,
        approximate_invoke_count=1,
        request_payload=b'{"Success": true}',
        response=LastResponse(json.dumps(expected["responsePayload"]).encode(), None),
        now=epoch(expected["timestamp"]),
    )
    assert record == expected
    assert list(record) == list(expected)


def test_a_record_without_a_run_has_no_response() -> None:
    record = invocation_record(
        request_id="r-1",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        condition=Condition.EVENT_AGE_EXCEEDED,
        approximate_invoke_count=0,
        request_payload=b'{"a": 1}',
        response=None,
        now=1_767_225_600.0,
    )
    assert record == {
        "version": "1.0",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "requestContext": {
            "requestId": "r-1",
            "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
            "condition": "EventAgeExceeded",
            "approximateInvokeCount": 0,
        },
        "requestPayload": {"a": 1},
    }


def test_a_null_response_is_kept_as_null() -> None:
    record = invocation_record(
        request_id="r",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        condition=Condition.SUCCESS,
        approximate_invoke_count=1,
        request_payload=b"{}",
        response=LastResponse(b"null", None),
        now=0.0,
    )
    assert "responsePayload" in record
    assert record["responsePayload"] is None


def test_timestamps_have_milliseconds_and_z() -> None:
    assert timestamp(1_573_755_365.568) == "2019-11-14T18:16:05.568Z"
    assert timestamp(1_767_225_600.0) == "2026-01-01T00:00:00.000Z"
    assert timestamp(1_767_225_600.9996) == "2026-01-01T00:00:01.000Z"


def test_function_arns_are_qualified_with_latest_once() -> None:
    arn = "arn:aws:lambda:us-east-1:123456789012:function:f"
    assert qualified(arn) == f"{arn}:$LATEST"
    assert qualified(f"{arn}:$LATEST") == f"{arn}:$LATEST"


def test_dead_letter_attributes() -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html,
    "Dead-letter queue message attributes": RequestID, ErrorCode, ErrorMessage (first 1 KB)."""
    attributes = dead_letter_attributes("r-1", 200, "é" * 1000)
    assert list(attributes) == ["RequestID", "ErrorCode", "ErrorMessage"]
    assert attributes["RequestID"] == "r-1"
    assert attributes["ErrorCode"] == "200"
    assert len(attributes["ErrorMessage"].encode()) == 1024
    assert attributes["ErrorMessage"] == "é" * 512


def test_error_message_of_lambda_error_json() -> None:
    assert error_message(b'{"errorMessage": "boom", "errorType": "ValueError"}') == "boom"
    assert error_message(b"not json") == "not json"


def test_eventbridge_detail_types() -> None:
    assert detail_type({"requestContext": {"condition": "Success"}}) == (
        "Lambda Function Invocation Result - Success"
    )
    assert detail_type({"requestContext": {"condition": "RetriesExhausted"}}) == (
        "Lambda Function Invocation Result - Failure"
    )
