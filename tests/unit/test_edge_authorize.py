"""The authorize stage with its collaborators faked: modes, several calls per request, IAM
writes invalidating the role cache."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from gearbox.clock import ManualClock
from gearbox.local.edge.authorize import Authorize, FunctionIdentity
from gearbox.local.edge.chain import Exchange
from gearbox.local.edge.messages import Response
from gearbox.local.edge.observed import ObservedCalls
from gearbox.local.functions.roles import RolePermissions
from gearbox.policy.document import parse_policy
from gearbox.settings import IamMode
from tests.unit.request_helpers import exchange_of

ROLE_ARN = "arn:aws:iam::123456789012:role/copier"
POLICY = parse_policy(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::dst/*"}
        ],
    },
    name="inline",
)


class FakeRoles:
    def __init__(self) -> None:
        self.invalidated = 0
        self.role = RolePermissions(ROLE_ARN, "copier", "AROAEXAMPLE", (POLICY,))

    def invalidate(self) -> None:
        self.invalidated += 1

    async def get(self, role_arn: str) -> RolePermissions:
        assert role_arn == ROLE_ARN
        return self.role


def stage(mode: IamMode, tmp_path: Path, roles: FakeRoles) -> tuple[Authorize, ObservedCalls]:
    observed = ObservedCalls(tmp_path)
    authorize = Authorize(
        mode,
        function_of=lambda key: FunctionIdentity("copy-fn", ROLE_ARN) if key == "AKID" else None,
        roles=roles,  # type: ignore[arg-type]
        observed=observed,
        clock=ManualClock(),
        account="123456789012",
    )
    return authorize, observed


def copy_request(principal: str = "function:copy-fn") -> Exchange:
    exchange = exchange_of(
        "s3", "copy_object", Bucket="dst", Key="k", CopySource={"Bucket": "src", "Key": "k"}
    )
    exchange.access_key = "AKID"
    exchange.principal = principal
    return exchange


def test_enforce_denies_when_any_call_is_denied_and_records_them_all(tmp_path: Path) -> None:
    authorize, observed = stage("enforce", tmp_path, FakeRoles())
    exchange = copy_request()
    asyncio.run(authorize(exchange))
    assert exchange.response is not None and exchange.response.status == 403
    assert b"s3:GetObject on resource: arn:aws:s3:::src/k" in exchange.response.body
    assert b"assumed-role/copier/copy-fn" in exchange.response.body
    decisions = {
        (c["action"], c["resource"]): c["last_decision"] for c in observed.calls("copy-fn")
    }
    assert decisions == {
        ("s3:PutObject", "arn:aws:s3:::dst/k"): "allowed",
        ("s3:GetObject", "arn:aws:s3:::src/k"): "implicit-deny",
    }


def test_warn_logs_each_denied_call_and_lets_it_through(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    authorize, _ = stage("warn", tmp_path, FakeRoles())
    exchange = copy_request()
    with caplog.at_level(logging.WARNING):
        asyncio.run(authorize(exchange))
    assert exchange.response is None
    assert caplog.messages == [
        "IAM would deny (warn mode): function copy-fn may not s3:GetObject on "
        "arn:aws:s3:::src/k (no statement allows it)"
    ]


def test_off_and_the_user_are_not_checked(tmp_path: Path) -> None:
    for mode, principal in (("off", "function:copy-fn"), ("enforce", "user")):
        (tmp_path / mode).mkdir()
        authorize, observed = stage(mode, tmp_path / mode, FakeRoles())  # type: ignore[arg-type]
        exchange = copy_request(principal)
        asyncio.run(authorize(exchange))
        assert exchange.response is None
        assert observed.functions() == []


def test_iam_writes_invalidate_the_role_cache_before_and_after(tmp_path: Path) -> None:
    roles = FakeRoles()
    authorize, _ = stage("enforce", tmp_path, roles)
    write = exchange_of(
        "iam", "put_role_policy", RoleName="r", PolicyName="p", PolicyDocument=json.dumps({})
    )
    asyncio.run(authorize(write))
    assert roles.invalidated == 1
    for callback in write.after_response:
        callback(Response(200))
    assert roles.invalidated == 2
    asyncio.run(authorize(exchange_of("iam", "get_role", RoleName="r")))
    assert roles.invalidated == 2  # reads change nothing
