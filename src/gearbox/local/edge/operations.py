"""Which operation a request asks for, worked out from AWS's own service models.

In the order AWS protocols carry it:

1. JSON protocols name it in ``X-Amz-Target`` (``AmazonSQS.SendMessage``).
2. Query protocols name it in the ``Action`` parameter, in the query string or a form body.
3. REST protocols (S3, Lambda, ...) imply it by method and path; the route table is built from
   botocore's service model (``http.method`` and ``http.requestUri`` of every operation, and
   the headers its input requires, such as CopyObject's ``x-amz-copy-source``), so it tracks
   AWS rather than a hand list. Where several routes match, the most specific wins: more
   required query keys and headers, then not deprecated, then more literal path characters.

Returns None when nothing matches; the request is still dispatched (the backend may know
better), just without a name for the journal and IAM checks of later issues.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from gearbox.local.edge.messages import Request

_FORM = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    query_keys: frozenset[str]
    query_values: tuple[tuple[str, str], ...]
    headers: frozenset[str]
    specificity: tuple[int, bool, int]
    operation: str


def resolve(request: Request, service: str | None) -> tuple[str | None, dict[str, str]]:
    """(operation, path parameters); the parameters only for REST protocols, still
    percent-encoded, e.g. ``("Invoke", {"FunctionName": "fn"})``."""
    target = request.header("x-amz-target")
    if target:
        return target.rpartition(".")[2] or None, {}
    action = _query_action(request)
    if action:
        return action, {}
    found = rest_route(request, service) if service is not None else None
    return found if found is not None else (None, {})


def resolve_operation(request: Request, service: str | None) -> str | None:
    return resolve(request, service)[0]


def _query_action(request: Request) -> str | None:
    if "Action=" in request.query_string:
        found = parse_qs(request.query_string).get("Action")
        if found:
            return found[0]
    if request.header("content-type").startswith(_FORM) and b"Action=" in request.body:
        found = parse_qs(request.body.decode("utf-8", "replace")).get("Action")
        if found:
            return found[0]
    return None


def rest_route(request: Request, service: str) -> tuple[str, dict[str, str]] | None:
    """(operation, path parameters) of a REST request, e.g. ``("Invoke", {"FunctionName":
    "fn"})``; path parameters are still percent-encoded."""
    routes = _routes(service).get(request.method)
    if not routes:
        return None
    query = parse_qs(request.query_string, keep_blank_values=True)
    path = request.path
    best: tuple[_Route, dict[str, str]] | None = None
    for route in routes:
        if not route.query_keys <= query.keys():
            continue
        if any(query[key][0] != value for key, value in route.query_values):
            continue
        if any(not request.header(name) for name in route.headers):
            continue
        match = route.pattern.fullmatch(path)
        if match is None:
            continue
        if best is None or route.specificity > best[0].specificity:
            best = (route, match.groupdict())
    return (best[0].operation, best[1]) if best else None


@functools.cache
def _routes(service: str) -> dict[str, tuple[_Route, ...]]:
    """The REST routes of ``service`` (a signing name) by HTTP method; empty for non-REST
    services."""
    import botocore.exceptions
    import botocore.loaders

    loader = botocore.loaders.create_loader()
    try:
        model = loader.load_service_model(service, "service-2")
    except botocore.exceptions.UnknownServiceError:
        return {}
    if not str(model["metadata"].get("protocol", "")).startswith("rest"):
        return {}
    routes = [
        _route(name, op, _required(model, op, "header"), _required(model, op, "querystring"))
        for name, op in model["operations"].items()
        if "http" in op
    ]
    by_method: dict[str, list[_Route]] = {}
    for route in routes:
        by_method.setdefault(route.method, []).append(route)
    return {method: tuple(found) for method, found in by_method.items()}


def _required(model: dict[str, Any], operation: dict[str, Any], location: str) -> frozenset[str]:
    """Names of the input members ``operation`` requires in ``location`` (header or
    querystring): DeleteObject and AbortMultipartUpload share a route, but only the latter
    requires ``uploadId``."""
    shape_name = operation.get("input", {}).get("shape")
    if shape_name is None:
        return frozenset()
    shape = model["shapes"][shape_name]
    names = (
        str(shape["members"][name]["locationName"])
        for name in shape.get("required", [])
        if shape["members"][name].get("location") == location
    )
    return frozenset(n.lower() if location == "header" else n for n in names)


def _route(
    operation: str, spec: dict[str, Any], headers: frozenset[str], required_query: frozenset[str]
) -> _Route:
    method, request_uri = spec["http"]["method"], spec["http"]["requestUri"]
    path, _, query = request_uri.partition("?")
    regex = ""
    literal = 0
    for piece in re.split(r"(\{[^}]+\})", path):
        if piece.startswith("{"):
            name = piece.strip("{}+")
            regex += f"(?P<{name}>.+)" if piece.endswith("+}") else f"(?P<{name}>[^/]+)"
        else:
            regex += re.escape(piece)
            literal += len(piece)
    regex = regex.rstrip("/") + "/?"  # clients differ on a trailing slash
    keys: set[str] = set(required_query)
    values: list[tuple[str, str]] = []
    for item in filter(None, query.split("&")):
        key, eq, value = item.partition("=")
        keys.add(key)
        if eq:
            values.append((key, value))
    return _Route(
        method=method,
        pattern=re.compile(regex),
        query_keys=frozenset(keys),
        query_values=tuple(values),
        headers=headers,
        specificity=(len(keys) + len(headers), not spec.get("deprecated", False), literal),
        operation=operation,
    )
