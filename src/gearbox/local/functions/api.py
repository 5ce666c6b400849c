"""The Lambda API on the edge: the control plane (CreateFunction, ...) and Invoke.

Requests arrive from the edge with their credential scope parsed; the operation and its path
parameters come from botocore's model of Lambda's REST routes. Synchronous invocations run in
an execution environment of the ``EnvironmentPool`` and answer as Lambda does (200 with
``X-Amz-Function-Error`` on a function error, ``X-Amz-Log-Result`` with ``LogType=Tail``);
asynchronous ones are made durable in the async-invoke queue and answered 202.

Where it differs from AWS: only ``$LATEST`` (no versions, aliases, layers' ARNs, URLs or
provisioned concurrency); ``GetFunction``'s ``Code.Location`` is a ``file://`` URL of the
unpacked code on this machine.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, unquote

from gearbox.clock import Clock
from gearbox.local.edge.chain import Exchange
from gearbox.local.edge.messages import Response
from gearbox.local.functions import config, permissions
from gearbox.local.functions.errors import LambdaError, invalid, not_found
from gearbox.local.functions.model import Invocation, InvokeResult, Throttled
from gearbox.local.functions.registry import (
    CodeError,
    FunctionRecord,
    FunctionRegistry,
    new_credentials,
)
from gearbox.local.sources import stream_mapping
from gearbox.local.sources.sqs_mapping import MappingError, SqsMapping, configure
from gearbox.local.sources.sqs_poller import PollerManager
from gearbox.local.sources.stream_mapping import StreamMapping

SYNC_PAYLOAD_LIMIT = 6_291_456
ASYNC_PAYLOAD_LIMIT = 1_048_576
RESPONSE_LIMIT = 6_291_556
LOG_TAIL_BYTES = 4096

Operation = Callable[[Exchange, dict[str, str], dict[str, Any]], Awaitable[Response]]
SyncInvoker = Callable[[FunctionRecord, Invocation], Awaitable[InvokeResult]]
AsyncEnqueuer = Callable[[FunctionRecord, Invocation], None]
CodeFetcher = Callable[[str, str, str | None], Awaitable[bytes]]


class LambdaApi:
    """Answers Lambda API requests; ``invoke``/``enqueue`` run the functions."""

    target_prefix = None
    # SQS event source mappings; set by LambdaService (None: the operations answer 404).
    event_sources: PollerManager | None = None

    def __init__(
        self,
        registry: FunctionRegistry,
        clock: Clock,
        *,
        account: str,
        invoke: SyncInvoker,
        enqueue: AsyncEnqueuer,
        fetch_code: CodeFetcher,
        retire: Callable[[str], None],
    ) -> None:
        self._registry = registry
        self._clock = clock
        self._account = account
        self._invoke = invoke
        self._enqueue = enqueue
        self._fetch_code = fetch_code
        self._retire = retire
        self._operations: dict[str, Operation] = {
            name[len("_op_") :]: getattr(self, name)
            for name in dir(self)
            if name.startswith("_op_")
        }

    async def handle(self, exchange: Exchange) -> Response:
        try:
            name = exchange.operation or ""
            operation = self._operations.get(name)
            if operation is None:
                raise LambdaError(
                    "UnknownOperationException",
                    f"Gearbox's Lambda does not serve {exchange.request.method} "
                    f"{exchange.request.path}",
                    404,
                )
            params = {k: unquote(v) for k, v in exchange.path_params.items()}
            body = {} if name == "Invoke" else _json_body(exchange)
            return await operation(exchange, params, body)
        except LambdaError as error:
            return _error(exchange, error)

    # lookups

    def _record(self, exchange: Exchange, raw_name: str) -> FunctionRecord:
        name = config.function_name(raw_name)
        record = self._registry.get(exchange.region, name)
        if record is None:
            raise not_found(self._arn(exchange, name))
        return record

    def _arn(self, exchange: Exchange, name: str) -> str:
        return f"arn:aws:lambda:{exchange.region}:{self._account}:function:{name}"

    # control plane

    async def _op_CreateFunction(
        self, ex: Exchange, p: dict[str, str], body: dict[str, Any]
    ) -> Response:
        name = config.function_name(str(_required(body, "FunctionName")))
        if self._registry.get(ex.region, name) is not None:
            raise LambdaError("ResourceConflictException", f"Function already exist: {name}", 409)
        if body.get("PackageType", "Zip") != "Zip":
            raise invalid("Gearbox runs Zip packages only (PackageType Image is not supported).")
        code = await self._code(body.get("Code") or {})
        access_key, secret_key = new_credentials(ex.region, name)
        now = self._clock.now()
        record = FunctionRecord(
            name=name,
            region=ex.region,
            account=self._account,
            handler=config.handler(str(_required(body, "Handler"))),
            runtime=config.runtime(str(_required(body, "Runtime"))),
            role=str(_required(body, "Role")),
            code_sha256=code[0],
            code_size=code[1],
            code_dir=str(code[2]),
            access_key=access_key,
            secret_key=secret_key,
            created=now,
            modified=now,
            description=str(body.get("Description", "")),
            timeout=config.timeout(body.get("Timeout", 3)),
            memory_size=config.memory_size(body.get("MemorySize", 128)),
            environment=config.environment(body.get("Environment")),
            dead_letter_arn=config.destination(
                (body.get("DeadLetterConfig") or {}).get("TargetArn")
            ),
            tracing_mode=str((body.get("TracingConfig") or {}).get("Mode", "PassThrough")),
            tags=dict(body.get("Tags") or {}),
        )
        self._registry.save(record)
        return _json(201, ex, configuration(record))

    async def _code(self, code: dict[str, Any]) -> tuple[str, int, Any]:
        if "ZipFile" in code:
            zipped = base64.b64decode(code["ZipFile"])
        elif "S3Bucket" in code and "S3Key" in code:
            zipped = await self._fetch_code(
                str(code["S3Bucket"]), str(code["S3Key"]), code.get("S3ObjectVersion")
            )
        else:
            raise invalid("Please provide a source for function code.")
        try:
            return self._registry.store_code(zipped)
        except CodeError as exc:
            raise invalid(str(exc)) from exc

    async def _op_GetFunction(self, ex: Exchange, p: dict[str, str], _: dict[str, Any]) -> Response:
        record = self._record(ex, p["FunctionName"])
        out: dict[str, Any] = {
            "Configuration": configuration(record),
            "Code": {"RepositoryType": "S3", "Location": f"file://{record.code_dir}"},
        }
        if record.tags:
            out["Tags"] = record.tags
        if record.reserved_concurrency is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": record.reserved_concurrency}
        return _json(200, ex, out)

    async def _op_GetFunctionConfiguration(
        self, ex: Exchange, p: dict[str, str], _: dict[str, Any]
    ) -> Response:
        return _json(200, ex, configuration(self._record(ex, p["FunctionName"])))

    async def _op_ListFunctions(
        self, ex: Exchange, p: dict[str, str], _: dict[str, Any]
    ) -> Response:
        query = parse_qs(ex.request.query_string)
        records = self._registry.all(ex.region)
        start = int(query.get("Marker", ["0"])[0] or 0)
        limit = int(query.get("MaxItems", ["50"])[0])
        if not 1 <= limit <= 10_000:
            raise invalid("MaxItems must be between 1 and 10000")
        page = records[start : start + limit]
        out: dict[str, Any] = {"Functions": [configuration(r) for r in page]}
        if start + limit < len(records):
            out["NextMarker"] = str(start + limit)
        return _json(200, ex, out)

    async def _op_UpdateFunctionCode(
        self, ex: Exchange, p: dict[str, str], body: dict[str, Any]
    ) -> Response:
        record = self._record(ex, p["FunctionName"])
        _check_revision(record, body)
        record.code_sha256, record.code_size, code_dir = await self._code(body)
        record.code_dir = str(code_dir)
        return self._updated(ex, record)

    async def _op_UpdateFunctionConfiguration(
        self, ex: Exchange, p: dict[str, str], body: dict[str, Any]
    ) -> Response:
        record = self._record(ex, p["FunctionName"])
        _check_revision(record, body)
        changes: dict[str, Any] = {}
        if "Handler" in body:
            changes["handler"] = config.handler(str(body["Handler"]))
        if "Runtime" in body:
            changes["runtime"] = config.runtime(str(body["Runtime"]))
        if "Role" in body:
            changes["role"] = str(body["Role"])
        if "Description" in body:
            changes["description"] = str(body["Description"])
        if "Timeout" in body:
            changes["timeout"] = config.timeout(body["Timeout"])
        if "MemorySize" in body:
            changes["memory_size"] = config.memory_size(body["MemorySize"])
        if "Environment" in body:
            changes["environment"] = config.environment(body["Environment"])
        if "DeadLetterConfig" in body:
            changes["dead_letter_arn"] = config.destination(
                (body["DeadLetterConfig"] or {}).get("TargetArn") or None
            )
        if "TracingConfig" in body:
            changes["tracing_mode"] = str((body["TracingConfig"] or {}).get("Mode", "PassThrough"))
        for key, value in changes.items():  # every change checked before any is applied
            setattr(record, key, value)
        return self._updated(ex, record)

    def _updated(self, ex: Exchange, record: FunctionRecord) -> Response:
        record.modified = self._clock.now()
        record.revision_id = str(uuid.uuid4())
        self._registry.save(record)
        self._retire(record.name)
        return _json(200, ex, configuration(record))

    async def _op_DeleteFunction(
        self, ex: Exchange, p: dict[str, str], _: dict[str, Any]
    ) -> Response:
        record = self._record(ex, p["FunctionName"])
        self._registry.delete(record)
        self._retire(record.name)
        return Response(204, (("x-amzn-RequestId", ex.request_id),))

    # resource-based policy

    async def _op_AddPermission(
        self, ex: Exchange, p: dict[str, str], body: dict[str, Any]
    ) -> Response:
        record = self._record(ex, p["FunctionName"])
        made = permissions.statement(record.arn, body)
        record.policy = permissions.add(record.policy, made)
        self._registry.save(record)
        return _json(201, ex, {"Statement": json.dumps(made)})

    async def _op_RemovePermission(
        self, ex: Exchange, p: dict[str, str], _: dict[str, Any]
    ) -> Response:
        record = self._record(ex, p["FunctionName"])
        record.policy = permissions.remove(record.policy, p["StatementId"])
        self._registry.save(record)
        return Response(204, (("x-amzn-RequestId", ex.request_id),))

    async def _op_GetPolicy(self, ex: Exchange, p: dict[str, str], _: dict[str, Any]) -> Response:
        record = self._record(ex, p["FunctionName"])
        policy = json.dumps(permissions.document(record.policy))
        return _json(200, ex, {"Policy": policy, "RevisionId": record.revision_id})

    async def _op_PutFunctionConcurrency(
        self, ex: Exchange, p: dict[str, str], body: dict[str, Any]
    ) -> Response:
        record = self._record(ex, p["FunctionName"])
        value = int(_required(body, "ReservedConcurrentExecutions"))
        if value < 0:
            raise invalid("ReservedConcurrentExecutions must be at least 0")
        record.reserved_concurrency = value
        self._registry.save(record)
        return _json(200, ex, {"ReservedConcurrentExecutions": value})

    async def _op_GetFunctionConcurrency(
        self, ex: Exchange, p: dict[str, str], _: dict[str, Any]
    ) -> Response:
        record = self._record(ex, p["FunctionName"])
        out = (
            {}
            if record.reserved_concurrency is None
            else {"ReservedConcurrentExecutions": record.reserved_concurrency}
        )
        return _json(200, ex, out)

    async def _op_DeleteFunctionConcurrency(
        self, ex: Exchange, p: dict[str, str], _: dict[str, Any]
    ) -> Response:
        record = self._record(ex, p["FunctionName"])
        record.reserved_concurrency = None
        self._registry.save(record)
        return Response(204, (("x-amzn-RequestId", ex.request_id),))

    # asynchronous invocation settings

    async def _op_PutFunctionEventInvokeConfig(
        self, ex: Exchange, p: dict[str, str], body: dict[str, Any]
    ) -> Response:
        record = self._record(ex, p["FunctionName"])
        record.event_invoke_config = self._event_config(body, {})
        self._registry.save(record)
        return _json(200, ex, _event_config_wire(record))

    async def _op_UpdateFunctionEventInvokeConfig(
        self, ex: Exchange, p: dict[str, str], body: dict[str, Any]
    ) -> Response:
        record = self._record(ex, p["FunctionName"])
        record.event_invoke_config = self._event_config(body, record.event_invoke_config or {})
        self._registry.save(record)
        return _json(200, ex, _event_config_wire(record))

    async def _op_GetFunctionEventInvokeConfig(
        self, ex: Exchange, p: dict[str, str], _: dict[str, Any]
    ) -> Response:
        record = self._record(ex, p["FunctionName"])
        if record.event_invoke_config is None:
            raise LambdaError(
                "ResourceNotFoundException",
                f"The function {record.arn} doesn't have an EventInvokeConfig",
                404,
            )
        return _json(200, ex, _event_config_wire(record))

    async def _op_DeleteFunctionEventInvokeConfig(
        self, ex: Exchange, p: dict[str, str], _: dict[str, Any]
    ) -> Response:
        record = self._record(ex, p["FunctionName"])
        record.event_invoke_config = None
        self._registry.save(record)
        return Response(204, (("x-amzn-RequestId", ex.request_id),))

    def _event_config(self, body: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
        merged = {**current}
        if "MaximumRetryAttempts" in body:
            attempts = int(body["MaximumRetryAttempts"])
            if not 0 <= attempts <= 2:
                raise invalid("MaximumRetryAttempts must be between 0 and 2")
            merged["MaximumRetryAttempts"] = attempts
        if "MaximumEventAgeInSeconds" in body:
            age = int(body["MaximumEventAgeInSeconds"])
            if not 60 <= age <= 21_600:
                raise invalid("MaximumEventAgeInSeconds must be between 60 and 21600")
            merged["MaximumEventAgeInSeconds"] = age
        if "DestinationConfig" in body:
            destinations = body["DestinationConfig"] or {}
            merged["DestinationConfig"] = {
                key: {"Destination": config.destination(destinations[key].get("Destination"))}
                for key in ("OnSuccess", "OnFailure")
                if (destinations.get(key) or {}).get("Destination")
            }
        merged["LastModified"] = self._clock.now()
        return merged

    # event source mappings: SQS queues and DynamoDB streams

    def _sources(self) -> PollerManager:
        if self.event_sources is None:
            raise LambdaError("ResourceNotFoundException", "Event source mappings are off", 404)
        return self.event_sources

    def _mapping(self, mapping_uuid: str) -> SqsMapping | StreamMapping:
        mapping = self._sources().store.get(mapping_uuid)
        if mapping is None:
            raise LambdaError(
                "ResourceNotFoundException",
                f"The resource you requested does not exist. (Service: Lambda, Status Code: "
                f"404, Request ID: {uuid.uuid4()})",
                404,
            )
        return mapping

    def _function_of(self, ex: Exchange, name_or_arn: str) -> FunctionRecord:
        parts = name_or_arn.split(":")
        if len(parts) >= 7 and parts[0] == "arn":
            record = self._registry.get(parts[3], parts[6])
            if record is None:
                raise not_found(name_or_arn)
            return record
        return self._record(ex, name_or_arn)

    async def _check_mapping(self, mapping: SqsMapping, function: FunctionRecord) -> None:
        attributes = await self._sources().queue_attributes(mapping.event_source_arn)
        if attributes is None:
            raise invalid(
                "Error occurred while ReceiveMessage. SQS Error Code: "
                "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified "
                "queue does not exist for this wsdl version."
            )
        visibility = int(attributes.get("VisibilityTimeout", "30"))
        if visibility < function.timeout:
            raise invalid(
                f"Queue visibility timeout: {visibility} seconds is less than Function "
                f"timeout: {function.timeout} seconds"
            )

    async def _op_CreateEventSourceMapping(
        self, ex: Exchange, p: dict[str, str], body: dict[str, Any]
    ) -> Response:
        sources = self._sources()
        function = self._function_of(ex, str(_required(body, "FunctionName")))
        source_arn = str(_required(body, "EventSourceArn"))
        service = source_arn.split(":")[2:3]
        if service == ["dynamodb"] and stream_mapping.is_stream_arn(source_arn):
            kind = "DynamoDB Streams"
        elif service == ["sqs"]:
            kind = "SQS"
        else:
            raise invalid("Gearbox's event source mappings read SQS queues and DynamoDB streams.")
        for existing in sources.store.all():
            if existing.event_source_arn == source_arn and existing.function_arn == function.arn:
                raise LambdaError(
                    "ResourceConflictException",
                    f'An event source mapping with {kind} arn (" {source_arn} ") and function '
                    f'(" {function.name} ") already exists. Please update or delete the '
                    f"existing mapping with UUID {existing.uuid}",
                    409,
                )
        if kind != "SQS":
            return await self._create_stream_mapping(ex, function, source_arn, body)
        base = SqsMapping(
            function_arn=function.arn, event_source_arn=source_arn, last_modified=self._clock.now()
        )
        try:
            mapping = configure(base, body)
        except MappingError as exc:
            raise invalid(str(exc)) from exc
        await self._check_mapping(mapping, function)
        sources.store.save(mapping)
        sources.changed(mapping)
        return _json(202, ex, mapping.to_wire())

    async def _create_stream_mapping(
        self, ex: Exchange, function: FunctionRecord, source_arn: str, body: dict[str, Any]
    ) -> Response:
        sources = self._sources()
        try:
            mapping = stream_mapping.create(function.arn, source_arn, self._clock.now(), body)
        except MappingError as exc:
            raise invalid(str(exc)) from exc
        if not await sources.stream_exists(source_arn):
            raise invalid(f"Stream not found: {source_arn}")
        if mapping.starting_position == "LATEST":
            await sources.start_latest(mapping)
        sources.store.save(mapping)
        sources.changed(mapping)
        return _json(202, ex, mapping.to_wire())

    async def _op_GetEventSourceMapping(
        self, ex: Exchange, p: dict[str, str], _: dict[str, Any]
    ) -> Response:
        return _json(200, ex, self._mapping(p["UUID"]).to_wire())

    async def _op_ListEventSourceMappings(
        self, ex: Exchange, p: dict[str, str], _: dict[str, Any]
    ) -> Response:
        query = parse_qs(ex.request.query_string)
        mappings = self._sources().store.all()
        if query.get("EventSourceArn"):
            mappings = [m for m in mappings if m.event_source_arn == query["EventSourceArn"][0]]
        if query.get("FunctionName"):
            arn = self._function_of(ex, query["FunctionName"][0]).arn
            mappings = [m for m in mappings if m.function_arn == arn]
        start = int(query.get("Marker", ["0"])[0] or 0)
        limit = int(query.get("MaxItems", ["100"])[0])
        if not 1 <= limit <= 10_000:
            raise invalid("MaxItems must be between 1 and 10000")
        out: dict[str, Any] = {
            "EventSourceMappings": [m.to_wire() for m in mappings[start : start + limit]]
        }
        if start + limit < len(mappings):
            out["NextMarker"] = str(start + limit)
        return _json(200, ex, out)

    async def _op_UpdateEventSourceMapping(
        self, ex: Exchange, p: dict[str, str], body: dict[str, Any]
    ) -> Response:
        sources = self._sources()
        current = self._mapping(p["UUID"])
        function = self._function_of(ex, str(body.get("FunctionName") or current.function_arn))
        base = dataclasses.replace(
            current, function_arn=function.arn, last_modified=self._clock.now()
        )
        try:
            mapping: SqsMapping | StreamMapping = (
                stream_mapping.configure(base, body)
                if isinstance(base, StreamMapping)
                else configure(base, body)
            )
        except MappingError as exc:
            raise invalid(str(exc)) from exc
        if isinstance(mapping, SqsMapping) and mapping.function_arn != current.function_arn:
            await self._check_mapping(mapping, function)
        sources.store.save(mapping)
        sources.changed(mapping)
        return _json(202, ex, mapping.to_wire())

    async def _op_DeleteEventSourceMapping(
        self, ex: Exchange, p: dict[str, str], _: dict[str, Any]
    ) -> Response:
        sources = self._sources()
        mapping = self._mapping(p["UUID"])
        sources.store.delete(mapping.uuid)
        sources.removed(mapping.uuid)
        return _json(202, ex, mapping.to_wire(state="Deleting"))

    # invoke

    async def _op_Invoke(self, ex: Exchange, p: dict[str, str], _: dict[str, Any]) -> Response:
        record = self._record(ex, p["FunctionName"])
        request = ex.request
        kind = request.header("x-amz-invocation-type") or "RequestResponse"
        payload = request.body or b"{}"
        limit = ASYNC_PAYLOAD_LIMIT if kind == "Event" else SYNC_PAYLOAD_LIMIT
        if len(payload) > limit:
            raise LambdaError(
                "RequestTooLargeException",
                f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
                413,
            )
        _check_json(payload)
        invocation = Invocation(
            request_id=ex.request_id,
            payload=payload,
            client_context=request.header("x-amz-client-context") or None,
            trace_id=request.header("x-amzn-trace-id") or None,
        )
        if kind == "DryRun":
            return Response(204, (("x-amzn-RequestId", ex.request_id),))
        if kind == "Event":
            self._enqueue(record, invocation)
            return Response(202, (("x-amzn-RequestId", ex.request_id),))
        if kind != "RequestResponse":
            raise invalid(f"Unsupported invocation type {kind}")
        try:
            result = await self._invoke(record, invocation)
        except Throttled as throttled:
            raise LambdaError(
                "TooManyRequestsException", "Rate Exceeded.", 429, Reason=throttled.reason
            ) from throttled
        return _invoke_response(ex, result, request.header("x-amz-log-type") == "Tail")


def configuration(record: FunctionRecord) -> dict[str, Any]:
    """The FunctionConfiguration Lambda returns for ``$LATEST``."""
    out: dict[str, Any] = {
        "FunctionName": record.name,
        "FunctionArn": record.arn,
        "Runtime": record.runtime,
        "Role": record.role,
        "Handler": record.handler,
        "CodeSize": record.code_size,
        "Description": record.description,
        "Timeout": record.timeout,
        "MemorySize": record.memory_size,
        "LastModified": _timestamp(record.modified),
        "CodeSha256": record.code_sha256,
        "Version": "$LATEST",
        "TracingConfig": {"Mode": record.tracing_mode},
        "RevisionId": record.revision_id,
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
        "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
        "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{record.name}"},
    }
    if record.environment:
        out["Environment"] = {"Variables": dict(record.environment)}
    if record.dead_letter_arn:
        out["DeadLetterConfig"] = {"TargetArn": record.dead_letter_arn}
    return out


def _event_config_wire(record: FunctionRecord) -> dict[str, Any]:
    stored = record.event_invoke_config or {}
    out: dict[str, Any] = {
        "FunctionArn": record.arn + ":$LATEST",
        "LastModified": stored.get("LastModified", record.modified),
        "DestinationConfig": {
            "OnSuccess": stored.get("DestinationConfig", {}).get("OnSuccess", {}),
            "OnFailure": stored.get("DestinationConfig", {}).get("OnFailure", {}),
        },
    }
    for key in ("MaximumRetryAttempts", "MaximumEventAgeInSeconds"):
        if key in stored:
            out[key] = stored[key]
    return out


def _invoke_response(ex: Exchange, result: InvokeResult, tail: bool) -> Response:
    payload, function_error = result.payload, result.function_error
    if len(payload) > RESPONSE_LIMIT:
        payload = json.dumps(
            {
                "errorMessage": f"Response payload size ({len(payload)} bytes) exceeded maximum "
                f"allowed payload size ({RESPONSE_LIMIT} bytes).",
                "errorType": "Function.ResponseSizeTooLarge",
            }
        ).encode()
        function_error = "Unhandled"
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-RequestId", ex.request_id),
        ("X-Amz-Executed-Version", "$LATEST"),
    ]
    if function_error:
        headers.append(("X-Amz-Function-Error", function_error))
    if tail:
        log = result.log.encode()[-LOG_TAIL_BYTES:]
        headers.append(("X-Amz-Log-Result", base64.b64encode(log).decode()))
    return Response(200, tuple(headers), payload)


def _check_json(payload: bytes) -> None:
    try:
        json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LambdaError(
            "InvalidRequestContentException",
            f"Could not parse request body into json: Could not parse payload into json: {exc}",
        ) from exc


def _check_revision(record: FunctionRecord, body: dict[str, Any]) -> None:
    wanted = body.get("RevisionId")
    if wanted and wanted != record.revision_id:
        raise LambdaError(
            "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. Call the "
            "GetFunction/GetAlias API to retrieve the latest Revision Id",
            412,
        )


def _required(body: dict[str, Any], name: str) -> Any:
    if body.get(name) in (None, ""):
        raise LambdaError(
            "ValidationException",
            f"1 validation error detected: Value null at '{name[0].lower() + name[1:]}' "
            "failed to satisfy constraint: Member must not be null",
        )
    return body[name]


def _json_body(exchange: Exchange) -> dict[str, Any]:
    if not exchange.request.body:
        return {}
    try:
        body = json.loads(exchange.request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise LambdaError(
            "InvalidRequestContentException", "Could not parse request body into json"
        ) from exc
    if not isinstance(body, dict):
        raise LambdaError(
            "InvalidRequestContentException", "The request body must be a JSON object"
        )
    return body


def _timestamp(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def _json(status: int, exchange: Exchange, body: dict[str, Any]) -> Response:
    return Response(
        status,
        (("Content-Type", "application/json"), ("x-amzn-RequestId", exchange.request_id)),
        json.dumps(body).encode(),
    )


def _error(exchange: Exchange, error: LambdaError) -> Response:
    body = {"Type": "User", "message": error.message, **error.extra}
    return Response(
        error.status,
        (
            ("Content-Type", "application/json"),
            ("x-amzn-RequestId", exchange.request_id),
            (
                "x-amzn-ErrorType",
                f"{error.code}:http://internal.amazon.com/coral/com.amazonaws.lambda/",
            ),
        ),
        json.dumps(body).encode(),
    )
