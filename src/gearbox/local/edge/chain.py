"""The request path of the local cloud: one ordered list of stages, read top to bottom.

::

    (routes)           Gearbox's own ``/_gearbox/...`` routes (the journal, the observed IAM
                       calls), unsigned
    parse_scope        SigV4 credential scope -> access key, region, service
    resolve_operation  X-Amz-Target / Action / REST route -> operation name
    identify           access key -> principal: the user, or a function (its own access key)
    authorize          a function's call is allowed by its role's policies (``authorize.py``)
    dispatch           a service Gearbox owns, or else the backend (moto)

Each stage is a plain function of the ``Exchange`` that may fill in a field or set the
response; the first stage that sets a response ends the chain. Later issues insert their
stage into ``Chain.stages`` at the place marked above, nothing else changes. A stage that
must see the response (say, to act once IAM has answered) appends a callback to
``Exchange.after_response``.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from gearbox.local.edge.messages import Request, Response
from gearbox.local.edge.operations import resolve as resolve_request
from gearbox.local.edge.scope import credential_scope

log = logging.getLogger(__name__)


class Service(Protocol):
    """A service the edge can dispatch to: Gearbox's own, or the backend."""

    async def handle(self, exchange: Exchange) -> Response: ...


class OwnedService(Service, Protocol):
    """A service Gearbox implements. ``target_prefix`` (``AmazonSQS``) claims unsigned
    JSON-protocol requests, which carry no credential scope to name the service; REST
    services have none."""

    @property
    def target_prefix(self) -> str | None: ...


@dataclass
class Exchange:
    """One request on its way through the chain, and what the stages learned of it."""

    request: Request
    default_region: str
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    access_key: str | None = None
    region: str = ""
    service: str | None = None
    operation: str | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    principal: str = "user"
    response: Response | None = None
    after_response: list[Callable[[Response], None]] = field(default_factory=list)


Stage = Callable[[Exchange], Awaitable[None]]


async def parse_scope(exchange: Exchange) -> None:
    scope = credential_scope(exchange.request)
    if scope is None:
        exchange.region = exchange.default_region
        return
    exchange.access_key = scope.access_key
    exchange.region = scope.region or exchange.default_region
    exchange.service = scope.service


async def resolve(exchange: Exchange) -> None:
    exchange.operation, exchange.path_params = resolve_request(exchange.request, exchange.service)


class Identify:
    """Name the principal behind the access key: ``user`` or ``function:<name>``."""

    def __init__(self, principal_of: Callable[[str], str]) -> None:
        self._principal_of = principal_of

    async def __call__(self, exchange: Exchange) -> None:
        if exchange.access_key:
            exchange.principal = self._principal_of(exchange.access_key)


class Dispatcher:
    """The last stage: hand the exchange to the service that owns it."""

    def __init__(self, owned: Mapping[str, OwnedService], backend: Service) -> None:
        self._owned = dict(owned)
        self._by_target = {s.target_prefix: n for n, s in owned.items() if s.target_prefix}
        self._backend = backend

    async def __call__(self, exchange: Exchange) -> None:
        if exchange.service is None:
            prefix = exchange.request.header("x-amz-target").partition(".")[0]
            exchange.service = self._by_target.get(prefix)
        service = self._owned.get(exchange.service or "", self._backend)
        exchange.response = await service.handle(exchange)


class Chain:
    """Runs the stages in order until one of them sets the response."""

    def __init__(self, stages: Sequence[Stage], default_region: str) -> None:
        self.stages = list(stages)
        self._default_region = default_region

    async def handle(self, request: Request) -> Response:
        exchange = Exchange(request=request, default_region=self._default_region)
        try:
            for stage in self.stages:
                await stage(exchange)
                if exchange.response is not None:
                    for callback in exchange.after_response:
                        callback(exchange.response)
                    return exchange.response
        except Exception:  # a bug of Gearbox's: answer as AWS does, and log it
            log.exception("internal error on %s %s", request.method, request.path)
            return _internal_failure(exchange, "Gearbox failed on this request; see its log.")
        return _internal_failure(exchange, "no stage of the request chain answered")


def _internal_failure(exchange: Exchange, message: str) -> Response:
    body = json.dumps({"__type": "InternalFailure", "message": message}).encode()
    return Response(
        500,
        (
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-RequestId", exchange.request_id),
        ),
        body,
    )


def build_chain(
    owned: Mapping[str, OwnedService],
    backend: Service,
    default_region: str,
    identify: Callable[[str], str] = lambda _: "user",
    *,
    authorize: Stage | None = None,
    routes: Sequence[Stage] = (),
) -> Chain:
    return Chain(
        [
            *routes,
            parse_scope,
            resolve,
            Identify(identify),
            *([authorize] if authorize is not None else []),
            Dispatcher(owned, backend),
        ],
        default_region=default_region,
    )
