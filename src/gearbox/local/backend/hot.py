"""The two hottest writes of an event-driven app, answered over moto's models without moto's
request layer: S3 PutObject and DynamoDB PutItem in their plain shapes.

Why this exists: in the reference pipeline (upload -> S3 -> SQS -> function -> DynamoDB), each
event costs one PutObject and one PutItem, and moto's generic request layer around its models
(``BaseResponse.setup_class``: URL and region parsing, form parsing, parameter parsing by the
botocore model; the response serializer; ``_enrich_response``) was about half of the local
cloud's CPU per event (py-spy on ``bench/pipeline.py``). With only two cores, that CPU is
what the uploader waits for.

What it does: it takes a request only when every part of it is one this module knows how moto
reads, and then does exactly what moto's handler does for such a request, calling moto's own
model and helpers in the same order: ``S3Backend.put_object``, ``metadata_from_headers``,
``put_object_tagging``; DynamoDB's put validators and ``DynamoDBBackend.put_item``; moto's
account lookup, ``mark_account_as_visited``, its request counter and its request-id generator
(so moto's seeded random sequence advances alike). The answer's status, headers (names, order)
and body are the ones moto's server gives. ``tests/functional/test_moto_hot.py`` runs series
of requests through this path and through moto's Flask apps and compares every answer and the
state read back after.

What it declines (``answer`` returns None and moto's handler runs, unchanged):

- PutObject with a query string, a header outside ``_S3_HEADERS`` (ACLs, tagging, storage
  class, encryption, object lock, conditional writes, copy, website redirect, ``Origin``),
  a streaming (``aws-chunked``) body, a form content type, a checksum algorithm without its
  value, a host moto would read a bucket name from, or a bucket that is missing or has a
  policy, object lock or access logging;
- PutItem with any parameter beyond ``TableName`` and ``Item``, binary attributes (moto's
  parser decodes their base64), a malformed attribute value, a missing table, or an item any
  of moto's validators refuses (moto then gives its error);
- a request not signed with SigV4 for ``s3`` or ``dynamodb`` (another REST service's PUT
  can look like a bucket and a key);
- everything while moto's own IAM enforcement or its request recorder is switched on.

Nothing is changed before the last check passes, so a declined request leaves no trace.

Where it differs from AWS: nowhere moto does not already (the answers are moto's).
"""

from __future__ import annotations

import binascii
import json
import os
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import JsonRESTError
from moto.core.responses import BaseResponse
from moto.core.utils import extract_region_from_aws_authorization
from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.responses import (
    validate_put_has_empty_attrs,
    validate_put_has_empty_keys,
    validate_put_has_gsi_keys_set_to_none,
)
from moto.iam.models import get_account_id_from, mark_account_as_visited
from moto.moto_api import recorder
from moto.s3.models import s3_backends
from moto.s3.responses import DEFAULT_REGION_NAME
from moto.s3.utils import metadata_from_headers
from moto.utilities.aws_headers import gen_amzn_requestid_long
from moto.utilities.utils import get_partition

from gearbox.local.edge.messages import Request, Response

_CORS_ALWAYS = ("Access-Control-Allow-Origin", "*")
_EMPTY_HTML = (("Content-Type", "text/html; charset=utf-8"), ("Content-Length", "0"))
_PUT_ITEM_TARGET = "DynamoDB_20120810.PutItem"

# Headers moto's PutObject handler reads only as the plain case reads them (or not at all).
_S3_HEADERS = frozenset(
    {
        "host",
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
        "expect",
        "content-length",
        "content-type",
        "content-md5",
        "content-language",
        "content-disposition",
        "cache-control",
        "expires",
        "authorization",
        "x-amz-date",
        "x-amz-content-sha256",
        "x-amz-security-token",
        "amz-sdk-invocation-id",
        "amz-sdk-request",
        "x-amz-sdk-checksum-algorithm",
        "x-amz-checksum-crc32",
        "x-amz-checksum-crc32c",
        "x-amz-checksum-crc64nvme",
        "x-amz-checksum-sha1",
        "x-amz-checksum-sha256",
    }
)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# hosts moto reads path-style buckets from (``S3Response.subdomain_based_buckets``)
_PATH_STYLE_HOST = re.compile(r"^(localhost|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})(:\d+)?$")
_SCOPE = re.compile(r"^AWS4-HMAC-SHA256 Credential=[^/,]+/\d{8}/[^/,]+/([^/,]+)/aws4_request")
_SCALAR_TYPES: dict[str, type] = {"S": str, "N": str, "BOOL": bool, "NULL": bool}
_SET_TYPES = ("SS", "NS")


def answer(request: Request) -> Response | None:
    """moto's answer to ``request`` if it is a plain PutObject or PutItem, else None."""
    if request.method not in ("PUT", "POST") or request.query_string or not _moto_plain():
        return None
    service = _signed_for(request)
    if request.method == "PUT" and service == "s3":
        return _put_object(request)
    if (
        request.method == "POST"
        and service == "dynamodb"
        and request.header("x-amz-target") == _PUT_ITEM_TARGET
    ):
        return _put_item(request)
    return None


def _signed_for(request: Request) -> str | None:
    """The service of the request's SigV4 credential scope (other REST services PUT to paths
    that look like a bucket and a key)."""
    found = _SCOPE.search(request.header("authorization"))
    return found.group(1) if found else None


def _moto_plain() -> bool:
    """moto's IAM enforcement and its request recorder are off (the case this path copies)."""
    if ActionAuthenticatorMixin.request_count >= settings.INITIAL_NO_AUTH_ACTION_COUNT:
        return False
    return not recorder._user_enabled


class _Caller:
    """The account and region moto gives a request (``BaseResponse.setup_class``)."""

    def __init__(self, request: Request, region: str, service: str) -> None:
        match = BaseResponse.access_key_regex.search(request.header("authorization"))
        self.access_key = match.group(1) if match else "AKIAEXAMPLE"
        if "MOTO_ACCOUNT_ID" in os.environ:
            self.account = os.environ["MOTO_ACCOUNT_ID"]
        else:
            self.account = get_account_id_from(self.access_key)
        self.region = region
        self.service = service

    def served(self) -> None:
        """What moto records of every request it serves while its enforcement is off: the
        access key's last use, and one more request counted towards enforcement."""
        mark_account_as_visited(self.account, self.access_key, self.service, self.region)
        ActionAuthenticatorMixin.request_count += 1


def _base_region(request: Request) -> str | None:
    """``BaseResponse.get_region_from_url``: the URL, the user agent, then the credential."""
    url = f"http://{request.header('host')}{request.path}"
    if found := BaseResponse.region_regex.search(url):
        return found.group(1)
    if found := BaseResponse.region_from_useragent_regex.search(request.header("user-agent")):
        return found.group(1)
    authorization = request.header("authorization")
    if "AWS4" not in authorization:
        return BaseResponse.default_region
    parts = authorization.split(",")[0].split("/")
    return parts[2] if len(parts) > 2 else None


# S3 PutObject


def _put_object(request: Request) -> Response | None:
    names = _werkzeug_headers(request)
    region = _base_region(request)
    path = request.path
    bucket_name, _, key_part = path[1:].partition("/")
    if names is None or region is None or not bucket_name or not key_part:
        return None
    if path.startswith("//") or "%" in bucket_name or "amazonaws.com" in path:
        return None
    algorithm = names.get("X-Amz-Sdk-Checksum-Algorithm", "")
    checksum_header = f"x-amz-checksum-{algorithm.lower()}"
    checksum = names.get(checksum_header.title(), "") if algorithm else ""
    if algorithm and not checksum:
        return None  # moto looks for it in a trailer, or computes it
    caller = _Caller(request, region, "s3")
    s3_region = extract_region_from_aws_authorization(names.get("Authorization", ""))
    backend = s3_backends[caller.account][get_partition(s3_region or DEFAULT_REGION_NAME)]
    bucket = backend.buckets.get(bucket_name)
    if bucket is None or bucket.policy is not None or bucket.object_lock_enabled:
        return None
    if bucket.logging:
        return None

    # S3Response.put_object for a request without the headers this path declines
    caller.served()
    headers: dict[str, Any] = {}
    if checksum:
        headers[checksum_header] = checksum
    key_name = "/".join(unquote(path).split("/")[2:])
    new_key = backend.put_object(
        bucket_name, key_name, request.body, storage="STANDARD", checksum_value=checksum or None
    )
    new_key.set_metadata(metadata_from_headers(names))
    new_key.set_acl(bucket.acl)
    new_key.website_redirect_location = None
    if algorithm:
        new_key.checksum_algorithm = algorithm
    backend.put_object_tagging(new_key, {})
    headers.update(new_key.response_dict)
    headers.pop("content-length", None)
    gen_amzn_requestid_long(headers)
    return Response(200, (*((k, str(v)) for k, v in headers.items()), *_EMPTY_HTML, _CORS_ALWAYS))


def _werkzeug_headers(request: Request) -> dict[str, str] | None:
    """The request's headers as moto's ``EnvironHeaders`` lists them: werkzeug's title-case
    names, repeated headers joined, in their order; None if a header is one this path does
    not take (names with an underscore included: moto keeps some of those as sent)."""
    names: dict[str, str] = {}
    for name, value in request.headers:
        lower = name.lower()
        if lower not in _S3_HEADERS and not lower.startswith("x-amz-meta-"):
            return None
        if "_" in name:
            return None
        named = name.title()
        if named in names:
            names[named] = f"{names[named]},{value}"
        elif value or lower not in ("content-type", "content-length"):
            names[named] = value
    if not _PATH_STYLE_HOST.match(names.get("Host", "")):
        return None
    if names.get("X-Amz-Content-Sha256", "").startswith("STREAMING"):
        return None
    if names.get("Content-Type", "").lower().startswith(_FORM_TYPES):
        return None
    return names


# DynamoDB PutItem

_PUT_CHECKS: tuple[Callable[[Any, Any], None], ...] = (
    validate_put_has_empty_keys,
    validate_put_has_empty_attrs,
    validate_put_has_gsi_keys_set_to_none,
)


def _put_item(request: Request) -> Response | None:
    put = _plain_put(request)
    region = _base_region(request)
    if put is None or region is None:
        return None
    name, item = put
    caller = _Caller(request, region, "dynamodb")
    try:
        backend = dynamodb_backends[caller.account][caller.region]
    except KeyError:  # a region moto does not know: its own path answers
        return None
    table = backend.tables.get(name)
    if table is None:
        return None
    # DynamoHandler.put_item without ReturnValues, conditions or ReturnConsumedCapacity
    try:
        for check in _PUT_CHECKS:
            check(item, table)
        backend.put_item(name, item, None, None, {}, {}, True, None)
    except JsonRESTError:  # refused before anything changed: moto's own path gives the error
        return None
    caller.served()
    return _json_answer(b"{}")


def _plain_put(request: Request) -> tuple[str, dict[str, Any]] | None:
    """The table name and item of a PutItem with no other parameter and no binary value."""
    if request.header("x-moto-account-id"):
        return None
    try:
        params = json.loads(request.body)
    except ValueError:
        return None
    if not isinstance(params, dict) or params.keys() != {"TableName", "Item"}:
        return None
    name, item = params["TableName"], params["Item"]
    if not isinstance(name, str) or not _plain_item(item):
        return None
    return name, item


def _plain_item(item: Any) -> bool:
    return isinstance(item, dict) and all(
        isinstance(k, str) and _plain_value(v) for k, v in item.items()
    )


def _plain_value(value: Any) -> bool:
    """An attribute value moto's parser passes through unchanged (no binary: it decodes that)."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    if kind in _SCALAR_TYPES:
        return isinstance(inner, _SCALAR_TYPES[kind])
    if kind in _SET_TYPES:
        return isinstance(inner, list) and all(isinstance(v, str) for v in inner)
    if kind == "L":
        return isinstance(inner, list) and all(_plain_value(v) for v in inner)
    if kind == "M":
        return _plain_item(inner)
    return False


def _json_answer(body: bytes) -> Response:
    """Headers in the order moto's DynamoDB handler and its Flask view give them."""
    headers: dict[str, str] = {
        "Content-Type": "application/x-amz-json-1.0",
        "server": "amazon.com",
    }
    gen_amzn_requestid_long(headers)
    headers["x-amz-crc32"] = str(binascii.crc32(body))
    return Response(200, (*headers.items(), ("Content-Length", str(len(body))), _CORS_ALWAYS), body)
