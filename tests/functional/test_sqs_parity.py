"""Parity with moto's SQS test-suite: queue-level behaviours.

Each test covers one behaviour that moto's ``tests/test_sqs`` checks and that
``test_sqs_queues.py`` and ``test_sqs_messages.py`` do not, asserted as AWS documents it
(where moto and the AWS docs disagree, the docs win). Message behaviours are in
``test_sqs_parity_messages.py``; FIFO, dead-letter and move-task behaviours in
``test_sqs_parity_fifo.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.functional.sqs_helpers import arn_of, error_code

ACCOUNT = "123456789012"


def attributes(sqs: Any, url: str, *names: str) -> dict[str, str]:
    response = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names) or ["All"])
    return dict(response.get("Attributes", {}))


def missing_url(sqs: Any) -> str:
    return f"{sqs.meta.endpoint_url}/{ACCOUNT}/no-such-queue"


# names and creation


@pytest.mark.parametrize(
    "name", ["name_with_underscores", "name-with-hyphens", "Name-with_all_the_THings", "a"]
)
def test_queue_names_may_mix_case_hyphens_and_underscores(sqs: Any, name: str) -> None:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    assert url.endswith(f"/{ACCOUNT}/{name}")
    assert arn_of(sqs, url) == f"arn:aws:sqs:us-east-1:{ACCOUNT}:{name}"


@pytest.mark.parametrize("name", ["/my/test", "!@£$%^&*()queue", "p" * 81])
def test_invalid_queue_name_is_explained(sqs: Any, name: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName=name)
    assert error_code(excinfo) == "InvalidParameterValue"
    assert (
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        in excinfo.value.response["Error"]["Message"]
    )


def test_create_queue_again_with_the_same_full_attribute_set_is_idempotent(sqs: Any) -> None:
    dlq_arn = arn_of(sqs, sqs.create_queue(QueueName="dlq")["QueueUrl"])
    wanted = {
        "DelaySeconds": "900",
        "MaximumMessageSize": "262144",
        "MessageRetentionPeriod": "1209600",
        "ReceiveMessageWaitTimeSeconds": "20",
        # json.dumps' default spacing, not the compact form SQS stores
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 100}),
        "VisibilityTimeout": "43200",
    }
    url = sqs.create_queue(QueueName="q", Attributes=wanted)["QueueUrl"]
    assert sqs.create_queue(QueueName="q", Attributes=wanted)["QueueUrl"] == url


def test_create_queue_after_set_attributes_compares_only_given_attributes(sqs: Any) -> None:
    """CreateQueue on an existing queue checks only the attributes it names."""
    url = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "60"})
    assert sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"] == url


def test_all_attributes_of_a_new_queue_include_counters_and_timestamps(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    every = attributes(sqs, url)
    assert every["ApproximateNumberOfMessages"] == "0"
    assert every["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert every["ApproximateNumberOfMessagesDelayed"] == "0"
    assert int(every["LastModifiedTimestamp"]) >= int(every["CreatedTimestamp"])
    assert "RedrivePolicy" not in every
    assert "Policy" not in every


def test_default_attributes_of_a_fifo_queue(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    every = attributes(sqs, url)
    assert every["FifoQueue"] == "true"
    assert every["ContentBasedDeduplication"] == "false"
    assert every["DeduplicationScope"] == "queue"
    assert every["FifoThroughputLimit"] == "perQueue"
    assert every["VisibilityTimeout"] == "30"
    assert every["MessageRetentionPeriod"] == "345600"
    assert every["MaximumMessageSize"] == "1048576"
    assert every["DelaySeconds"] == "0"
    assert every["ReceiveMessageWaitTimeSeconds"] == "0"
    assert every["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert every["QueueArn"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:q.fifo"


def test_high_throughput_fifo_attributes(sqs: Any) -> None:
    url = sqs.create_queue(
        QueueName="q.fifo",
        Attributes={
            "FifoQueue": "true",
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
        },
    )["QueueUrl"]
    assert attributes(sqs, url, "DeduplicationScope", "FifoThroughputLimit") == {
        "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId",
    }


def test_kms_attributes_are_stored_and_returned(sqs: Any) -> None:
    """Stored and returned only: Gearbox does not encrypt (documented in queues.py)."""
    url = sqs.create_queue(
        QueueName="q",
        Attributes={"KmsMasterKeyId": "alias/aws/sqs", "KmsDataKeyReusePeriodSeconds": "600"},
    )["QueueUrl"]
    assert attributes(sqs, url, "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds") == {
        "KmsMasterKeyId": "alias/aws/sqs",
        "KmsDataKeyReusePeriodSeconds": "600",
    }


def test_tags_given_at_creation_may_have_empty_values(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q", tags={"team": "core", "marker": ""})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "core", "marker": ""}


# attributes


def test_policy_attribute_round_trips_and_an_empty_value_removes_it(sqs: Any) -> None:
    policy = {
        "Version": "2012-10-17",
        "Id": "mine",
        "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage"}],
    }
    url = sqs.create_queue(QueueName="q", Attributes={"Policy": json.dumps(policy)})["QueueUrl"]
    assert json.loads(attributes(sqs, url, "Policy")["Policy"]) == policy
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert "Policy" not in attributes(sqs, url)


def test_empty_redrive_policy_removes_the_attribute(sqs: Any) -> None:
    dlq_arn = arn_of(sqs, sqs.create_queue(QueueName="dlq")["QueueUrl"])
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5})
    url = sqs.create_queue(QueueName="q", Attributes={"RedrivePolicy": policy})["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})
    assert "RedrivePolicy" not in attributes(sqs, url)


def test_get_queue_attributes_returns_exactly_the_names_asked_for(sqs: Any) -> None:
    dlq_arn = arn_of(sqs, sqs.create_queue(QueueName="dlq")["QueueUrl"])
    policy = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}
    url = sqs.create_queue(QueueName="q", Attributes={"RedrivePolicy": json.dumps(policy)})[
        "QueueUrl"
    ]
    got = attributes(
        sqs,
        url,
        "ApproximateNumberOfMessages",
        "MaximumMessageSize",
        "QueueArn",
        "RedrivePolicy",
        "VisibilityTimeout",
    )
    assert json.loads(got.pop("RedrivePolicy")) == policy
    assert got == {
        "ApproximateNumberOfMessages": "0",
        "MaximumMessageSize": "1048576",
        "QueueArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:q",
        "VisibilityTimeout": "30",
    }


def test_get_queue_attributes_of_an_unset_attribute_returns_nothing(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    assert "Attributes" not in sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["KmsMasterKeyId"]
    )


@pytest.mark.parametrize(
    "names", [["QueueArn", "not-existing", "VisibilityTimeout"], [""]], ids=["among-known", "empty"]
)
def test_get_queue_attributes_with_an_unknown_name_fails(sqs: Any, names: list[str]) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError) as excinfo:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)
    assert error_code(excinfo) == "InvalidAttributeName"


def test_maximum_message_size_above_1_mib_is_rejected(sqs: Any) -> None:
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName="q", Attributes={"MaximumMessageSize": "1048577"})
    assert error_code(excinfo) == "InvalidAttributeValue"


# redrive policy


def test_redrive_policy_without_max_receive_count_is_rejected(sqs: Any) -> None:
    dlq_arn = arn_of(sqs, sqs.create_queue(QueueName="dlq")["QueueUrl"])
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(
            QueueName="q",
            Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn})},
        )
    assert error_code(excinfo) == "InvalidParameterValue"


def test_redrive_policy_can_be_set_after_creation(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    dlq_url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    policy = {"deadLetterTargetArn": arn_of(sqs, dlq_url), "maxReceiveCount": 1}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": json.dumps(policy)})
    assert json.loads(attributes(sqs, url, "RedrivePolicy")["RedrivePolicy"]) == policy
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq_url)["queueUrls"] == [url]


def test_a_standard_queue_cannot_use_a_fifo_dead_letter_queue(sqs: Any) -> None:
    dlq = sqs.create_queue(QueueName="dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": arn_of(sqs, dlq), "maxReceiveCount": 2})
    with pytest.raises(ClientError) as excinfo:
        sqs.create_queue(QueueName="source", Attributes={"RedrivePolicy": policy})
    assert error_code(excinfo) == "InvalidParameterValue"


# missing queues


MISSING_QUEUE_CALLS: dict[str, Callable[[Any, str], Any]] = {
    "DeleteQueue": lambda sqs, url: sqs.delete_queue(QueueUrl=url),
    "GetQueueAttributes": lambda sqs, url: sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["All"]
    ),
    "SetQueueAttributes": lambda sqs, url: sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"DelaySeconds": "1"}
    ),
    "SendMessageBatch": lambda sqs, url: sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}]
    ),
    "ReceiveMessage": lambda sqs, url: sqs.receive_message(QueueUrl=url),
    "DeleteMessage": lambda sqs, url: sqs.delete_message(QueueUrl=url, ReceiptHandle="abc"),
    "PurgeQueue": lambda sqs, url: sqs.purge_queue(QueueUrl=url),
    "ListQueueTags": lambda sqs, url: sqs.list_queue_tags(QueueUrl=url),
    "TagQueue": lambda sqs, url: sqs.tag_queue(QueueUrl=url, Tags={"k": "v"}),
    "UntagQueue": lambda sqs, url: sqs.untag_queue(QueueUrl=url, TagKeys=["k"]),
}


@pytest.mark.parametrize("operation", sorted(MISSING_QUEUE_CALLS))
def test_operations_on_a_missing_queue_fail_with_nonexistent_queue(
    sqs: Any, operation: str
) -> None:
    sqs.create_queue(QueueName="exists")
    with pytest.raises(ClientError) as excinfo:
        MISSING_QUEUE_CALLS[operation](sqs, missing_url(sqs))
    assert error_code(excinfo) == "AWS.SimpleQueueService.NonExistentQueue"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# listing


def test_list_queues_returns_at_most_1000_urls(sqs: Any) -> None:
    for i in range(1001):
        sqs.create_queue(QueueName=f"many-{i:04d}")
    sqs.create_queue(QueueName="other")
    assert len(sqs.list_queues()["QueueUrls"]) == 1000
    assert len(sqs.list_queues(QueueNamePrefix="many")["QueueUrls"]) == 1000


# tags


def test_a_rejected_tag_request_changes_no_tags(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q", tags={"kept": "yes"})["QueueUrl"]
    with pytest.raises(ClientError):
        sqs.tag_queue(QueueUrl=url, Tags={f"k{i}": "v" for i in range(50)})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"kept": "yes"}


# permissions


def test_add_permission_writes_one_statement_per_label(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    arn = arn_of(sqs, url)
    sqs.add_permission(QueueUrl=url, Label="one", AWSAccountIds=["111111111111"], Actions=["*"])
    sqs.add_permission(
        QueueUrl=url, Label="two", AWSAccountIds=["222211111111"], Actions=["SendMessage"]
    )
    policy = json.loads(attributes(sqs, url, "Policy")["Policy"])
    assert policy["Version"] == "2012-10-17"
    assert policy["Id"] == f"{arn}/SQSDefaultPolicy"
    assert sorted(policy["Statement"], key=lambda s: s["Sid"]) == [
        {
            "Sid": "one",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
            "Action": "SQS:*",
            "Resource": arn,
        },
        {
            "Sid": "two",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::222211111111:root"},
            "Action": "SQS:SendMessage",
            "Resource": arn,
        },
    ]
    sqs.remove_permission(QueueUrl=url, Label="two")
    policy = json.loads(attributes(sqs, url, "Policy")["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["one"]
    assert policy["Id"] == f"{arn}/SQSDefaultPolicy"


def test_add_permission_with_a_label_in_use_is_rejected(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sqs.add_permission(
        QueueUrl=url, Label="test", AWSAccountIds=["111111111111"], Actions=["ReceiveMessage"]
    )
    with pytest.raises(ClientError) as excinfo:
        sqs.add_permission(
            QueueUrl=url,
            Label="test",
            AWSAccountIds=["111111111111"],
            Actions=["ReceiveMessage", "SendMessage"],
        )
    assert error_code(excinfo) == "InvalidParameterValue"


@pytest.mark.parametrize(
    ("accounts", "actions"),
    [(["111111111111"], []), ([], ["ReceiveMessage"])],
    ids=["no-actions", "no-accounts"],
)
def test_add_permission_needs_accounts_and_actions(
    sqs: Any, accounts: list[str], actions: list[str]
) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError):
        sqs.add_permission(QueueUrl=url, Label="x", AWSAccountIds=accounts, Actions=actions)
    assert "Policy" not in attributes(sqs, url)


def test_add_permission_allows_at_most_seven_actions(sqs: Any) -> None:
    """AWS: "An Amazon SQS policy can have a maximum of seven actions per statement"."""
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    eight = [
        "ChangeMessageVisibility",
        "DeleteMessage",
        "GetQueueAttributes",
        "GetQueueUrl",
        "ListDeadLetterSourceQueues",
        "PurgeQueue",
        "ReceiveMessage",
        "SendMessage",
    ]
    with pytest.raises(ClientError) as excinfo:
        sqs.add_permission(QueueUrl=url, Label="x", AWSAccountIds=["111111111111"], Actions=eight)
    assert error_code(excinfo) == "OverLimit"
    sqs.add_permission(QueueUrl=url, Label="x", AWSAccountIds=["111111111111"], Actions=eight[:7])


def test_remove_permission_with_an_unknown_label_is_rejected(sqs: Any) -> None:
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    with pytest.raises(ClientError) as excinfo:
        sqs.remove_permission(QueueUrl=url, Label="test")
    assert error_code(excinfo) == "InvalidParameterValue"
