"""The Lambda Runtime API, served to one execution environment.

AWS's runtime interface client (``awslambdaric``) in the environment's process long-polls
``GET /2018-06-01/runtime/invocation/next`` for an event and posts the handler's outcome to
``.../invocation/{id}/response`` or ``.../invocation/{id}/error``; a failed init posts to
``/2018-06-01/runtime/init/error``. The shapes (paths, status codes, the
``Lambda-Runtime-*`` headers) are those of Lambda's Runtime API, version 2018-06-01.

Each environment gets its own listener on 127.0.0.1 and an ephemeral port (its
``AWS_LAMBDA_RUNTIME_API``). A shared server would need a path prefix in that variable, which
awslambdaric's init-error path (``http.client.HTTPConnection(address)``) cannot take. The
HTTP/1.1 here is the small subset the runtime clients use: keep-alive, ``Content-Length`` or
chunked bodies, ``Expect: 100-continue``. The listening socket is created with
``IPPROTO_TCP`` so asyncio sets ``TCP_NODELAY`` on each connection; without it Nagle's
algorithm holds every answer for ~40 ms.

What the environment sees: ``initialized`` resolves when the runtime first asks for an event
(the end of Lambda's Init phase), ``init_failed`` when it posts an init error, and
``deliver(event)`` hands one event to the runtime and returns a future of its ``Reply``.

Differences from AWS: no Extensions, Telemetry or Logs API; no SnapStart ``restore``
endpoints; a response or error posted for anything but the current request is answered 400
(``InvalidRequestID``) rather than with Lambda's finer state-transition errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass

PREFIX = "/2018-06-01/runtime"
MAX_RESPONSE_BYTES = 6_291_556  # Lambda's limit on a function's response
_HEAD_LIMIT = 1 << 20
_ERROR_TYPE_HEADER = "lambda-runtime-function-error-type"
_ACCEPTED = b'{"status":"OK"}'


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


class RuntimeApi:
    """The Runtime API endpoint of one execution environment. Use inside the event loop."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.initialized: asyncio.Future[None] = loop.create_future()
        self.init_failed: asyncio.Future[Reply] = loop.create_future()
        self._next: asyncio.Future[Event] = loop.create_future()
        self._reply: asyncio.Future[Reply] | None = None
        self._request_id: str | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self._closing = False

    async def start(self) -> str:
        """Listen on 127.0.0.1:<ephemeral>; returns ``host:port`` for AWS_LAMBDA_RUNTIME_API."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(("127.0.0.1", 0))
        self._server = await asyncio.start_server(self._serve, sock=sock, limit=_HEAD_LIMIT)
        host, port = sock.getsockname()[:2]
        return f"{host}:{port}"

    def deliver(self, event: Event) -> asyncio.Future[Reply]:
        """Give ``event`` to the runtime (now, or when it next asks); await the reply."""
        if self._reply is not None and not self._reply.done():
            raise RuntimeError("the environment is already running an invocation")
        self._reply = asyncio.get_running_loop().create_future()
        self._request_id = event.request_id
        self._next.set_result(event)
        return self._reply

    async def close(self) -> None:
        self._closing = True
        self._next.cancel()  # ends a pending /next; the rest is the environment's to judge
        if self._server is not None:
            self._server.close()
        for writer in list(self._connections):
            writer.close()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    # the HTTP side

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            while True:
                request = await _read_request(reader, writer)
                if request is None:
                    return
                status, headers, body = await self._route(request)
                writer.write(_response(status, headers, body))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            return
        except asyncio.CancelledError:
            if not self._closing:
                raise
        except ValueError:  # not HTTP as this server reads it
            writer.write(_response(400, {}, _error_json("InvalidRequest", "bad request")))
        finally:
            self._connections.discard(writer)
            writer.close()

    async def _route(self, request: _Request) -> tuple[int, dict[str, str], bytes]:
        path = request.path.partition("?")[0]
        if not path.startswith(PREFIX + "/"):
            return 404, {}, _error_json("NotFound", "not found")
        parts = path[len(PREFIX) + 1 :].split("/")
        if request.method == "GET" and parts == ["invocation", "next"]:
            return await self._next_event()
        if request.method == "POST" and parts == ["init", "error"]:
            return self._init_error(request)
        if request.method == "POST" and len(parts) == 3 and parts[0] == "invocation":
            if parts[2] == "response":
                return self._post(parts[1], Reply(request.body), request)
            if parts[2] == "error":
                error_type = request.headers.get(_ERROR_TYPE_HEADER) or "Unhandled"
                return self._post(parts[1], Reply(request.body, error_type), request)
        return 404, {}, _error_json("NotFound", "not found")

    async def _next_event(self) -> tuple[int, dict[str, str], bytes]:
        if not self.initialized.done():
            self.initialized.set_result(None)
        event = await asyncio.shield(self._next)
        self._next = asyncio.get_running_loop().create_future()
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

    def _init_error(self, request: _Request) -> tuple[int, dict[str, str], bytes]:
        error_type = request.headers.get(_ERROR_TYPE_HEADER) or "Runtime.Unknown"
        if self.initialized.done() or self.init_failed.done():
            return 403, {}, _error_json("InvalidStateTransition", "init is over")
        self.init_failed.set_result(Reply(request.body, error_type))
        return 202, {}, _ACCEPTED

    def _post(
        self, request_id: str, reply: Reply, request: _Request
    ) -> tuple[int, dict[str, str], bytes]:
        current = self._reply
        if current is None or current.done() or request_id != self._request_id:
            return 400, {}, _error_json("InvalidRequestID", "Invalid request ID")
        if len(request.body) > MAX_RESPONSE_BYTES:
            current.set_result(Reply(_too_large(), "Function.ResponseSizeTooLarge"))
            message = f"Exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
            return 413, {}, _error_json("RequestEntityTooLarge", message)
        current.set_result(reply)
        return 202, {}, _ACCEPTED


def _too_large() -> bytes:
    message = (
        f"Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
    )
    return json.dumps(
        {"errorMessage": message, "errorType": "Function.ResponseSizeTooLarge"}
    ).encode()


def _error_json(error_type: str, message: str) -> bytes:
    return json.dumps({"errorMessage": message, "errorType": error_type}).encode()


_REASONS = {
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    413: "Request Entity Too Large",
}


def _response(status: int, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
    lines.extend(f"{name}: {value}" for name, value in headers.items())
    if "Content-Type" not in headers:
        lines.append("Content-Type: application/json")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_request(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> _Request | None:
    """One request off a keep-alive connection; None when the client has closed it."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise
        return None
    request_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
    method, path, _version = request_line.split(" ", 2)
    headers: dict[str, str] = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError(f"bad header line {line!r}")
        headers[name.strip().lower()] = value.strip()
    if headers.get("expect", "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        body = await reader.readexactly(int(headers.get("content-length") or 0))
    return _Request(method, path, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)
