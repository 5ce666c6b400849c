"""boto3 clients for the local cloud's calls to itself (destinations, notifications, SNS
delivery, code fetches, stream pollers): one client per (service, region), made once and
shared across worker threads (boto3 clients are thread-safe once built), pointed at the
local endpoint with the local cloud's own service credentials, one attempt and short
timeouts so a stopping edge fails fast instead of retrying.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# The local cloud's own credentials for what it does on a user's behalf.
SERVICE_ACCESS_KEY = "AKIAGEARBOXLAMBDA000"
SERVICE_SECRET_KEY = "gearbox-lambda-service"


class LocalClients:
    def __init__(
        self,
        endpoint_url: str,
        default_region: str = "us-east-1",
        access_key: str = SERVICE_ACCESS_KEY,
        secret_key: str = SERVICE_SECRET_KEY,
    ) -> None:
        self._endpoint_url = endpoint_url
        self._default_region = default_region
        self._credentials = {"aws_access_key_id": access_key, "aws_secret_access_key": secret_key}
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, service: str, region: str | None = None) -> Any:
        region = region or self._default_region
        with self._lock:
            if (service, region) not in self._clients:
                import boto3
                from botocore.config import Config

                self._clients[service, region] = boto3.session.Session().client(
                    service,
                    endpoint_url=self._endpoint_url,
                    region_name=region,
                    config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30),
                    **self._credentials,
                )
            return self._clients[service, region]

    async def call(self, service: str, region: str | None, call: Callable[[Any], T]) -> T:
        """Run ``call(client)`` on a worker thread (boto3 blocks; the event loop must not)."""
        client = self.get(service, region)
        return await asyncio.to_thread(call, client)
