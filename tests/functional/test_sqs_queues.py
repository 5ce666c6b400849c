"""Queue lifecycle through boto3: create, find, list, attributes, tags, delete."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functional.sqs_helpers import error_code


def test_create_queue_returns_url_and_is_idempotent(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    assert url.endswith("/123456789012/orders")
    assert sqs.create_queue(QueueName="orders")["QueueUrl"] == url
    assert sqs.get_queue_url(QueueName="orders")["QueueUrl"] == url


def test_create_queue_with_different_attributes_is_rejected(sqs: Any) -> None:
    sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "30"})
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName="orders", Attributes={"VisibilityTimeout": "60"})
    assert error_code(excinfo) == "QueueAlreadyExists"
    assert excinfo.value.response["Error"]["QueryErrorCode"] == "QueueNameExists"


@pytest.mark.parametrize("name", ["has space", "x" * 81, "", "dots.not.allowed"])
def test_invalid_queue_names_are_rejected(sqs: Any, name: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName=name)
    assert error_code(excinfo) == "InvalidParameterValue"


def test_fifo_queue_needs_fifo_suffix(sqs: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName="nosuffix", Attributes={"FifoQueue": "true"})
    assert error_code(excinfo) == "InvalidParameterValue"
    with pytest.raises(ClientError):
        sqs.create_queue(QueueName="suffix.fifo")  # a standard queue cannot end in .fifo


def test_nonexistent_queue(sqs: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        sqs.get_queue_url(QueueName="missing")
    assert error_code(excinfo) == "AWS.SimpleQueueService.NonExistentQueue"
    assert excinfo.value.response["Error"]["Message"] == "The specified queue does not exist."
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl="http://127.0.0.1/123456789012/missing", MessageBody="x")


def test_default_attributes_of_a_standard_queue(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    assert attributes["MessageRetentionPeriod"] == "345600"
    assert attributes["MaximumMessageSize"] == "1048576"
    assert attributes["DelaySeconds"] == "0"
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attributes["QueueArn"] == "arn:aws:sqs:us-east-1:123456789012:q"
    assert attributes["ApproximateNumberOfMessages"] == "0"
    assert "FifoQueue" not in attributes
    assert int(attributes["CreatedTimestamp"]) > 1_700_000_000


def test_get_queue_attributes_without_names_returns_none(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)


def test_fifo_queue_attributes(sqs: Any) -> None:
    url = sqs.create_queue(
        QueueName="q.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    )["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "true"
    assert attributes["DeduplicationScope"] == "queue"
    assert attributes["FifoThroughputLimit"] == "perQueue"


def test_set_queue_attributes(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"VisibilityTimeout": "45", "DelaySeconds": "3"}
    )
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout", "DelaySeconds"]
    )["Attributes"]
    assert attributes == {"VisibilityTimeout": "45", "DelaySeconds": "3"}


@pytest.mark.parametrize(
    ("attributes", "code"),
    [
        ({"VisibilityTimeout": "43201"}, "InvalidAttributeValue"),
        ({"DelaySeconds": "-1"}, "InvalidAttributeValue"),
        ({"MaximumMessageSize": "1023"}, "InvalidAttributeValue"),
        ({"MessageRetentionPeriod": "59"}, "InvalidAttributeValue"),
        ({"NoSuchAttribute": "1"}, "InvalidAttributeName"),
        ({"ContentBasedDeduplication": "true"}, "InvalidAttributeName"),  # FIFO only
    ],
)
def test_invalid_attributes_change_nothing(sqs: Any, attributes: dict[str, str], code: str) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError) as excinfo:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"DelaySeconds": "5", **attributes})
    assert error_code(excinfo) == code
    current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["DelaySeconds"])
    assert current["Attributes"]["DelaySeconds"] == "0"  # not half-applied


def test_unknown_attribute_name_on_get(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError) as excinfo:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Nope"])
    assert error_code(excinfo) == "InvalidAttributeName"


def test_list_queues_with_prefix_and_pages(sqs: Any) -> None:
    for name in ["alpha-1", "alpha-2", "alpha-3", "beta"]:
        sqs.create_queue(QueueName=name)
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="gamma")
    urls = sqs.list_queues(QueueNamePrefix="alpha")["QueueUrls"]
    assert [u.rsplit("/", 1)[1] for u in urls] == ["alpha-1", "alpha-2", "alpha-3"]
    first = sqs.list_queues(QueueNamePrefix="alpha", MaxResults=2)
    assert len(first["QueueUrls"]) == 2
    second = sqs.list_queues(QueueNamePrefix="alpha", MaxResults=2, NextToken=first["NextToken"])
    assert [u.rsplit("/", 1)[1] for u in second["QueueUrls"]] == ["alpha-3"]
    assert "NextToken" not in second


def test_queues_are_regional(client: Any) -> None:
    east, west = client("sqs", region="us-east-1"), client("sqs", region="eu-west-1")
    east.create_queue(QueueName="only-east")
    assert "QueueUrls" not in west.list_queues()
    with pytest.raises(ClientError):
        west.get_queue_url(QueueName="only-east")


def test_delete_queue(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="q")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_tags(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q", tags={"team": "core"})["QueueUrl"]
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev", "team": "edge"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "edge", "env": "dev"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team", "absent"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)
    with pytest.raises(ClientError) as excinfo:
        sqs.tag_queue(QueueUrl=url, Tags={f"k{i}": "v" for i in range(51)})
    assert error_code(excinfo) == "InvalidParameterValue"


def test_redrive_policy_and_dead_letter_sources(sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
    source = sqs.create_queue(QueueName="source", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    stored = sqs.get_queue_attributes(QueueUrl=source, AttributeNames=["RedrivePolicy"])
    assert json.loads(stored["Attributes"]["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": 3,
    }
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [source]
    sqs.set_queue_attributes(QueueUrl=source, Attributes={"RedrivePolicy": ""})
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == []


@pytest.mark.parametrize(
    "policy",
    [
        "not json",
        json.dumps(
            {
                "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:absent",
                "maxReceiveCount": 3,
            }
        ),
        json.dumps(
            {"deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dlq", "maxReceiveCount": 0}
        ),
    ],
)
def test_bad_redrive_policies(sqs: Any, policy: str) -> None:
    sqs.create_queue(QueueName="dlq")
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName="source", Attributes={"RedrivePolicy": policy})
    assert error_code(excinfo) == "InvalidParameterValue"
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="source")


def test_add_and_remove_permission(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.add_permission(
        QueueUrl=url, Label="share", AWSAccountIds=["111122223333"], Actions=["SendMessage"]
    )
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    assert policy["Statement"][0]["Sid"] == "share"
    assert policy["Statement"][0]["Action"] == "SQS:SendMessage"
    sqs.remove_permission(QueueUrl=url, Label="share")
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
