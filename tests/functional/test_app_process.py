"""``ProcessState`` against the local cloud's DynamoDB: every transition, repeats, conflicts,
concurrent steps that lose no update, and a chain run by real functions with
``invoke_async`` (the functions' package holds ``gearbox/app`` alone, as deployed)."""

from __future__ import annotations

import io
import re
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import gearbox.app
from gearbox.app import ProcessNotFound, ProcessState, ProcessStateError, invoke_async
from tests.functional.lambda_helpers import ensure_test_role
from tests.waiting import wait_for

TABLE = "processes"
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def ddb(client: Callable[..., Any]) -> Any:
    dynamodb = client("dynamodb")
    dynamodb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "process_id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "process_id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return dynamodb


def test_start_records_a_running_process_with_pending_steps(ddb: Any) -> None:
    state = ProcessState(ddb, TABLE)
    pid = state.start(["thumbnail", "index"], input={"key": "a.jpg"})
    got = state.get(pid)
    assert got["process_id"] == pid
    assert got["status"] == "RUNNING"
    assert got["input"] == {"key": "a.jpg"}
    assert list(got["steps"]) == ["thumbnail", "index"]
    assert {s["status"] for s in got["steps"].values()} == {"PENDING"}
    assert (got["started"], got["completed"], got["failed"]) == ([], [], [])
    assert ISO_UTC.match(got["created_at"]) and got["finished_at"] is None
    raw = ddb.get_item(TableName=TABLE, Key={"process_id": {"S": pid}})["Item"]
    assert raw["status"] == {"S": "RUNNING"}


def test_steps_complete_and_the_last_one_succeeds_the_process(ddb: Any) -> None:
    state = ProcessState(ddb, TABLE)
    pid = state.start(["a", "b"], process_id="p-1")
    assert pid == "p-1"
    state.step_started(pid, "a")
    state.step_completed(pid, "a", {"size": 3})
    middle = state.get(pid)
    assert middle["status"] == "RUNNING"
    assert middle["steps"]["a"]["result"] == {"size": 3}
    assert ISO_UTC.match(middle["steps"]["a"]["started_at"])
    assert (middle["started"], middle["completed"]) == (["a"], ["a"])

    state.step_completed(pid, "b")
    done = state.get(pid)
    assert done["status"] == "SUCCEEDED"
    assert done["completed"] == ["a", "b"]
    assert ISO_UTC.match(done["finished_at"])


def test_a_failed_step_fails_the_process_for_good(ddb: Any) -> None:
    state = ProcessState(ddb, TABLE)
    pid = state.start(["a", "b", "c"])
    state.step_failed(pid, "a", "corrupt PDF")
    state.step_completed(pid, "b", "late but done")  # still recorded
    got = state.get(pid)
    assert got["status"] == "FAILED"
    assert got["failed"] == ["a"] and got["completed"] == ["b"]
    assert got["steps"]["a"]["error"] == "corrupt PDF"
    finished = got["finished_at"]
    state.step_failed(pid, "c", "second failure")
    again = state.get(pid)
    assert again["failed"] == ["a", "c"]
    assert again["finished_at"] == finished
    with pytest.raises(ProcessStateError, match=r"step 'a' of process .* is FAILED"):
        state.step_completed(pid, "a")


def test_repeats_are_no_ops_and_conflicts_raise(ddb: Any) -> None:
    state = ProcessState(ddb, TABLE)
    pid = state.start(["a"])
    state.step_started(pid, "a")
    state.step_started(pid, "a")  # a Lambda retry
    state.step_completed(pid, "a", 1)
    state.step_completed(pid, "a", 2)  # at-least-once delivery: ignored
    got = state.get(pid)
    assert got["status"] == "SUCCEEDED" and got["steps"]["a"]["result"] == 1
    with pytest.raises(ProcessStateError, match="is COMPLETED"):
        state.step_started(pid, "a")
    with pytest.raises(ProcessStateError, match="is COMPLETED"):
        state.step_failed(pid, "a", "too late")
    with pytest.raises(ProcessStateError, match="no step 'zzz'"):
        state.step_completed(pid, "zzz")
    with pytest.raises(ProcessStateError, match="already exists"):
        state.start(["a"], process_id=pid)
    with pytest.raises(ProcessNotFound):
        state.get("nope")
    with pytest.raises(ProcessNotFound):
        state.step_completed("nope", "a")


def complete_concurrently(ddb: Any, pid: str, steps: list[str]) -> None:
    barrier = threading.Barrier(len(steps))
    errors: list[BaseException] = []

    def run(step: str) -> None:
        state = ProcessState(ddb, TABLE)
        barrier.wait()
        try:
            state.step_started(pid, step)
            state.step_completed(pid, step, {"step": step})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []


def test_two_steps_completing_at_once_lose_no_update(ddb: Any) -> None:
    state = ProcessState(ddb, TABLE)
    for _ in range(20):
        pid = state.start(["thumbnail", "index"])
        complete_concurrently(ddb, pid, ["thumbnail", "index"])
        got = state.get(pid)
        assert got["status"] == "SUCCEEDED", got
        assert got["completed"] == ["thumbnail", "index"]
        assert got["steps"]["index"]["result"] == {"step": "index"}
        assert got["steps"]["thumbnail"]["result"] == {"step": "thumbnail"}


def test_many_steps_completing_at_once_lose_no_update(ddb: Any) -> None:
    state = ProcessState(ddb, TABLE)
    steps = [f"step-{i}" for i in range(16)]
    pid = state.start(steps)
    complete_concurrently(ddb, pid, steps)
    got = state.get(pid)
    assert got["status"] == "SUCCEEDED"
    assert got["completed"] == steps
    assert [got["steps"][s]["result"] for s in steps] == [{"step": s} for s in steps]


STEP_HANDLER = """
import os, boto3
from gearbox.app import ProcessState

def handler(event, context):
    state = ProcessState(boto3.client("dynamodb"), os.environ["PROCESS_TABLE"])
    state.step_started(event["process_id"], event["step"])
    state.step_completed(event["process_id"], event["step"], {"by": context.function_name})
"""


def package_with_gearbox_app(handler: str) -> bytes:
    """A function package: ``step.py`` and ``gearbox/app`` only, as it would ship."""
    app_dir = Path(gearbox.app.__file__).parent
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("step.py", handler)
        archive.writestr("gearbox/__init__.py", "")
        for module in sorted(app_dir.glob("*.py")):
            archive.write(module, f"gearbox/app/{module.name}")
    return buffer.getvalue()


def test_a_chain_of_async_steps_records_its_progress(ddb: Any, client: Callable[..., Any]) -> None:
    lam = client("lambda")
    lam.create_function(
        FunctionName="step",
        Runtime="python3.11",
        Role=ensure_test_role(lam),
        Handler="step.handler",
        Code={"ZipFile": package_with_gearbox_app(STEP_HANDLER)},
        Environment={"Variables": {"PROCESS_TABLE": TABLE}},
    )
    state = ProcessState(ddb, TABLE)
    pid = state.start(["thumbnail", "index"])
    for step in ("thumbnail", "index"):
        assert invoke_async(lam, "step", {"step": step}, pid)["StatusCode"] == 202

    done = wait_for(lambda: (got := state.get(pid))["status"] == "SUCCEEDED" and got)
    assert done["steps"]["index"]["result"] == {"by": "step"}
    assert done["completed"] == ["thumbnail", "index"]
