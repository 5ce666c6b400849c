"""A local cloud run over a state dir, to stop and open again: what survives a restart."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3

from gearbox.local.cloud import LocalCloud
from gearbox.settings import Settings
from tests.conftest import CREDENTIALS, REGION


def clients_of(cloud: LocalCloud) -> Callable[[str], Any]:
    """A boto3 client factory for ``cloud``."""
    return lambda service: boto3.client(
        service, endpoint_url=cloud.endpoint_url, region_name=REGION, **CREDENTIALS
    )


@contextmanager
def running(state: Path) -> Iterator[Callable[[str], Any]]:
    """A cloud over ``state``, as a client factory; stopped cleanly at the end."""
    cloud = LocalCloud.open(Settings(port=0, state_dir=state))
    cloud.start()
    try:
        yield clients_of(cloud)
    finally:
        cloud.stop()
