"""The Lambda API through boto3: functions created as AWS creates them, invoked as on Lambda."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functional.lambda_helpers import ROLE, create_function, zip_of

ECHO = """
def handler(event, context):
    return {"got": event, "function": context.function_name}
"""


@pytest.fixture
def lam(client: Any) -> Any:
    return client("lambda")


def test_create_get_list_and_invoke(lam: Any) -> None:
    created = create_function(
        lam,
        "echo",
        ECHO,
        Timeout=5,
        MemorySize=256,
        Environment={"Variables": {"TABLE_NAME": "meta"}},
    )
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:echo"
    assert created["State"] == "Active" and created["Version"] == "$LATEST"
    assert created["Timeout"] == 5 and created["MemorySize"] == 256
    assert created["Environment"] == {"Variables": {"TABLE_NAME": "meta"}}
    assert len(base64.b64decode(created["CodeSha256"])) == 32
    got = lam.get_function(FunctionName="echo")
    assert got["Configuration"]["Handler"] == "app.handler"
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["echo"]
    response = lam.invoke(FunctionName="echo", Payload=json.dumps({"a": 1}))
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    assert json.loads(response["Payload"].read()) == {"got": {"a": 1}, "function": "echo"}


def test_invoke_by_arn_and_waiter(lam: Any) -> None:
    create_function(lam, "by-arn", ECHO)
    lam.get_waiter("function_active_v2").wait(FunctionName="by-arn")
    response = lam.invoke(
        FunctionName="arn:aws:lambda:us-east-1:123456789012:function:by-arn", Payload=b"{}"
    )
    assert json.loads(response["Payload"].read())["function"] == "by-arn"


def test_function_error_shape_and_log_tail(lam: Any) -> None:
    create_function(
        lam,
        "boom",
        """
def handler(event, context):
    print("about to fail")
    raise ValueError("bad input")
""",
    )
    response = lam.invoke(FunctionName="boom", Payload=b"{}", LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "bad input"
    assert isinstance(error["stackTrace"], list) and error["stackTrace"]
    log = base64.b64decode(response["LogResult"]).decode()
    assert "about to fail" in log
    assert log.startswith("START RequestId: ") or "START RequestId: " in log
    assert "REPORT RequestId: " in log


def test_dry_run_and_event_invocation_types(lam: Any) -> None:
    create_function(lam, "types", ECHO)
    assert lam.invoke(FunctionName="types", InvocationType="DryRun")["StatusCode"] == 204
    assert (
        lam.invoke(FunctionName="types", InvocationType="Event", Payload=b"{}")["StatusCode"] == 202
    )


def test_payload_limits_and_bad_json(lam: Any) -> None:
    create_function(lam, "limits", ECHO)
    big = json.dumps({"x": "y" * 6_300_000}).encode()
    with pytest.raises(lam.exceptions.RequestTooLargeException):
        lam.invoke(FunctionName="limits", Payload=big)
    async_big = json.dumps({"x": "y" * 1_100_000}).encode()
    with pytest.raises(lam.exceptions.RequestTooLargeException):
        lam.invoke(FunctionName="limits", InvocationType="Event", Payload=async_big)
    with pytest.raises(lam.exceptions.InvalidRequestContentException):
        lam.invoke(FunctionName="limits", Payload=b"{not json")


def test_missing_function(lam: Any) -> None:
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as excinfo:
        lam.invoke(FunctionName="absent", Payload=b"{}")
    assert "Function not found: arn:aws:lambda:us-east-1:123456789012:function:absent" in str(
        excinfo.value
    )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="absent")


def test_create_twice_and_bad_settings(lam: Any) -> None:
    create_function(lam, "once", ECHO)
    with pytest.raises(lam.exceptions.ResourceConflictException):
        create_function(lam, "once", ECHO)
    for settings in (
        {"Timeout": 901},
        {"MemorySize": 20_000},
        {"Environment": {"Variables": {"AWS_REGION": "x"}}},
    ):
        with pytest.raises(ClientError) as excinfo:
            create_function(lam, "bad", ECHO, **settings)
        assert excinfo.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_function(
            FunctionName="notzip",
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": b"not a zip"},
        )
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_function(
            FunctionName="node",
            Runtime="nodejs20.x",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": zip_of({"app.py": ECHO})},
        )
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["once"]


def test_update_code_and_configuration(lam: Any) -> None:
    create_function(lam, "evolving", "def handler(e, c):\n    return 1\n")
    assert json.loads(lam.invoke(FunctionName="evolving")["Payload"].read()) == 1
    lam.update_function_code(
        FunctionName="evolving", ZipFile=zip_of({"app.py": "def handler(e, c):\n    return 2\n"})
    )
    assert json.loads(lam.invoke(FunctionName="evolving")["Payload"].read()) == 2
    updated = lam.update_function_configuration(
        FunctionName="evolving",
        Timeout=10,
        Environment={"Variables": {"MODE": "x"}},
        Handler="app.other",
    )
    assert updated["Timeout"] == 10 and updated["Handler"] == "app.other"
    lam.update_function_code(
        FunctionName="evolving",
        ZipFile=zip_of(
            {"app.py": ("import os\ndef other(e, c):\n    return os.environ['MODE']\n")}
        ),
    )
    assert json.loads(lam.invoke(FunctionName="evolving")["Payload"].read()) == "x"


def test_code_from_an_s3_bucket_of_the_local_cloud(lam: Any, client: Any) -> None:
    s3 = client("s3")
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="fn.zip", Body=zip_of({"app.py": ECHO}))
    lam.create_function(
        FunctionName="from-s3",
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"S3Bucket": "artifacts", "S3Key": "fn.zip"},
    )
    assert json.loads(lam.invoke(FunctionName="from-s3")["Payload"].read())["function"] == (
        "from-s3"
    )


def test_delete_function(lam: Any) -> None:
    create_function(lam, "gone", ECHO)
    lam.delete_function(FunctionName="gone")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.invoke(FunctionName="gone")


def test_reserved_concurrency_zero_throttles(lam: Any) -> None:
    create_function(lam, "throttled", ECHO)
    lam.put_function_concurrency(FunctionName="throttled", ReservedConcurrentExecutions=0)
    assert lam.get_function(FunctionName="throttled")["Concurrency"] == {
        "ReservedConcurrentExecutions": 0
    }
    with pytest.raises(lam.exceptions.TooManyRequestsException) as excinfo:
        lam.invoke(FunctionName="throttled")
    assert excinfo.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    lam.delete_function_concurrency(FunctionName="throttled")
    assert lam.invoke(FunctionName="throttled")["StatusCode"] == 200


def test_event_invoke_config(lam: Any) -> None:
    create_function(lam, "async-fn", ECHO)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName="async-fn")
    queue_arn = "arn:aws:sqs:us-east-1:123456789012:failures"
    lam.put_function_event_invoke_config(
        FunctionName="async-fn",
        MaximumRetryAttempts=1,
        MaximumEventAgeInSeconds=120,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    got = lam.get_function_event_invoke_config(FunctionName="async-fn")
    assert got["MaximumRetryAttempts"] == 1 and got["MaximumEventAgeInSeconds"] == 120
    assert got["DestinationConfig"]["OnFailure"] == {"Destination": queue_arn}
    lam.update_function_event_invoke_config(FunctionName="async-fn", MaximumRetryAttempts=0)
    got = lam.get_function_event_invoke_config(FunctionName="async-fn")
    assert got["MaximumRetryAttempts"] == 0 and got["MaximumEventAgeInSeconds"] == 120
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.put_function_event_invoke_config(FunctionName="async-fn", MaximumRetryAttempts=3)
    lam.delete_function_event_invoke_config(FunctionName="async-fn")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName="async-fn")


def test_functions_survive_a_restart(tmp_path: Any) -> None:
    import boto3

    from gearbox.local.cloud import LocalCloud
    from gearbox.settings import Settings
    from tests.conftest import CREDENTIALS

    for attempt in range(2):
        local = LocalCloud.open(Settings(port=0, state_dir=tmp_path / "state"))
        local.start()
        try:
            lam = boto3.client(
                "lambda", endpoint_url=local.endpoint_url, region_name="us-east-1", **CREDENTIALS
            )
            if attempt == 0:
                create_function(lam, "durable", ECHO)
            response = lam.invoke(FunctionName="durable", Payload=b'{"n": 1}')
            assert json.loads(response["Payload"].read())["got"] == {"n": 1}
        finally:
            local.stop()


def test_an_environment_killed_mid_invocation(lam: Any, tmp_path: Any) -> None:
    """The invocation in flight gets Lambda's Runtime.ExitError; the next one gets a fresh
    environment; other functions are not affected."""
    import os
    import signal
    import threading
    import time

    pid_file = tmp_path / "pid"
    create_function(
        lam,
        "victim",
        """
import os, time
def handler(event, context):
    with open(os.environ["PID_FILE"], "w") as f:
        f.write(str(os.getpid()))
    time.sleep(event.get("sleep", 0))
    return os.getpid()
""",
        Timeout=30,
        Environment={"Variables": {"PID_FILE": str(pid_file)}},
    )
    create_function(lam, "bystander", ECHO)
    results: list[Any] = []
    caller = threading.Thread(
        target=lambda: results.append(lam.invoke(FunctionName="victim", Payload=b'{"sleep": 20}'))
    )
    caller.start()
    deadline = time.monotonic() + 20
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    pid = int(pid_file.read_text())
    assert json.loads(lam.invoke(FunctionName="bystander", Payload=b"{}")["Payload"].read())
    os.kill(pid, signal.SIGKILL)
    caller.join(timeout=30)
    [response] = results
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "Runtime.ExitError"
    assert "signal: killed" in error["errorMessage"]
    again = lam.invoke(FunctionName="victim", Payload=b"{}")
    assert "FunctionError" not in again
    assert json.loads(again["Payload"].read()) != pid


def test_any_python3_runtime_runs_on_the_local_interpreter(lam: Any) -> None:
    create_function(lam, "newer", ECHO)
    lam.update_function_configuration(FunctionName="newer", Runtime="python3.13")
    assert lam.get_function(FunctionName="newer")["Configuration"]["Runtime"] == "python3.13"
    assert lam.invoke(FunctionName="newer")["StatusCode"] == 200


def test_dependencies_travel_in_the_zip_and_nothing_else_leaks_in(lam: Any) -> None:
    """A package inside the zip imports; one that only Gearbox's own virtualenv has fails
    exactly as on Lambda; boto3 comes with the runtime."""
    lam.create_function(
        FunctionName="deps",
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={
            "ZipFile": zip_of(
                {
                    "app.py": "import boto3, vendored.util\n"
                    "def handler(e, c):\n    return vendored.util.shout('hi')\n",
                    "vendored/__init__.py": "",
                    "vendored/util.py": "def shout(s):\n    return s.upper()\n",
                }
            )
        },
    )
    assert json.loads(lam.invoke(FunctionName="deps")["Payload"].read()) == "HI"
    create_function(lam, "leaky", "import click\ndef handler(e, c):\n    return 1\n")
    response = lam.invoke(FunctionName="leaky")
    assert response["FunctionError"] == "Unhandled"
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "Runtime.ImportModuleError"
    assert "No module named 'click'" in error["errorMessage"]


def test_resource_policy_add_get_remove(client: Any) -> None:
    lam = client("lambda")
    create_function(lam, "pushed", "def handler(e, c):\n    return 1\n")
    with pytest.raises(ClientError) as none:
        lam.get_policy(FunctionName="pushed")
    assert none.value.response["Error"]["Code"] == "ResourceNotFoundException"
    added = lam.add_permission(
        FunctionName="pushed",
        StatementId="s3-invoke",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads",
        SourceAccount="123456789012",
    )
    statement = json.loads(added["Statement"])
    arn = lam.get_function(FunctionName="pushed")["Configuration"]["FunctionArn"]
    assert statement == {
        "Sid": "s3-invoke",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn,
        "Condition": {
            "ArnLike": {"AWS:SourceArn": "arn:aws:s3:::uploads"},
            "StringEquals": {"AWS:SourceAccount": "123456789012"},
        },
    }
    with pytest.raises(ClientError) as again:
        lam.add_permission(
            FunctionName="pushed",
            StatementId="s3-invoke",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
        )
    assert again.value.response["Error"]["Code"] == "ResourceConflictException"
    policy = json.loads(lam.get_policy(FunctionName="pushed")["Policy"])
    assert policy["Statement"] == [statement]
    lam.remove_permission(FunctionName="pushed", StatementId="s3-invoke")
    with pytest.raises(ClientError) as gone:
        lam.remove_permission(FunctionName="pushed", StatementId="s3-invoke")
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"
