"""The reference service's whole story, deployed as ``gearbox dev`` deploys it and driven
with boto3: uploads become metadata rows and finished processes; a corrupt file fails three
receives, goes through the dead-letter queue and is recorded; an empty and a huge file end in
rows, never in a lost event."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import pytest
from boto3.dynamodb.types import TypeDeserializer

from gearbox.app import ProcessState
from gearbox.clock import ManualClock
from gearbox.local.cloud import LocalCloud
from tests.functional.dev_helpers import session_on
from tests.unit.object_metadata_paths import EXAMPLE, SAMPLES
from tests.waiting import wait_for

HUGE = 52 * 1024 * 1024  # over the 50 MiB the parsers read


@pytest.fixture
def deployed(cloud: LocalCloud, client: Callable[..., Any]) -> Callable[[str], Any]:
    session_on(cloud, client, EXAMPLE).up()
    return client


def rows(client: Callable[..., Any], table: str) -> list[dict[str, Any]]:
    items = client("dynamodb").scan(TableName=f"object-metadata-{table}")["Items"]
    return [{k: TypeDeserializer().deserialize(v) for k, v in i.items()} for i in items]


def test_uploads_become_rows_and_finished_processes(deployed: Callable[..., Any]) -> None:
    s3 = deployed("s3")
    for name in ("photo.png", "report.pdf", "notes.txt", "empty.txt"):
        s3.put_object(
            Bucket="object-metadata-uploads", Key=f"in/{name}", Body=(SAMPLES / name).read_bytes()
        )
    found = wait_for(lambda: len(rows(deployed, "metadata")) == 4 and rows(deployed, "metadata"))
    by_key = {r["key"]: r for r in found}
    png = by_key["in/photo.png"]
    assert (png["content_type"], png["width"], png["height"]) == ("image/png", 64, 48)
    assert png["sha256"] == hashlib.sha256((SAMPLES / "photo.png").read_bytes()).hexdigest()
    assert by_key["in/report.pdf"]["pages"] == 3
    assert by_key["in/empty.txt"]["size"] == 0
    state = ProcessState(deployed("dynamodb"), "object-metadata-processes")

    def finished() -> list[dict[str, Any]]:
        views = [state.get(r["process_id"]) for r in rows(deployed, "processes")]
        return views if len(views) == 4 and all(v["status"] != "RUNNING" for v in views) else []

    views = wait_for(finished, seconds=60)
    assert {v["status"] for v in views} == {"SUCCEEDED"}
    [image] = [v for v in views if v["input"]["key"] == "in/photo.png"]
    assert sorted(image["completed"]) == ["index", "notify", "thumbnail"]
    thumbs = s3.list_objects_v2(Bucket="object-metadata-thumbnails").get("Contents", [])
    assert len(thumbs) == 1


def test_corrupt_file_goes_through_the_dlq_and_is_recorded(
    deployed: Callable[..., Any], clock: ManualClock
) -> None:
    deployed("s3").put_object(
        Bucket="object-metadata-uploads",
        Key="in/corrupt.png",
        Body=(SAMPLES / "corrupt.png").read_bytes(),
    )

    def recorded() -> list[dict[str, Any]]:
        clock.advance(30)  # past the handler's backoff before each next receive
        time.sleep(0.2)
        return [f for f in rows(deployed, "failures") if f.get("status") == "FAILED"]

    [failure] = wait_for(recorded, seconds=90)
    assert failure["object"] == "s3://object-metadata-uploads/in/corrupt.png"
    assert failure["attempts"] == 3  # maxReceiveCount 3, then the DLQ
    assert failure["error_type"] == "CorruptObject"
    assert rows(deployed, "metadata") == []


def test_a_huge_file_ends_in_a_row(deployed: Callable[..., Any]) -> None:
    body = b"line\n" * (HUGE // 5)
    deployed("s3").put_object(Bucket="object-metadata-uploads", Key="in/huge.txt", Body=body)
    [row] = wait_for(lambda: rows(deployed, "metadata"), seconds=90)
    assert row["size"] == len(body)
    assert row["sha256"] == hashlib.sha256(body).hexdigest()
