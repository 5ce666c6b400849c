"""How an invocation's outcome becomes Lambda's result and log (``runtime/report.py``)."""

from __future__ import annotations

import json
import signal

import pytest

from gearbox.local.runtime import report
from gearbox.local.runtime.api import Reply


def measures(**changes: object) -> report.Measures:
    values: dict[str, object] = {
        "request_id": "req-1",
        "duration_ms": 12.345,
        "memory_size_mb": 128,
        "max_memory_mb": 40,
        "timeout_s": 3,
        "init_ms": None,
        "init_failed": False,
        "init_lines": (),
        "lines": ("hello",),
    }
    values.update(changes)
    return report.Measures(**values)  # type: ignore[arg-type]


def test_billing_is_per_millisecond_rounded_up_with_the_init() -> None:
    assert report.billed_ms(0.2) == 1
    assert report.billed_ms(12.001) == 13
    assert report.billed_ms(12.5, 100.6) == 114


@pytest.mark.parametrize(
    ("returncode", "message"),
    [
        (1, "Runtime exited with error: exit status 1"),
        (-signal.SIGKILL, "Runtime exited with error: signal: killed"),
        (-signal.SIGSEGV, "Runtime exited with error: signal: segmentation fault"),
        (0, "Runtime exited without providing a reason"),
    ],
)
def test_exit_messages_are_worded_as_lambda_words_them(returncode: int, message: str) -> None:
    assert report.exit_message(returncode) == message


def test_a_warm_response() -> None:
    result = report.result(Reply(b'{"ok": true}'), measures())
    assert result.payload == b'{"ok": true}' and result.function_error is None
    assert result.billed_ms == 13 and result.init_ms is None
    assert result.log == (
        "START RequestId: req-1 Version: $LATEST\nhello\nEND RequestId: req-1\n"
        "REPORT RequestId: req-1\tDuration: 12.35 ms\tBilled Duration: 13 ms\t"
        "Memory Size: 128 MB\tMax Memory Used: 40 MB\n"
    )


def test_a_cold_start_reports_and_bills_its_init() -> None:
    result = report.result(Reply(b"1"), measures(init_ms=100.5, init_lines=("at import",)))
    assert result.log.startswith("at import\nSTART RequestId: req-1")
    assert result.log.endswith("\tInit Duration: 100.50 ms\n")
    assert result.billed_ms == 113 and result.init_ms == 100.5


def test_a_timeout() -> None:
    result = report.result(report.TimedOut(), measures(duration_ms=3001.7))
    assert json.loads(result.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "RequestId: req-1 Error: Task timed out after 3.00 seconds",
    }
    assert result.function_error == "Unhandled" and result.billed_ms == 3000
    lines = result.log.splitlines()
    assert lines[-3].endswith(" req-1 Task timed out after 3.00 seconds")
    assert lines[-1].endswith("\tStatus: timeout")


def test_a_failed_init() -> None:
    error = b'{"errorMessage": "m", "errorType": "Runtime.ImportModuleError"}'
    outcome = report.InitFailed(Reply(error, "Runtime.ImportModuleError"))
    result = report.result(outcome, measures(init_failed=True, lines=(), init_lines=("[ERROR]",)))
    assert result.payload == error and result.function_error == "Unhandled"
    assert result.init_ms == 12.345
    assert result.log.splitlines()[:3] == [
        "[ERROR]",
        "INIT_REPORT Init Duration: 12.35 ms\tPhase: init\tStatus: error\t"
        "Error Type: Runtime.ImportModuleError",
        "START RequestId: req-1 Version: $LATEST",
    ]
    assert result.log.endswith("\tStatus: error\tError Type: Runtime.ImportModuleError\n")
