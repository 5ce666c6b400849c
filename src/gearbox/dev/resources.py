"""Create (or bring up to date) the resources an app declares, through boto3 as a user's own
script would: buckets, queues with their dead-letter queues, topics, tables.

Idempotent: run again after a change, it creates what is new and updates what SQS and S3
let change in place (queue attributes, bucket versioning). A table that exists is left as
it is: changing keys needs a new table, which would lose its items, so that is reported
rather than done. Nothing is deleted; resources that are no longer declared stay.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

from gearbox.app.specs import BucketSpec, QueueSpec, ResourceSpec, TableSpec, TopicSpec
from gearbox.dev.targets import Place

Clients = Callable[[str], Any]


def apply_resources(resources: Iterable[ResourceSpec], clients: Clients, place: Place) -> list[str]:
    """Create each resource; the notes say what was left as it was."""
    notes: list[str] = []
    ordered = sorted(resources, key=_order)
    for spec in ordered:
        match spec:
            case BucketSpec():
                _bucket(spec, clients("s3"), place)
            case QueueSpec():
                _queue(spec, clients("sqs"), place)
            case TopicSpec():
                _topic(spec, clients("sns"), place)
            case TableSpec():
                notes += _table(spec, clients("dynamodb"), place)
    return notes


def _order(spec: ResourceSpec) -> tuple[int, str]:
    # dead-letter queues before the queues that name them in their redrive policy
    if isinstance(spec, QueueSpec):
        return (1 if spec.dlq is not None else 0, spec.name)
    return (0, spec.name)


def _bucket(spec: BucketSpec, s3: Any, place: Place) -> None:
    name = place.physical(spec)
    try:
        s3.create_bucket(Bucket=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "BucketAlreadyOwnedByYou":
            raise
    if spec.versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})


def queue_attributes(spec: QueueSpec, place: Place) -> dict[str, str]:
    attributes = {
        "VisibilityTimeout": str(spec.visibility_timeout),
        "MessageRetentionPeriod": str(spec.retention),
        "DelaySeconds": str(spec.delay),
    }
    if spec.fifo:
        attributes["ContentBasedDeduplication"] = str(spec.content_based_deduplication).lower()
    if spec.dlq is not None:
        attributes["RedrivePolicy"] = json.dumps(
            {"deadLetterTargetArn": place.arn(spec.dlq), "maxReceiveCount": spec.max_receive_count}
        )
    return attributes


def _queue(spec: QueueSpec, sqs: Any, place: Place) -> None:
    attributes = queue_attributes(spec, place)
    create = dict(attributes, FifoQueue="true") if spec.fifo else attributes
    try:
        sqs.create_queue(QueueName=place.physical(spec), Attributes=create)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("QueueAlreadyExists", "QueueNameExists"):
            raise
        sqs.set_queue_attributes(QueueUrl=place.queue_url(spec), Attributes=attributes)


def _topic(spec: TopicSpec, sns: Any, place: Place) -> None:
    attributes = {"FifoTopic": "true"} if spec.fifo else {}
    sns.create_topic(Name=place.physical(spec), Attributes=attributes)


def _table(spec: TableSpec, dynamodb: Any, place: Place) -> list[str]:
    name = place.physical(spec)
    keys = [spec.partition_key] + ([spec.sort_key] if spec.sort_key else [])
    definitions = {k.name: k.type for k in keys}
    for index in spec.indexes:
        for key in (index.partition_key, index.sort_key):
            if key is not None:
                definitions[key.name] = key.type
    request: dict[str, Any] = {
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _key_schema(spec.partition_key, spec.sort_key),
        "AttributeDefinitions": [
            {"AttributeName": n, "AttributeType": t} for n, t in sorted(definitions.items())
        ],
    }
    if spec.indexes:
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": _key_schema(index.partition_key, index.sort_key),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in spec.indexes
        ]
    if spec.stream:
        request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": spec.stream}
    try:
        dynamodb.create_table(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        current = dynamodb.describe_table(TableName=name)["Table"]
        if current["KeySchema"] != request["KeySchema"]:
            return [
                f"table {name} exists with other keys; left as it is (changing keys needs a "
                "new table: delete it to start again)"
            ]
        return []
    if spec.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
        )
    return []


def _key_schema(partition: Any, sort: Any) -> list[dict[str, str]]:
    schema = [{"AttributeName": partition.name, "KeyType": "HASH"}]
    if sort is not None:
        schema.append({"AttributeName": sort.name, "KeyType": "RANGE"})
    return schema
