"""AddPermission / RemovePermission: statements in the queue's ``Policy``, keyed by label.

The policy is stored and returned as AWS writes it; it is not enforced here (enforcement is
the least-privilege issue's).
"""

from __future__ import annotations

import json
from typing import Any

from gearbox.local.sqs.errors import SqsError, invalid_parameter

MAX_ACTIONS = 7


def add_permission(
    policy: str | None, queue_arn: str, label: str, accounts: list[str], actions: list[str]
) -> str:
    document = _load(policy, queue_arn)
    statements: list[dict[str, Any]] = document["Statement"]
    if any(s.get("Sid") == label for s in statements):
        raise invalid_parameter("Label", label, "Already exists.")
    if not accounts or not actions:
        raise SqsError("MissingParameter", "The request must contain AWSAccountIds and Actions.")
    if len(actions) > MAX_ACTIONS:  # AWS: at most seven actions per statement
        raise SqsError(
            "OverLimit", f"{len(actions)} Actions were found, maximum allowed is {MAX_ACTIONS}."
        )
    principals = [f"arn:aws:iam::{account}:root" for account in accounts]
    statements.append(
        {
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
            "Action": [f"SQS:{a}" for a in actions] if len(actions) > 1 else f"SQS:{actions[0]}",
            "Resource": queue_arn,
        }
    )
    return json.dumps(document, separators=(",", ":"))


def remove_permission(policy: str | None, label: str) -> str:
    if not policy:
        raise invalid_parameter("Label", label, "can't find label.")
    document = json.loads(policy)
    kept = [s for s in document.get("Statement", []) if s.get("Sid") != label]
    if len(kept) == len(document.get("Statement", [])):
        raise invalid_parameter("Label", label, "can't find label.")
    if not kept:
        return ""
    document["Statement"] = kept
    return json.dumps(document, separators=(",", ":"))


def _load(policy: str | None, queue_arn: str) -> dict[str, Any]:
    if policy:
        document: dict[str, Any] = json.loads(policy)
        document.setdefault("Statement", [])
        return document
    return {"Version": "2012-10-17", "Id": f"{queue_arn}/SQSDefaultPolicy", "Statement": []}
