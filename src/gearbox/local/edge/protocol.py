"""uvicorn's httptools protocol, with each response leaving in one socket write.

uvicorn writes a response's status line and headers, then its body, as two ``send`` calls on
the socket, and the client wakes for the first and reads again for the second. Here the
protocol's transport is wrapped: a write that is a final response's status line and headers
(``HTTP/1.x NNN ...`` ending in a blank line, NNN not 1xx) is held and goes out with the next
write, the body's, at once; if no write follows in the same step of the event loop (a HEAD
response, a streamed body), it goes out alone at the start of the next step. A ``100
Continue`` and every other write are sent as they come.

The edge always reads a request's whole body, so a request that asks ``Expect: 100-continue``
(boto3's PutObject and UploadPart do) is answered ``100 Continue`` as soon as its headers are
parsed and its handling starts, rather than when the application first asks for the body on a
later step of the loop: the client starts sending the body one loop turn sooner (under load,
behind whatever else is ready). A request queued behind an earlier one on the connection
(pipelined) still gets it only when its turn comes.

It changes nothing of HTTP: the bytes on the wire are the same, in the same order; a close
sends what is held first.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport that sends a response's head together with the write after it."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.write(held + bytes(data))
        elif _is_final_head(data):
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
        elif data:
            self._transport.write(data)

    def flush(self) -> None:
        if self._held is None:
            return
        held, self._held = self._held, None
        if not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def _is_final_head(data: bytes | bytearray | memoryview) -> bool:
    """A status line and headers of a final (not 1xx) response."""
    head = bytes(data[:10])
    return head.startswith(b"HTTP/") and head[9:10] != b"1" and bytes(data[-4:]) == b"\r\n\r\n"


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's ``HttpToolsProtocol`` writing through a ``CoalescingTransport``."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        wrapped = CoalescingTransport(cast(asyncio.Transport, transport), self.loop)
        # duck-typed: every attribute but write and close is the real transport's
        super().connection_made(cast(asyncio.Transport, wrapped))

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if (
            cycle is not None
            and cycle.waiting_for_100_continue
            and not any(queued is cycle for queued, _ in self.pipeline)
        ):
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            cycle.waiting_for_100_continue = False
