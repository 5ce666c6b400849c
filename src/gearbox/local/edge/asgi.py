"""The edge as an ASGI application: read the whole request, run the chain, send the response.

uvicorn (with httptools) serves it. Lifespan events open and close the local cloud's services
on the event loop's own thread, where all of Gearbox's service state is touched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from gearbox.local.edge.chain import Chain
from gearbox.local.edge.messages import Request, Response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class EdgeApp:
    def __init__(
        self,
        chain: Chain,
        on_startup: Callable[[], Awaitable[None]],
        on_shutdown: Callable[[], Awaitable[None]],
    ) -> None:
        self._chain = chain
        self._on_startup = on_startup
        self._on_shutdown = on_shutdown

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1").partition("?")[0]
        client = scope.get("client") or ("127.0.0.1", 0)
        request = Request(
            method=scope["method"],
            path=path,
            query_string=scope["query_string"].decode("latin-1"),
            headers=tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]),
            body=b"".join(chunks),
            client=client[0],
        )
        response = await self._chain.handle(request)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": _headers(response),
            }
        )
        await send({"type": "http.response.body", "body": response.body})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._on_startup()
                except Exception as exc:  # reported to uvicorn, which stops the server
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


def _headers(response: Response) -> list[tuple[bytes, bytes]]:
    """The response's headers, with a Content-Length when it has none, so the server sends
    the body as one piece rather than chunked (cheaper for both ends)."""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    no_body_allowed = response.status < 200 or response.status in (204, 304)
    if not no_body_allowed and not any(k.lower() == b"content-length" for k, _ in headers):
        headers.append((b"content-length", str(len(response.body)).encode()))
    return headers
