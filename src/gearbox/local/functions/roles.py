"""A function's permissions: the policies of its execution role, read from IAM.

A function names its role at CreateFunction (``Role``), as on AWS. The role and its policies
live in the IAM backend, put there with IAM's own API (``CreateRole``, ``PutRolePolicy``,
``AttachRolePolicy`` with customer or AWS managed policies); ``RolePolicies`` reads them with a
boto3 IAM client against the local cloud (``GetRole``, ``ListRolePolicies`` +
``GetRolePolicy``, ``ListAttachedRolePolicies`` + ``GetPolicy`` + ``GetPolicyVersion``) and
keeps the parsed result.

The cache: an entry is re-read when it is older than ``max_age`` seconds, and every IAM write
that passes through the edge drops all entries (``invalidate``, once before the write and once
after it is answered); a read that overlaps a write is used once and not kept.

Where it differs from AWS: permissions boundaries and session policies are not read. A stored
policy that Gearbox cannot parse is skipped and logged (the role keeps its other policies).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gearbox.errors import PolicyError
from gearbox.local.clients import LocalClients
from gearbox.policy.document import Policy, parse_policy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RolePermissions:
    """A role as IAM keeps it: None for ``role_id`` when the role does not exist."""

    arn: str
    name: str
    role_id: str | None
    policies: tuple[Policy, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    trust: str | None = None  # the trust policy (AssumeRolePolicyDocument), as JSON

    @property
    def exists(self) -> bool:
        return self.role_id is not None


def role_name(role_arn: str) -> str:
    """``arn:aws:iam::123456789012:role/path/name`` -> ``name``."""
    return role_arn.rpartition("/")[2] if ":role/" in role_arn else role_arn


class RolePolicies:
    def __init__(
        self,
        clients: LocalClients,
        max_age: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clients = clients
        self._max_age = max_age
        self._monotonic = monotonic
        self._cache: dict[str, tuple[float, RolePermissions]] = {}
        self._loading: dict[str, asyncio.Future[RolePermissions]] = {}
        self._generation = 0

    def invalidate(self) -> None:
        self._generation += 1
        self._cache.clear()

    async def get(self, role_arn: str) -> RolePermissions:
        cached = self._cache.get(role_arn)
        if cached is not None and self._monotonic() - cached[0] < self._max_age:
            return cached[1]
        loading = self._loading.get(role_arn)
        if loading is not None:
            return await asyncio.shield(loading)
        future: asyncio.Future[RolePermissions] = asyncio.get_running_loop().create_future()
        self._loading[role_arn] = future
        generation = self._generation
        try:
            found = await self._clients.call("iam", None, lambda iam: read_role(iam, role_arn))
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody logs it as lost
            raise
        else:
            future.set_result(found)
            if generation == self._generation:
                self._cache[role_arn] = (self._monotonic(), found)
            return found
        finally:
            self._loading.pop(role_arn, None)


def read_role(iam: Any, role_arn: str) -> RolePermissions:
    """The role and its inline and attached policies (blocking: boto3)."""
    name = role_name(role_arn)
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except iam.exceptions.NoSuchEntityException:
        return RolePermissions(arn=role_arn, name=name, role_id=None)
    documents: list[tuple[str, Any]] = []
    for page in iam.get_paginator("list_role_policies").paginate(RoleName=name):
        for policy_name in page["PolicyNames"]:
            found = iam.get_role_policy(RoleName=name, PolicyName=policy_name)
            documents.append((policy_name, found["PolicyDocument"]))
    for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=name):
        for attached in page["AttachedPolicies"]:
            arn = attached["PolicyArn"]
            version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = iam.get_policy_version(PolicyArn=arn, VersionId=version)
            documents.append((arn, document["PolicyVersion"]["Document"]))
    policies = []
    for policy_name, document in documents:
        try:
            policies.append(parse_policy(document, name=policy_name))
        except PolicyError as error:
            log.warning("role %s: ignoring a policy Gearbox cannot read: %s", name, error)
    return RolePermissions(
        arn=str(role["Arn"]),
        name=name,
        role_id=str(role["RoleId"]),
        policies=tuple(policies),
        tags={t["Key"]: t["Value"] for t in role.get("Tags", [])},
        trust=json.dumps(role.get("AssumeRolePolicyDocument") or {}),
    )
