"""Assembles the local cloud and runs it: state dir, services, backend, edge, HTTP server.

Everything that can fail for a reason a user can fix (the state dir, the port) fails in
``LocalCloud.open`` with a ``GearboxError`` before anything is served, so ``gearbox up`` can
print one line and exit 2 instead of hanging or printing a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import functools
import signal
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

from gearbox.clock import Clock, SystemClock
from gearbox.errors import GearboxError
from gearbox.local.backend import MotoBackend
from gearbox.local.backend.durable import MotoState
from gearbox.local.edge.asgi import EdgeApp
from gearbox.local.edge.authorize import Authorize
from gearbox.local.edge.chain import build_chain
from gearbox.local.edge.internal import InternalRoutes, journal_route
from gearbox.local.edge.observed import ObservedCalls, ObservedRoute
from gearbox.local.functions.permissions import lets_invoke
from gearbox.local.functions.service import LambdaService
from gearbox.local.journal import Journal
from gearbox.local.s3events import S3Notifications
from gearbox.local.schedules import Schedules
from gearbox.local.schedules.roles import SchedulerRoles
from gearbox.local.sns import SnsDelivery
from gearbox.local.sqs.protocol import SqsService
from gearbox.local.statedir import StateDir, open_state_dir
from gearbox.settings import Settings

_GRACEFUL_SHUTDOWN_SECONDS = 2
# The SenderId of messages Lambda sends to destination queues and DLQs.
LAMBDA_SENDER_ID = "AIDALAMBDADESTINATIONS"


@dataclass
class LocalCloud:
    """A running (or ready to run) local cloud. Build it with ``LocalCloud.open``."""

    settings: Settings
    state: StateDir
    sqs: SqsService
    functions: LambdaService
    backend: MotoBackend
    socket: socket.socket
    s3events: S3Notifications
    sns: SnsDelivery
    schedules: Schedules
    journal: Journal
    observed: ObservedCalls
    clock: Clock
    _server: Any = field(default=None, repr=False)
    _schedules_task: asyncio.Task[None] | None = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, clock: Clock | None = None) -> LocalCloud:
        from gearbox import __version__

        clock = clock or SystemClock()
        with contextlib.ExitStack() as undo:  # undoes what was opened if a later step fails
            state = open_state_dir(settings.state_dir, __version__)
            undo.callback(state.release)
            journal = Journal(state.path / "journal.db", clock)
            undo.callback(journal.close)
            sqs = SqsService(state.path / "sqs.db", clock, settings.account_id)
            undo.callback(sqs.close)
            sqs.messaging.on_dead_letter = functools.partial(_dead_lettered, journal)
            sock = _bind(settings.host, settings.port)
            undo.callback(sock.close)
            port = sock.getsockname()[1]
            functions = LambdaService(
                state.path,
                clock,
                f"http://{settings.host}:{port}",
                settings.region,
                settings.account_id,
                send_sqs=functools.partial(sqs.send_to, sender=LAMBDA_SENDER_ID),
                queues=sqs,
                journal=journal,
            )
            undo.callback(functions.registry.close)
            observed = ObservedCalls(state.path)
            undo.callback(observed.close)
            moto_state = MotoState(state.path)
            undo.callback(moto_state.close)
            backend = MotoBackend(settings.host, port, state=moto_state)
            undo.callback(backend.close)
            s3events = S3Notifications(
                state_dir=state.path,
                backend=backend,
                sqs=sqs,
                functions=functions,
                endpoint_url=f"http://{settings.host}:{port}",
                clock=clock,
                account=settings.account_id,
            )
            s3events.on_undelivered = functools.partial(_undelivered, journal)
            sns = SnsDelivery(
                backend=backend,
                functions=functions,
                queues=sqs.registry,
                endpoint_url=f"http://{settings.host}:{port}",
                clock=clock,
            )
            sns.on_undelivered = functools.partial(_undelivered, journal)
            sns.on_dead_letter = functools.partial(_dead_lettered, journal)
            schedules = Schedules(
                f"http://{settings.host}:{port}",
                settings.region,
                settings.account_id,
                clock,
                enqueue=lambda arn, payload, request_id: functions.queue.enqueue(
                    arn, payload, request_id, None
                ),
                may_invoke=functools.partial(_events_may_invoke, functions),
                role_refuses=SchedulerRoles(functions.roles, settings.iam_mode),
            )
            schedules.on_undelivered = functools.partial(_undelivered, journal)
            functions.event_sources.on_undelivered = functools.partial(_undelivered, journal)
            undo.pop_all()
        return cls(
            settings=settings,
            state=state,
            sqs=sqs,
            functions=functions,
            backend=backend,
            socket=sock,
            s3events=s3events,
            sns=sns,
            schedules=schedules,
            journal=journal,
            observed=observed,
            clock=clock,
        )

    @property
    def port(self) -> int:
        return int(self.socket.getsockname()[1])

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    def _make_server(self) -> Any:
        import uvicorn

        from gearbox.local.edge.protocol import CoalescingHttpToolsProtocol

        chain = build_chain(
            {"sqs": self.sqs, "lambda": self.functions, "s3": self.s3events, "sns": self.sns},
            self.backend,
            self.settings.region,
            identify=self._principal,
            authorize=Authorize(
                self.settings.iam_mode,
                function_of=self.functions.identity,
                roles=self.functions.roles,
                observed=self.observed,
                clock=self.clock,
                account=self.settings.account_id,
            ),
            routes=[
                ObservedRoute(self.observed),
                InternalRoutes({"journal": journal_route(self.journal)}),
            ],
        )
        app = EdgeApp(chain, on_startup=self._start_services, on_shutdown=self._stop_services)
        config = uvicorn.Config(
            app,
            http=CoalescingHttpToolsProtocol,
            loop="asyncio",
            lifespan="on",
            log_level="warning",
            access_log=False,
            proxy_headers=False,  # nothing stands in front of the local cloud
            timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
        )
        return uvicorn.Server(config)

    async def _start_services(self) -> None:
        await self.functions.start()
        self._schedules_task = asyncio.get_running_loop().create_task(self.schedules.run_forever())

    async def _stop_services(self) -> None:
        if self._schedules_task is not None:
            self._schedules_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._schedules_task
        await self.functions.stop()

    def _principal(self, access_key: str) -> str:
        record = self.functions.registry.by_access_key(access_key)
        return f"function:{record.name}" if record is not None else "user"

    def serve_forever(self) -> None:
        """Serve in the foreground until SIGINT or SIGTERM, then shut down cleanly.

        The server runs on its own thread and this (main) thread waits for a signal, so a
        stop is an orderly shutdown and exit code 0 rather than a re-raised signal.
        """
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        self.start()
        try:
            while not stop.wait(0.2):
                if self._thread is None or not self._thread.is_alive():
                    raise GearboxError("the local cloud stopped unexpectedly")
        finally:
            self.stop()

    def start(self) -> None:
        """Serve on a background thread (tests, benchmarks, the demo); ``stop`` ends it."""
        server = self._make_server()
        self._server = server
        self._thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [self.socket]},
            name="gearbox-edge",
            daemon=True,
        )
        self._thread.start()
        while not server.started:
            if not self._thread.is_alive():
                raise GearboxError("the local cloud failed to start")
            threading.Event().wait(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self.close()

    def close(self) -> None:
        self.backend.close()
        self.s3events.close()
        self.sqs.close()
        self.functions.registry.close()
        self.journal.close()
        self.observed.close()
        with contextlib.suppress(OSError):
            self.socket.close()
        self.state.release()


def _events_may_invoke(functions: LambdaService, function_arn: str, rule_arn: str) -> bool:
    """Whether the function's policy lets EventBridge invoke it for the rule ``rule_arn``."""
    parts = function_arn.split(":")
    record = functions.registry.get(parts[3], parts[6]) if len(parts) >= 7 else None
    if record is None:
        return True  # the invoke reports the missing function
    return lets_invoke(
        record.policy,
        record.arn,
        "events.amazonaws.com",
        source_arn=rule_arn,
        source_account=rule_arn.split(":")[4],
    )


def _dead_lettered(
    journal: Journal, source: str, dlq: str, message_id: str, reason: str | None = None
) -> None:
    """An SQS message moved by its queue's redrive policy (no reason: maxReceiveCount), or
    an SNS message moved to its subscription's dead-letter queue (source: the subscription)."""
    because = {} if reason is None else {"reason": reason}
    journal.record(
        "dead-letter", None, queue=source, dead_letter_queue=dlq, message_id=message_id, **because
    )


def _undelivered(journal: Journal, source: str, destination: str, event: str, reason: str) -> None:
    journal.record(
        "undelivered", None, source=source, destination=destination, event=event, reason=reason
    )


def _bind(host: str, port: int) -> socket.socket:
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets whose proto says
    # TCP, and without it Nagle's algorithm holds every response for ~40 ms.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise GearboxError(f"port {port} on {host} is already in use") from exc
        raise GearboxError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.listen(1024)
    sock.set_inheritable(True)
    return sock
