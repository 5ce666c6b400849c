"""``gearbox invoke``: one Lambda Invoke through boto3 against the local cloud."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path

from gearbox.cli.output import Output
from gearbox.errors import GearboxError

DEFAULT_ENDPOINT = "http://127.0.0.1:4566"


def read_payload(payload: str) -> bytes:
    if payload.startswith("@"):
        path = Path(payload[1:])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise GearboxError(f"cannot read payload file {path}: {exc.strerror}") from exc
    else:
        data = payload.encode()
    try:
        json.loads(data)
    except ValueError as exc:
        raise GearboxError(f"the payload is not JSON: {exc}") from exc
    return data


def run_invoke(
    out: Output,
    function: str,
    *,
    payload: str,
    is_async: bool,
    endpoint_url: str | None,
    region: str | None,
    env: Mapping[str, str],
) -> int:
    import boto3
    import botocore.exceptions

    data = read_payload(payload)
    client = boto3.client(
        "lambda",
        endpoint_url=endpoint_url or env.get("AWS_ENDPOINT_URL") or DEFAULT_ENDPOINT,
        region_name=region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID") or "gearbox",
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY") or "gearbox",
    )
    try:
        response = client.invoke(
            FunctionName=function,
            InvocationType="Event" if is_async else "RequestResponse",
            LogType="None" if is_async else "Tail",
            Payload=data,
        )
    except botocore.exceptions.ClientError as exc:
        raise GearboxError(str(exc)) from exc
    except botocore.exceptions.EndpointConnectionError as exc:
        raise GearboxError(
            f"no local cloud answers at {exc.kwargs.get('endpoint_url')}; "
            "start one with `gearbox up`"
        ) from exc
    if is_async:
        out.info(f"queued (202), request id {response['ResponseMetadata']['RequestId']}")
        return 0
    log = base64.b64decode(response.get("LogResult", "")).decode("utf-8", "replace")
    if log:
        out.info(log.rstrip("\n"))
    body = response["Payload"].read().decode("utf-8", "replace")
    if response.get("FunctionError"):
        out.error(f"function error ({response['FunctionError']}): {body}")
        return 1
    out.info(body)
    return 0
