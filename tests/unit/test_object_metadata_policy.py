"""The reference application's pure helpers: failure policy, step plan, index terms,
thumbnails and notifications."""

from __future__ import annotations

import io
import json

from tests.unit.object_metadata_paths import SAMPLES, load

modules = load(
    "handlers.failures",
    "handlers.metadata",
    "handlers.plan",
    "handlers.index",
    "handlers.thumbnail",
    "handlers.notify",
)
failures, plan = modules.failures, modules.plan
NO_RECORD, backoff, classify = failures.NO_RECORD, failures.backoff, failures.classify
decide, retries_of = failures.decide, failures.retries_of
CorruptObject = modules.metadata.CorruptObject
STEP_FUNCTIONS, steps_for = plan.STEP_FUNCTIONS, plan.steps_for


class FakeClientError(Exception):
    """Shaped like botocore's ClientError: an AWS error code in ``response``."""

    def __init__(self, code: str) -> None:
        super().__init__(f"An error occurred ({code})")
        self.response = {"Error": {"Code": code, "Message": "..."}}


def test_extraction_errors_and_missing_objects_are_permanent() -> None:
    corrupt = classify(CorruptObject("x.png: not an image Pillow can open"))
    assert corrupt.permanent and corrupt.error_type == "CorruptObject"
    assert "x.png" in corrupt.error
    gone = classify(FakeClientError("NoSuchKey"))
    assert gone.permanent and gone.error_type == "NoSuchKey"


def test_throttling_and_unknown_errors_are_transient() -> None:
    assert not classify(FakeClientError("ProvisionedThroughputExceededException")).permanent
    assert not classify(TimeoutError("read timed out")).permanent
    assert classify(TimeoutError()).error == "TimeoutError"


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert backoff(40) == 300
    assert backoff(0) == 1


def test_retries_of_reads_the_lambda_record_attribute() -> None:
    assert retries_of({}) == 0
    assert retries_of({"retry-count": {"stringValue": "1", "dataType": "Number"}}) == 1
    assert retries_of({"retry-count": {"StringValue": "2", "DataType": "Number"}}) == 2
    assert retries_of({"retry-count": {"stringValue": "x"}}) == 0


def test_permanent_failure_is_recorded_without_retry() -> None:
    attempt = {"permanent": True, "error_type": "CorruptObject", "error": "bad png"}
    decision = decide([attempt], retries=0)
    assert (decision.retry, decision.status) == (False, "FAILED")
    assert decision.reason == "permanent: CorruptObject: bad png"


def test_transient_failure_is_retried_once_then_recorded() -> None:
    attempt = {"permanent": False, "error_type": "ThrottlingException", "error": "slow down"}
    first = decide([attempt], retries=0)
    assert (first.retry, first.status) == (True, "RETRIED")
    assert "ThrottlingException: slow down" in first.reason
    second = decide([attempt], retries=1)
    assert (second.retry, second.status) == (False, "FAILED")
    assert second.reason == "still failing after 1 retry: ThrottlingException: slow down"


def test_no_recorded_attempt_counts_as_transient() -> None:
    decision = decide([None], retries=0)
    assert decision.retry and NO_RECORD in decision.reason
    assert decide([None, {"permanent": True, "error": "gone"}], retries=0).status == "FAILED"


def test_images_get_a_thumbnail_every_object_is_indexed_and_announced() -> None:
    assert steps_for("image/png") == ("thumbnail", "index", "notify")
    assert steps_for("application/pdf") == ("index", "notify")
    assert steps_for("text/plain") == ("index", "notify")
    assert set(STEP_FUNCTIONS) == {"thumbnail", "index", "notify"}


def test_index_terms() -> None:
    MAX_TERMS, index_terms = modules.index.MAX_TERMS, modules.index.index_terms
    assert index_terms("in/Photo-2024.JPG", "image/jpeg") == [
        "photo",
        "2024",
        "jpg",
        "image",
        "image/jpeg",
    ]
    assert index_terms("README", "text/plain") == ["readme", "text", "text/plain"]
    assert len(index_terms("-".join(f"w{i}" for i in range(50)) + ".txt", "text/plain")) == (
        MAX_TERMS
    )


def test_thumbnail_keeps_the_aspect_ratio_within_the_bound() -> None:
    from PIL import Image

    thumbnail_png = modules.thumbnail.thumbnail_png
    png, width, height = thumbnail_png((SAMPLES / "photo.jpg").read_bytes(), max_side=40)
    assert (width, height) == (40, 30)
    with Image.open(io.BytesIO(png)) as image:
        assert (image.format, image.size) == ("PNG", (40, 30))


def test_notification_body_and_filterable_attributes() -> None:
    notification = modules.notify.notification
    body, attributes = notification(
        {"bucket": "b", "key": "k.png", "content_type": "image/png", "size": 3, "x": 1}
    )
    assert json.loads(body) == {
        "event": "object.described",
        "bucket": "b",
        "key": "k.png",
        "content_type": "image/png",
        "size": 3,
    }
    assert attributes["content_type"] == {"DataType": "String", "StringValue": "image/png"}
