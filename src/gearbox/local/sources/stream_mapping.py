"""A DynamoDB Streams event source mapping: its settings, their validation, the wire shape.

Limits as AWS documents them ("Lambda parameters for Amazon DynamoDB event source mappings",
https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-params.html, and
CreateEventSourceMapping): ``StartingPosition`` ``TRIM_HORIZON`` or ``LATEST``, required;
``BatchSize`` 1-10,000, default 100; ``MaximumBatchingWindowInSeconds`` 0-300, default 0;
``MaximumRetryAttempts`` -1 (infinite, the default) or 0-10,000;
``MaximumRecordAgeInSeconds`` -1 (infinite, the default) or 60-604,800;
``BisectBatchOnFunctionError`` default false; ``ParallelizationFactor`` 1-10, default 1;
``DestinationConfig.OnFailure`` a standard SQS queue or SNS topic; ``FunctionResponseTypes``
empty or ``["ReportBatchItemFailures"]``; ``FilterCriteria`` as for SQS (``filters``).

A stream mapping lives in the same durable store as SQS mappings (``sqs_mapping.MappingStore``
tells them apart by ``kind``), and so do its shard checkpoints (the sequence number of the
last record each shard has finished with), so a restart resumes after them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from gearbox.local.sources import filters
from gearbox.local.sources.sqs_mapping import MappingError, common_changes, integer

KIND = "dynamodb"
DEFAULT_BATCH_SIZE = 100
MAX_BATCH = 10_000
MAX_WINDOW = 300
MAX_RETRIES = 10_000
MIN_AGE, MAX_AGE = 60, 604_800
MAX_PARALLELIZATION = 10
STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST")
STREAM_ARN = re.compile(
    r"^arn:aws[a-z-]*:dynamodb:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):"
    r"table/(?P<table>[A-Za-z0-9_.-]{3,255})/stream/(?P<label>.+)$"
)


def is_stream_arn(arn: str) -> bool:
    return STREAM_ARN.match(arn) is not None


@dataclass(frozen=True)
class StreamMapping:
    function_arn: str
    event_source_arn: str
    last_modified: float
    starting_position: str
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    batch_size: int = DEFAULT_BATCH_SIZE
    maximum_batching_window: int = 0
    maximum_retry_attempts: int = -1
    maximum_record_age: int = -1
    bisect_batch_on_function_error: bool = False
    parallelization_factor: int = 1
    on_failure: str | None = None
    function_response_types: tuple[str, ...] = ()
    filter_criteria: dict[str, Any] | None = None
    enabled: bool = True
    kind: str = KIND

    @property
    def state(self) -> str:
        return "Enabled" if self.enabled else "Disabled"

    @property
    def report_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types

    @property
    def region(self) -> str:
        return self.event_source_arn.split(":")[3]

    @property
    def table_name(self) -> str:
        return self.event_source_arn.split(":", 5)[5].split("/")[1]

    def patterns(self) -> list[filters.Pattern]:
        return filters.compile_criteria(self.filter_criteria)

    def to_wire(self, state: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "UUID": self.uuid,
            "StartingPosition": self.starting_position,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.maximum_batching_window,
            "ParallelizationFactor": self.parallelization_factor,
            "EventSourceArn": self.event_source_arn,
            "FunctionArn": self.function_arn,
            "LastModified": self.last_modified,
            "LastProcessingResult": "No records processed",
            "State": state or self.state,
            "StateTransitionReason": "User action",
            "DestinationConfig": (
                {"OnFailure": {"Destination": self.on_failure}} if self.on_failure else {}
            ),
            "MaximumRecordAgeInSeconds": self.maximum_record_age,
            "BisectBatchOnFunctionError": self.bisect_batch_on_function_error,
            "MaximumRetryAttempts": self.maximum_retry_attempts,
            "FunctionResponseTypes": list(self.function_response_types),
        }
        if self.filter_criteria:
            out["FilterCriteria"] = self.filter_criteria
        return out


def create(
    function_arn: str, source_arn: str, now: float, body: Mapping[str, Any]
) -> StreamMapping:
    """A new mapping from a CreateEventSourceMapping request, checked."""
    position = body.get("StartingPosition")
    if position is None:
        raise MappingError("StartingPosition is required for DynamoDB Streams event sources.")
    if position not in STARTING_POSITIONS:
        raise MappingError(
            f"Unsupported starting position {position!r} for DynamoDB Streams: "
            "use TRIM_HORIZON or LATEST."
        )
    base = StreamMapping(
        function_arn=function_arn,
        event_source_arn=source_arn,
        last_modified=now,
        starting_position=str(position),
    )
    return configure(base, body)


def configure(base: StreamMapping, body: Mapping[str, Any]) -> StreamMapping:
    """``base`` with the settings of a Create/UpdateEventSourceMapping request, checked."""
    changes: dict[str, Any] = {}
    ints = {
        "BatchSize": "batch_size",
        "MaximumBatchingWindowInSeconds": "maximum_batching_window",
        "MaximumRetryAttempts": "maximum_retry_attempts",
        "MaximumRecordAgeInSeconds": "maximum_record_age",
        "ParallelizationFactor": "parallelization_factor",
    }
    for wire, name in ints.items():
        if body.get(wire) is not None:
            changes[name] = integer(body[wire], wire)
    if body.get("BisectBatchOnFunctionError") is not None:
        changes["bisect_batch_on_function_error"] = bool(body["BisectBatchOnFunctionError"])
    if "DestinationConfig" in body:
        on_failure = ((body["DestinationConfig"] or {}).get("OnFailure") or {}).get("Destination")
        if on_failure is not None:
            _check_destination(str(on_failure))
        changes["on_failure"] = on_failure or None
    changes.update(common_changes(body))
    mapping = replace(base, **changes)
    check(mapping)
    return mapping


def check(mapping: StreamMapping) -> None:
    if not 1 <= mapping.batch_size <= MAX_BATCH:
        raise MappingError(
            f"BatchSize must be between 1 and {MAX_BATCH} for DynamoDB Streams "
            f"(got {mapping.batch_size})."
        )
    if not 0 <= mapping.maximum_batching_window <= MAX_WINDOW:
        raise MappingError(
            "MaximumBatchingWindowInSeconds must be between 0 and 300 "
            f"(got {mapping.maximum_batching_window})."
        )
    retries = mapping.maximum_retry_attempts
    if not (retries == -1 or 0 <= retries <= MAX_RETRIES):
        raise MappingError(
            f"MaximumRetryAttempts must be -1 or between 0 and {MAX_RETRIES} (got {retries})."
        )
    age = mapping.maximum_record_age
    if not (age == -1 or MIN_AGE <= age <= MAX_AGE):
        raise MappingError(
            f"MaximumRecordAgeInSeconds must be -1 or between {MIN_AGE} and {MAX_AGE} (got {age})."
        )
    if not 1 <= mapping.parallelization_factor <= MAX_PARALLELIZATION:
        raise MappingError(
            f"ParallelizationFactor must be between 1 and {MAX_PARALLELIZATION} "
            f"(got {mapping.parallelization_factor})."
        )


def _check_destination(arn: str) -> None:
    parts = arn.split(":")
    if len(parts) != 6 or parts[0] != "arn" or parts[2] not in ("sqs", "sns"):
        raise MappingError(
            f"Unsupported destination {arn!r}: the on-failure destination of a DynamoDB "
            "Streams event source must be an SQS queue or an SNS topic."
        )
    if parts[5].endswith(".fifo"):
        raise MappingError("The on-failure destination must be a standard queue or topic.")
