"""Hand-written ``extra_permissions``: checked against AWS's IAM database, rejected with the
reason when malformed, added to the policy as ``Extra<n>`` statements."""

from __future__ import annotations

from pathlib import Path

import pytest

from gearbox.errors import PolicyError
from gearbox.policy import ExtraPermission, ResourceBinding, build_policy
from gearbox.policy.extra import extra_statements
from tests.unit.policy_helpers import analyse


def test_extra_permissions_become_statements(tmp_path: Path) -> None:
    analysis = analyse(
        tmp_path,
        """
        import boto3
        def handler(event, context):
            boto3.client("sqs").send_message(QueueUrl="https://x/1/jobs", MessageBody="b")
        """,
    )
    extra = (
        ExtraPermission(
            ("ssm:GetParameter", "ssm:GetParameters"),
            ("arn:aws:ssm:us-east-1:123456789012:parameter/app/*",),
        ),
        ExtraPermission(("s3:Get*",), ("arn:aws:s3:::b/*", "arn:aws:s3:::a/*")),
    )
    bindings: dict[str, ResourceBinding] = {}
    document = build_policy(analysis, bindings, "123456789012", "us-east-1", extra=extra).document
    assert document["Statement"] == [
        {
            "Sid": "Extra1",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": "arn:aws:ssm:us-east-1:123456789012:parameter/app/*",
        },
        {
            "Sid": "Extra2",
            "Effect": "Allow",
            "Action": ["s3:Get*"],
            "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"],
        },
        {
            "Sid": "SqsJobs",
            "Effect": "Allow",
            "Action": ["sqs:SendMessage"],
            "Resource": "arn:aws:sqs:us-east-1:123456789012:jobs",
        },
    ]


@pytest.mark.parametrize(
    ("permission", "reason"),
    [
        (ExtraPermission(("GetObject",), ("*",)), "is not of the form service:Action"),
        (ExtraPermission(("s4:GetObject",), ("*",)), "no AWS service has the prefix 's4'"),
        (ExtraPermission(("s3:GetObjects",), ("*",)), "s3 has no action 'GetObjects'"),
        (ExtraPermission(("s3:getobject",), ("*",)), "is spelled 's3:GetObject'"),
        (ExtraPermission(("s3:Fly*",), ("*",)), "matches no s3 action"),
        (ExtraPermission((), ("*",)), "needs at least one action and one resource"),
        (ExtraPermission(("s3:GetObject",), ("my-bucket",)), "is neither '*' nor an ARN"),
    ],
)
def test_malformed_permission_is_rejected_with_the_reason(
    permission: ExtraPermission, reason: str
) -> None:
    with pytest.raises(PolicyError, match=r"^extra_permissions\[0\]: .*") as caught:
        extra_statements([permission])
    assert reason in str(caught.value)
