"""Checks of function configuration, with Lambda's limits and messages.

Timeout 1-900 s, memory 128-10,240 MB, environment variables at most 4 KB in all and none of
the keys Lambda reserves, runtimes ``python3.x`` only (Gearbox runs Python functions).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

from gearbox.local.functions.errors import LambdaError, invalid

log = logging.getLogger(__name__)

_NAME = re.compile(r"[a-zA-Z0-9-_]{1,64}")
_HANDLER = re.compile(r"[^\s]{1,128}")
_RUNTIME = re.compile(r"python3\.(\d+)")
RESERVED_KEYS = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)
MAX_ENVIRONMENT_BYTES = 4096


def function_name(name: str) -> str:
    """A bare name from a name, a full ARN or a partial ARN (qualifier ``$LATEST`` only)."""
    parts = name.split(":")
    if name.startswith("arn:") and len(parts) >= 7:
        name = parts[6]
        qualifier = parts[7] if len(parts) > 7 else None
    elif len(parts) >= 3 and parts[1] == "function":  # 123456789012:function:name
        name = parts[2]
        qualifier = parts[3] if len(parts) > 3 else None
    else:
        name, _, qualifier_part = name.partition(":")
        qualifier = qualifier_part or None
    if qualifier not in (None, "$LATEST"):
        raise LambdaError(
            "ResourceNotFoundException",
            f"Function not found: {name}:{qualifier} (Gearbox runs $LATEST only)",
            404,
        )
    if not _NAME.fullmatch(name):
        raise LambdaError(
            "ValidationException",
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
            "(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?",
        )
    return name


def runtime(value: str) -> str:
    match = _RUNTIME.fullmatch(value)
    if match is None:
        raise invalid(
            f"The runtime parameter of {value} is not supported by Gearbox, which runs "
            "Python functions (python3.x)."
        )
    if int(match.group(1)) != sys.version_info.minor:
        log.warning(
            "%s functions run on the local Python %d.%d",
            value,
            sys.version_info.major,
            sys.version_info.minor,
        )
    return value


def handler(value: str) -> str:
    if not _HANDLER.fullmatch(value):
        raise invalid(f"Value {value!r} at 'handler' failed to satisfy constraint")
    return value


def timeout(value: Any) -> int:
    seconds = int(value)
    if not 1 <= seconds <= 900:
        raise invalid(
            f"1 validation error detected: Value '{seconds}' at 'timeout' failed to satisfy "
            "constraint: Member must have value less than or equal to 900"
            if seconds > 900
            else f"1 validation error detected: Value '{seconds}' at 'timeout' failed to "
            "satisfy constraint: Member must have value greater than or equal to 1"
        )
    return seconds


def memory_size(value: Any) -> int:
    megabytes = int(value)
    if not 128 <= megabytes <= 10_240:
        raise invalid(
            "'MemorySize' value failed to satisfy constraint: Member must have value "
            "greater than or equal to 128 and less than or equal to 10240"
        )
    return megabytes


def environment(value: Any) -> dict[str, str]:
    variables = dict((value or {}).get("Variables") or {})
    reserved = sorted(set(variables) & RESERVED_KEYS)
    if reserved:
        raise invalid(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys that are "
            f"currently not supported for modification. Reserved keys used in this request: "
            f"{', '.join(reserved)}"
        )
    if len(json.dumps(variables).encode()) > MAX_ENVIRONMENT_BYTES:
        raise invalid(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided exceeded the 4KB limit."
        )
    return {str(k): str(v) for k, v in variables.items()}


def destination(arn: str | None) -> str | None:
    if arn is None:
        return None
    service = arn.split(":")[2] if arn.count(":") >= 5 else ""
    if not arn.startswith("arn:") or service not in ("sqs", "sns", "lambda", "events"):
        raise invalid(
            f"The destination ARN {arn} is invalid: use an SQS queue, SNS topic, Lambda "
            "function or EventBridge event bus."
        )
    return arn
