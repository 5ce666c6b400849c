"""How an invocation ended, and the log and result Lambda makes of it. Pure functions.

An ``Outcome`` is one of: the runtime's ``Reply`` (a response or the handler's error), a
failed init (``InitFailed``, what awslambdaric posted to ``/init/error``), ``TimedOut``, or
``Exited`` (the process ended, or was killed for using more memory than it has).
``result`` turns it into an ``InvokeResult`` whose log runs from START to REPORT, in
Lambda's text formats::

    START RequestId: <id> Version: $LATEST
    ...what the function printed...
    END RequestId: <id>
    REPORT RequestId: <id>\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t
        Max Memory Used: 40 MB\tInit Duration: 120.50 ms

A cold start's log begins with what the function printed during init (on Lambda those lines
come after ``INIT_START`` in the same log stream). Platform failures add Lambda's lines: a
timeout ``<time> <id> Task timed out after 1.00 seconds`` and ``Status: timeout``; a dead
runtime ``RequestId: <id> Error: Runtime exited with error: exit status 1`` /
``Runtime.ExitError`` and ``Status: error\tError Type: Runtime.ExitError``; a failed init an
``INIT_REPORT`` line.

Billing follows Lambda since 1 August 2025: 1 ms increments, rounded up, and a cold start's
Init Duration is billed too (it used to be free for managed runtimes); a timed-out
invocation is billed no more than its timeout.
"""

from __future__ import annotations

import json
import math
import signal
import time
from dataclasses import dataclass

from gearbox.local.functions.model import InvokeResult
from gearbox.local.runtime.api import Reply

VERSION = "$LATEST"


@dataclass(frozen=True)
class InitFailed:
    reply: Reply  # awslambdaric's error JSON, as posted to /init/error


@dataclass(frozen=True)
class TimedOut:
    pass


@dataclass(frozen=True)
class Exited:
    returncode: int  # negative: killed by that signal
    out_of_memory: bool = False


Outcome = Reply | InitFailed | TimedOut | Exited


@dataclass(frozen=True)
class Measures:
    """What the environment measured for one invocation."""

    request_id: str
    duration_ms: float
    memory_size_mb: int
    max_memory_mb: int
    timeout_s: int
    init_ms: float | None  # a cold start's completed init
    init_failed: bool  # the init did not complete: duration_ms is all init
    init_lines: tuple[str, ...]  # printed during init (cold start only)
    lines: tuple[str, ...]  # printed during the invocation


def result(outcome: Outcome, m: Measures) -> InvokeResult:
    """The InvokeResult Lambda reports for ``outcome``."""
    payload, error_type, status = _payload(outcome, m.request_id, m.timeout_s)
    platform = _platform_lines(outcome, m.request_id, m.timeout_s, error_type)
    init_lines = list(m.init_lines)
    if m.init_failed:
        init_lines.append(
            f"INIT_REPORT Init Duration: {m.duration_ms:.2f} ms\tPhase: init"
            + _status(status, error_type)
        )
    billed = billed_ms(m.duration_ms, m.init_ms)
    if isinstance(outcome, TimedOut):
        billed = min(billed, m.timeout_s * 1000 + math.ceil(m.init_ms or 0))
    report = (
        f"REPORT RequestId: {m.request_id}\tDuration: {m.duration_ms:.2f} ms\t"
        f"Billed Duration: {billed} ms\tMemory Size: {m.memory_size_mb} MB\t"
        f"Max Memory Used: {m.max_memory_mb} MB"
    )
    if m.init_ms is not None:
        report += f"\tInit Duration: {m.init_ms:.2f} ms"
    report += _status(status, error_type)
    log = [
        *init_lines,
        f"START RequestId: {m.request_id} Version: {VERSION}",
        *m.lines,
        *platform,
        f"END RequestId: {m.request_id}",
        report,
    ]
    return InvokeResult(
        request_id=m.request_id,
        payload=payload,
        function_error=None if error_type is None else "Unhandled",
        log="\n".join(log) + "\n",
        duration_ms=m.duration_ms,
        billed_ms=billed,
        max_memory_mb=m.max_memory_mb,
        init_ms=m.duration_ms if m.init_failed else m.init_ms,
    )


def _status(status: str | None, error_type: str | None) -> str:
    if status is None:
        return ""
    if status == "error":
        return f"\tStatus: error\tError Type: {error_type}"
    return f"\tStatus: {status}"


def billed_ms(duration_ms: float, init_ms: float | None = None) -> int:
    """Lambda bills in 1 ms increments, rounded up; a cold start's init included."""
    return max(1, math.ceil(duration_ms + (init_ms or 0.0)))


def exit_message(returncode: int) -> str:
    """How Lambda words a runtime's exit: ``exit status 1``, ``signal: killed``."""
    if returncode == 0:
        return "Runtime exited without providing a reason"
    if returncode < 0:
        try:
            name = signal.strsignal(-returncode) or f"signal {-returncode}"
        except ValueError:
            name = f"signal {-returncode}"
        return f"Runtime exited with error: signal: {name.lower()}"
    return f"Runtime exited with error: exit status {returncode}"


def _payload(
    outcome: Outcome, request_id: str, timeout_s: int
) -> tuple[bytes, str | None, str | None]:
    """(payload, error type or None, REPORT status or None)."""
    if isinstance(outcome, Reply):
        return outcome.body, outcome.error_type, None
    if isinstance(outcome, InitFailed):
        return outcome.reply.body, outcome.reply.error_type or "Runtime.Unknown", "error"
    if isinstance(outcome, TimedOut):
        message = f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"
        return _error(message, "Sandbox.Timedout"), "Sandbox.Timedout", "timeout"
    message = f"RequestId: {request_id} Error: {exit_message(outcome.returncode)}"
    return _error(message, "Runtime.ExitError"), "Runtime.ExitError", "error"


def _platform_lines(
    outcome: Outcome, request_id: str, timeout_s: int, error_type: str | None
) -> list[str]:
    if isinstance(outcome, TimedOut):
        now = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        millis = int(time.time() * 1000) % 1000
        return [f"{now}.{millis:03d}Z {request_id} Task timed out after {timeout_s:.2f} seconds"]
    if isinstance(outcome, Exited):
        return [
            f"RequestId: {request_id} Error: {exit_message(outcome.returncode)}",
            str(error_type),
        ]
    return []


def _error(message: str, error_type: str) -> bytes:
    return json.dumps({"errorType": error_type, "errorMessage": message}).encode()
