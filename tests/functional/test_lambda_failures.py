"""Bad functions through boto3's Lambda client: each gets the error Lambda gives, the
environment is replaced, and the next invocation works.

Error types and messages follow Lambda's documented ones for the Python runtime
(Runtime.ImportModuleError, Runtime.HandlerNotFound, Runtime.MarshalError,
Sandbox.Timedout, Runtime.ExitError).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.functional.lambda_helpers import ROLE, zip_of

CASES = {
    "missing-module": (
        "app.handler",
        {"other.py": "x = 1\n"},
        "Runtime.ImportModuleError",
        "Unable to import module 'app'",
    ),
    "missing-function": (
        "app.nothere",
        {"app.py": "def handler(e, c):\n    return 1\n"},
        "Runtime.HandlerNotFound",
        "nothere",
    ),
    "syntax-error": (
        "app.handler",
        {"app.py": "def handler(e, c)\n    return 1\n"},
        "Runtime.UserCodeSyntaxError",
        "Syntax error in module 'app'",
    ),
    "not-serialisable": (
        "app.handler",
        {"app.py": "def handler(e, c):\n    return {1, 2}\n"},
        "Runtime.MarshalError",
        "Unable to marshal response",
    ),
    "hangs": (
        "app.handler",
        {"app.py": "import time\ndef handler(e, c):\n    time.sleep(30)\n"},
        "Sandbox.Timedout",
        "Task timed out after 1.00 seconds",
    ),
    "exits": (
        "app.handler",
        {"app.py": "import sys\ndef handler(e, c):\n    sys.exit(3)\n"},
        "Runtime.ExitError",
        "Runtime exited with error: exit status 3",
    ),
    "eats-memory": (
        "app.handler",
        {"app.py": "def handler(e, c):\n    x = bytearray(400 * 1024 * 1024)\n    return len(x)\n"},
        "Runtime.ExitError",
        "Runtime exited with error: signal: killed",
    ),
}


@pytest.fixture
def lam(client: Any) -> Any:
    return client("lambda")


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_function_gets_lambdas_error_and_a_new_environment(lam: Any, case: str) -> None:
    handler, files, error_type, message = CASES[case]
    lam.create_function(
        FunctionName=case,
        Runtime="python3.11",
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zip_of(files)},
        Timeout=1,
        MemorySize=128,
    )
    response = lam.invoke(FunctionName=case, Payload=b"{}", LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == error_type
    assert message in error["errorMessage"]
    # The environment was replaced: a fixed function now works at once.
    lam.update_function_code(
        FunctionName=case,
        ZipFile=zip_of(
            {
                "app.py": "def handler(e, c):\n    return 'fine'\n",
                "other.py": "",
            }
        ),
    )
    lam.update_function_configuration(FunctionName=case, Handler="app.handler")
    fixed = lam.invoke(FunctionName=case, Payload=b"{}")
    assert "FunctionError" not in fixed
    assert json.loads(fixed["Payload"].read()) == "fine"


def test_a_failing_function_does_not_disturb_another(lam: Any) -> None:
    handler, files, *_ = CASES["exits"]
    lam.create_function(
        FunctionName="crasher",
        Runtime="python3.11",
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zip_of(files)},
    )
    lam.create_function(
        FunctionName="calm",
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={
            "ZipFile": zip_of(
                {"app.py": "n = 0\ndef handler(e, c):\n    global n\n    n += 1\n    return n\n"}
            )
        },
    )
    assert json.loads(lam.invoke(FunctionName="calm")["Payload"].read()) == 1
    for _ in range(3):
        assert lam.invoke(FunctionName="crasher")["FunctionError"] == "Unhandled"
    assert json.loads(lam.invoke(FunctionName="calm")["Payload"].read()) == 2  # still warm
