"""Helpers for the Lambda functional tests: zips built in memory, functions created by boto3.

Functions run under IAM enforcement, as on AWS: ``create_function`` without a ``Role`` gives
the function ``ROLE``, created in the local cloud's IAM (once per cloud) with a policy that
allows everything, for tests that are not about permissions.
"""

from __future__ import annotations

import io
import json
import textwrap
import zipfile
from typing import Any

import boto3

from gearbox.dev.functions import TRUST_POLICY
from tests.conftest import CREDENTIALS

ROLE = "arn:aws:iam::123456789012:role/test-function"
_EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def zip_of(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, textwrap.dedent(text))
    return buffer.getvalue()


def ensure_test_role(lam: Any) -> str:
    """Create ``ROLE`` (allowed everything) in the cloud ``lam`` talks to, if not there."""
    iam = boto3.client(
        "iam", endpoint_url=lam.meta.endpoint_url, region_name=lam.meta.region_name, **CREDENTIALS
    )
    name = ROLE.rpartition("/")[2]
    try:
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
    except iam.exceptions.EntityAlreadyExistsException:
        return ROLE
    iam.put_role_policy(
        RoleName=name, PolicyName="everything", PolicyDocument=json.dumps(_EVERYTHING)
    )
    return ROLE


def create_function(
    lam: Any, name: str, code: str, handler: str = "app.handler", **settings: Any
) -> dict[str, Any]:
    """Create ``name`` from one module ``app.py`` holding ``code``."""
    if "Role" not in settings:
        settings["Role"] = ensure_test_role(lam)
    return dict(
        lam.create_function(
            FunctionName=name,
            Runtime="python3.11",
            Handler=handler,
            Code={"ZipFile": zip_of({"app.py": code})},
            **settings,
        )
    )


RECORDER = """
import boto3, json, os
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["RESULTS"], MessageBody=json.dumps(event))
"""


def create_recorder(lam: Any, name: str, results: str) -> dict[str, Any]:
    """Create ``name``, a function that sends each event it gets, as JSON, to the queue at
    URL ``results``."""
    return create_function(lam, name, RECORDER, Environment={"Variables": {"RESULTS": results}})


def allow_invoke(lam: Any, function: str, service: str, source_arn: str) -> None:
    """The function's policy lets ``service`` (``s3.amazonaws.com``) invoke it for
    ``source_arn``, as AWS requires before that service may invoke it."""
    lam.add_permission(
        FunctionName=function,
        StatementId=service.split(".", maxsplit=1)[0],
        Action="lambda:InvokeFunction",
        Principal=service,
        SourceArn=source_arn,
    )
