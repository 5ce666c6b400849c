"""Requests as boto3 builds them (botocore's serializers, never sent), seen by the edge."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.awsrequest
import pytest

from gearbox.local.edge.chain import Exchange
from gearbox.local.edge.messages import Request
from gearbox.local.edge.operations import resolve
from gearbox.local.edge.scope import credential_scope

REGION = "us-east-1"
ENDPOINT = "http://127.0.0.1:4566"


class _Sent(Exception):
    """Raised instead of sending: the request is captured, never sent."""


def exchange_of(service: str, operation: str, **params: Any) -> Exchange:
    """The edge's view of the request boto3 would send for ``operation``."""
    client = boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id="AKID",
        aws_secret_access_key="s",
    )
    captured: list[botocore.awsrequest.AWSPreparedRequest] = []

    def capture(request: botocore.awsrequest.AWSPreparedRequest, **_: Any) -> Any:
        captured.append(request)
        raise _Sent

    client.meta.events.register("before-send", capture)
    with pytest.raises(_Sent):
        getattr(client, operation)(**params)
    prepared = captured[0]
    url = urlsplit(prepared.url)
    body = prepared.body or b""
    request = Request(
        method=prepared.method,
        path=url.path or "/",
        query_string=url.query,
        headers=tuple(
            (k, v.decode() if isinstance(v, bytes) else v) for k, v in prepared.headers.items()
        ),
        body=body
        if isinstance(body, bytes)
        else body.encode()
        if isinstance(body, str)
        else body.read(),
    )
    exchange = Exchange(request=request, default_region=REGION)
    scope = credential_scope(request)
    assert scope is not None
    exchange.service, exchange.region = scope.service, scope.region
    exchange.operation, exchange.path_params = resolve(request, scope.service)
    return exchange
