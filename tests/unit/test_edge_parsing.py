"""Credential scope and operation resolution, on requests built by hand."""

from __future__ import annotations

import pytest

from gearbox.local.edge.messages import Request
from gearbox.local.edge.operations import resolve_operation
from gearbox.local.edge.scope import credential_scope

AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/eu-west-1/s3/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


def request(
    method: str = "GET",
    path: str = "/",
    query: str = "",
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
) -> Request:
    return Request(method=method, path=path, query_string=query, headers=headers, body=body)


def test_scope_from_authorization_header() -> None:
    scope = credential_scope(request(headers=(("Authorization", AUTH),)))
    assert scope is not None
    assert (scope.access_key, scope.region, scope.service) == ("AKIDEXAMPLE", "eu-west-1", "s3")


def test_scope_from_presigned_url() -> None:
    query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDP%2F20261126%2Fus-west-2"
        "%2Fs3%2Faws4_request&X-Amz-Signature=x"
    )
    scope = credential_scope(request(query=query))
    assert scope is not None
    assert (scope.access_key, scope.region, scope.service) == ("AKIDP", "us-west-2", "s3")


@pytest.mark.parametrize("auth", ["", "AWS AKID:sig", "AWS4-HMAC-SHA256 Credential=short"])
def test_no_scope(auth: str) -> None:
    assert credential_scope(request(headers=(("Authorization", auth),))) is None


def test_operation_from_target_and_action() -> None:
    target = request("POST", headers=(("X-Amz-Target", "AmazonSQS.SendMessage"),))
    assert resolve_operation(target, "sqs") == "SendMessage"
    form = request(
        "POST",
        headers=(("Content-Type", "application/x-www-form-urlencoded"),),
        body=b"Action=Publish&TopicArn=x",
    )
    assert resolve_operation(form, "sns") == "Publish"
    assert resolve_operation(request(query="Action=GetCallerIdentity"), "sts") == (
        "GetCallerIdentity"
    )


@pytest.mark.parametrize(
    ("service", "method", "path", "query", "operation"),
    [
        ("s3", "GET", "/bucket", "list-type=2", "ListObjectsV2"),
        ("s3", "GET", "/bucket", "", "ListObjects"),
        ("s3", "PUT", "/bucket", "", "CreateBucket"),
        ("s3", "PUT", "/bucket/some/key.txt", "", "PutObject"),
        ("s3", "PUT", "/bucket/copy", "", "PutObject"),
        ("s3", "GET", "/bucket/key", "", "GetObject"),
        ("s3", "HEAD", "/bucket/key", "", "HeadObject"),
        ("s3", "POST", "/bucket/key", "uploads", "CreateMultipartUpload"),
        ("s3", "PUT", "/bucket", "notification", "PutBucketNotificationConfiguration"),
        ("lambda", "POST", "/2015-03-31/functions/fn/invocations", "", "Invoke"),
        ("lambda", "GET", "/2015-03-31/functions/", "", "ListFunctions"),
    ],
)
def test_rest_operations_from_botocore_routes(
    service: str, method: str, path: str, query: str, operation: str
) -> None:
    assert resolve_operation(request(method, path, query), service) == operation


def test_unknown_service_has_no_operation() -> None:
    assert resolve_operation(request("GET", "/x"), "nosuchservice") is None


def test_required_headers_tell_operations_apart() -> None:
    copy = request("PUT", "/bucket/key", headers=(("x-amz-copy-source", "/other/key"),))
    assert resolve_operation(copy, "s3") == "CopyObject"
    assert resolve_operation(request("GET", "/"), "s3") == "ListBuckets"


def test_required_query_parameters_tell_operations_apart() -> None:
    assert resolve_operation(request("DELETE", "/bucket/key"), "s3") == "DeleteObject"
    abort = request("DELETE", "/bucket/key", "uploadId=abc")
    assert resolve_operation(abort, "s3") == "AbortMultipartUpload"
    assert resolve_operation(request("PUT", "/bucket/key"), "s3") == "PutObject"
    part = request("PUT", "/bucket/key", "partNumber=1&uploadId=abc")
    assert resolve_operation(part, "s3") == "UploadPart"
