"""``gearbox invoke`` and ``gearbox logs`` against a running ``gearbox up``."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.e2e.conftest import GEARBOX, Running, run_gearbox
from tests.functional.lambda_helpers import create_function


def test_invoke_prints_the_response_and_exits_1_on_a_function_error(
    tmp_path: Path, start_up: Callable[..., Running]
) -> None:
    running = start_up(tmp_path / "state")
    lam = running.client("lambda")
    create_function(lam, "hello", "def handler(event, context):\n    return {'hi': event}\n")
    create_function(lam, "fails", "def handler(event, context):\n    raise KeyError('k')\n")
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps({"name": "gearbox"}))

    ok = run_gearbox(
        "invoke", "hello", "--payload", f"@{payload}", "--endpoint-url", running.endpoint_url
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout.strip().splitlines()[-1]) == {"hi": {"name": "gearbox"}}
    assert "REPORT RequestId:" in ok.stdout

    failed = run_gearbox("invoke", "fails", "--endpoint-url", running.endpoint_url)
    assert failed.returncode == 1
    assert '"errorType": "KeyError"' in failed.stderr

    missing = run_gearbox("invoke", "absent", "--endpoint-url", running.endpoint_url)
    assert missing.returncode == 2
    assert "ResourceNotFoundException" in missing.stderr

    queued = run_gearbox("invoke", "hello", "--async", "--endpoint-url", running.endpoint_url)
    assert queued.returncode == 0 and "202" in queued.stdout

    bad = run_gearbox(
        "invoke", "hello", "--payload", "{nope", "--endpoint-url", running.endpoint_url
    )
    assert bad.returncode == 2 and "not JSON" in bad.stderr


def test_logs_prints_and_follows(tmp_path: Path, start_up: Callable[..., Running]) -> None:
    state = tmp_path / "state"
    running = start_up(state)
    lam = running.client("lambda")
    create_function(lam, "chatty", "def handler(event, context):\n    print('said', event['n'])\n")
    lam.invoke(FunctionName="chatty", Payload=b'{"n": 1}')
    done = run_gearbox("logs", "chatty", "--state-dir", str(state))
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0].startswith("START RequestId: ")
    assert "said 1" in done.stdout
    assert lines[-1].startswith("REPORT RequestId: ") and "Init Duration" in lines[-1]

    follower = subprocess.Popen(
        [GEARBOX, "logs", "chatty", "--follow", "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        lam.invoke(FunctionName="chatty", Payload=b'{"n": 2}')
        deadline = time.monotonic() + 20
        seen = ""
        while "said 2" not in seen and time.monotonic() < deadline:
            seen += follower.stdout.readline()
        assert "said 2" in seen
    finally:
        follower.terminate()
        follower.wait(timeout=10)

    assert run_gearbox("logs", "nobody", "--state-dir", str(state)).returncode == 2


def test_functions_run_with_a_relative_state_dir(
    tmp_path: Path, start_up: Callable[..., Running]
) -> None:
    running = start_up(Path(".gearbox"), cwd=tmp_path)
    lam = running.client("lambda")
    create_function(lam, "rel", "def handler(event, context):\n    return 'ok'\n")
    response = lam.invoke(FunctionName="rel")
    assert "FunctionError" not in response, response["Payload"].read()
    assert json.loads(response["Payload"].read()) == "ok"
    assert (tmp_path / ".gearbox" / "lambda.db").exists()
