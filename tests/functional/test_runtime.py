"""Execution environments: functions run as on Lambda, under AWS's own runtime interface client.

Each test drives an ``EnvironmentPool`` on its own event loop, with handler files written into
``tmp_path`` and a real local cloud as the functions' ``AWS_ENDPOINT_URL``. Timeouts are 1 s.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import signal
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from gearbox.local.cloud import LocalCloud
from gearbox.local.functions.model import FunctionSpec, Invocation, InvokeResult, Throttled
from gearbox.local.runtime import EnvironmentPool

REGION = "us-east-1"
ACCOUNT = "123456789012"
REPORT = re.compile(
    r"^REPORT RequestId: (?P<id>\S+)\tDuration: (?P<duration>\d+\.\d\d) ms\t"
    r"Billed Duration: (?P<billed>\d+) ms\tMemory Size: (?P<size>\d+) MB\t"
    r"Max Memory Used: (?P<used>\d+) MB(?P<rest>.*)$",
    re.MULTILINE,
)
T = TypeVar("T")
# Both ways an environment's process starts: forked from the pool's zygote (the default), or
# spawned plainly as `python -S -m awslambdaric`.
LAUNCHERS = pytest.mark.parametrize("zygote", [True, False], ids=["forked", "plain"])

COUNTER = """
import os, tempfile
COUNT = 0
print("init line")

def handler(event, context):
    global COUNT
    COUNT += 1
    path = os.path.join(tempfile.gettempdir(), "seen")
    existed = os.path.exists(path)
    open(path, "a").close()
    print("handling", COUNT)
    return {"count": COUNT, "tmp_existed": existed, "pid": os.getpid()}
"""

SLEEPY = """
import os, time

def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return {"pid": os.getpid()}
"""


def write(code: Path, **modules: str) -> Path:
    code.mkdir(parents=True, exist_ok=True)
    for name, text in modules.items():
        (code / f"{name}.py").write_text(text)
    return code


def spec_for(code: Path, name: str = "fn", **kwargs: Any) -> FunctionSpec:
    settings: dict[str, Any] = {"handler": "app.handler", "code_sha256": "v1", "timeout": 1}
    settings.update(kwargs)
    return FunctionSpec(
        name=name,
        code_dir=code,
        region=REGION,
        account=ACCOUNT,
        access_key="AKIDFUNCTION",
        secret_key="function-secret",
        **settings,
    )


def invocation(payload: object = None, **kwargs: Any) -> Invocation:
    return Invocation(str(uuid.uuid4()), json.dumps(payload or {}).encode(), **kwargs)


def body(result: InvokeResult) -> Any:
    return json.loads(result.payload)


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


def running_in(folder: Path) -> list[int]:
    """Live processes whose working directory is ``folder`` (environments run in their code)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")) == folder and alive(int(entry.name)):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def report_of(result: InvokeResult) -> re.Match[str]:
    found = REPORT.search(result.log)
    assert found is not None, result.log
    return found


def with_pool(
    cloud: LocalCloud,
    tmp_path: Path,
    scenario: Callable[[EnvironmentPool], Awaitable[T]],
    logs: list[tuple[str, str]] | None = None,
    **kwargs: Any,
) -> T:
    async def main() -> T:
        pool = EnvironmentPool(
            cloud.endpoint_url,
            tmp_path / "work",
            on_log=None if logs is None else lambda name, text: logs.append((name, text)),
            **kwargs,
        )
        try:
            return await scenario(pool)
        finally:
            await pool.close()

    return asyncio.run(main())


# warm and cold


def test_warm_environment_keeps_globals_and_tmp(cloud: LocalCloud, tmp_path: Path) -> None:
    spec = spec_for(write(tmp_path / "code", app=COUNTER))

    async def scenario(pool: EnvironmentPool) -> list[InvokeResult]:
        return [await pool.invoke(spec, invocation()) for _ in range(3)]

    results = with_pool(cloud, tmp_path, scenario)
    assert [body(r)["count"] for r in results] == [1, 2, 3]
    assert [body(r)["tmp_existed"] for r in results] == [False, True, True]
    assert len({body(r)["pid"] for r in results}) == 1
    assert results[0].init_ms is not None and results[0].init_ms > 0
    assert results[1].init_ms is None and results[2].init_ms is None
    assert all(r.function_error is None and r.duration_ms > 0 for r in results)


@LAUNCHERS
def test_log_is_lambdas_start_end_report(cloud: LocalCloud, tmp_path: Path, zygote: bool) -> None:
    spec = spec_for(write(tmp_path / "code", app=COUNTER))
    logs: list[tuple[str, str]] = []

    async def scenario(pool: EnvironmentPool) -> list[InvokeResult]:
        return [await pool.invoke(spec, invocation()) for _ in range(2)]

    cold, warm = with_pool(cloud, tmp_path, scenario, logs=logs, zygote=zygote)
    assert logs == [("fn", cold.log), ("fn", warm.log)]
    lines = cold.log.splitlines()
    assert lines[0] == "init line"  # printed during init, before START
    assert lines[1] == f"START RequestId: {cold.request_id} Version: $LATEST"
    assert lines[2] == "handling 1"
    assert lines[3] == f"END RequestId: {cold.request_id}"
    report = report_of(cold)
    assert report["id"] == cold.request_id and report["size"] == "128"
    assert re.fullmatch(r"\tInit Duration: \d+\.\d\d ms", report["rest"])
    assert int(report["billed"]) == cold.billed_ms >= 1
    assert 0 < int(report["used"]) <= 128 and int(report["used"]) == cold.max_memory_mb
    assert warm.log.splitlines()[0] == f"START RequestId: {warm.request_id} Version: $LATEST"
    assert "handling 2" in warm.log.splitlines()
    assert report_of(warm)["rest"] == ""  # no Init Duration on a warm start


def test_new_code_gets_a_new_environment(cloud: LocalCloud, tmp_path: Path) -> None:
    code = write(tmp_path / "code", app=COUNTER)

    async def scenario(pool: EnvironmentPool) -> list[InvokeResult]:
        first = await pool.invoke(spec_for(code, code_sha256="v1"), invocation())
        second = await pool.invoke(spec_for(code, code_sha256="v2"), invocation())
        third = await pool.invoke(spec_for(code, code_sha256="v2", memory_mb=256), invocation())
        await asyncio.sleep(0.2)
        assert not alive(body(first)["pid"])  # the old code's idle environment was stopped
        return [first, second, third]

    results = with_pool(cloud, tmp_path, scenario)
    assert [body(r)["count"] for r in results] == [1, 1, 1]
    assert all(r.init_ms is not None for r in results)


# what the function sees


CONTEXT = """
import os, sys

def handler(event, context):
    names = [
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR", "TZ", "LANG", "PATH", "PYTHONPATH", "TMPDIR", "AWS_ENDPOINT_URL",
        "MY_SETTING",
    ]
    return {
        "env": {name: os.environ.get(name) for name in names},
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "invoked_function_arn": context.invoked_function_arn,
        "aws_request_id": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(),
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "client_context": context.client_context.custom if context.client_context else None,
        "cwd": os.getcwd(),
        "no_site": sys.flags.no_site,
    }
"""


@LAUNCHERS
def test_context_and_environment_variables(cloud: LocalCloud, tmp_path: Path, zygote: bool) -> None:
    code = write(tmp_path / "code", app=CONTEXT)
    spec = spec_for(
        code,
        name="ctx",
        timeout=2,
        environment={"MY_SETTING": "on", "AWS_REGION": "eu-west-1", "LANG": "C.UTF-8"},
    )
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    context = base64.b64encode(json.dumps({"custom": {"tenant": "a"}}).encode()).decode()
    call = invocation(trace_id=trace, client_context=context)

    async def scenario(pool: EnvironmentPool) -> InvokeResult:
        return await pool.invoke(spec, call)

    got = body(with_pool(cloud, tmp_path, scenario, zygote=zygote))
    env = got["env"]
    assert got["function_name"] == "ctx" and got["function_version"] == "$LATEST"
    assert got["memory_limit_in_mb"] == "128"  # awslambdaric reads it from the environment
    assert got["invoked_function_arn"] == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ctx"
    assert got["aws_request_id"] == call.request_id
    assert 1000 < got["remaining"] <= 2000
    assert got["log_group_name"] == "/aws/lambda/ctx"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", got["log_stream_name"])
    assert got["log_stream_name"] == env["AWS_LAMBDA_LOG_STREAM_NAME"]
    assert got["client_context"] == {"tenant": "a"}
    assert got["cwd"] == str(code) and got["no_site"] == 1
    assert env["_HANDLER"] == "app.handler" and env["_X_AMZN_TRACE_ID"] == trace
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == REGION  # reserved: not overridden
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.11"
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "ctx"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/ctx"
    assert env["AWS_ACCESS_KEY_ID"] == "AKIDFUNCTION"
    assert env["AWS_SECRET_ACCESS_KEY"] == "function-secret"
    assert re.fullmatch(r"127\.0\.0\.1:\d+", env["AWS_LAMBDA_RUNTIME_API"])
    assert env["LAMBDA_TASK_ROOT"] == str(code)
    assert env["PYTHONPATH"].split(":")[0] == str(code)
    assert env["PYTHONPATH"].split(":")[-1] == env["LAMBDA_RUNTIME_DIR"]
    assert env["TZ"] == ":UTC" and env["LANG"] == "C.UTF-8"  # LANG is not reserved
    assert env["MY_SETTING"] == "on" and env["AWS_ENDPOINT_URL"] == cloud.endpoint_url
    assert env["TMPDIR"] != "/tmp" and Path(env["TMPDIR"]).is_relative_to(tmp_path / "work")


def test_layers_come_after_the_code_and_before_the_runtime(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    layer = tmp_path / "layer"
    write(layer / "python", shared="WHERE = 'layer'\n", onlylayer="X = 1\n")
    code = write(
        tmp_path / "code",
        shared="WHERE = 'code'\n",
        app="import shared, onlylayer\n\ndef handler(e, c):\n    return shared.WHERE\n",
    )

    async def scenario(pool: EnvironmentPool) -> InvokeResult:
        return await pool.invoke(spec_for(code, layers=(layer,)), invocation())

    assert body(with_pool(cloud, tmp_path, scenario)) == "code"


# isolation and the local cloud


ISOLATION = """
import importlib
import boto3

def handler(event, context):
    missing = []
    for name in ("click", "moto", "uvicorn", "gearbox"):
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    sqs = boto3.client("sqs")  # region and endpoint from Lambda's environment
    url = sqs.create_queue(QueueName="made-by-a-function")["QueueUrl"]
    return {"missing": missing, "queues": sqs.list_queues()["QueueUrls"], "url": url}
"""


def test_only_the_runtime_packages_are_importable_and_boto3_reaches_the_cloud(
    cloud: LocalCloud, tmp_path: Path, sqs: Any
) -> None:
    spec = spec_for(write(tmp_path / "code", app=ISOLATION), timeout=10)

    async def scenario(pool: EnvironmentPool) -> InvokeResult:
        return await pool.invoke(spec, invocation())

    result = with_pool(cloud, tmp_path, scenario)
    assert result.function_error is None, result.payload
    got = body(result)
    assert got["missing"] == ["click", "moto", "uvicorn", "gearbox"]
    assert got["url"] in got["queues"]
    assert sqs.get_queue_url(QueueName="made-by-a-function")["QueueUrl"] == got["url"]


def test_importing_a_package_lambda_does_not_provide_fails_at_init(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    code = write(tmp_path / "code", app="import click\n\ndef handler(e, c):\n    return 1\n")

    async def scenario(pool: EnvironmentPool) -> InvokeResult:
        return await pool.invoke(spec_for(code), invocation())

    result = with_pool(cloud, tmp_path, scenario)
    assert result.function_error == "Unhandled"
    assert body(result) == {
        "errorMessage": "Unable to import module 'app': No module named 'click'",
        "errorType": "Runtime.ImportModuleError",
        "requestId": "",
        "stackTrace": [],
    }


# errors


def test_an_exception_is_reported_as_lambda_does_and_the_environment_stays(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    app = """
import os

def handler(event, context):
    if event.get("fail"):
        raise ValueError("boom")
    return os.getpid()
"""
    spec = spec_for(write(tmp_path / "code", app=app))

    async def scenario(pool: EnvironmentPool) -> list[InvokeResult]:
        first = await pool.invoke(spec, invocation())
        failed = await pool.invoke(spec, invocation({"fail": True}))
        after = await pool.invoke(spec, invocation())
        return [first, failed, after]

    first, failed, after = with_pool(cloud, tmp_path, scenario)
    error = body(failed)
    assert failed.function_error == "Unhandled" and failed.error_type == "ValueError"
    assert error["errorMessage"] == "boom" and error["errorType"] == "ValueError"
    assert error["requestId"] == failed.request_id
    assert isinstance(error["stackTrace"], list)
    assert 'raise ValueError("boom")' in error["stackTrace"][-1]
    assert "[ERROR] ValueError: boom" in failed.log.splitlines()
    assert report_of(failed)["rest"] == ""
    assert body(first) == body(after)  # same environment, still warm
    assert after.init_ms is None


SYNTAX_MESSAGE = "Syntax error in module 'app': expected ':' (app.py, line 1)"
INIT_ERRORS = {
    "handler not found": (
        {"app": "X = 1\n"}, "app.handler", "Runtime.HandlerNotFound",
        "Handler 'handler' missing on module 'app'",
    ),
    "syntax error": (
        {"app": "def handler(e, c)\n    return 1\n"}, "app.handler",
        "Runtime.UserCodeSyntaxError", SYNTAX_MESSAGE,
    ),
    "no module": (
        {}, "nothere.handler", "Runtime.ImportModuleError",
        "Unable to import module 'nothere': No module named 'nothere'",
    ),
    "exception at import": (
        {"app": "raise KeyError('at import')\n"}, "app.handler", "KeyError", "'at import'",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", INIT_ERRORS)
def test_init_errors(cloud: LocalCloud, tmp_path: Path, case: str) -> None:
    modules, handler, error_type, message = INIT_ERRORS[case]
    spec = spec_for(write(tmp_path / "code", **modules), handler=handler)

    async def scenario(pool: EnvironmentPool) -> tuple[InvokeResult, set[int]]:
        result = await pool.invoke(spec, invocation())
        return result, pool.pids()

    result, pids = with_pool(cloud, tmp_path, scenario)
    assert result.function_error == "Unhandled"
    assert body(result)["errorType"] == error_type and body(result)["errorMessage"] == message
    assert f"[ERROR] {error_type}: {message}" in result.log
    assert f"Phase: init\tStatus: error\tError Type: {error_type}" in result.log
    assert report_of(result)["rest"] == f"\tStatus: error\tError Type: {error_type}"
    assert result.init_ms is not None
    assert pids == set()  # discarded


def test_an_init_past_its_limit_times_out(
    cloud: LocalCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gearbox.local.runtime import environment

    monkeypatch.setattr(environment, "INIT_LIMIT_S", 0.2)  # Lambda's is 10 s
    app = "import time\nprint('importing')\ntime.sleep(30)\n\ndef handler(e, c):\n    return 1\n"
    spec = spec_for(write(tmp_path / "code", app=app))

    async def scenario(pool: EnvironmentPool) -> tuple[InvokeResult, set[int]]:
        result = await pool.invoke(spec, invocation())
        return result, pool.pids()

    result, pids = with_pool(cloud, tmp_path, scenario)
    assert body(result)["errorType"] == "Sandbox.Timedout"
    lines = result.log.splitlines()
    assert lines[0] == "importing"
    assert re.fullmatch(
        r"INIT_REPORT Init Duration: \d+\.\d\d ms\tPhase: init\tStatus: timeout", lines[1]
    )
    assert report_of(result)["rest"] == "\tStatus: timeout"
    assert pids == set()


def test_a_result_that_is_not_json_is_a_marshal_error(cloud: LocalCloud, tmp_path: Path) -> None:
    code = write(tmp_path / "code", app="def handler(e, c):\n    return {1, 2}\n")

    async def scenario(pool: EnvironmentPool) -> InvokeResult:
        return await pool.invoke(spec_for(code), invocation())

    result = with_pool(cloud, tmp_path, scenario)
    assert body(result)["errorType"] == "Runtime.MarshalError"
    assert body(result)["errorMessage"] == (
        "Unable to marshal response: Object of type set is not JSON serializable"
    )


def test_a_response_over_6_mb_is_refused(cloud: LocalCloud, tmp_path: Path) -> None:
    code = write(tmp_path / "code", app="def handler(e, c):\n    return 'x' * 7_000_000\n")

    async def scenario(pool: EnvironmentPool) -> InvokeResult:
        return await pool.invoke(spec_for(code, memory_mb=512), invocation())

    result = with_pool(cloud, tmp_path, scenario)
    assert body(result)["errorType"] == "Function.ResponseSizeTooLarge"


@LAUNCHERS
def test_timeout_kills_the_environment_and_the_next_one_is_fresh(
    cloud: LocalCloud, tmp_path: Path, zygote: bool
) -> None:
    spec = spec_for(write(tmp_path / "code", app=SLEEPY))

    async def scenario(pool: EnvironmentPool) -> tuple[InvokeResult, int, InvokeResult]:
        await pool.invoke(spec, invocation())
        (pid,) = pool.pids()
        timed_out = await pool.invoke(spec, invocation({"sleep": 30}))
        assert not alive(pid)
        return timed_out, pid, await pool.invoke(spec, invocation())

    timed_out, pid, after = with_pool(cloud, tmp_path, scenario, zygote=zygote)
    message = f"RequestId: {timed_out.request_id} Error: Task timed out after 1.00 seconds"
    assert body(timed_out) == {"errorType": "Sandbox.Timedout", "errorMessage": message}
    assert timed_out.function_error == "Unhandled"
    assert f"{timed_out.request_id} Task timed out after 1.00 seconds" in timed_out.log
    assert report_of(timed_out)["rest"] == "\tStatus: timeout"
    assert timed_out.billed_ms <= 1000
    assert after.function_error is None and body(after)["pid"] != pid
    assert after.init_ms is not None


@pytest.mark.parametrize(
    ("call", "status"),
    [("sys.exit(1)", "exit status 1"), ("os._exit(3)", "exit status 3"),
     ("os.kill(os.getpid(), signal.SIGSEGV)", "signal: segmentation fault")],
)  # fmt: skip
@LAUNCHERS
def test_a_runtime_that_exits_is_an_exit_error(
    cloud: LocalCloud, tmp_path: Path, call: str, status: str, zygote: bool
) -> None:
    app = f"import os, signal, sys\n\ndef handler(e, c):\n    print('bye')\n    {call}\n"
    spec = spec_for(write(tmp_path / "code", app=app))

    async def scenario(pool: EnvironmentPool) -> tuple[InvokeResult, set[int]]:
        result = await pool.invoke(spec, invocation())
        return result, pool.pids()

    result, pids = with_pool(cloud, tmp_path, scenario, zygote=zygote)
    message = f"RequestId: {result.request_id} Error: Runtime exited with error: {status}"
    assert body(result) == {"errorType": "Runtime.ExitError", "errorMessage": message}
    lines = result.log.splitlines()
    assert lines[lines.index("bye") + 1 :][:2] == [message, "Runtime.ExitError"]
    assert "\tStatus: error\tError Type: Runtime.ExitError" in report_of(result)["rest"]
    assert pids == set()


@pytest.mark.parametrize("megabytes", [300, 5000])
@LAUNCHERS
def test_going_over_the_memory_size_kills_the_environment(
    cloud: LocalCloud, tmp_path: Path, megabytes: int, zygote: bool
) -> None:
    app = "def handler(e, c):\n    return len(b'x' * (e['mb'] * 1024 * 1024))\n"
    spec = spec_for(write(tmp_path / "code", app=app), memory_mb=128)

    async def scenario(pool: EnvironmentPool) -> tuple[InvokeResult, InvokeResult]:
        fits = await pool.invoke(spec, invocation({"mb": 20}))
        return fits, await pool.invoke(spec, invocation({"mb": megabytes}))

    fits, killed = with_pool(cloud, tmp_path, scenario, zygote=zygote)
    assert body(fits) == 20 * 1024 * 1024
    assert body(killed) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {killed.request_id} Error: "
        "Runtime exited with error: signal: killed",
    }
    assert report_of(killed)["used"] == "128" and killed.max_memory_mb == 128


# concurrency and lifecycle


@LAUNCHERS
def test_an_environment_killed_while_idle_is_replaced(
    cloud: LocalCloud, tmp_path: Path, zygote: bool
) -> None:
    spec = spec_for(write(tmp_path / "code", app=SLEEPY))

    async def scenario(pool: EnvironmentPool) -> tuple[int, InvokeResult]:
        pid = body(await pool.invoke(spec, invocation()))["pid"]
        os.kill(pid, signal.SIGKILL)
        await asyncio.sleep(0.2)
        return pid, await pool.invoke(spec, invocation())

    pid, result = with_pool(cloud, tmp_path, scenario, zygote=zygote)
    assert result.function_error is None and body(result)["pid"] != pid
    assert result.init_ms is not None


def test_parallel_invocations_scale_out_to_the_reserved_concurrency(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    spec = spec_for(write(tmp_path / "code", app=SLEEPY), reserved_concurrency=3)

    async def scenario(pool: EnvironmentPool) -> list[InvokeResult | BaseException]:
        calls = [pool.invoke(spec, invocation({"sleep": 0.5})) for _ in range(4)]
        return await asyncio.gather(*calls, return_exceptions=True)

    outcomes = with_pool(cloud, tmp_path, scenario)
    throttled = [o for o in outcomes if isinstance(o, Throttled)]
    done = [o for o in outcomes if isinstance(o, InvokeResult)]
    assert [t.reason for t in throttled] == ["ReservedFunctionConcurrentInvocationLimitExceeded"]
    assert len({body(r)["pid"] for r in done}) == 3


def test_the_default_limit_and_a_reserved_concurrency_of_zero(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    code = write(tmp_path / "code", app=SLEEPY)

    async def scenario(pool: EnvironmentPool) -> list[InvokeResult | BaseException]:
        calls = [pool.invoke(spec_for(code), invocation({"sleep": 0.3})) for _ in range(3)]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        with pytest.raises(Throttled) as zero:
            await pool.invoke(spec_for(code, name="off", reserved_concurrency=0), invocation())
        assert zero.value.reason == "ReservedFunctionConcurrentInvocationLimitExceeded"
        return outcomes

    outcomes = with_pool(cloud, tmp_path, scenario, default_concurrency=2)
    reasons = [o.reason for o in outcomes if isinstance(o, Throttled)]
    assert reasons == ["ConcurrentInvocationLimitExceeded"]


def test_retire_stops_idle_environments_now_and_busy_ones_after(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    spec = spec_for(write(tmp_path / "code", app=SLEEPY))

    async def scenario(pool: EnvironmentPool) -> None:
        idle = body(await pool.invoke(spec, invocation()))["pid"]
        busy = asyncio.ensure_future(pool.invoke(spec, invocation({"sleep": 0.3})))
        await asyncio.sleep(0.1)
        pool.retire("fn")
        await asyncio.sleep(0.1)
        assert alive(idle)  # it is the busy one now
        result = await busy
        assert result.function_error is None and body(result)["pid"] == idle
        await asyncio.sleep(0.2)
        assert not alive(idle) and pool.pids() == set()
        assert (await pool.invoke(spec, invocation())).init_ms is not None

    with_pool(cloud, tmp_path, scenario)


def test_idle_environments_are_reaped(cloud: LocalCloud, tmp_path: Path) -> None:
    spec = spec_for(write(tmp_path / "code", app=SLEEPY))

    async def scenario(pool: EnvironmentPool) -> None:
        pid = body(await pool.invoke(spec, invocation()))["pid"]
        await asyncio.sleep(0.8)
        assert not alive(pid) and pool.pids() == set()

    with_pool(cloud, tmp_path, scenario, idle_seconds=0.3)


@LAUNCHERS
def test_close_leaves_no_process_behind(cloud: LocalCloud, tmp_path: Path, zygote: bool) -> None:
    app = """
import os, subprocess, time

def handler(event, context):
    child = subprocess.Popen(["sleep", "60"])
    if event.get("wait"):
        time.sleep(30)
    return {"pid": os.getpid(), "child": child.pid}
"""
    spec = spec_for(write(tmp_path / "code", app=app), timeout=60)
    pids: list[int] = []

    async def scenario(pool: EnvironmentPool) -> InvokeResult:
        done = body(await pool.invoke(spec, invocation()))
        pids.extend([done["pid"], done["child"]])
        busy = asyncio.ensure_future(pool.invoke(spec, invocation({"wait": True})))
        await asyncio.sleep(0.5)
        pids.extend(pool.pids())
        await pool.close()
        return await busy

    in_flight = with_pool(cloud, tmp_path, scenario, zygote=zygote)
    assert in_flight.error_type == "Runtime.ExitError"
    assert len(pids) == 3 and not any(alive(pid) for pid in pids)
    assert running_in(tmp_path / "code") == []
    assert not list((tmp_path / "work").glob("environments-*"))


@LAUNCHERS
@pytest.mark.parametrize("after", [0.0, 0.002, 0.02])
def test_close_while_environments_start(
    cloud: LocalCloud, tmp_path: Path, after: float, zygote: bool
) -> None:
    # The init takes a while, so that 20 ms in the environments are still starting, however
    # fast the process starts (a forked one can start in less).
    slow = "import time\ntime.sleep(0.5)\nfrom app import handler\n"
    code = write(tmp_path / "code", app=SLEEPY, slow=slow)

    async def scenario(pool: EnvironmentPool) -> list[InvokeResult | BaseException]:
        await pool.invoke(spec_for(code, name="first"), invocation())
        calls = [
            asyncio.ensure_future(
                pool.invoke(spec_for(code, name=f"f{i}", handler="slow.handler"), invocation())
            )
            for i in range(4)
        ]
        await asyncio.sleep(after)  # each is starting its environment
        await pool.close()
        assert running_in(code) == []
        return await asyncio.gather(*calls, return_exceptions=True)

    outcomes = with_pool(cloud, tmp_path, scenario, zygote=zygote)
    for outcome in outcomes:
        if isinstance(outcome, InvokeResult):
            assert outcome.error_type == "Runtime.ExitError"
        else:
            assert isinstance(outcome, RuntimeError), outcome
    assert running_in(code) == []


def test_the_provided_folder_holds_the_runtime_packages_only(tmp_path: Path) -> None:
    from gearbox.local.runtime.provided import provided_dir

    folder = provided_dir(tmp_path)
    assert provided_dir(tmp_path) == folder  # built once
    names = {p.name for p in folder.iterdir()}
    for module in ("awslambdaric", "boto3", "botocore", "dateutil", "jmespath", "s3transfer",
                   "simplejson", "six.py", "snapshot_restore_py.py", "urllib3"):  # fmt: skip
        assert module in names
    assert any(n.startswith("runtime_client.") and n.endswith(".so") for n in names)
    assert any(n.startswith("boto3-") and n.endswith(".dist-info") for n in names)
    assert not {"click", "moto", "gearbox", "uvicorn"} & names
