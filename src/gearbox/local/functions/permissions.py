"""A function's resource-based policy: AddPermission, RemovePermission, GetPolicy.

Statements are built as Lambda builds them
(https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html): a
service principal becomes ``{"Service": ...}``, an account or ARN ``{"AWS": ...}``;
``SourceArn`` becomes ``ArnLike AWS:SourceArn``, ``SourceAccount`` becomes
``StringEquals AWS:SourceAccount``. The policy is kept with the function.

``lets_invoke`` asks the policy whether a service may invoke the function for a source: S3
asks it when a notification configuration is put and again at each delivery, SNS and
EventBridge at each delivery.

Where it differs from AWS: ``RevisionId`` checks and ``FunctionUrlAuthType`` are not applied.
"""

from __future__ import annotations

import re
from typing import Any

from gearbox.local.functions.errors import LambdaError
from gearbox.policy.resource import service_may

_ACCOUNT = re.compile(r"^\d{12}$")


def statement(function_arn: str, body: dict[str, Any]) -> dict[str, Any]:
    for member in ("StatementId", "Action", "Principal"):
        if not body.get(member):
            raise LambdaError(
                "ValidationException", f"1 validation error detected: {member} must not be null"
            )
    principal = str(body["Principal"])
    if _ACCOUNT.match(principal):
        principal_value: Any = {"AWS": f"arn:aws:iam::{principal}:root"}
    elif principal == "*" or principal.startswith("arn:"):
        principal_value = principal if principal == "*" else {"AWS": principal}
    else:
        principal_value = {"Service": principal}
    condition: dict[str, Any] = {}
    if body.get("SourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": body["SourceArn"]}
    if body.get("SourceAccount"):
        condition["StringEquals"] = {"AWS:SourceAccount": body["SourceAccount"]}
    made: dict[str, Any] = {
        "Sid": body["StatementId"],
        "Effect": "Allow",
        "Principal": principal_value,
        "Action": body["Action"],
        "Resource": function_arn,
    }
    if condition:
        made["Condition"] = condition
    return made


def add(policy: list[dict[str, Any]], made: dict[str, Any]) -> list[dict[str, Any]]:
    if any(s["Sid"] == made["Sid"] for s in policy):
        raise LambdaError(
            "ResourceConflictException",
            f"The statement id ({made['Sid']}) provided already exists. Please provide a new "
            "statement id, or remove the existing statement.",
            409,
        )
    return [*policy, made]


def remove(policy: list[dict[str, Any]], sid: str) -> list[dict[str, Any]]:
    kept = [s for s in policy if s["Sid"] != sid]
    if len(kept) == len(policy):
        raise LambdaError(
            "ResourceNotFoundException", f"Statement {sid} is not found in resource policy.", 404
        )
    return kept


def document(policy: list[dict[str, Any]]) -> dict[str, Any]:
    if not policy:
        raise LambdaError(
            "ResourceNotFoundException", "The resource you requested does not exist.", 404
        )
    return {"Version": "2012-10-17", "Id": "default", "Statement": policy}


def lets_invoke(
    policy: list[dict[str, Any]],
    function_arn: str,
    service: str,
    *,
    source_arn: str,
    source_account: str,
) -> bool:
    """Whether the function's ``policy`` lets ``service`` (``sns.amazonaws.com``) invoke
    it on behalf of ``source_arn``, owned by ``source_account``."""
    return service_may(
        {"Version": "2012-10-17", "Statement": policy},
        service,
        "lambda:InvokeFunction",
        function_arn,
        source_arn=source_arn,
        source_account=source_account,
    )
