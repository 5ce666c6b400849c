"""Run a request through moto's handler for its route, without Flask around it.

moto's server wraps every handler in a Flask app (``create_backend_app``): Flask pushes a
request context, matches the URL, calls the view (``convert_to_flask_response``, which calls
moto's handler and builds a response), then runs the CORS extension and the session machinery
on the way out. Measured on the pipeline (``bench/pipeline.py``, py-spy), that wrapping was
about a quarter of the time of a DynamoDB PutItem or an S3 PutObject in moto.

``direct`` does what the view does with the same objects: the app's own URL map picks the
handler, moto's ``Request`` class (the one its Flask app uses, without Flask's context) is
what the handler reads, and Flask's ``Response`` class builds the WSGI answer. moto's errors
raised as werkzeug HTTP exceptions are answered as Flask answers them, and the one header the
CORS extension adds to a response of a request with no ``Origin`` (``Access-Control-Allow-
Origin: *``) is added the same way. ``tests/functional/test_moto_dispatch.py`` runs one series
of requests of several services and protocols both ways and compares the answers.

Requests this does not take (``direct`` returns None; the caller goes through Flask):
browser requests (an ``Origin`` header, or OPTIONS), whose CORS answer depends on the request;
and paths no route matches, whose 404 or 405 page Flask writes.

Where it differs from AWS: not at all beyond moto (the answers are moto's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from botocore.exceptions import ClientError
from flask import Flask
from flask import Response as FlaskResponse
from moto.core.request import EnvironHeaders
from moto.core.request import Request as MotoRequest
from moto.moto_api import recorder
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

StartResponse = Callable[..., Any]

# What the CORS extension adds to every response of a request without an Origin header.
_CORS_ALWAYS = ("Access-Control-Allow-Origin", "*")


class ServerRequest(MotoRequest):
    """moto's request as its server makes it (``BackendRequest`` without Flask's half), its
    headers listed out of the environ once (``ListedEnvironHeaders``)."""

    from_wsgi_server = True

    def __init__(self, environ: dict[str, Any]) -> None:
        super().__init__(environ)
        self.headers = ListedEnvironHeaders(environ)


class ListedEnvironHeaders(EnvironHeaders):
    """moto's ``EnvironHeaders``, listing the environ's headers at the first loop over them and
    reusing the list after. Each loop otherwise scans the whole environ and converts every
    name back from its WSGI key, and moto loops over an S3 PutObject's headers about five
    times (copying them, twice for metadata, once for ACLs): about 4% of moto's time for one
    PutObject. Lookups by name stay the environ's own. The environ does not change while moto
    handles the request, so the list is the same."""

    _listed: list[tuple[str, str]] | None = None

    def __iter__(self) -> Iterator[tuple[str, str]]:
        if self._listed is None:
            self._listed = list(super().__iter__())
        return iter(self._listed)


def takes(environ: dict[str, Any]) -> bool:
    """Whether ``direct`` may answer this request (see the module docstring)."""
    return environ["REQUEST_METHOD"] != "OPTIONS" and "HTTP_ORIGIN" not in environ


def direct(
    app: Flask, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes] | None:
    """The WSGI answer of ``app`` for ``environ``, or None if Flask must give it."""
    request = ServerRequest(environ)
    # as Flask.create_url_adapter binds it for an app without host or subdomain matching
    adapter = app.url_map.bind_to_environ(
        environ, server_name=app.config["SERVER_NAME"], subdomain=app.url_map.default_subdomain
    )
    try:
        rule, _ = adapter.match(return_rule=True)
    except HTTPException:  # no route, wrong method, a redirect: Flask's own pages
        return None
    endpoint = rule.endpoint
    if not isinstance(endpoint, str):
        return None
    view = app.view_functions[endpoint]
    callback = getattr(view, "callback", None)
    if callback is None:
        return None
    response: WerkzeugResponse
    try:
        response = _view_response(callback, request)
    except HTTPException as exc:  # moto's service errors: the exception is the answer
        response = exc.get_response(environ)
    if _CORS_ALWAYS[0] not in response.headers:
        response.headers.add(*_CORS_ALWAYS)
    result: Iterable[bytes] = response(environ, start_response)
    return result


def _view_response(callback: Callable[..., Any], request: ServerRequest) -> FlaskResponse:
    """What ``moto.core.utils.convert_to_flask_response.__call__`` returns."""
    recorder._record_request(request)
    try:
        result = callback(request, request.raw_url, dict(request.headers.items()))
    except ClientError as exc:
        result = 400, {}, exc.response["Error"]["Message"]
    if len(result) == 3:
        status, headers, content = result
    else:
        status, headers, content = 200, {}, result
    response = FlaskResponse(response=content, status=status, headers=headers)
    if request.method == "HEAD" and "content-length" in headers:
        response.headers["Content-Length"] = headers["content-length"]
    return response
