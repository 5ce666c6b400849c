"""The IAM write log keeps what IAM holds, not its history, and replays it in order."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

import pytest

from gearbox.local.edge.messages import Request, Response
from gearbox.local.iam_writes import IamWrites, is_write


def form(**params: str) -> Request:
    return Request(
        method="POST",
        path="/",
        query_string="",
        headers=(("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),),
        body=urlencode({"Version": "2010-05-08", **params}).encode(),
    )


@pytest.fixture
def writes(tmp_path: Path) -> IamWrites:
    return IamWrites(tmp_path / "iam.db")


def actions(writes: IamWrites) -> list[str]:
    sent: list[str] = []

    def call(request: Request) -> Response:
        sent.append(request.body.decode())
        return Response(200, (), b"")

    writes.replay(call)
    return [next(p for p in body.split("&") if p.startswith("Action=")) for body in sent]


def record(writes: IamWrites, **params: str) -> None:
    writes.record(form(**params), params["Action"])


def test_reads_are_not_writes() -> None:
    assert not is_write("GetRole")
    assert not is_write("ListRolePolicies")
    assert not is_write("SimulatePrincipalPolicy")
    assert is_write("CreateRole")
    assert is_write("TagRole")


def test_a_deleted_role_leaves_nothing_behind(writes: IamWrites) -> None:
    record(writes, Action="CreateRole", RoleName="r")
    record(writes, Action="PutRolePolicy", RoleName="r", PolicyName="p")
    record(writes, Action="AttachRolePolicy", RoleName="r", PolicyArn="arn:x")
    record(writes, Action="CreateRole", RoleName="other")
    record(writes, Action="DeleteRole", RoleName="r")
    assert actions(writes) == ["Action=CreateRole"]
    assert writes.count() == 1


def test_undone_and_replaced_policies_are_dropped(writes: IamWrites) -> None:
    record(writes, Action="CreateRole", RoleName="r")
    record(writes, Action="PutRolePolicy", RoleName="r", PolicyName="a")
    record(writes, Action="PutRolePolicy", RoleName="r", PolicyName="b")
    record(writes, Action="PutRolePolicy", RoleName="r", PolicyName="a")  # replaces the first
    record(writes, Action="DeleteRolePolicy", RoleName="r", PolicyName="b")
    record(writes, Action="AttachRolePolicy", RoleName="r", PolicyArn="arn:one")
    record(writes, Action="AttachRolePolicy", RoleName="r", PolicyArn="arn:two")
    record(writes, Action="DetachRolePolicy", RoleName="r", PolicyArn="arn:one")
    assert actions(writes) == [
        "Action=CreateRole",
        "Action=PutRolePolicy",
        "Action=AttachRolePolicy",
    ]


def test_replay_goes_on_past_a_refused_write(
    writes: IamWrites, caplog: pytest.LogCaptureFixture
) -> None:
    record(writes, Action="CreatePolicy", PolicyName="p")
    record(writes, Action="CreateRole", RoleName="r")
    answers = iter([Response(409, (), b"EntityAlreadyExists"), Response(200, (), b"")])
    assert writes.replay(lambda _: next(answers)) == 2
    assert "CreatePolicy kept from an earlier run was refused on replay (409)" in caplog.text


def test_replay_goes_on_past_a_write_that_fails(writes: IamWrites) -> None:
    record(writes, Action="CreateRole", RoleName="broken")
    record(writes, Action="CreateRole", RoleName="fine")
    seen: list[bytes] = []

    def call(request: Request) -> Response:
        if b"broken" in request.body:
            raise ValueError("moto cannot read it")
        seen.append(request.body)
        return Response(200, (), b"")

    assert writes.replay(call) == 2
    assert len(seen) == 1
