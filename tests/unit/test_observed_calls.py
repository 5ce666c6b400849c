"""The observed calls of functions, and the minimal policy they needed."""

from __future__ import annotations

from pathlib import Path

from gearbox.local.edge.observed import ObservedCalls, minimal_policy, observed_policy
from gearbox.policy.document import parse_policy
from gearbox.policy.evaluate import evaluate

T1 = "arn:aws:dynamodb:us-east-1:123456789012:table/a"
T2 = "arn:aws:dynamodb:us-east-1:123456789012:table/b"


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_calls_are_counted_per_function_action_and_resource(tmp_path: Path) -> None:
    store = ObservedCalls(tmp_path)
    store.record("fn", "dynamodb:PutItem", T1, "allowed", 1.0)
    store.record("fn", "dynamodb:PutItem", T1, "allowed", 2.0)
    store.record("fn", "dynamodb:PutItem", T1, "implicit-deny", 3.0)
    store.record("other", "s3:GetObject", "arn:aws:s3:::b/k", "allowed", 4.0)
    assert store.calls("fn") == [
        {
            "action": "dynamodb:PutItem",
            "resource": T1,
            "allowed": 2,
            "denied": 1,
            "last_decision": "implicit-deny",
            "last_seen": 3.0,
        }
    ]
    store.record("fn", "dynamodb:PutItem", T1, "allowed", 5.0)
    assert store.calls("fn")[0]["allowed"] == 3
    assert store.functions() == ["fn", "other"]
    store.close()


def test_calls_are_written_at_most_once_per_interval_and_at_close(tmp_path: Path) -> None:
    ticks = Ticks()
    store = ObservedCalls(tmp_path, flush_every=1.0, monotonic=ticks)
    store.record("fn", "sqs:SendMessage", "arn:q", "allowed", 1.0)
    assert observed_policy(tmp_path, "fn")["Statement"] == []  # another reader: not yet
    ticks.now = 1.5
    store.record("fn", "sqs:SendMessage", "arn:q", "allowed", 2.0)  # flushes both
    assert observed_policy(tmp_path, "fn")["Statement"][0]["Resource"] == ["arn:q"]
    store.record("fn", "sqs:DeleteMessage", "arn:q", "allowed", 3.0)
    store.close()
    assert observed_policy(tmp_path, "fn")["Statement"][0]["Action"] == [
        "sqs:DeleteMessage",
        "sqs:SendMessage",
    ]


def test_minimal_policy_groups_resources_by_their_set_of_actions() -> None:
    calls = [
        ("dynamodb:PutItem", T2),
        ("dynamodb:GetItem", T1),
        ("dynamodb:PutItem", T1),
        ("s3:ListBucket", "arn:aws:s3:::bkt"),
        ("dynamodb:ListTables", "*"),
        ("dynamodb:GetItem", T2),
    ]
    policy = minimal_policy(calls)
    assert policy == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Observed1",
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                "Resource": [T1, T2],
            },
            {
                "Sid": "Observed2",
                "Effect": "Allow",
                "Action": ["dynamodb:ListTables"],
                "Resource": ["*"],
            },
            {
                "Sid": "Observed3",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": ["arn:aws:s3:::bkt"],
            },
        ],
    }
    assert minimal_policy(reversed(calls)) == policy  # deterministic
    parsed = parse_policy(policy)
    for action, resource in calls:  # it allows every call, and no other
        assert evaluate([parsed], action, resource).allowed
    assert not evaluate([parsed], "dynamodb:DeleteItem", T1).allowed
    assert not evaluate([parsed], "s3:ListBucket", "arn:aws:s3:::other").allowed
