"""Running one step of an object's process: progress recorded in the processes table.

``run_step`` marks the step started, runs it, and marks it completed with its result, or
failed with the error (then re-raises, so the invocation shows as failed). The step functions
are declared with ``retry_attempts=0``: the process record is the truth, and a Lambda retry
after ``step_failed`` would contradict it. Re-running a step is idempotent (same thumbnail
key, same index rows), so a step can be re-invoked by hand.

Environment: ``PROCESSES_TABLE``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

from handlers.aws import client

Step = Callable[[Mapping[str, Any]], dict[str, Any]]


def run_step(name: str, event: Mapping[str, Any], work: Step) -> dict[str, Any]:
    from gearbox.app import ProcessState  # here, so the step modules' pure helpers import alone

    process_id = str(event["process_id"])
    state = ProcessState(client("dynamodb"), os.environ["PROCESSES_TABLE"])
    state.step_started(process_id, name)
    try:
        result = work(event)
    except Exception as exc:
        state.step_failed(process_id, name, f"{type(exc).__name__}: {exc}"[:1000])
        raise
    state.step_completed(process_id, name, result)
    return {"process_id": process_id, "step": name, "result": result}
