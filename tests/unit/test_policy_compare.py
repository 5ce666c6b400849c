"""The generated policy against observed calls: what was made but not generated, what was
generated but not used, by IAM's own matching."""

from __future__ import annotations

from gearbox.policy.compare import compare

TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"
GENERATED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Table",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
            "Resource": TABLE,
        },
        {
            "Sid": "Objects",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::uploads/*",
        },
    ],
}


def call(action: str, resource: str) -> dict[str, str]:
    return {"action": action, "resource": resource}


def test_exact_use_has_no_difference() -> None:
    calls = [
        call("dynamodb:GetItem", TABLE),
        call("dynamodb:PutItem", TABLE),
        call("s3:GetObject", "arn:aws:s3:::uploads/a/b.png"),
    ]
    difference = compare(GENERATED, calls)
    assert difference.missed == []
    assert difference.unused == []


def test_calls_outside_the_policy_are_missed_and_unused_grants_listed() -> None:
    calls = [
        call("dynamodb:GetItem", TABLE),
        call("dynamodb:DeleteItem", TABLE),
        call("s3:GetObject", "arn:aws:s3:::other/x"),
    ]
    difference = compare(GENERATED, calls)
    assert difference.missed == [
        ("dynamodb:DeleteItem", TABLE),
        ("s3:GetObject", "arn:aws:s3:::other/x"),
    ]
    assert difference.unused == [
        ("dynamodb:PutItem", TABLE),
        ("s3:GetObject", "arn:aws:s3:::uploads/*"),
    ]


def test_actions_match_without_case_and_resources_with_wildcards() -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Q",
                "Effect": "Allow",
                "Action": "sqs:Send*",
                "Resource": "arn:aws:sqs:us-east-1:123456789012:jobs-?",
            }
        ],
    }
    calls = [call("SQS:SendMessage", "arn:aws:sqs:us-east-1:123456789012:jobs-1")]
    assert compare(policy, calls).missed == []
    assert compare(policy, calls).unused == []
    assert compare(
        policy, [call("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:jobs-10")]
    ).missed
