"""What attribute access and calls on boto3 objects mean, from boto3's and botocore's models.

``attribute(value, name, ...)`` and ``call(callee, args, kwargs, ...)`` handle the values of
``gearbox.policy.values`` that stand for boto3 objects (the module, sessions, clients,
resources, collections, paginators, waiters) and report each AWS call they imply through a
``Recorder``. Operations come from botocore's service models, resource actions, loads,
sub-resources, collections and their batch actions from boto3's resource models, waiters
from botocore's waiter models. The S3 transfer helpers (``upload_file``, ...), presigned URLs
and ``Table.batch_writer`` are methods boto3 injects at run time, so they are named here.

Not handled (each reported as a blind spot by the caller, never dropped): a service name or
operation name the analysis cannot evaluate to a literal, and methods that are not operations
of the service.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from botocore import xform_name

from gearbox.policy import botomodels
from gearbox.policy.values import (
    UNKNOWN,
    Boto3Factory,
    Boto3Module,
    Client,
    Collection,
    DictValue,
    Method,
    Paginator,
    Resource,
    ResourceFactory,
    Response,
    Session,
    Text,
    Value,
    Waiter,
)


class Recorder(Protocol):
    def record(self, service: str, operation: str, params: Mapping[str, Value]) -> None: ...

    def blind(self, reason: str, suggestion: str) -> None: ...


Args = Sequence[Value]
Kwargs = Mapping[str, Value]

MODULE_ATTRIBUTES: dict[tuple[str, str], Value] = {
    ("boto3", "client"): Boto3Factory("client"),
    ("boto3", "resource"): Boto3Factory("resource"),
    ("boto3", "Session"): Boto3Factory("session"),
    ("boto3", "session"): Boto3Module("boto3.session"),
    ("boto3.session", "Session"): Boto3Factory("session"),
    ("botocore", "session"): Boto3Module("botocore.session"),
    ("botocore.session", "get_session"): Boto3Factory("session"),
    ("botocore.session", "Session"): Boto3Factory("session"),
}

# Client methods that are not operations and make no call.
NON_OPERATIONS = frozenset(
    {"can_paginate", "close", "exceptions", "meta", "get_waiter", "get_paginator", "waiter_names"}
)

# boto3's injected S3 transfer methods: name -> positional parameter names.
TRANSFERS: dict[str, tuple[str, ...]] = {
    "upload_file": ("Filename", "Bucket", "Key"),
    "upload_fileobj": ("Fileobj", "Bucket", "Key"),
    "download_file": ("Bucket", "Key", "Filename"),
    "download_fileobj": ("Bucket", "Key", "Fileobj"),
    "copy": ("CopySource", "Bucket", "Key"),
}


def suggest(service: str | None) -> str:
    """The ``extra_permissions=`` declaration to write for a blind spot."""
    action = f"{botomodels.iam_prefix(service)}:<Action>" if service else "<service>:<Action>"
    return (
        f'declare it: extra_permissions=(Permission(actions=("{action}",), '
        "resources=(<declared resource or ARN>,)),)"
    )


SESSION_ATTRIBUTES: dict[str, Value] = {
    "client": Boto3Factory("client"),
    "create_client": Boto3Factory("client"),
    "resource": Boto3Factory("resource"),
}


def attribute(owner: Value, name: str, rec: Recorder) -> Value:
    """``owner.name`` for a boto3 object; ``UNKNOWN`` when it means nothing to IAM."""
    result: Value = UNKNOWN
    if isinstance(owner, Boto3Module):
        result = MODULE_ATTRIBUTES.get((owner.name, name), UNKNOWN)
    elif isinstance(owner, Session):
        result = SESSION_ATTRIBUTES.get(name, UNKNOWN)
    elif isinstance(owner, Method) and owner.name == "meta" and isinstance(owner.owner, Resource):
        result = Client(owner.owner.service) if name == "client" else UNKNOWN
    elif isinstance(owner, Resource):
        result = _resource_attribute(owner, name, rec)
    elif isinstance(owner, Client | Collection | Paginator | Waiter | Response):
        result = Method(owner, name)
    return result


def _resource_attribute(owner: Resource, name: str, rec: Recorder) -> Value:
    model = botomodels.resource_model(owner.service, owner.type_name)
    if model is None:
        return UNKNOWN
    identifiers = {xform_name(i): i for i in model.identifiers}
    has, has_many = model.find("has", name), model.find("hasMany", name)
    result: Value = Method(owner, name)
    if name in identifiers:
        result = owner.identifier(identifiers[name])
    elif has is not None:
        result = ResourceFactory(owner, has[0])
    elif not owner.type_name and botomodels.resource_model(owner.service, name) is not None:
        result = ResourceFactory(owner, name)  # every resource is built from the service
    elif has_many is not None:
        result = Collection(owner, has_many[0])
    elif name in model.shape_members:
        _record_request(owner, model.section("load").get("request", {}), {}, rec)
        result = UNKNOWN
    return result


def call(callee: Value, args: Args, kwargs: Kwargs, rec: Recorder) -> Value:
    """The value of ``callee(*args, **kwargs)`` for a boto3 object, recording AWS calls."""
    if isinstance(callee, Boto3Factory):
        return _factory(callee, args, kwargs, rec)
    if isinstance(callee, ResourceFactory):
        return _sub_resource(callee, args, kwargs)
    if isinstance(callee, Method):
        return _method(callee.owner, callee.name, args, kwargs, rec)
    return UNKNOWN


def _method(owner: Value, name: str, args: Args, kwargs: Kwargs, rec: Recorder) -> Value:
    result: Value = UNKNOWN
    if isinstance(owner, Client):
        result = _client_method(owner, name, args, kwargs, rec)
    elif isinstance(owner, Resource):
        result = _resource_method(owner, name, args, kwargs, rec)
    elif isinstance(owner, Collection):
        result = _collection_method(owner, name, kwargs, rec)
    elif isinstance(owner, Paginator | Waiter) and name in ("paginate", "wait"):
        rec.record(owner.service, owner.operation, kwargs)
    elif isinstance(owner, Response) and name == "get" and args:
        result = subscript(owner, args[0])
    return result


def subscript(owner: Value, key: Value) -> Value:
    """``response["QueueUrl"]`` of ``GetQueueUrl``: a URL ending in the queue's name."""
    if (
        isinstance(owner, Response)
        and (owner.service, owner.operation) == ("sqs", "GetQueueUrl")
        and isinstance(key, Text)
        and key.value == "QueueUrl"
    ):
        name = dict(owner.params).get("QueueName")
        if isinstance(name, Text):
            return Text(("https://sqs.invalid/queue/", *name.segments))
    return UNKNOWN


def _literal(value: Value | None) -> str | None:
    return value.value if isinstance(value, Text) else None


def _factory(factory: Boto3Factory, args: Args, kwargs: Kwargs, rec: Recorder) -> Value:
    if factory.kind == "session":
        return Session()
    service = _literal(args[0] if args else kwargs.get("service_name", UNKNOWN))
    problem = None
    if service is None:
        problem = f"boto3.{factory.kind}() with a service name that is not a constant"
    elif factory.kind == "client" and service not in botomodels.available_services():
        problem = f"boto3.client({service!r}): botocore has no such service"
    elif factory.kind == "resource" and not botomodels.has_resources(service):
        problem = f"boto3.resource({service!r}): boto3 has no resource model for it"
    if problem is not None or service is None:
        rec.blind(problem or "", suggest(None))
        return UNKNOWN
    return Client(service) if factory.kind == "client" else Resource(service, "")


def _sub_resource(factory: ResourceFactory, args: Args, kwargs: Kwargs) -> Value:
    parent = factory.parent
    model = botomodels.resource_model(parent.service, parent.type_name)
    found = model.find("has", factory.type_name) if model else None
    spec: dict[str, Any]
    if found is not None:
        spec = found[1]["resource"]
    else:
        built = botomodels.resource_model(parent.service, factory.type_name)
        if built is None:
            return UNKNOWN
        sources = [{"target": i, "source": "input"} for i in built.identifiers]
        spec = {"type": factory.type_name, "identifiers": sources}
    inputs = list(args)
    identifiers: dict[str, Value] = {}
    for ident in spec.get("identifiers", []):
        name = ident["target"]
        if ident["source"] == "identifier":
            identifiers[name] = parent.identifier(ident["name"])
        elif ident["source"] == "input":
            identifiers[name] = inputs.pop(0) if inputs else kwargs.get(name, UNKNOWN)
    return Resource(parent.service, spec["type"], tuple(sorted(identifiers.items())))


def _merge(positional: tuple[str, ...], args: Args, kwargs: Kwargs) -> dict[str, Value]:
    params = dict(zip(positional, args, strict=False))
    params.update(kwargs)
    return params


def _presigned_url(client: Client, args: Args, kwargs: Kwargs, rec: Recorder) -> Value:
    method = _literal(args[0] if args else kwargs.get("ClientMethod"))
    operation = botomodels.operation_for_method(client.service, method or "")
    params = kwargs.get("Params", args[1] if len(args) > 1 else UNKNOWN)
    if operation is None:
        rec.blind(
            "generate_presigned_url for a method that is not a constant", suggest(client.service)
        )
    else:
        rec.record(client.service, operation, params.items if isinstance(params, DictValue) else {})
    return UNKNOWN


def _presigned_post(client: Client, args: Args, kwargs: Kwargs, rec: Recorder) -> Value:
    rec.record(client.service, "PutObject", _merge(("Bucket", "Key"), args, kwargs))
    return UNKNOWN


def _make_api_call(client: Client, args: Args, kwargs: Kwargs, rec: Recorder) -> Value:
    operation = _literal(args[0] if args else UNKNOWN)
    params = args[1] if len(args) > 1 else UNKNOWN
    if operation is None:
        rec.blind(
            "client._make_api_call with an operation that is not a constant",
            suggest(client.service),
        )
    else:
        rec.record(client.service, operation, params.items if isinstance(params, DictValue) else {})
    return UNKNOWN


SpecialMethod = Callable[[Client, Args, Kwargs, Recorder], Value]
SPECIAL_METHODS: dict[str, SpecialMethod] = {
    "generate_presigned_url": _presigned_url,
    "_make_api_call": _make_api_call,
}


def _client_method(client: Client, name: str, args: Args, kwargs: Kwargs, rec: Recorder) -> Value:
    service = client.service
    if name in ("get_paginator", "get_waiter"):
        return _paginator_or_waiter(client, name, args, kwargs, rec)
    if name in SPECIAL_METHODS:
        return SPECIAL_METHODS[name](client, args, kwargs, rec)
    if service == "s3" and name == "generate_presigned_post":
        return _presigned_post(client, args, kwargs, rec)
    if service == "s3" and name in TRANSFERS:
        rec.record(service, name, _merge(TRANSFERS[name], args, kwargs))
        return UNKNOWN
    operation = botomodels.operation_for_method(service, name)
    if operation is None:
        if name not in NON_OPERATIONS:
            rec.blind(f"{service} client has no operation {name!r}", suggest(service))
        return UNKNOWN
    rec.record(service, operation, kwargs)
    return Response(service, operation, tuple(sorted(kwargs.items())))


def _paginator_or_waiter(
    client: Client, name: str, args: Args, kwargs: Kwargs, rec: Recorder
) -> Value:
    raw = args[0] if args else kwargs.get("operation_name", kwargs.get("waiter_name", UNKNOWN))
    literal = _literal(raw)
    if name == "get_paginator":
        operation = botomodels.operation_for_method(client.service, literal or "")
        if operation is not None:
            return Paginator(client.service, operation)
        rec.blind(
            f"{client.service} paginator whose operation is not a constant", suggest(client.service)
        )
        return UNKNOWN
    operation = botomodels.waiters(client.service).get(literal or "")
    if operation is not None:
        return Waiter(client.service, operation)
    rec.blind(
        f"{client.service} waiter whose name is not a constant or not known",
        suggest(client.service),
    )
    return UNKNOWN


def _identifier_params(owner: Resource, request: dict[str, Any]) -> dict[str, Value]:
    params: dict[str, Value] = {}
    for param in request.get("params", []):
        target = param["target"]
        if param["source"] == "identifier" and target.isidentifier():
            params[target] = owner.identifier(param["name"])
    return params


def _record_request(
    owner: Resource, request: dict[str, Any], kwargs: Kwargs, rec: Recorder
) -> None:
    if "operation" not in request:
        return
    params = _identifier_params(owner, request)
    params.update(kwargs)
    rec.record(owner.service, request["operation"], params)


RESOURCE_TRANSFERS: dict[str, tuple[str, ...]] = {
    "Bucket": ("Bucket",),
    "Object": ("Bucket", "Key"),
    "ObjectSummary": ("Bucket", "Key"),
}


def _resource_method(
    owner: Resource, name: str, args: Args, kwargs: Kwargs, rec: Recorder
) -> Value:
    model = botomodels.resource_model(owner.service, owner.type_name)
    if model is None:
        return UNKNOWN
    if owner.service == "s3" and owner.type_name in RESOURCE_TRANSFERS and name in TRANSFERS:
        return _resource_transfer(owner, name, args, kwargs, rec)
    if (owner.service, owner.type_name, name) == ("dynamodb", "Table", "batch_writer"):
        rec.record("dynamodb", "BatchWriteItem", {"TableName": owner.identifier("Name")})
        return UNKNOWN
    action = model.find("actions", name)
    waiter = model.find("waiters", name.removeprefix("wait_until_"))
    if name in ("load", "reload"):
        _record_request(owner, model.section("load").get("request", {}), {}, rec)
    elif action is not None:
        _record_request(owner, action[1]["request"], kwargs, rec)
        return _action_result(owner, action[1], kwargs)
    elif waiter is not None and name.startswith("wait_until_"):
        _resource_wait(owner, waiter[1], kwargs, rec)
    elif owner.type_name:
        rec.blind(
            f"{owner.service} {owner.type_name} has no action {name!r}", suggest(owner.service)
        )
    return UNKNOWN


def _action_result(owner: Resource, spec: dict[str, Any], kwargs: Kwargs) -> Value:
    """The resource an action returns (``sqs.get_queue_by_name(...)`` -> a ``Queue``)."""
    target = spec.get("resource")
    if not target or target.get("path", "").endswith("[]"):
        return UNKNOWN
    identifiers: dict[str, Value] = {}
    for ident in target.get("identifiers", []):
        source = ident["source"]
        if source == "identifier":
            identifiers[ident["target"]] = owner.identifier(ident["name"])
        elif source == "requestParameter":
            identifiers[ident["target"]] = kwargs.get(ident["path"], UNKNOWN)
        elif (owner.service, ident["target"]) == ("sqs", "Url"):
            name = kwargs.get("QueueName")
            if isinstance(name, Text):
                identifiers["Url"] = Text(("https://sqs.invalid/queue/", *name.segments))
    return Resource(owner.service, target["type"], tuple(sorted(identifiers.items())))


def _resource_wait(owner: Resource, spec: dict[str, Any], kwargs: Kwargs, rec: Recorder) -> Value:
    operation = botomodels.waiter_by_model_name(owner.service, spec["waiterName"])
    if operation is not None:
        _record_request(owner, {"operation": operation, **spec}, kwargs, rec)
    return UNKNOWN


def _resource_transfer(
    owner: Resource, name: str, args: Args, kwargs: Kwargs, rec: Recorder
) -> Value:
    fixed = RESOURCE_TRANSFERS[owner.type_name]
    positional = tuple(p for p in TRANSFERS[name] if p not in fixed)
    params = _merge(positional, args, kwargs)
    params["Bucket"] = owner.identifier("BucketName" if owner.type_name != "Bucket" else "Name")
    if "Key" in fixed:
        params["Key"] = owner.identifier("Key")
    rec.record("s3", name, params)
    return UNKNOWN


def _collection_spec(owner: Collection) -> dict[str, Any]:
    model = botomodels.resource_model(owner.parent.service, owner.parent.type_name)
    found = model.find("hasMany", owner.name) if model else None
    return found[1] if found else {}


def item_of(owner: Collection) -> Value:
    """What iterating a collection yields: its resources, with the parent's identifiers."""
    spec = _collection_spec(owner).get("resource", {})
    identifiers = {
        i["target"]: owner.parent.identifier(i["name"])
        for i in spec.get("identifiers", [])
        if i["source"] == "identifier"
    }
    if "type" not in spec:
        return UNKNOWN
    return Resource(owner.parent.service, spec["type"], tuple(sorted(identifiers.items())))


def _collection_method(owner: Collection, name: str, kwargs: Kwargs, rec: Recorder) -> Value:
    spec = _collection_spec(owner)
    if name in ("all", "filter", "limit", "page_size", "pages"):
        _record_request(owner.parent, spec.get("request", {}), kwargs, rec)
        return owner
    item = item_of(owner)
    if isinstance(item, Resource):
        model = botomodels.resource_model(item.service, item.type_name)
        batch = model.find("batchActions", name) if model else None
        if batch is not None:
            _record_request(item, batch[1]["request"], kwargs, rec)
    return UNKNOWN
