"""uvicorn's httptools protocol, with each response leaving in one socket write.

uvicorn writes a response's status line and headers, then its body, as two ``send`` calls on
the socket; the client wakes for the first and reads again for the second. Here the
protocol's transport is wrapped so that what the protocol writes during one step of the event
loop is joined and sent once, at the start of the loop's next step: the edge's ``EdgeApp``
sends ``http.response.start`` and ``http.response.body`` in the same step, so a response is
one write (and one wake-up of the client). A ``100 Continue`` interim response is still sent
before the request body is read (it is written, then the protocol waits for the body, which
ends the step).

It changes nothing of HTTP: the bytes on the wire are the same, in the same order; a close
sends what is pending first. It does not coalesce across connections or delay a write past
the current step.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport:
    """A transport whose writes within one loop step go out as one write."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def flush(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class CoalescingHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's ``HttpToolsProtocol`` writing through a ``CoalescingTransport``."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        wrapped = CoalescingTransport(cast(asyncio.Transport, transport), self.loop)
        # duck-typed: every attribute but write and close is the real transport's
        super().connection_made(cast(asyncio.Transport, wrapped))
