"""Process state in DynamoDB, for chains that invoke their next step asynchronously instead of
waiting for it.

``ProcessState(client, table_name)`` keeps one item per process in a table whose partition key
is ``process_id`` (S). ``client`` is a boto3 DynamoDB *client* the handler made; this module
never imports boto3. The item::

    process_id   S   the id (a uuid4 hex unless given)
    status       S   RUNNING -> SUCCEEDED (every step completed) | FAILED (a step failed)
    steps        L   the step names, in order
    input        S   the input as JSON text (absent when None)
    created_at, updated_at, finished_at   S   ISO-8601 UTC, e.g. 2026-01-02T03:04:05.678Z
    step:<name>  M   {status: PENDING|STARTED|COMPLETED|FAILED, started_at, completed_at,
                      failed_at, result (JSON text), error}

No lost updates: every write is one conditional ``UpdateItem`` that sets only its own step's
attribute (and the process's status when it changes), so two steps finishing at the same
time never overwrite each other, whatever order DynamoDB applies them in. Completing a step
returns the new item; the writer that sees every step completed then moves the process to
SUCCEEDED with a write conditioned on it still being RUNNING and every step COMPLETED, so
exactly one writer does it. Completing a step twice is a no-op (Lambda delivers at least
once); a step that failed cannot complete afterwards, and a failed process stays FAILED
(later step results are still recorded). A condition that does not hold raises
``ProcessStateError`` naming why; an unknown process raises ``ProcessNotFound``.

Limits: the SUCCEEDED write's condition names every step, so a process has at most about a
hundred steps (DynamoDB's 4 KB expression limit). If the process crashes between a step's
write and the SUCCEEDED write, the item stays RUNNING with every step COMPLETED; ``get`` shows
exactly that.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from gearbox.app.events import deserialize_item

RUNNING, SUCCEEDED, FAILED = "RUNNING", "SUCCEEDED", "FAILED"
PENDING, STARTED, COMPLETED = "PENDING", "STARTED", "COMPLETED"
STEP_PREFIX = "step:"


class ProcessStateError(Exception):
    """A step write that the process's state does not allow."""


class ProcessNotFound(ProcessStateError, LookupError):
    """No process has this id."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and ``Z``, as AWS writes timestamps."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class ProcessState:
    """Start a process, record its steps, read it back."""

    def __init__(
        self, client: Any, table_name: str, *, now: Callable[[], datetime] = utc_now
    ) -> None:
        self._client = client
        self._table = table_name
        self._now = now

    def start(self, steps: Sequence[str], process_id: str | None = None, input: Any = None) -> str:
        """Create the process, RUNNING with every step PENDING; returns its id."""
        if not steps or len(set(steps)) != len(steps):
            raise ValueError("a process needs one or more steps, each named once")
        pid = process_id or uuid.uuid4().hex
        now = self._stamp()
        names = {"#status": "status", "#steps": "steps", "#c": "created_at", "#u": "updated_at"}
        values: dict[str, Any] = {
            ":running": {"S": RUNNING},
            ":steps": {"L": [{"S": step} for step in steps]},
            ":now": {"S": now},
            ":pending": {"M": {"status": {"S": PENDING}}},
        }
        sets = ["#status = :running", "#steps = :steps", "#c = :now", "#u = :now"]
        for i, step in enumerate(steps):
            names[f"#s{i}"] = STEP_PREFIX + step
            sets.append(f"#s{i} = :pending")
        if input is not None:
            names["#input"] = "input"
            values[":input"] = {"S": json.dumps(input)}
            sets.append("#input = :input")
        try:
            update = "SET " + ", ".join(sets)
            self._update(pid, update, "attribute_not_exists(process_id)", names, values)
        except self._conflict() as exc:
            raise ProcessStateError(f"process {pid} already exists") from exc
        return pid

    def step_started(self, process_id: str, step: str) -> None:
        """The step began (again, when Lambda retries it)."""
        self._step_write(
            process_id,
            step,
            "SET #step.#st = :started, #step.started_at = if_not_exists(#step.started_at, :now), "
            "#u = :now",
            "attribute_exists(#step) AND #step.#st IN (:pending, :started)",
            {":started": {"S": STARTED}, ":pending": {"S": PENDING}},
        )

    def step_completed(self, process_id: str, step: str, result: Any = None) -> None:
        """The step finished; the last step to finish makes the process SUCCEEDED."""
        values = {
            ":completed": {"S": COMPLETED},
            ":pending": {"S": PENDING},
            ":started": {"S": STARTED},
            ":result": {"S": json.dumps(result)},
        }
        item = self._step_write(
            process_id,
            step,
            "SET #step.#st = :completed, #step.completed_at = :now, #step.#result = :result, "
            "#u = :now",
            "attribute_exists(#step) AND #step.#st IN (:pending, :started)",
            values,
            idempotent_when=COMPLETED,
            extra_names={"#result": "result"},
        )
        if item is not None and _all_completed(item):
            self._finish(process_id, [s["S"] for s in item["steps"]["L"]])

    def step_failed(self, process_id: str, step: str, error: str) -> None:
        """The step failed for good: the process is FAILED."""
        self._step_write(
            process_id,
            step,
            "SET #step.#st = :failed, #step.#error = :error, #step.failed_at = :now, "
            "#status = :failed, finished_at = if_not_exists(finished_at, :now), #u = :now",
            "attribute_exists(#step) AND #step.#st <> :completed AND #status <> :succeeded",
            {
                ":failed": {"S": FAILED},
                ":error": {"S": error},
                ":completed": {"S": COMPLETED},
                ":succeeded": {"S": SUCCEEDED},
            },
            extra_names={"#status": "status", "#error": "error"},
        )

    def get(self, process_id: str) -> dict[str, Any]:
        """The process as plain values: ``process_id``, ``status``, ``input``, timestamps,
        ``steps`` (name -> its record, in order) and the ``started`` / ``completed`` /
        ``failed`` step names."""
        response = self._client.get_item(
            TableName=self._table, Key={"process_id": {"S": process_id}}, ConsistentRead=True
        )
        if "Item" not in response:
            raise ProcessNotFound(f"no process {process_id} in table {self._table}")
        return _view(deserialize_item(response["Item"]))

    # writes

    def _step_write(
        self,
        process_id: str,
        step: str,
        update: str,
        condition: str,
        values: dict[str, Any],
        *,
        idempotent_when: str | None = None,
        extra_names: Mapping[str, str] | None = None,
    ) -> dict[str, Any] | None:
        """One conditional write to a step; the item after it, or None when it was a repeat."""
        names = {"#step": STEP_PREFIX + step, "#st": "status", "#u": "updated_at"}
        names.update(extra_names or {})
        values = {**values, ":now": {"S": self._stamp()}}
        try:
            return self._update(process_id, update, condition, names, values)
        except self._conflict() as exc:
            current = self.get(process_id)
            state = current["steps"].get(step)
            if state is None:
                raise ProcessStateError(f"process {process_id} has no step {step!r}") from exc
            if idempotent_when is not None and state["status"] == idempotent_when:
                return None
            raise ProcessStateError(
                f"step {step!r} of process {process_id} is {state['status']} "
                f"(process {current['status']})"
            ) from exc

    def _finish(self, process_id: str, steps: Sequence[str]) -> None:
        names = {"#status": "status", "#st": "status", "#u": "updated_at"}
        checks = ["#status = :running"]
        for i, step in enumerate(steps):
            names[f"#s{i}"] = STEP_PREFIX + step
            checks.append(f"#s{i}.#st = :completed")
        values = {
            ":running": {"S": RUNNING},
            ":completed": {"S": COMPLETED},
            ":succeeded": {"S": SUCCEEDED},
            ":now": {"S": self._stamp()},
        }
        try:
            self._update(
                process_id,
                "SET #status = :succeeded, finished_at = :now, #u = :now",
                " AND ".join(checks),
                names,
                values,
            )
        except self._conflict():
            pass  # another step's writer finished it first

    def _update(
        self,
        process_id: str,
        update: str,
        condition: str,
        names: Mapping[str, str],
        values: Mapping[str, Any],
    ) -> dict[str, Any]:
        response = self._client.update_item(
            TableName=self._table,
            Key={"process_id": {"S": process_id}},
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames=dict(names),
            ExpressionAttributeValues=dict(values),
            ReturnValues="ALL_NEW",
        )
        attributes: dict[str, Any] = response.get("Attributes", {})
        return attributes

    def _conflict(self) -> type[Exception]:
        error: type[Exception] = self._client.exceptions.ConditionalCheckFailedException
        return error

    def _stamp(self) -> str:
        return iso(self._now())


def _all_completed(item: Mapping[str, Any]) -> bool:
    steps = [s["S"] for s in item["steps"]["L"]]
    return (
        all(item[STEP_PREFIX + step]["M"]["status"]["S"] == COMPLETED for step in steps)
        and item["status"]["S"] == RUNNING
    )


def _view(item: Mapping[str, Any]) -> dict[str, Any]:
    order: list[str] = list(item["steps"])
    steps = {name: _step_view(item[STEP_PREFIX + name]) for name in order}
    return {
        "process_id": item["process_id"],
        "status": item["status"],
        "input": json.loads(item["input"]) if "input" in item else None,
        "created_at": item["created_at"],
        "updated_at": item["updated_at"],
        "finished_at": item.get("finished_at"),
        "steps": steps,
        "started": [n for n in order if steps[n]["status"] != PENDING],
        "completed": [n for n in order if steps[n]["status"] == COMPLETED],
        "failed": [n for n in order if steps[n]["status"] == FAILED],
    }


def _step_view(record: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "status": record["status"],
        "started_at": record.get("started_at"),
        "completed_at": record.get("completed_at"),
        "failed_at": record.get("failed_at"),
        "result": json.loads(record["result"]) if "result" in record else None,
        "error": record.get("error"),
    }


def invoke_async(
    client: Any, function_name: str, payload: Mapping[str, Any], process_id: str
) -> Any:
    """Invoke ``function_name`` asynchronously (``InvocationType="Event"``) with
    ``{"process_id": process_id, **payload}``; returns Lambda's response (StatusCode 202).

    ``client`` is a boto3 Lambda client."""
    body = json.dumps({"process_id": process_id, **payload}).encode()
    return client.invoke(FunctionName=function_name, InvocationType="Event", Payload=body)
