"""The types the Lambda pieces share: a function as it runs, one invocation, its result.

Pure data. ``FunctionSpec`` is what an execution environment needs to run a function;
``Invocation`` one call; ``InvokeResult`` what came back, shaped as Lambda reports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class FunctionSpec:
    """A function's code and runtime settings, as an execution environment runs them."""

    name: str
    handler: str  # "module.function", as Lambda's _HANDLER
    code_dir: Path  # LAMBDA_TASK_ROOT: the unpacked code (or a project folder)
    code_sha256: str  # identifies the code; environments of other code are never reused
    region: str
    account: str
    access_key: str  # the function's own credentials, so the edge knows who calls
    secret_key: str
    runtime: str = "python3.11"
    timeout: int = 3  # seconds, 1-900
    memory_mb: int = 128  # 128-10,240
    environment: dict[str, str] = field(default_factory=dict)
    layers: tuple[Path, ...] = ()  # unpacked layer folders, each holding python/...
    reserved_concurrency: int | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"


@dataclass(frozen=True)
class Invocation:
    request_id: str
    payload: bytes
    client_context: str | None = None  # base64 JSON, as X-Amz-Client-Context
    trace_id: str | None = None  # X-Amzn-Trace-Id
    trigger: str = "invoke"  # what sent it, for the journal: "sqs:<queue>", "async", ...
    attempt: int = 1  # the event's delivery attempt (receive count, async attempt)


@dataclass(frozen=True)
class InvokeResult:
    """One invocation's outcome. On a function error ``payload`` holds Lambda's error JSON
    (``errorMessage``, ``errorType``, ``stackTrace``...) and ``function_error`` is
    ``"Unhandled"``, as the ``X-Amz-Function-Error`` header says."""

    request_id: str
    payload: bytes
    function_error: str | None
    log: str  # this invocation's log, START to REPORT
    duration_ms: float
    billed_ms: int
    max_memory_mb: int
    init_ms: float | None = None  # set on a cold start

    @property
    def error_type(self) -> str | None:
        if self.function_error is None:
            return None
        import json

        try:
            return str(json.loads(self.payload).get("errorType") or "") or None
        except (ValueError, AttributeError):
            return None


class Throttled(Exception):
    """The function is at its concurrency limit (Lambda: TooManyRequestsException, 429)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
