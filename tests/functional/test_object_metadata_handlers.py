"""The reference service's handlers against the local cloud, called in-process the way the
event source mapping calls them: messages received from the real queues (S3 notifications
included), shaped as Lambda's SQS records, handler called, successes deleted.

What ``gearbox dev`` adds (deploying the functions, polling the queues) is not used here;
this drives the handlers' own logic: metadata rows, process states, failure records, the
dead-letter retry with its ``retry-count`` attribute, and the asynchronous steps.

Needs ``gearbox.app``'s runtime helpers (S3Event, SQSBatch, ProcessState, invoke_async);
skipped with that reason until they exist.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

import gearbox.app
from gearbox.clock import ManualClock
from gearbox.local.cloud import LocalCloud
from tests.conftest import CREDENTIALS, REGION
from tests.functional.lambda_helpers import create_function
from tests.functional.sqs_helpers import allow_s3, allow_sns
from tests.unit.object_metadata_paths import SAMPLES, load
from tests.waiting import wait_for

HELPERS = ("S3Event", "SQSBatch", "ProcessState", "invoke_async")
MISSING = [name for name in HELPERS if not hasattr(gearbox.app, name)]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"gearbox.app has no {', '.join(MISSING)} yet (merged separately)"
)

UPLOADS, THUMBS = "om-uploads", "om-thumbnails"
TABLES = {
    "om-metadata": ("bucket", "key"),
    "om-failures": ("object", None),
    "om-processes": ("process_id", None),
    "om-search-index": ("term", "object"),
}
STEP_FUNCTIONS = {
    "THUMBNAIL_FUNCTION": "om-make-thumbnail",
    "INDEX_FUNCTION": "om-index-object",
    "NOTIFY_FUNCTION": "om-notify",
}


def make_table(ddb: Any, name: str, partition: str, sort: str | None) -> None:
    keys = [{"AttributeName": partition, "KeyType": "HASH"}]
    attributes = [{"AttributeName": partition, "AttributeType": "S"}]
    if sort:
        keys.append({"AttributeName": sort, "KeyType": "RANGE"})
        attributes.append({"AttributeName": sort, "AttributeType": "S"})
    ddb.create_table(
        TableName=name,
        KeySchema=keys,
        AttributeDefinitions=attributes,
        BillingMode="PAY_PER_REQUEST",
    )


@pytest.fixture
def service(
    cloud: LocalCloud, client: Any, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SimpleNamespace]:
    """The service's resources created with boto3, its environment set, its modules loaded."""
    s3, sqs, ddb, sns, lam = (client(s) for s in ("s3", "sqs", "dynamodb", "sns", "lambda"))
    s3.create_bucket(Bucket=UPLOADS)
    s3.create_bucket(Bucket=THUMBS)
    dlq = sqs.create_queue(QueueName="om-extract-jobs-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])
    redrive = {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": 3}
    jobs = sqs.create_queue(
        QueueName="om-extract-jobs",
        Attributes={"VisibilityTimeout": "360", "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    jobs_arn = allow_s3(sqs, jobs, UPLOADS)
    s3.put_bucket_notification_configuration(
        Bucket=UPLOADS,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": jobs_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    for name, (partition, sort) in TABLES.items():
        make_table(ddb, name, partition, sort)
    topic = sns.create_topic(Name="om-object-events")["TopicArn"]
    tap = sqs.create_queue(QueueName="om-events-tap")["QueueUrl"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=allow_sns(sqs, tap, topic),
        Attributes={"RawMessageDelivery": "true"},
    )
    for function in STEP_FUNCTIONS.values():
        create_function(lam, function, "def handler(event, context):\n    return None\n")

    env = {
        "AWS_ENDPOINT_URL": cloud.endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
        "TABLE_NAME": "om-metadata",
        "FAILURES_TABLE": "om-failures",
        "PROCESSES_TABLE": "om-processes",
        "INDEX_TABLE": "om-search-index",
        "JOBS_QUEUE_URL": jobs,
        "THUMBNAIL_BUCKET": THUMBS,
        "UPLOADS_BUCKET": UPLOADS,
        "EVENTS_TOPIC": topic,
        **STEP_FUNCTIONS,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    names = ("aws", "extract", "dead_letter", "thumbnail", "index", "notify")
    modules = vars(load(*(f"handlers.{name}" for name in names)))
    modules["aws"].client.cache_clear()
    yield SimpleNamespace(s3=s3, sqs=sqs, ddb=ddb, jobs=jobs, dlq=dlq, tap=tap, **modules)
    modules["aws"].client.cache_clear()


def lambda_records(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Received messages in the shape Lambda's SQS event gives them."""
    answer = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    return [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": {
                name: {"stringValue": a.get("StringValue"), "dataType": a["DataType"]}
                for name, a in m.get("MessageAttributes", {}).items()
            },
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "awsRegion": REGION,
        }
        for m in answer.get("Messages", [])
    ]


def deliver(handler: Any, sqs: Any, url: str, records: list[dict[str, Any]]) -> list[str]:
    """Call ``handler`` as the event source mapping does; returns the failed message ids."""
    response = handler({"Records": records}, None)
    failed = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    for record in records:
        if record["messageId"] not in failed:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=record["receiptHandle"])
    return failed


def upload(svc: SimpleNamespace, *names: str) -> list[dict[str, Any]]:
    """Put sample files into the uploads bucket; the S3 notifications they cause, received."""
    for name in names:
        svc.s3.put_object(Bucket=UPLOADS, Key=f"in/{name}", Body=(SAMPLES / name).read_bytes())
    got: list[dict[str, Any]] = []

    def arrived() -> bool:
        got.extend(lambda_records(svc.sqs, svc.jobs))
        objects = [b for r in got for b in json.loads(r["body"]).get("Records", [])]
        return len(objects) >= len(names)

    wait_for(arrived)
    return got


def item(svc: SimpleNamespace, table: str, **key: str) -> dict[str, Any] | None:
    found = svc.ddb.get_item(
        TableName=table, Key={k: {"S": v} for k, v in key.items()}, ConsistentRead=True
    )
    return svc.aws.from_item(found["Item"]) if "Item" in found else None


def test_samples_become_metadata_rows_and_processes(service: SimpleNamespace) -> None:
    svc = service
    names = ("photo.png", "photo.jpg", "report.pdf", "notes.txt", "empty.txt")
    records = upload(svc, *names)
    assert deliver(svc.extract.extract, svc.sqs, svc.jobs, records) == []
    rows = {name: item(svc, "om-metadata", bucket=UPLOADS, key=f"in/{name}") for name in names}
    for name, row in rows.items():
        assert row is not None, name
        data = (SAMPLES / name).read_bytes()
        assert row["size"] == len(data)
        assert row["sha256"] == hashlib.sha256(data).hexdigest()
    assert (rows["photo.png"]["width"], rows["photo.png"]["height"]) == (64, 48)
    assert (rows["photo.jpg"]["width"], rows["photo.jpg"]["height"]) == (80, 60)
    assert rows["report.pdf"]["pages"] == 3
    assert rows["notes.txt"]["lines"] == 5
    assert (rows["empty.txt"]["size"], rows["empty.txt"]["lines"]) == (0, 0)
    state = gearbox.app.ProcessState(svc.ddb, "om-processes")
    assert state.get(rows["photo.png"]["process_id"])["status"] == "RUNNING"
    assert svc.sqs.receive_message(QueueUrl=svc.jobs).get("Messages") is None


def test_the_steps_complete_the_process(service: SimpleNamespace) -> None:
    svc = service
    assert deliver(svc.extract.extract, svc.sqs, svc.jobs, upload(svc, "photo.png")) == []
    row = item(svc, "om-metadata", bucket=UPLOADS, key="in/photo.png")
    assert row is not None
    payload = {
        "process_id": row["process_id"],
        "bucket": UPLOADS,
        "key": "in/photo.png",
        "content_type": row["content_type"],
        "size": int(row["size"]),
        "sha256": row["sha256"],
    }
    thumb = svc.thumbnail.make_thumbnail(payload, None)
    assert thumb["result"]["thumbnail"] == f"s3://{THUMBS}/in/photo.png.png"
    png = svc.s3.get_object(Bucket=THUMBS, Key="in/photo.png.png")["Body"].read()
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (64, 48)
    assert "photo" in svc.index.index_object(payload, None)["result"]["terms"]
    hit = item(svc, "om-search-index", term="photo", object=f"s3://{UPLOADS}/in/photo.png")
    assert hit is not None and hit["content_type"] == "image/png"
    svc.notify.notify(payload, None)
    message = wait_for(lambda: svc.sqs.receive_message(QueueUrl=svc.tap).get("Messages"))
    body = json.loads(message[0]["Body"])
    assert (body["event"], body["key"], body["sha256"]) == (
        "object.described",
        "in/photo.png",
        row["sha256"],
    )
    state = gearbox.app.ProcessState(svc.ddb, "om-processes")
    assert state.get(row["process_id"])["status"] == "SUCCEEDED"


def redrive_to_dlq(svc: SimpleNamespace, clock: ManualClock, records: list[dict[str, Any]]) -> Any:
    """Fail the messages three times (the queue's maxReceiveCount); their DLQ records."""
    for attempt in range(3):
        objects = [r["messageId"] for r in records if "Records" in json.loads(r["body"])]
        assert deliver(svc.extract.extract, svc.sqs, svc.jobs, records) == objects
        clock.advance(svc.extract.backoff(attempt + 1) + 1)
        if attempt < 2:
            records = wait_for(lambda: lambda_records(svc.sqs, svc.jobs))
    assert lambda_records(svc.sqs, svc.jobs) == []  # the receive that moves them to the DLQ
    return wait_for(lambda: lambda_records(svc.sqs, svc.dlq))


def test_corrupt_file_goes_through_the_dlq_and_is_recorded(
    service: SimpleNamespace, clock: ManualClock
) -> None:
    svc = service
    records = upload(svc, "corrupt.png")
    oid = f"s3://{UPLOADS}/in/corrupt.png"
    dead = redrive_to_dlq(svc, clock, records)
    attempt = item(svc, "om-failures", object=oid)
    assert attempt is not None
    assert (attempt["status"], attempt["permanent"], attempt["attempts"]) == ("RETRYING", True, 3)
    assert deliver(svc.dead_letter.dead_letter, svc.sqs, svc.dlq, dead) == []
    failure = item(svc, "om-failures", object=oid)
    assert failure is not None and failure["status"] == "FAILED"
    assert failure["reason"] == (
        "permanent: CorruptObject: in/corrupt.png: not an image Pillow can open"
    )
    assert lambda_records(svc.sqs, svc.jobs) == []  # not retried
    assert item(svc, "om-metadata", bucket=UPLOADS, key="in/corrupt.png") is None


def test_transient_failure_is_retried_once_then_recorded(
    service: SimpleNamespace, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = service
    monkeypatch.setenv("TABLE_NAME", "om-no-such-table")
    oid = f"s3://{UPLOADS}/in/notes.txt"
    dead = redrive_to_dlq(svc, clock, upload(svc, "notes.txt"))
    assert deliver(svc.dead_letter.dead_letter, svc.sqs, svc.dlq, dead) == []
    retried = item(svc, "om-failures", object=oid)
    assert retried is not None and retried["status"] == "RETRIED"
    assert "ResourceNotFoundException" in retried["reason"]
    again = wait_for(lambda: lambda_records(svc.sqs, svc.jobs))
    assert again[0]["messageAttributes"]["retry-count"]["stringValue"] == "1"
    dead = redrive_to_dlq(svc, clock, again)
    assert deliver(svc.dead_letter.dead_letter, svc.sqs, svc.dlq, dead) == []
    failure = item(svc, "om-failures", object=oid)
    assert failure is not None and failure["status"] == "FAILED"
    assert failure["reason"].startswith("still failing after 1 retry: ResourceNotFoundException")
    assert lambda_records(svc.sqs, svc.jobs) == []


def test_a_retried_message_that_succeeds_marks_its_failure_recovered(
    service: SimpleNamespace, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    svc = service
    monkeypatch.setenv("TABLE_NAME", "om-no-such-table")
    dead = redrive_to_dlq(svc, clock, upload(svc, "report.pdf"))
    assert deliver(svc.dead_letter.dead_letter, svc.sqs, svc.dlq, dead) == []
    monkeypatch.setenv("TABLE_NAME", "om-metadata")  # the table is back
    again = wait_for(lambda: lambda_records(svc.sqs, svc.jobs))
    assert deliver(svc.extract.extract, svc.sqs, svc.jobs, again) == []
    failure = item(svc, "om-failures", object=f"s3://{UPLOADS}/in/report.pdf")
    assert failure is not None and failure["status"] == "RECOVERED"
    row = item(svc, "om-metadata", bucket=UPLOADS, key="in/report.pdf")
    assert row is not None and row["pages"] == 3


def test_a_body_that_is_no_s3_event_is_recorded_as_such(service: SimpleNamespace) -> None:
    svc = service
    svc.sqs.send_message(QueueUrl=svc.dlq, MessageBody="not json at all")
    dead = wait_for(lambda: lambda_records(svc.sqs, svc.dlq))
    assert deliver(svc.dead_letter.dead_letter, svc.sqs, svc.dlq, dead) == []
    failure = item(svc, "om-failures", object=f"sqs://{dead[0]['messageId']}")
    assert failure is not None
    assert (failure["status"], failure["reason"]) == ("FAILED", "not an S3 event notification")
