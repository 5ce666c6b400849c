"""``gearbox dev`` as a user runs it: a project brought up, its events streamed, a change to
a handler reloaded (only that function), a broken handler reported while the previous code
keeps serving, Ctrl-C ending the session; a declaration error stopping it at the start."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3

from tests.conftest import CREDENTIALS
from tests.e2e.conftest import GEARBOX, Running, free_port, run_gearbox
from tests.waiting import wait_for

APP = """
from gearbox.app import App, Key
from handlers import other, work

app = App("devtest")
jobs = app.queue("jobs", visibility_timeout={visibility})
results = app.table("results", partition_key=Key("id"))
app.on_sqs(jobs, batch_size=1)(
    app.function(name="work", timeout=5, environment={{"TABLE_NAME": results}})(work.handler)
)
app.function(name="other", timeout=3)(other.handler)
"""
WORK = """
import os

import boto3

VERSION = "{version}"


def handler(event, context):
    for record in event["Records"]:
        boto3.client("dynamodb").put_item(
            TableName=os.environ["TABLE_NAME"],
            Item={{"id": {{"S": record["body"]}}, "version": {{"S": VERSION}}}},
        )
"""
OTHER = """
def handler(event, context):
    return "other"
"""


def write_project(root: Path, visibility: int = 30) -> Path:
    (root / "handlers").mkdir(parents=True)
    (root / "handlers" / "__init__.py").write_text("")
    (root / "handlers" / "work.py").write_text(textwrap.dedent(WORK.format(version="v1")))
    (root / "handlers" / "other.py").write_text(textwrap.dedent(OTHER))
    (root / "app.py").write_text(textwrap.dedent(APP.format(visibility=visibility)))
    return root / "app.py"


class Dev:
    """A running ``gearbox dev`` whose output lines are collected as they come."""

    def __init__(self, project: Path, state_dir: Path, endpoint_url: str = "") -> None:
        self.port = int(endpoint_url.rsplit(":", 1)[1]) if endpoint_url else free_port()
        self.process = subprocess.Popen(
            [GEARBOX, "dev", str(project), "--port", str(self.port), "--state-dir", str(state_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "NO_COLOR": "1", "AWS_ENDPOINT_URL": endpoint_url},
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._new.put(line.rstrip("\n"))

    def wait_line(self, *parts: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        for line in self.lines:
            if all(p in line for p in parts):
                return line
        while time.monotonic() < deadline:
            try:
                line = self._new.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None and self._new.empty():
                    break
                continue
            self.lines.append(line)
            if all(p in line for p in parts):
                return line
        raise AssertionError(f"no line with {parts}; output so far:\n" + "\n".join(self.lines))

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=f"http://127.0.0.1:{self.port}",
            region_name="us-east-1",
            **CREDENTIALS,
        )


def item(dev: Dev, key: str) -> dict[str, Any] | None:
    found = dev.client("dynamodb").get_item(TableName="devtest-results", Key={"id": {"S": key}})
    return found.get("Item")


def test_dev_runs_streams_reloads_and_stops(tmp_path: Path) -> None:
    project = write_project(tmp_path / "svc")
    dev = Dev(project, tmp_path / "state")
    try:
        dev.wait_line("watching", timeout=120)
        assert dev.wait_line("devtest-work", "mapping from devtest/queue/jobs")
        sqs = dev.client("sqs")
        url = sqs.get_queue_url(QueueName="devtest-jobs")["QueueUrl"]
        lam = dev.client("lambda")
        other_sha = lam.get_function(FunctionName="devtest-other")["Configuration"]["CodeSha256"]

        sqs.send_message(QueueUrl=url, MessageBody="a")
        assert wait_for(lambda: item(dev, "a"))["version"] == {"S": "v1"}
        line = dev.wait_line("devtest-work", "<- sqs:devtest-jobs", "ok")
        assert "cold" in line

        work = project.parent / "handlers" / "work.py"
        work.write_text(textwrap.dedent(WORK.format(version="v2")))
        reloaded = dev.wait_line("reloaded", "new code for devtest-work")
        assert "devtest-other" in reloaded.split("unchanged:")[1]
        sha_after = lam.get_function(FunctionName="devtest-other")["Configuration"]["CodeSha256"]
        assert sha_after == other_sha  # the package of the function that did not change
        sqs.send_message(QueueUrl=url, MessageBody="b")
        assert wait_for(lambda: item(dev, "b"))["version"] == {"S": "v2"}

        work.write_text("def handler(event, context:\n    pass\n")
        broken = dev.wait_line("still serving the previous version")
        assert broken
        dev.wait_line(f"{work}:1")
        sqs.send_message(QueueUrl=url, MessageBody="c")
        assert wait_for(lambda: item(dev, "c"))["version"] == {"S": "v2"}
    finally:
        if dev.process.poll() is None:
            dev.process.send_signal(signal.SIGINT)
    assert dev.process.wait(timeout=30) == 0
    dev.wait_line("gearbox dev stopped")


def test_declaration_error_stops_dev_with_file_and_line(tmp_path: Path) -> None:
    project = write_project(tmp_path / "svc", visibility=2)  # shorter than the 5 s timeout
    result = run_gearbox(
        "dev",
        str(project),
        "--port",
        str(free_port()),
        "--state-dir",
        str(tmp_path / "s"),
        timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{project}:" in result.stderr
    assert "visibility" in result.stderr.lower()


def test_dev_uses_a_running_cloud_named_by_aws_endpoint_url(
    tmp_path: Path, start_up: Callable[..., Running]
) -> None:
    running = start_up(tmp_path / "cloud-state")
    project = write_project(tmp_path / "svc")
    dev = Dev(project, tmp_path / "unused-state", endpoint_url=running.endpoint_url)
    try:
        dev.wait_line("watching", timeout=120)
        assert not any("gearbox local cloud on" in line for line in dev.lines)
        url = running.client("sqs").get_queue_url(QueueName="devtest-jobs")["QueueUrl"]
        running.client("sqs").send_message(QueueUrl=url, MessageBody="x")
        dev.wait_line("devtest-work", "<- sqs:devtest-jobs", "ok")
    finally:
        dev.process.send_signal(signal.SIGINT)
    assert dev.process.wait(timeout=30) == 0
    names = [f["FunctionName"] for f in running.client("lambda").list_functions()["Functions"]]
    assert "devtest-work" in names  # the cloud and what dev deployed on it stay
    assert not (tmp_path / "unused-state").exists()
