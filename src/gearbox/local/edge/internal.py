"""Gearbox's own routes on the edge, under ``/_gearbox/``: what tools read from a running
local cloud (``gearbox dev`` streams the journal from here).

No AWS API uses the path: an S3 bucket name cannot start with ``_``, and no other service
routes on it. The routes answer JSON and need no signature: the edge listens on loopback.

- ``GET /_gearbox/journal?after=N&limit=M``: journal entries with id > N, oldest first,
  as ``{"entries": [...], "last": <id of the newest entry>}``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from gearbox.local.edge.chain import Exchange
from gearbox.local.edge.messages import Request, Response
from gearbox.local.journal import Journal

PREFIX = "/_gearbox/"
Route = Callable[[Request], Any]


class InternalRoutes:
    """A chain stage that answers ``/_gearbox/...`` and lets everything else through."""

    def __init__(self, routes: Mapping[str, Route]) -> None:
        self._routes = dict(routes)

    async def __call__(self, exchange: Exchange) -> None:
        request = exchange.request
        if not request.path.startswith(PREFIX):
            return
        route = self._routes.get(request.path[len(PREFIX) :].rstrip("/"))
        if route is None or request.method != "GET":
            exchange.response = _json(404, {"message": f"no such route: {request.path}"})
            return
        try:
            exchange.response = _json(200, route(request))
        except ValueError as exc:
            exchange.response = _json(400, {"message": str(exc)})


def journal_route(journal: Journal) -> Route:
    def read(request: Request) -> dict[str, Any]:
        query = request.query()
        after = int(query.get("after", ["0"])[0])
        limit = max(1, min(int(query.get("limit", ["500"])[0]), 5000))
        entries = journal.read(after, limit)
        return {"entries": [e.to_json() for e in entries], "last": journal.last_id()}

    return read


def _json(status: int, body: Any) -> Response:
    return Response(status, (("Content-Type", "application/json"),), json.dumps(body).encode())
