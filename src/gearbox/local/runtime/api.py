"""The Lambda Runtime API, served to one execution environment.

AWS's runtime interface client (``awslambdaric``) in the environment's process long-polls
``GET /2018-06-01/runtime/invocation/next`` for an event and posts the handler's outcome to
``.../invocation/{id}/response`` or ``.../invocation/{id}/error``; a failed init posts to
``/2018-06-01/runtime/init/error``. The shapes (paths, status codes, the
``Lambda-Runtime-*`` headers) are those of Lambda's Runtime API, version 2018-06-01.

Each environment gets its own listener on 127.0.0.1 and an ephemeral port (its
``AWS_LAMBDA_RUNTIME_API``). A shared server would need a path prefix in that variable, which
awslambdaric's init-error path (``http.client.HTTPConnection(address)``) cannot take. The
listening socket is created with ``IPPROTO_TCP`` so asyncio sets ``TCP_NODELAY`` on each
connection; without it Nagle's algorithm holds every answer for ~40 ms.

The HTTP/1.1 is the subset the runtime clients use, served by an ``asyncio.Protocol`` (no
task per connection): keep-alive, ``Content-Length`` bodies, ``Expect: 100-continue``. A
``/next`` that finds no event parks its connection, and ``deliver`` writes the event to it
at once; requests behind a parked one wait, as HTTP/1.1 orders them.

What the environment sees: ``initialized`` resolves when the runtime first asks for an event
(the end of Lambda's Init phase), ``init_failed`` when it posts an init error, and
``deliver(event)`` hands one event to the runtime and returns a future of its ``Reply``.

Differences from AWS: no Extensions, Telemetry or Logs API; no SnapStart ``restore``
endpoints; chunked request bodies are refused (411), as no runtime client sends them; a
response or error posted for anything but the current request is answered 400
(``InvalidRequestID``) rather than with Lambda's finer state-transition errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass

PREFIX = "/2018-06-01/runtime/"
MAX_RESPONSE_BYTES = 6_291_556  # Lambda's limit on a function's response
_HEAD_LIMIT = 1 << 16
_ERROR_TYPE_HEADER = "lambda-runtime-function-error-type"
_ACCEPTED = b'{"status":"OK"}'
_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    411: "Length Required",
    413: "Request Entity Too Large",
}


@dataclass(frozen=True)
class Event:
    """One invocation as the runtime receives it from ``/next``."""

    request_id: str
    payload: bytes
    deadline_ms: int  # epoch milliseconds, Lambda-Runtime-Deadline-Ms
    function_arn: str
    trace_id: str
    client_context: str | None = None  # JSON on one line
    cognito_identity: str | None = None


@dataclass(frozen=True)
class Reply:
    """What the runtime posted: a response, or an error with Lambda's error JSON."""

    body: bytes
    error_type: str | None = None  # None for a response

    @property
    def is_error(self) -> bool:
        return self.error_type is not None


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


_Answer = tuple[int, dict[str, str], bytes]


class RuntimeApi:
    """The Runtime API endpoint of one execution environment. Use inside the event loop."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.initialized: asyncio.Future[None] = loop.create_future()
        self.init_failed: asyncio.Future[Reply] = loop.create_future()
        self._event: Event | None = None  # delivered, not yet asked for
        self._parked: _Connection | None = None  # a /next waiting for an event
        self._reply: asyncio.Future[Reply] | None = None
        self._request_id: str | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()

    async def start(self) -> str:
        """Listen on 127.0.0.1:<ephemeral>; returns ``host:port`` for AWS_LAMBDA_RUNTIME_API."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: _Connection(self), sock=sock)
        host, port = sock.getsockname()[:2]
        return f"{host}:{port}"

    def deliver(self, event: Event) -> asyncio.Future[Reply]:
        """Give ``event`` to the runtime (now, or when it next asks); await the reply."""
        if self._reply is not None and not self._reply.done():
            raise RuntimeError("the environment is already running an invocation")
        self._reply = asyncio.get_running_loop().create_future()
        self._request_id = event.request_id
        parked, self._parked = self._parked, None
        if parked is not None and parked.open:
            parked.answer(_event_answer(event))
        else:
            self._event = event
        return self._reply

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for connection in list(self._connections):
            connection.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    # requests, in the order a connection reads them

    def handle(self, connection: _Connection, request: _Request) -> _Answer | None:
        """The answer to ``request``; None when ``connection`` is parked for an event."""
        if not request.path.startswith(PREFIX):
            return 404, {}, _error_json("NotFound", "not found")
        parts = request.path[len(PREFIX) :].partition("?")[0].split("/")
        if request.method == "GET" and parts == ["invocation", "next"]:
            return self._next(connection)
        if request.method == "POST" and parts == ["init", "error"]:
            return self._init_error(request)
        if request.method == "POST" and len(parts) == 3 and parts[0] == "invocation":
            if parts[2] == "response":
                return self._post(parts[1], Reply(request.body))
            if parts[2] == "error":
                error_type = request.headers.get(_ERROR_TYPE_HEADER) or "Unhandled"
                return self._post(parts[1], Reply(request.body, error_type))
        return 404, {}, _error_json("NotFound", "not found")

    def connected(self, connection: _Connection) -> None:
        self._connections.add(connection)

    def forget(self, connection: _Connection) -> None:
        self._connections.discard(connection)
        if self._parked is connection:
            self._parked = None

    def _next(self, connection: _Connection) -> _Answer | None:
        if not self.initialized.done():
            self.initialized.set_result(None)
        event, self._event = self._event, None
        if event is None:
            self._parked = connection
            return None
        return _event_answer(event)

    def _init_error(self, request: _Request) -> _Answer:
        error_type = request.headers.get(_ERROR_TYPE_HEADER) or "Runtime.Unknown"
        if self.initialized.done() or self.init_failed.done():
            return 403, {}, _error_json("InvalidStateTransition", "init is over")
        self.init_failed.set_result(Reply(request.body, error_type))
        return 202, {}, _ACCEPTED

    def _post(self, request_id: str, reply: Reply) -> _Answer:
        current = self._reply
        if current is None or current.done() or request_id != self._request_id:
            return 400, {}, _error_json("InvalidRequestID", "Invalid request ID")
        if len(reply.body) > MAX_RESPONSE_BYTES:
            current.set_result(Reply(_too_large(), "Function.ResponseSizeTooLarge"))
            message = f"Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
            return 413, {}, _error_json("RequestEntityTooLarge", message)
        current.set_result(reply)
        return 202, {}, _ACCEPTED


class _Connection(asyncio.Protocol):
    """One keep-alive connection from the runtime; requests are parsed off a buffer."""

    def __init__(self, api: RuntimeApi) -> None:
        self._api = api
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._parked = False
        self._continued = False

    @property
    def open(self) -> bool:
        return self._transport is not None and not self._transport.is_closing()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._api.connected(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._api.forget(self)

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._serve()

    def answer(self, answer: _Answer) -> None:
        """Write an answer (to a parked /next as well) and go on with the next request."""
        self._parked = False
        if self._transport is not None:
            self._transport.write(_response(*answer))
        self._serve()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def _serve(self) -> None:
        while not self._parked and self._transport is not None:
            try:
                request = self._request()
            except ValueError as exc:
                status = 411 if "chunked" in str(exc) else 400
                self._transport.write(_response(status, {}, _error_json("BadRequest", str(exc))))
                self._transport.close()
                return
            if request is None:
                return
            answer = self._api.handle(self, request)
            if answer is None:
                self._parked = True
            else:
                self._transport.write(_response(*answer))

    def _request(self) -> _Request | None:
        """The next complete request off the buffer, or None until more data arrives."""
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > _HEAD_LIMIT:
                raise ValueError("request head too large")
            return None
        request_line, *lines = self._buffer[:end].decode("latin-1").split("\r\n")
        method, path, _version = request_line.split(" ", 2)
        headers = {}
        for line in lines:
            name, sep, value = line.partition(":")
            if not sep:
                raise ValueError(f"bad header line {line!r}")
            headers[name.strip().lower()] = value.strip()
        if "chunked" in headers.get("transfer-encoding", "").lower():
            raise ValueError("chunked bodies are not supported")
        total = end + 4 + int(headers.get("content-length") or 0)
        if len(self._buffer) < total:
            if headers.get("expect", "").lower() == "100-continue" and not self._continued:
                assert self._transport is not None
                self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                self._continued = True
            return None
        body = bytes(self._buffer[end + 4 : total])
        del self._buffer[:total]
        self._continued = False
        return _Request(method, path, headers, body)


def _event_answer(event: Event) -> _Answer:
    headers = {
        "Content-Type": "application/json",
        "Lambda-Runtime-Aws-Request-Id": event.request_id,
        "Lambda-Runtime-Deadline-Ms": str(event.deadline_ms),
        "Lambda-Runtime-Invoked-Function-Arn": event.function_arn,
        "Lambda-Runtime-Trace-Id": event.trace_id,
    }
    if event.client_context is not None:
        headers["Lambda-Runtime-Client-Context"] = event.client_context
    if event.cognito_identity is not None:
        headers["Lambda-Runtime-Cognito-Identity"] = event.cognito_identity
    return 200, headers, event.payload


def _response(status: int, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    if "Content-Type" not in headers:
        lines.append("Content-Type: application/json")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _too_large() -> bytes:
    message = (
        f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
    )
    error = {"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"}
    return json.dumps(error).encode()


def _error_json(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()
