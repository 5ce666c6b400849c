"""The AWS API behind every service Gearbox does not own: moto's server, in-process.

moto's server is a WSGI application (one Flask app per service, chosen by
``DomainDispatcherApplication`` from the credential scope). The edge calls it directly, on a
small thread pool, instead of through a second HTTP hop to a separate ``moto_server``: this
saves a TCP round trip and the werkzeug dev server's per-request cost (``bench/backend.py``
measures the endpoint against moto's standalone server).

Single-item operations with a small body (``INLINE``: S3 PutObject, HeadObject and
DeleteObject, DynamoDB PutItem, GetItem, UpdateItem and DeleteItem) run on the event loop's
thread instead: moto answers them in a fraction of a millisecond, less than the hand-off to a
worker thread and back costs (a queue wake-up, then the loop's self-pipe write; with the GIL
the worker gives no parallelism anyway). Everything else, whose time grows with the data
(scans, queries, listings, large objects) or that might wait, keeps to the pool, so the loop
is never held for long.

A plain S3 PutObject or DynamoDB PutItem is answered over moto's models by ``hot``, without
moto's request layer. Every other request skips Flask (``dispatch.direct``: moto's handler for
its route, called as moto's Flask view calls it) unless it is one Flask must answer;
``speedups`` patches moto where it repeats work per request. All three give moto's own
answers.

This package (``gearbox.local.backend``) is the only one that imports moto.

Given a ``MotoState`` (``durable``), moto's state outlives the process: the backend restores it
before it serves, logs each write moto accepts before answering it, and snapshots moto's
backends when the log has grown and when it closes.

Where it differs from AWS: whatever moto differs in.
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import logging
import sys
import threading
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote_to_bytes

from gearbox.local.backend import dispatch, hot, speedups
from gearbox.local.backend.durable import MotoState, is_write, makes_ids
from gearbox.local.edge.chain import Exchange
from gearbox.local.edge.messages import Request, Response

log = logging.getLogger(__name__)

_WORKERS = 8
_MOST_BETWEEN = 5.0  # seconds at most between two snapshots asked for in a row

# (signing name, operation) pairs answered on the event loop's thread; see the docstring.
INLINE = frozenset(
    {
        ("s3", "PutObject"),
        ("s3", "HeadObject"),
        ("s3", "DeleteObject"),
        ("dynamodb", "PutItem"),
        ("dynamodb", "GetItem"),
        ("dynamodb", "UpdateItem"),
        ("dynamodb", "DeleteItem"),
    }
)
INLINE_MAX_BODY = 64 * 1024


class MotoBackend:
    """Serves any request the edge does not keep for Gearbox's own services."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        via_flask: bool = False,
        state: MotoState | None = None,
    ) -> None:
        from moto.moto_api._internal.models import moto_api_backend
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from moto.settings import default_user_config  # type: ignore[attr-defined]

        # AWS managed policies (arn:aws:iam::aws:policy/...) exist, so a function's role can
        # attach them as on AWS; the local cloud checks function calls against them.
        default_user_config.setdefault("iam", {})["load_aws_managed_policies"] = True
        speedups.apply_all()
        # moto's state is global to the process; a new local cloud starts empty, as a fresh
        # `gearbox up` does (this matters where one process opens several, as tests do).
        moto_api_backend.reset()
        self._app = DomainDispatcherApplication(create_backend_app)
        self._apps: dict[str | None, Any] = {}
        self._host = host
        self._port = port
        self._pool = ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="moto")
        self._via_flask = via_flask  # every request through Flask (the parity test's reference)
        self._state = state
        self._snapshotting = threading.Lock()  # held by the one background snapshot run
        self._wanted = False  # a snapshot was asked for since the run's last one began
        self._writing = threading.Lock()
        # writes replayed from the log at start (a run that did not stop cleanly)
        self.replayed = state.restore(self._answer) if state is not None else 0
        if self.replayed:
            self.snapshot()  # what was replayed is snapshotted, so the next start is exact

    async def handle(self, exchange: Exchange) -> Response:
        if exchange.service is not None and not self.serves(exchange.service):
            return _unknown_service(exchange)
        write = None
        service = exchange.service
        if (
            self._state is not None
            and service is not None
            and is_write(service, exchange.operation)
        ):
            write = (service, exchange.operation or "")
        if _inline(exchange):
            return self.call(exchange.request, write)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self.call, exchange.request, write)

    def disown_sns_delivery(self) -> None:
        """Stop moto delivering published SNS messages: Gearbox's ``sns`` service delivers
        them (moto's delivery reaches only moto's own queues, functions and endpoints).
        moto's state is global to the process, and so is this switch."""
        from moto.sns.models import Subscription

        def no_delivery(*args: Any, **kwargs: Any) -> None:
            return None

        setattr(Subscription, "publish", no_delivery)  # noqa: B010 - replaces a method

    @functools.cache  # noqa: B019 - one backend per process; the cache lives as long as it
    def serves(self, service: str) -> bool:
        """Whether moto has a backend for the SigV4 signing name ``service``."""
        from moto.backends import list_of_moto_modules
        from moto.moto_server.werkzeug_app import SIGNING_ALIASES

        name = SIGNING_ALIASES.get(service.lower(), service.lower())
        if name in list_of_moto_modules():
            return True
        url = f"http://{name}.us-east-1.amazonaws.com"
        return any(pattern.match(url) for _, pattern in self._app.backend_url_patterns)

    def call(self, request: Request, write: tuple[str, str] | None = None) -> Response:
        """Run ``request`` through moto (blocking). ``write`` (signing name, operation) says
        it may change moto's state: if moto accepts it, it is logged before this returns."""
        state = self._state
        if state is None:
            return self._answer(request)
        with state.gate.shared():
            if write is None:
                return self._answer(request)
            with self._writing:  # the log's order is the order moto applied the writes in
                response = self._answer(request)
                accepted = 200 <= response.status < 300
                if accepted:
                    state.record(*write, request)
        if (accepted and makes_ids(write[1])) or state.due():
            self._snapshot_soon()
        return response

    def snapshot(self) -> None:
        """Snapshot moto's state now (waiting for the calls in progress)."""
        state = self._state
        if state is not None:
            with state.gate.alone():
                state.snapshot()

    def _snapshot_soon(self) -> None:
        """A snapshot in the background, after this call: one at a time, and one more if
        asked for while one is being taken."""
        self._wanted = True
        if self._snapshotting.acquire(blocking=False):
            self._pool.submit(self._snapshots).add_done_callback(_log_failure)

    def _snapshots(self) -> None:
        while True:
            try:
                while self._wanted:
                    self._wanted = False
                    started = time.monotonic()
                    self.snapshot()
                    if self._wanted:  # a run of writes asking for snapshots: moto waits
                        # for each, so at most a quarter of the time goes to them
                        time.sleep(min(3 * (time.monotonic() - started), _MOST_BETWEEN))
            finally:
                self._snapshotting.release()
            # asked for again between the last check and the release: go on, unless
            # another call has started a run of its own
            if not self._wanted or not self._snapshotting.acquire(blocking=False):
                return

    def _answer(self, request: Request) -> Response:
        """moto's answer to ``request``."""
        if not self._via_flask and (answered := hot.answer(request)) is not None:
            return answered
        environ = self._environ(request)
        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = headers
            return lambda data: None

        app = self._flask_app(environ)
        result: Iterable[bytes] | None = None
        if not self._via_flask and app is not None and dispatch.takes(environ):
            result = dispatch.direct(app, environ, start_response)
        if result is None:
            result = (app or self._app)(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return Response(captured["status"], tuple(captured["headers"]), body)

    def _flask_app(self, environ: dict[str, Any]) -> Any:
        """moto's app for this request, looked up once per inferred host; None for the paths
        moto's router answers itself.

        moto's router finds the backend for a host by listing moto's package folder on every
        request (about 0.3-0.7 ms, under a lock); the answer for a host never changes, so it
        is kept.
        """
        path = environ["PATH_INFO"]
        if path.startswith(("/moto-api", "/latest/")) or path == "/favicon.ico":
            return None  # moto's router answers these itself
        host = self._app.infer_service_region_host(environ, path)
        app = self._apps.get(host)
        if app is None:
            app = self._apps[host] = self._app.get_application(environ)
        return app

    def _environ(self, request: Request) -> dict[str, Any]:
        from moto.core.request import (
            PRESERVED_HEADER_NAMES_ENVIRON_KEY,
            environ_key_for_header,
            should_preserve_original_header_name,
        )

        raw_uri = request.path + ("?" + request.query_string if request.query_string else "")
        environ: dict[str, Any] = {
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(request.path).decode("latin-1"),
            "QUERY_STRING": request.query_string,
            "RAW_URI": raw_uri,
            "REQUEST_URI": raw_uri,
            "SERVER_NAME": self._host,
            "SERVER_PORT": str(self._port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": request.client,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(request.body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        preserved: dict[str, str] = {}
        for name, value in request.headers:
            key = environ_key_for_header(name)
            if should_preserve_original_header_name(name):
                preserved.setdefault(key, name)
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        environ.setdefault("CONTENT_LENGTH", str(len(request.body)))
        environ[PRESERVED_HEADER_NAMES_ENVIRON_KEY] = preserved
        return environ

    def close(self) -> None:
        """Stop, keeping moto's state in a last snapshot (no log to replay on the next
        start)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        state, self._state = self._state, None
        if state is None:
            return
        try:
            if state.dirty():
                with state.gate.alone():
                    state.snapshot()
        finally:
            state.close()


def _log_failure(future: Future[None]) -> None:
    if not future.cancelled() and (error := future.exception()) is not None:
        log.error("moto's state could not be snapshotted", exc_info=error)


def _inline(exchange: Exchange) -> bool:
    return (
        len(exchange.request.body) <= INLINE_MAX_BODY
        and (exchange.service, exchange.operation) in INLINE
    )


def _unknown_service(exchange: Exchange) -> Response:
    message = f"Gearbox does not serve the '{exchange.service}' service, and neither does moto"
    body = json.dumps({"__type": "UnknownServiceException", "message": message}).encode()
    return Response(
        400,
        (
            ("Content-Type", "application/x-amz-json-1.0"),
            ("x-amzn-RequestId", exchange.request_id),
            ("x-amzn-ErrorType", "UnknownServiceException"),
        ),
        body,
    )
