"""An SQS event source mapping: its settings, their validation, the wire shape, the store.

Limits as AWS documents them (CreateEventSourceMapping,
https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html):
``BatchSize`` default 10, 1-10,000 for a standard queue and 1-10 for a FIFO queue;
``MaximumBatchingWindowInSeconds`` 0-300, default 0, and at least 1 when ``BatchSize`` is
over 10; ``ScalingConfig.MaximumConcurrency`` 2-1,000; ``FunctionResponseTypes`` is empty or
``["ReportBatchItemFailures"]``; ``FilterCriteria`` holds at most 5 patterns (``filters``).

Mappings are durable: one JSON record per UUID in ``lambda-esm.db`` under the state dir. The
same store keeps DynamoDB Streams mappings (``stream_mapping``; records with ``kind``
``"dynamodb"``) and their per-shard checkpoints.

Where it differs from AWS: the state goes straight to ``Enabled``/``Disabled`` (no
``Creating``/``Updating``/``Enabling`` on the way) and ``Deleting`` is reported only by
DeleteEventSourceMapping's answer.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gearbox.local.database import open_database
from gearbox.local.sources import filters

if TYPE_CHECKING:
    from gearbox.local.sources.stream_mapping import StreamMapping

DEFAULT_BATCH_SIZE = 10
MAX_BATCH_STANDARD = 10_000
MAX_BATCH_FIFO = 10
MAX_WINDOW = 300
MIN_CONCURRENCY, MAX_CONCURRENCY = 2, 1000
RESPONSE_TYPES = {"ReportBatchItemFailures"}
SCHEMA_VERSION = 2  # 2: stream mappings and their shard checkpoints
_SCHEMA = """
CREATE TABLE IF NOT EXISTS mappings (uuid TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
    uuid TEXT NOT NULL, shard TEXT NOT NULL, sequence TEXT NOT NULL, PRIMARY KEY (uuid, shard)
);
"""


class MappingError(ValueError):
    """A setting is out of AWS's range (InvalidParameterValueException)."""


@dataclass(frozen=True)
class SqsMapping:
    function_arn: str
    event_source_arn: str
    last_modified: float
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    batch_size: int = DEFAULT_BATCH_SIZE
    maximum_batching_window: int = 0
    maximum_concurrency: int | None = None
    function_response_types: tuple[str, ...] = ()
    filter_criteria: dict[str, Any] | None = None
    enabled: bool = True

    @property
    def state(self) -> str:
        return "Enabled" if self.enabled else "Disabled"

    @property
    def report_batch_item_failures(self) -> bool:
        return "ReportBatchItemFailures" in self.function_response_types

    @property
    def fifo(self) -> bool:
        return self.event_source_arn.endswith(".fifo")

    @property
    def queue_name(self) -> str:
        return self.event_source_arn.split(":")[5]

    @property
    def region(self) -> str:
        return self.event_source_arn.split(":")[3]

    @property
    def account(self) -> str:
        return self.event_source_arn.split(":")[4]

    def patterns(self) -> list[filters.Pattern]:
        return filters.compile_criteria(self.filter_criteria)

    def to_wire(self, state: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "UUID": self.uuid,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.maximum_batching_window,
            "EventSourceArn": self.event_source_arn,
            "FunctionArn": self.function_arn,
            "LastModified": self.last_modified,
            "State": state or self.state,
            "StateTransitionReason": "USER_INITIATED",
            "FunctionResponseTypes": list(self.function_response_types),
        }
        if self.filter_criteria:
            out["FilterCriteria"] = self.filter_criteria
        if self.maximum_concurrency is not None:
            out["ScalingConfig"] = {"MaximumConcurrency": self.maximum_concurrency}
        return out


def configure(base: SqsMapping, body: Mapping[str, Any]) -> SqsMapping:
    """``base`` with the settings of a Create/UpdateEventSourceMapping request, checked."""
    changes: dict[str, Any] = {}
    if body.get("BatchSize") is not None:
        changes["batch_size"] = integer(body["BatchSize"], "BatchSize")
    if body.get("MaximumBatchingWindowInSeconds") is not None:
        changes["maximum_batching_window"] = integer(
            body["MaximumBatchingWindowInSeconds"], "MaximumBatchingWindowInSeconds"
        )
    if "ScalingConfig" in body:
        scaling = body["ScalingConfig"] or {}
        value = scaling.get("MaximumConcurrency")
        changes["maximum_concurrency"] = (
            None if value is None else integer(value, "MaximumConcurrency")
        )
    changes.update(common_changes(body))
    mapping = replace(base, **changes)
    check(mapping)
    return mapping


def common_changes(body: Mapping[str, Any]) -> dict[str, Any]:
    """The settings every kind of mapping takes alike from a Create/Update request, checked:
    ``FunctionResponseTypes``, ``FilterCriteria`` and ``Enabled``."""
    changes: dict[str, Any] = {}
    if "FunctionResponseTypes" in body:
        types = tuple(body["FunctionResponseTypes"] or ())
        if set(types) - RESPONSE_TYPES:
            raise MappingError(
                f"Unsupported FunctionResponseTypes {list(types)}: only "
                "ReportBatchItemFailures is supported"
            )
        changes["function_response_types"] = types
    if "FilterCriteria" in body:
        criteria = body["FilterCriteria"] or None
        if criteria is not None and not (criteria.get("Filters") or []):
            criteria = None
        try:
            filters.compile_criteria(criteria)
        except filters.FilterError as exc:
            raise MappingError(str(exc)) from exc
        changes["filter_criteria"] = criteria
    if body.get("Enabled") is not None:
        changes["enabled"] = bool(body["Enabled"])
    return changes


def check(mapping: SqsMapping) -> None:
    most = MAX_BATCH_FIFO if mapping.fifo else MAX_BATCH_STANDARD
    if not 1 <= mapping.batch_size <= most:
        raise MappingError(
            f"BatchSize must be between 1 and {most} for "
            f"{'FIFO' if mapping.fifo else 'standard'} SQS queues (got {mapping.batch_size})."
        )
    if not 0 <= mapping.maximum_batching_window <= MAX_WINDOW:
        raise MappingError(
            "MaximumBatchingWindowInSeconds must be between 0 and 300 "
            f"(got {mapping.maximum_batching_window})."
        )
    if mapping.batch_size > 10 and mapping.maximum_batching_window < 1:
        raise MappingError(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
            "greater than 10"
        )
    concurrency = mapping.maximum_concurrency
    if concurrency is not None and not MIN_CONCURRENCY <= concurrency <= MAX_CONCURRENCY:
        raise MappingError(
            f"MaximumConcurrency must be between {MIN_CONCURRENCY} and {MAX_CONCURRENCY} "
            f"(got {concurrency})."
        )


def integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MappingError(f"{name} must be an integer")
    return value


class MappingStore:
    """Mappings by UUID, in memory and written through to SQLite; stream shard checkpoints."""

    def __init__(self, state_dir: Path) -> None:
        from gearbox.local.sources.stream_mapping import KIND, StreamMapping

        self._db = open_database(state_dir / "lambda-esm.db", _SCHEMA, SCHEMA_VERSION)
        self._mappings: dict[str, SqsMapping | StreamMapping] = {}
        for (record,) in self._db.execute("SELECT record FROM mappings"):
            data = json.loads(record)
            data["function_response_types"] = tuple(data["function_response_types"])
            mapping: SqsMapping | StreamMapping = (
                StreamMapping(**data) if data.get("kind") == KIND else SqsMapping(**data)
            )
            self._mappings[mapping.uuid] = mapping

    def close(self) -> None:
        self._db.close()

    def get(self, mapping_uuid: str) -> SqsMapping | StreamMapping | None:
        return self._mappings.get(mapping_uuid)

    def all(self) -> list[SqsMapping | StreamMapping]:
        return sorted(self._mappings.values(), key=lambda m: (m.last_modified, m.uuid))

    def save(self, mapping: SqsMapping | StreamMapping) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO mappings VALUES (?, ?)",
            (mapping.uuid, json.dumps(asdict(mapping))),
        )
        self._mappings[mapping.uuid] = mapping

    def delete(self, mapping_uuid: str) -> None:
        self._db.execute("DELETE FROM mappings WHERE uuid=?", (mapping_uuid,))
        self._db.execute("DELETE FROM checkpoints WHERE uuid=?", (mapping_uuid,))
        self._mappings.pop(mapping_uuid, None)

    def checkpoints(self, mapping_uuid: str) -> dict[str, str]:
        """Shard id -> the sequence number of the last record the mapping is done with."""
        rows = self._db.execute(
            "SELECT shard, sequence FROM checkpoints WHERE uuid=?", (mapping_uuid,)
        )
        return {shard: sequence for shard, sequence in rows}

    def checkpoint(self, mapping_uuid: str, shard: str, sequence: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?)", (mapping_uuid, shard, sequence)
        )
