"""Lambda in the local cloud: the registry, the execution environments and the async queue.

``LambdaService`` is what the edge dispatches ``lambda`` requests to. It owns

- the ``FunctionRegistry`` (durable functions and their settings),
- the ``EnvironmentPool`` that runs invocations in execution environments,
- the ``AsyncInvokeQueue`` (durable, with Lambda's retry rules) and its ``BotoDeliverer``
  for destinations, and
- the ``LogBook`` where every invocation's log lands, and
- ``RolePolicies``: each function's execution role (``Role`` at CreateFunction) and the
  policies IAM holds for it, which the edge's authorize stage checks its calls against.

The pool and the queue live on the edge's event loop: ``start`` creates them there and
``stop`` ends them. The async queue names functions by ARN, so it knows their region.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path
from typing import Any

from gearbox.clock import Clock
from gearbox.local.clients import SERVICE_ACCESS_KEY, SERVICE_SECRET_KEY, LocalClients
from gearbox.local.edge.authorize import FunctionIdentity
from gearbox.local.edge.chain import Exchange
from gearbox.local.edge.messages import Response
from gearbox.local.functions.api import LambdaApi
from gearbox.local.functions.logs import LogBook
from gearbox.local.functions.model import Invocation, InvokeResult, Throttled
from gearbox.local.functions.registry import FunctionRecord, FunctionRegistry
from gearbox.local.functions.roles import RolePolicies
from gearbox.local.journal import Journal, describe
from gearbox.local.runtime.pool import EnvironmentPool
from gearbox.local.sinks.async_queue import AsyncInvokeQueue
from gearbox.local.sinks.config import EventInvokeConfig
from gearbox.local.sinks.deliver import BotoDeliverer, SqsSender
from gearbox.local.sources.sqs_mapping import MappingStore
from gearbox.local.sources.sqs_poller import PollerManager, QueueAccess


class LambdaService:
    target_prefix = None

    def __init__(
        self,
        state_dir: Path,
        clock: Clock,
        endpoint_url: str,
        region: str,
        account: str,
        *,
        send_sqs: SqsSender | None = None,
        queues: QueueAccess | None = None,
        journal: Journal | None = None,
    ) -> None:
        self.journal = journal
        self._send_sqs = send_sqs
        self._clients = LocalClients(endpoint_url, region)
        self._state_dir = state_dir
        self._clock = clock
        self._endpoint_url = endpoint_url
        self._region = region
        self.registry = FunctionRegistry(state_dir)
        self.roles = RolePolicies(self._clients)
        self.logs = LogBook(state_dir)
        self._pool: EnvironmentPool | None = None
        self._queue: AsyncInvokeQueue | None = None
        self._runner: asyncio.Task[None] | None = None
        self.api = LambdaApi(
            self.registry,
            clock,
            account=account,
            invoke=self._invoke_sync,
            enqueue=self._enqueue,
            fetch_code=self._fetch_code,
            retire=self._retire,
        )
        self.event_sources = PollerManager(
            MappingStore(state_dir),
            endpoint_url,
            self._sqs_client,
            self.invoke,
            service_clients=self._service_client,
            clock=clock,
            queues=queues,
        )
        self.api.event_sources = self.event_sources

    async def start(self) -> None:
        self._pool = EnvironmentPool(
            self._endpoint_url,
            self._state_dir / "lambda" / "environments",
            on_log=self.logs.append,
        )
        deliverer = BotoDeliverer(
            self._endpoint_url,
            self._region,
            SERVICE_ACCESS_KEY,
            SERVICE_SECRET_KEY,
            enqueue_lambda=self._enqueue_arn,
            send_sqs=self._send_sqs,
        )
        self._queue = AsyncInvokeQueue(
            self._state_dir / "lambda-async.db",
            self._clock,
            target=self,
            deliver=deliverer,
            journal=self.journal,
        )
        self._runner = asyncio.get_running_loop().create_task(self._queue.run_forever())
        self.event_sources.start()

    async def stop(self) -> None:
        await self.event_sources.stop()
        self.event_sources.store.close()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        if self._pool is not None:
            await self._pool.close()
        if self._queue is not None:
            self._queue.close()
        self.logs.close()
        self.registry.close()

    def identity(self, access_key: str) -> FunctionIdentity | None:
        """The function whose own access key this is, and its role; None for any other."""
        record = self.registry.by_access_key(access_key)
        return None if record is None else FunctionIdentity(record.name, record.role)

    @property
    def queue(self) -> AsyncInvokeQueue:
        assert self._queue is not None, "LambdaService.start() has not run"
        return self._queue

    async def handle(self, exchange: Exchange) -> Response:
        return await self.api.handle(exchange)

    # what the API asks of the service

    async def _invoke_sync(self, record: FunctionRecord, invocation: Invocation) -> InvokeResult:
        assert self._pool is not None
        if self.journal is None:
            return await self._pool.invoke(record.spec(), invocation)
        try:
            result = await self._pool.invoke(record.spec(), invocation)
        except Throttled:
            self.journal.record("invocation", record.name, **describe.throttled(invocation))
            raise
        self.journal.record("invocation", record.name, **describe.invocation(invocation, result))
        return result

    def _enqueue(self, record: FunctionRecord, invocation: Invocation) -> None:
        self.queue.enqueue(
            record.arn, invocation.payload, invocation.request_id, invocation.trace_id
        )

    def _enqueue_arn(self, function_arn: str, payload: bytes) -> None:
        self.queue.enqueue(function_arn, payload, str(uuid.uuid4()), None)

    def _retire(self, function_name: str) -> None:
        if self._pool is not None:
            self._pool.retire(function_name)

    def _sqs_client(self, region: str) -> Any:
        return self._service_client("sqs", region)

    def _service_client(self, service: str, region: str) -> Any:
        return self._clients.get(service, region)

    async def _fetch_code(self, bucket: str, key: str, version: str | None) -> bytes:
        extra = {"VersionId": version} if version else {}
        return await self._clients.call(
            "s3",
            self._region,
            lambda s3: bytes(s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()),
        )

    # the async queue's target

    def _by_arn(self, function_arn: str) -> FunctionRecord | None:
        parts = function_arn.split(":")
        if len(parts) < 7:
            return None
        return self.registry.get(parts[3], parts[6])

    def event_config(self, function_name: str) -> EventInvokeConfig | None:
        record = self._by_arn(function_name)
        if record is None:
            return None
        stored = record.event_invoke_config or {}
        destinations = stored.get("DestinationConfig", {})
        return EventInvokeConfig(
            function_arn=record.arn,
            maximum_retry_attempts=int(stored.get("MaximumRetryAttempts", 2)),
            maximum_event_age_seconds=int(stored.get("MaximumEventAgeInSeconds", 21_600)),
            on_success=destinations.get("OnSuccess", {}).get("Destination"),
            on_failure=destinations.get("OnFailure", {}).get("Destination"),
            dead_letter_arn=record.dead_letter_arn,
        )

    async def invoke(self, function_name: str, invocation: Invocation) -> InvokeResult:
        record = self._by_arn(function_name)
        if record is None:
            raise LookupError(f"function {function_name} no longer exists")
        return await self._invoke_sync(record, invocation)
