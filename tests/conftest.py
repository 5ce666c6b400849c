"""Fixtures shared by every tier: a local cloud on an ephemeral port, clients, the aws CLI.

Each fixture is a factory or a resource that cleans up after itself. Functional tests get a
fresh cloud (own state dir, own ``ManualClock``) per test, so they never share queues and can
move time by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from gearbox.clock import ManualClock
from gearbox.local.cloud import LocalCloud
from gearbox.settings import Settings

REGION = "us-east-1"
CREDENTIALS = {"aws_access_key_id": "AKIDGEARBOXTEST", "aws_secret_access_key": "secret"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cloud(tmp_path: Path, clock: ManualClock) -> Iterator[LocalCloud]:
    local = LocalCloud.open(Settings(port=0, state_dir=tmp_path / "state"), clock=clock)
    local.start()
    yield local
    local.stop()


@pytest.fixture
def client(cloud: LocalCloud) -> Callable[..., Any]:
    """``client("s3")``: a boto3 client for the local cloud."""

    def make(service: str, region: str = REGION, **kwargs: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=cloud.endpoint_url,
            region_name=region,
            **{**CREDENTIALS, **kwargs},
        )

    return make


@pytest.fixture
def sqs(client: Callable[..., Any]) -> Any:
    return client("sqs")


def aws_env(endpoint_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID=CREDENTIALS["aws_access_key_id"],
        AWS_SECRET_ACCESS_KEY=CREDENTIALS["aws_secret_access_key"],
        AWS_DEFAULT_REGION=REGION,
        AWS_ENDPOINT_URL=endpoint_url,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_PAGER="",
    )
    return env


@pytest.fixture
def aws(cloud: LocalCloud) -> Callable[..., Any]:
    """``aws("sqs", "list-queues")``: run the aws CLI against the local cloud; parsed JSON.

    Raises ``subprocess.CalledProcessError`` (with stderr) when the command fails.
    """

    def run(*args: str, check: bool = True) -> Any:
        cli = Path(sys.executable).parent / "aws"
        done = subprocess.run(
            [str(cli), "--endpoint-url", cloud.endpoint_url, *args, "--output", "json"],
            env=aws_env(cloud.endpoint_url),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if check and done.returncode != 0:
            raise subprocess.CalledProcessError(
                done.returncode, done.args, done.stdout, done.stderr
            )
        if not check:
            return done
        return json.loads(done.stdout) if done.stdout.strip() else {}

    return run
