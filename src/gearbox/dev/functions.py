"""Create (or update) an app's functions on the local cloud: one IAM role each, the code
package, the settings, concurrency and the asynchronous-invocation settings.

One role per function (``<function>-role``), trusted by ``lambda.amazonaws.com``, holding
the function's generated least-privilege policy as an inline policy when one is given.
Code is uploaded only when its SHA-256 differs from the function's ``CodeSha256``, so a
function whose code did not change keeps its warm environments.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from gearbox.app.specs import Destination, FunctionSpec
from gearbox.dev.targets import Place
from gearbox.graph.build import target_parts
from gearbox.package import Package

Clients = Callable[[str], Any]
POLICY_NAME = "gearbox-least-privilege"
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@dataclass(frozen=True)
class Deployed:
    """A function as it now stands on the cloud; ``code_changed`` when new code went up."""

    name: str
    code_changed: bool


def apply_function(
    spec: FunctionSpec,
    physical: str,
    package: Package,
    clients: Clients,
    place: Place,
    *,
    policy: Mapping[str, Any] | None = None,
) -> Deployed:
    role_arn = _role(physical, clients("iam"), policy)
    lam = clients("lambda")
    settings = {
        "Role": role_arn,
        "Handler": spec.handler,
        "Runtime": "python3.11",
        "Timeout": spec.timeout,
        "MemorySize": spec.memory,
        "Environment": {"Variables": environment(spec, place)},
    }
    try:
        current = lam.get_function_configuration(FunctionName=physical)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        current = None
    if current is None:
        lam.create_function(FunctionName=physical, Code={"ZipFile": package.zip_bytes}, **settings)
        changed = True
    else:
        if _differs(current, settings):  # a configuration change starts new environments
            lam.update_function_configuration(FunctionName=physical, **settings)
        changed = current["CodeSha256"] != package.sha256
        if changed:
            lam.update_function_code(FunctionName=physical, ZipFile=package.zip_bytes)
    _concurrency(spec, physical, lam)
    lam.put_function_event_invoke_config(
        FunctionName=physical,
        MaximumRetryAttempts=spec.retry_attempts,
        MaximumEventAgeInSeconds=spec.max_event_age,
        DestinationConfig=_destinations(spec, place),
    )
    return Deployed(physical, changed)


def _differs(current: Mapping[str, Any], settings: Mapping[str, Any]) -> bool:
    now = dict(
        current, Environment={"Variables": current.get("Environment", {}).get("Variables", {})}
    )
    return any(now.get(key) != value for key, value in settings.items())


def environment(spec: FunctionSpec, place: Place) -> dict[str, str]:
    return {
        name: value if isinstance(value, str) else place.environment_value(value)
        for name, value in spec.environment
    }


def _role(physical: str, iam: Any, policy: Mapping[str, Any] | None) -> str:
    name = f"{physical}-role"[:64]
    try:
        arn = str(
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))[
                "Role"
            ]["Arn"]
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "EntityAlreadyExists":
            raise
        arn = str(iam.get_role(RoleName=name)["Role"]["Arn"])
    if policy is not None:
        iam.put_role_policy(
            RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy, sort_keys=True)
        )
    return arn


def _concurrency(spec: FunctionSpec, physical: str, lam: Any) -> None:
    if spec.reserved_concurrency is None:
        lam.delete_function_concurrency(FunctionName=physical)
    else:
        lam.put_function_concurrency(
            FunctionName=physical, ReservedConcurrentExecutions=spec.reserved_concurrency
        )


def _destinations(spec: FunctionSpec, place: Place) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for key, destination in (("OnSuccess", spec.on_success), ("OnFailure", spec.on_failure)):
        if destination is not None:
            config[key] = {"Destination": _destination_arn(destination, place)}
    return config


def _destination_arn(destination: Destination, place: Place) -> str:
    kind, _, _ = target_parts(destination)
    if kind == "function":
        return place.function_arn(place.physical(destination))
    return place.arn(destination)
