"""The chain's order and its after-response callbacks."""

from __future__ import annotations

import asyncio

from gearbox.local.edge.chain import Chain, Exchange
from gearbox.local.edge.messages import Request, Response


def test_after_response_callbacks_run_once_the_response_is_set() -> None:
    seen: list[str] = []

    async def watch(exchange: Exchange) -> None:
        seen.append("watch")
        exchange.after_response.append(lambda response: seen.append(f"after {response.status}"))

    async def answer(exchange: Exchange) -> None:
        seen.append("answer")
        exchange.response = Response(204)

    async def never(exchange: Exchange) -> None:
        seen.append("never")

    chain = Chain([watch, answer, never], default_region="us-east-1")
    response = asyncio.run(chain.handle(Request("GET", "/", "", (), b"")))
    assert response.status == 204
    assert seen == ["watch", "answer", "after 204"]
