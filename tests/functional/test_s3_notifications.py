"""S3 event notifications through boto3: configuration as AWS stores and refuses it, and the
records each object change delivers to queues and functions."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import unquote_plus

import pytest
from botocore.exceptions import ClientError

from tests.functional.lambda_helpers import allow_invoke, create_function, create_recorder
from tests.functional.sqs_helpers import allow_s3, arn_of
from tests.functional.test_lambda_async import one_message, wait_for
from tests.waiting import journaled

ACCOUNT = "123456789012"


@pytest.fixture
def s3(client: Any) -> Any:
    return client("s3")


def bodies(sqs: Any, url: str, count: int) -> list[dict[str, Any]]:
    """The next ``count`` message bodies of ``url``, parsed, in the order received."""
    got: list[dict[str, Any]] = []

    def receive() -> bool:
        for message in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", []):
            got.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(got) >= count

    wait_for(receive)
    return got


def records(sqs: Any, url: str, count: int) -> list[dict[str, Any]]:
    return [m["Records"][0] for m in bodies(sqs, url, count) if "Records" in m]


def queue_config(arn: str, events: list[str], **rules: str) -> dict[str, Any]:
    config: dict[str, Any] = {
        "Id": f"to-{arn.rsplit(':', 1)[1]}",
        "QueueArn": arn,
        "Events": events,
    }
    if rules:
        config["Filter"] = {
            "Key": {"FilterRules": [{"Name": k, "Value": v} for k, v in rules.items()]}
        }
    return config


def watched(s3: Any, sqs: Any, bucket: str, events: list[str], **rules: str) -> str:
    """A bucket notifying a new queue of ``events``; the queue's test event consumed."""
    s3.create_bucket(Bucket=bucket)
    url = sqs.create_queue(QueueName=f"{bucket}-events")["QueueUrl"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [queue_config(allow_s3(sqs, url, bucket), events, **rules)]
        },
    )
    [test] = bodies(sqs, url, 1)
    assert test["Event"] == "s3:TestEvent"
    return str(url)


def test_configuration_round_trip_and_test_event_first(s3: Any, sqs: Any) -> None:
    s3.create_bucket(Bucket="photos")
    url = sqs.create_queue(QueueName="photo-events")["QueueUrl"]
    arn = allow_s3(sqs, url, "photos")
    config = queue_config(arn, ["s3:ObjectCreated:*"], prefix="images/", suffix=".jpg")
    s3.put_bucket_notification_configuration(
        Bucket="photos", NotificationConfiguration={"QueueConfigurations": [config]}
    )
    got = s3.get_bucket_notification_configuration(Bucket="photos")
    assert got["QueueConfigurations"] == [
        {
            "Id": "to-photo-events",
            "QueueArn": config["QueueArn"],
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {
                "Key": {
                    "FilterRules": [
                        {"Name": "Prefix", "Value": "images/"},
                        {"Name": "Suffix", "Value": ".jpg"},
                    ]
                }
            },
        }
    ]
    s3.put_object(Bucket="photos", Key="images/a.jpg", Body=b"x")
    first, second = bodies(sqs, url, 2)
    assert set(first) == {"Service", "Event", "Time", "Bucket", "RequestId", "HostId"}
    assert (first["Service"], first["Event"], first["Bucket"]) == (
        "Amazon S3",
        "s3:TestEvent",
        "photos",
    )
    assert second["Records"][0]["eventName"] == "ObjectCreated:Put"


def test_put_object_record_has_encoded_key_size_etag_sequencer(s3: Any, sqs: Any) -> None:
    url = watched(s3, sqs, "docs", ["s3:ObjectCreated:*"])
    key = "reports/Q1 résumé (final).txt"
    etag = s3.put_object(Bucket="docs", Key=key, Body=b"hello world")["ETag"].strip('"')
    s3.put_object(Bucket="docs", Key=key, Body=b"hello again!")
    first, second = records(sqs, url, 2)
    assert first["eventVersion"] == "2.1"
    assert first["eventSource"] == "aws:s3"
    assert first["awsRegion"] == "us-east-1"
    assert first["eventName"] == "ObjectCreated:Put"
    assert first["s3"]["configurationId"] == "to-docs-events"
    assert first["s3"]["bucket"]["name"] == "docs"
    assert first["s3"]["bucket"]["arn"] == "arn:aws:s3:::docs"
    obj = first["s3"]["object"]
    assert obj["key"] == "reports/Q1+r%C3%A9sum%C3%A9+%28final%29.txt"
    assert unquote_plus(obj["key"]) == key
    assert obj["size"] == 11
    assert obj["eTag"] == etag
    assert "versionId" not in obj
    assert int(second["s3"]["object"]["sequencer"], 16) > int(obj["sequencer"], 16)


def test_prefix_and_suffix_filters_exclude_other_keys(s3: Any, sqs: Any) -> None:
    url = watched(s3, sqs, "media", ["s3:ObjectCreated:Put"], prefix="in/", suffix=".png")
    s3.put_object(Bucket="media", Key="out/a.png", Body=b"1")
    s3.put_object(Bucket="media", Key="in/a.jpg", Body=b"2")
    s3.put_object(Bucket="media", Key="in/b.png", Body=b"3")
    [only] = records(sqs, url, 1)
    assert only["s3"]["object"]["key"] == "in/b.png"
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []) == []


def test_copy_multipart_delete_and_delete_objects(s3: Any, sqs: Any) -> None:
    url = watched(s3, sqs, "work", ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"])
    s3.put_object(Bucket="work", Key="src", Body=b"abc")
    s3.copy_object(Bucket="work", Key="dst", CopySource={"Bucket": "work", "Key": "src"})
    upload = s3.create_multipart_upload(Bucket="work", Key="big")["UploadId"]
    part = s3.upload_part(Bucket="work", Key="big", UploadId=upload, PartNumber=1, Body=b"p" * 10)
    done = s3.complete_multipart_upload(
        Bucket="work",
        Key="big",
        UploadId=upload,
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    s3.delete_object(Bucket="work", Key="src")
    s3.delete_objects(Bucket="work", Delete={"Objects": [{"Key": "dst"}, {"Key": "big"}]})
    got = records(sqs, url, 6)
    assert [(r["eventName"], r["s3"]["object"]["key"]) for r in got] == [
        ("ObjectCreated:Put", "src"),
        ("ObjectCreated:Copy", "dst"),
        ("ObjectCreated:CompleteMultipartUpload", "big"),
        ("ObjectRemoved:Delete", "src"),
        ("ObjectRemoved:Delete", "dst"),
        ("ObjectRemoved:Delete", "big"),
    ]
    assert got[1]["s3"]["object"]["size"] == 3
    assert got[2]["s3"]["object"]["size"] == 10
    assert got[2]["s3"]["object"]["eTag"] == done["ETag"].strip('"')
    assert set(got[3]["s3"]["object"]) == {"key", "sequencer"}


def test_a_copys_size_is_read_before_the_writer_can_change_the_object(
    s3: Any, sqs: Any, client: Any
) -> None:
    """The record of a copy says the size the copy made, even when the bucket's earlier
    events are still being sent and the writer overwrites the copy at once (CI once saw a
    HeadObject made in the background find the object already deleted)."""
    sns = client("sns")
    topic = sns.create_topic(Name="removals")["TopicArn"]
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "SNS:Publish",
        "Resource": topic,
    }
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    s3.create_bucket(Bucket="busy")
    url = sqs.create_queue(QueueName="copies")["QueueUrl"]
    s3.put_bucket_notification_configuration(
        Bucket="busy",
        NotificationConfiguration={
            "QueueConfigurations": [
                queue_config(allow_s3(sqs, url, "busy"), ["s3:ObjectCreated:Copy"])
            ],
            # each removal is a Publish to moto, so the bucket's earlier events take a while
            "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectRemoved:*"]}],
        },
    )
    bodies(sqs, url, 1)  # the test event
    keys = [f"k{i}" for i in range(100)]
    for key in keys:
        s3.put_object(Bucket="busy", Key=key, Body=b"x")
    s3.put_object(Bucket="busy", Key="src", Body=b"abc")
    s3.delete_objects(Bucket="busy", Delete={"Objects": [{"Key": k} for k in keys]})
    s3.copy_object(Bucket="busy", Key="dst", CopySource={"Bucket": "busy", "Key": "src"})
    s3.put_object(Bucket="busy", Key="dst", Body=b"a longer body")
    [copy] = records(sqs, url, 1)
    assert (copy["s3"]["object"]["key"], copy["s3"]["object"]["size"]) == ("dst", 3)


def test_versioned_bucket_records_version_ids_and_delete_markers(s3: Any, sqs: Any) -> None:
    url = watched(s3, sqs, "history", ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"])
    s3.put_bucket_versioning(Bucket="history", VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket="history", Key="k", Body=b"v1")["VersionId"]
    marker = s3.delete_object(Bucket="history", Key="k")["VersionId"]
    s3.delete_object(Bucket="history", Key="k", VersionId=version)
    put, marked, deleted = records(sqs, url, 3)
    assert put["s3"]["object"]["versionId"] == version
    assert marked["eventName"] == "ObjectRemoved:DeleteMarkerCreated"
    assert marked["s3"]["object"]["versionId"] == marker
    assert deleted["eventName"] == "ObjectRemoved:Delete"
    assert deleted["s3"]["object"]["versionId"] == version


def test_lambda_destination_is_invoked_asynchronously(s3: Any, sqs: Any, client: Any) -> None:
    lam = client("lambda")
    results = sqs.create_queue(QueueName="results")["QueueUrl"]
    function = create_recorder(lam, "on-upload", results)
    s3.create_bucket(Bucket="uploads")
    allow_invoke(lam, "on-upload", "s3.amazonaws.com", "arn:aws:s3:::uploads")
    s3.put_bucket_notification_configuration(
        Bucket="uploads",
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": function["FunctionArn"], "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    got = s3.get_bucket_notification_configuration(Bucket="uploads")
    assert got["LambdaFunctionConfigurations"][0]["LambdaFunctionArn"] == function["FunctionArn"]
    s3.put_object(Bucket="uploads", Key="a b.txt", Body=b"data")
    event = json.loads(one_message(sqs, results)["Body"])
    assert event["Records"][0]["eventName"] == "ObjectCreated:Put"
    assert event["Records"][0]["s3"]["object"]["key"] == "a+b.txt"


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return str(error["Code"]), str(error.get("Message", ""))


def test_missing_destinations_are_refused(s3: Any, sqs: Any) -> None:
    s3.create_bucket(Bucket="bucket-one")
    for config in (
        {
            "QueueConfigurations": [
                queue_config(f"arn:aws:sqs:us-east-1:{ACCOUNT}:absent", ["s3:ObjectCreated:*"])
            ]
        },
        {
            "LambdaFunctionConfigurations": [
                {
                    "LambdaFunctionArn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:absent",
                    "Events": ["s3:ObjectCreated:*"],
                }
            ]
        },
        {
            "TopicConfigurations": [
                {
                    "TopicArn": f"arn:aws:sns:us-east-1:{ACCOUNT}:absent",
                    "Events": ["s3:ObjectCreated:*"],
                }
            ]
        },
    ):
        with pytest.raises(ClientError) as excinfo:
            s3.put_bucket_notification_configuration(
                Bucket="bucket-one", NotificationConfiguration=config
            )
        assert error_of(excinfo) == (
            "InvalidArgument",
            "Unable to validate the following destination configurations",
        )
    assert "QueueConfigurations" not in s3.get_bucket_notification_configuration(
        Bucket="bucket-one"
    )


def test_overlapping_filters_are_refused(s3: Any, sqs: Any) -> None:
    s3.create_bucket(Bucket="bucket-two")
    arn = arn_of(sqs, sqs.create_queue(QueueName="q2")["QueueUrl"])
    overlapping = [
        queue_config(arn, ["s3:ObjectCreated:*"], prefix="images/"),
        {**queue_config(arn, ["s3:ObjectCreated:Put"], suffix=".jpg"), "Id": "other"},
    ]
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_notification_configuration(
            Bucket="bucket-two", NotificationConfiguration={"QueueConfigurations": overlapping}
        )
    assert error_of(excinfo) == (
        "InvalidArgument",
        "Configurations overlap. Configurations on the same bucket cannot share a common "
        "event type.",
    )


def test_missing_bucket_is_no_such_bucket(s3: Any, sqs: Any) -> None:
    arn = arn_of(sqs, sqs.create_queue(QueueName="q3")["QueueUrl"])
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_notification_configuration(
            Bucket="nowhere",
            NotificationConfiguration={
                "QueueConfigurations": [queue_config(arn, ["s3:ObjectCreated:*"])]
            },
        )
    assert error_of(excinfo)[0] == "NoSuchBucket"
    with pytest.raises(ClientError) as excinfo:
        s3.get_bucket_notification_configuration(Bucket="nowhere")
    assert error_of(excinfo)[0] == "NoSuchBucket"


def refusal(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, str, str]:
    """(code, message, ArgumentName1, ArgumentValue1) of an S3 error."""
    error = excinfo.value.response["Error"]
    return (
        str(error["Code"]),
        str(error["Message"]),
        str(error.get("ArgumentName1")),
        str(error.get("ArgumentValue1")),
    )


def test_a_queue_must_let_s3_send_from_this_bucket(s3: Any, sqs: Any) -> None:
    s3.create_bucket(Bucket="guarded")
    url = sqs.create_queue(QueueName="guarded-events")["QueueUrl"]
    arn = arn_of(sqs, url)
    config = {"QueueConfigurations": [queue_config(arn, ["s3:ObjectCreated:*"])]}
    denied = (
        "InvalidArgument",
        "Unable to validate the following destination configurations",
        arn,
        "Permissions on the destination queue do not allow S3 to publish notifications from "
        "this bucket",
    )
    for bucket_allowed in (None, "some-other-bucket"):  # no policy; a policy for another bucket
        if bucket_allowed:
            allow_s3(sqs, url, bucket_allowed)
        with pytest.raises(ClientError) as excinfo:
            s3.put_bucket_notification_configuration(
                Bucket="guarded", NotificationConfiguration=config
            )
        assert refusal(excinfo) == denied
    allow_s3(sqs, url, "some-other-bucket", "guarded")
    s3.put_bucket_notification_configuration(Bucket="guarded", NotificationConfiguration=config)
    assert bodies(sqs, url, 1)[0]["Event"] == "s3:TestEvent"


def test_an_explicit_deny_in_the_queue_policy_wins(s3: Any, sqs: Any) -> None:
    s3.create_bucket(Bucket="denied")
    url = sqs.create_queue(QueueName="denied-events")["QueueUrl"]
    arn = allow_s3(sqs, url, "denied")
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    policy["Statement"].append(
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": arn}
    )
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_notification_configuration(
            Bucket="denied",
            NotificationConfiguration={
                "QueueConfigurations": [queue_config(arn, ["s3:ObjectCreated:*"])]
            },
        )
    assert refusal(excinfo)[0] == "InvalidArgument"


def test_a_function_must_let_s3_invoke_it_and_the_check_can_be_skipped(
    s3: Any, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    lam = client("lambda")
    function = create_function(lam, "unpermitted", "def handler(event, context):\n    return 1\n")
    arn = function["FunctionArn"]
    s3.create_bucket(Bucket="fn-bucket")
    config = {
        "LambdaFunctionConfigurations": [
            {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
        ]
    }
    with pytest.raises(ClientError) as excinfo:
        s3.put_bucket_notification_configuration(
            Bucket="fn-bucket", NotificationConfiguration=config
        )
    assert refusal(excinfo) == (
        "InvalidArgument",
        "Unable to validate the following destination configurations",
        f"{arn}, null",
        f"Not authorized to invoke function [{arn}]",
    )
    s3.put_bucket_notification_configuration(
        Bucket="fn-bucket", NotificationConfiguration=config, SkipDestinationValidation=True
    )
    assert (
        s3.get_bucket_notification_configuration(Bucket="fn-bucket")[
            "LambdaFunctionConfigurations"
        ][0]["LambdaFunctionArn"]
        == arn
    )
    # skipping the check grants nothing: S3 still may not invoke the function
    with caplog.at_level(logging.ERROR, logger="gearbox.local.s3events.service"):
        s3.put_object(Bucket="fn-bucket", Key="k", Body=b"k")
        wait_for(lambda: "was not delivered" in caplog.text)
    assert f"to {arn} was not delivered: Not authorized to invoke function" in caplog.text
    assert lam.get_function(FunctionName="unpermitted")  # and it was never invoked:
    assert (
        client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/unpermitted")[
            "logGroups"
        ]
        == []
    )


def test_each_delivery_needs_the_destinations_permission(
    s3: Any, sqs: Any, cloud: Any, caplog: pytest.LogCaptureFixture
) -> None:
    url = watched(s3, sqs, "revoked", ["s3:ObjectCreated:*"])
    s3.put_object(Bucket="revoked", Key="before", Body=b"1")
    assert [r["s3"]["object"]["key"] for r in records(sqs, url, 1)] == ["before"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    with caplog.at_level(logging.ERROR, logger="gearbox.local.s3events.service"):
        s3.put_object(Bucket="revoked", Key="while-revoked", Body=b"2")
        wait_for(lambda: "was not delivered" in caplog.text)
    assert "Permissions on the destination queue do not allow S3 to publish" in caplog.text
    [dropped] = journaled(cloud, "undelivered")
    assert (dropped["source"], dropped["destination"]) == ("s3:revoked", arn_of(sqs, url))
    assert dropped["event"] == "ObjectCreated:Put while-revoked"
    allow_s3(sqs, url, "revoked")
    s3.put_object(Bucket="revoked", Key="after", Body=b"3")
    # a bucket's events leave in order, so "while-revoked" would have come first
    assert [r["s3"]["object"]["key"] for r in records(sqs, url, 1)] == ["after"]


def test_a_topic_must_let_s3_publish(s3: Any, client: Any) -> None:
    sns = client("sns")
    topic = sns.create_topic(Name="uploads-topic")["TopicArn"]
    s3.create_bucket(Bucket="topic-bucket")
    config = {"TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]}
    with pytest.raises(ClientError) as excinfo:  # the default topic policy is the owner's only
        s3.put_bucket_notification_configuration(
            Bucket="topic-bucket", NotificationConfiguration=config
        )
    assert refusal(excinfo)[3] == (
        "Permissions on the destination topic do not allow S3 to publish notifications from "
        "this bucket"
    )
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "SNS:Publish",
        "Resource": topic,
        "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:*:*:topic-bucket"}},
    }
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )
    s3.put_bucket_notification_configuration(
        Bucket="topic-bucket", NotificationConfiguration=config
    )
