"""``gearbox dev``: run a project on the local cloud and stream what happens until Ctrl-C.

Uses the local cloud at ``--endpoint-url`` / ``AWS_ENDPOINT_URL`` if given, else starts one
in this process (port and state dir as ``gearbox up``). SIGINT and SIGTERM end the session
with exit code 0; the functions and resources stay on a cloud that was already running.
"""

from __future__ import annotations

import functools
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gearbox.cli.output import Output
from gearbox.dev.session import DevSession
from gearbox.dev.targets import Place
from gearbox.settings import Settings


def user_clients(endpoint_url: str, region: str, env: Mapping[str, str]) -> Callable[[str], Any]:
    """boto3 clients for the user principal against ``endpoint_url``, one per service."""
    import boto3
    from botocore.config import Config

    session = boto3.Session(
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or "gearbox",
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or "gearbox",
        region_name=region,
    )
    config = Config(retries={"mode": "standard", "max_attempts": 3})

    @functools.cache
    def make(service: str) -> Any:
        return session.client(service, endpoint_url=endpoint_url, config=config)

    return make


def run_dev(
    out: Output, path: Path, endpoint_url: str | None, settings: Settings, env: Mapping[str, str]
) -> None:
    cloud = None
    if endpoint_url is None:
        from gearbox.local.cloud import LocalCloud

        cloud = LocalCloud.open(settings)
        cloud.start()
        endpoint_url = cloud.endpoint_url
        out.info(f"gearbox local cloud on {endpoint_url} (state in {settings.state_dir})")
    stop = threading.Event()
    try:
        clients = user_clients(endpoint_url, settings.region, env)
        account = str(clients("sts").get_caller_identity()["Account"])
        place = Place(endpoint_url, settings.region, account)
        session = DevSession(path, place, clients, out)
        session.up()
        out.info(f"watching {path} for changes; Ctrl-C stops")
        sys.stdout.flush()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        session.follow(stop)
    finally:
        stop.set()
        if cloud is not None:
            cloud.stop()
    out.info("gearbox dev stopped")
