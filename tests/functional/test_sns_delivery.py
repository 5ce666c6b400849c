"""SNS delivery through boto3: Publish and PublishBatch reach Gearbox's SQS, Lambda and HTTP
subscribers in AWS's shapes; filter policies, raw delivery, retries and dead-letter queues."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gearbox.clock import ManualClock
from tests.functional.lambda_helpers import allow_invoke, create_recorder
from tests.functional.sqs_helpers import allow_sns, arn_of
from tests.functional.test_lambda_async import one_message
from tests.waiting import journaled, wait_for

ACCOUNT = "123456789012"


@pytest.fixture
def sns(client: Any) -> Any:
    return client("sns")


def subscribed_queue(sns: Any, sqs: Any, topic: str, name: str, **attributes: str) -> str:
    url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
    extra = {"Attributes": attributes} if attributes else {}
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=allow_sns(sqs, url, topic), **extra)
    return url


def drained(sqs: Any, url: str, count: int) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []

    def receive() -> bool:
        for message in sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        ).get("Messages", []):
            got.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return len(got) >= count

    wait_for(receive)
    return got


def empty(sqs: Any, url: str) -> bool:
    return not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")


def test_sqs_subscription_gets_the_envelope(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url = subscribed_queue(sns, sqs, topic, "orders-q")
    [subscription] = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    sent = sns.publish(
        TopicArn=topic,
        Message="hello",
        Subject="greeting",
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "order"},
            "count": {"DataType": "Number", "StringValue": "3"},
        },
    )
    body = json.loads(one_message(sqs, url)["Body"])
    assert body["Type"] == "Notification"
    assert body["MessageId"] == sent["MessageId"]
    assert body["TopicArn"] == topic
    assert body["Subject"] == "greeting"
    assert body["Message"] == "hello"
    assert body["Timestamp"] == "2026-01-01T00:00:00.000Z"  # the ManualClock's start
    assert body["SignatureVersion"] == "1"
    assert body["Signature"]
    assert body["SigningCertURL"].endswith(".pem")
    assert body["UnsubscribeURL"].endswith(
        f"Action=Unsubscribe&SubscriptionArn={subscription['SubscriptionArn']}"
    )
    assert body["MessageAttributes"] == {
        "kind": {"Type": "String", "Value": "order"},
        "count": {"Type": "Number", "Value": "3"},
    }


def test_raw_delivery_keeps_the_message_and_maps_attributes(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name="raw")["TopicArn"]
    url = subscribed_queue(sns, sqs, topic, "raw-q", RawMessageDelivery="true")
    sns.publish(
        TopicArn=topic,
        Message='{"plain": true}',
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "order"},
            "price": {"DataType": "Number", "StringValue": "9.5"},
            "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    message = one_message(sqs, url)
    assert message["Body"] == '{"plain": true}'
    attributes = message["MessageAttributes"]
    assert attributes["kind"] == {"StringValue": "order", "DataType": "String"}
    assert attributes["price"] == {"StringValue": "9.5", "DataType": "Number"}
    assert attributes["blob"] == {"BinaryValue": b"\x00\x01", "DataType": "Binary"}


def test_filter_policies_drop_messages_for_that_subscription_only(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name="filtered")["TopicArn"]
    everything = subscribed_queue(sns, sqs, topic, "all-q")
    by_attribute = subscribed_queue(
        sns,
        sqs,
        topic,
        "attr-q",
        FilterPolicy=json.dumps({"kind": ["order"], "price": [{"numeric": [">", 10]}]}),
    )
    by_body = subscribed_queue(
        sns,
        sqs,
        topic,
        "body-q",
        FilterPolicy=json.dumps({"customer": {"tier": [{"prefix": "gold"}]}}),
        FilterPolicyScope="MessageBody",
    )

    def publish(message: dict[str, Any], kind: str, price: str) -> None:
        sns.publish(
            TopicArn=topic,
            Message=json.dumps(message),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": kind},
                "price": {"DataType": "Number", "StringValue": price},
            },
        )

    publish({"n": 1, "customer": {"tier": "gold"}}, "order", "5")
    publish({"n": 2, "customer": {"tier": "silver"}}, "order", "50")
    publish({"n": 3, "customer": {"tier": "gold-plus"}}, "refund", "50")

    def numbers(url: str, count: int) -> list[int]:
        found = [
            json.loads(json.loads(m["Body"])["Message"])["n"] for m in drained(sqs, url, count)
        ]
        return sorted(found)

    assert numbers(everything, 3) == [1, 2, 3]
    assert numbers(by_attribute, 1) == [2]
    assert numbers(by_body, 2) == [1, 3]
    assert empty(sqs, by_attribute)
    assert empty(sqs, by_body)


def test_filter_policy_limits_are_refused(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name="limits")["TopicArn"]
    url = sqs.create_queue(QueueName="limits-q")["QueueUrl"]
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_of(sqs, url))[
        "SubscriptionArn"
    ]
    for policy, reason in [
        ({k: ["x"] for k in "abcdef"}, "can not have more than 5 keys"),
        ({"a": list(range(10)), "b": list(range(16))}, "too complex"),
        ({"a": [{"numeric": [">", "x"]}]}, "must be numeric"),
        ({"a": [{"regex": "x"}]}, "Unrecognized match type regex"),
    ]:
        with pytest.raises(ClientError) as excinfo:
            sns.set_subscription_attributes(
                SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue=json.dumps(policy)
            )
        error = excinfo.value.response["Error"]
        assert error["Code"] == "InvalidParameter"
        assert error["Message"].startswith("Invalid parameter: ")
        assert reason in error["Message"]


def test_lambda_subscription_gets_the_sns_event(sns: Any, sqs: Any, client: Any) -> None:
    lam = client("lambda")
    results = sqs.create_queue(QueueName="results")["QueueUrl"]
    function = create_recorder(lam, "on-message", results)
    topic = sns.create_topic(Name="to-lambda")["TopicArn"]
    allow_invoke(lam, "on-message", "sns.amazonaws.com", topic)
    subscription = sns.subscribe(
        TopicArn=topic, Protocol="lambda", Endpoint=function["FunctionArn"]
    )["SubscriptionArn"]
    sent = sns.publish(
        TopicArn=topic,
        Message="for the function",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "x"}},
    )
    [record] = json.loads(one_message(sqs, results)["Body"])["Records"]
    assert record["EventSource"] == "aws:sns"
    assert record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == subscription
    event = record["Sns"]
    assert event["MessageId"] == sent["MessageId"]
    assert event["Message"] == "for the function"
    assert event["Subject"] is None
    assert event["MessageAttributes"] == {"kind": {"Type": "String", "Value": "x"}}
    assert "SigningCertUrl" in event and "UnsubscribeUrl" in event


def test_publish_batch_delivers_each_entry(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name="batch")["TopicArn"]
    url = subscribed_queue(sns, sqs, topic, "batch-q", RawMessageDelivery="true")
    answer = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {
                "Id": f"e{i}",
                "Message": f"message {i}",
                "MessageAttributes": {"i": {"DataType": "Number", "StringValue": str(i)}},
            }
            for i in range(3)
        ],
    )
    assert len(answer["Successful"]) == 3
    got = drained(sqs, url, 3)
    assert sorted(m["Body"] for m in got) == ["message 0", "message 1", "message 2"]
    assert sorted(m["MessageAttributes"]["i"]["StringValue"] for m in got) == ["0", "1", "2"]


class _Recorder(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.received.append((dict(self.headers.items()), self.rfile.read(length)))
        self.send_response(500 if "status=500" in self.path else 200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_endpoint() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []
    handler = type("Recorder", (_Recorder,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def test_http_subscriber_receives_the_post_with_headers(
    sns: Any, http_endpoint: tuple[str, list[tuple[dict[str, str], bytes]]]
) -> None:
    endpoint, received = http_endpoint
    topic = sns.create_topic(Name="to-http")["TopicArn"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint)[
        "SubscriptionArn"
    ]
    sent = sns.publish(TopicArn=topic, Message="over http", Subject="s")
    wait_for(lambda: received)
    [(headers, body)] = received
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower["x-amz-sns-message-type"] == "Notification"
    assert lower["x-amz-sns-message-id"] == sent["MessageId"]
    assert lower["x-amz-sns-topic-arn"] == topic
    assert lower["x-amz-sns-subscription-arn"] == subscription
    assert lower["content-type"].startswith("text/plain")
    envelope = json.loads(body)
    assert envelope["Message"] == "over http"
    assert envelope["MessageId"] == sent["MessageId"]
    assert envelope["Subject"] == "s"


def _refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_http_endpoint_dead_letters_after_the_retries(
    sns: Any, sqs: Any, clock: ManualClock
) -> None:
    topic = sns.create_topic(Name="flaky")["TopicArn"]
    dlq = sqs.create_queue(QueueName="flaky-dlq")["QueueUrl"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="http",
        Endpoint=f"http://127.0.0.1:{_refused_port()}/never",
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": allow_sns(sqs, dlq, topic)})
        },
    )
    sent = sns.publish(TopicArn=topic, Message="lost?")
    # AWS's default HTTP policy: 3 retries, 20 s apart; nothing arrives before they are spent
    assert empty(sqs, dlq)
    body = json.loads(dead_letter(sqs, dlq, clock)["Body"])
    assert body["MessageId"] == sent["MessageId"]
    assert body["Message"] == "lost?"


def dead_letter(sqs: Any, dlq: str, clock: ManualClock) -> dict[str, Any]:
    """The one message of ``dlq``, moving the clock 20 s on while waiting for it."""

    def advance_and_receive() -> list[dict[str, Any]]:
        clock.advance(20)
        return list(sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=0).get("Messages", []))

    [message] = wait_for(advance_and_receive)
    return dict(message)


def test_failing_http_endpoint_is_tried_four_times_then_dead_lettered(
    sns: Any,
    sqs: Any,
    clock: ManualClock,
    http_endpoint: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    endpoint, received = http_endpoint
    topic = sns.create_topic(Name="broken")["TopicArn"]
    dlq = sqs.create_queue(QueueName="broken-dlq")["QueueUrl"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="http",
        Endpoint=endpoint + "?status=500",
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": allow_sns(sqs, dlq, topic)})
        },
    )
    sns.publish(TopicArn=topic, Message="fails")
    wait_for(lambda: received)
    assert empty(sqs, dlq)
    assert len(received) == 1
    assert json.loads(dead_letter(sqs, dlq, clock)["Body"])["Message"] == "fails"
    assert len(received) == 4  # the first attempt and AWS's 3 retries
    ids = {{k.lower(): v for k, v in h.items()}["x-amz-sns-message-id"] for h, _ in received}
    assert len(ids) == 1  # a retry keeps the message ID


def test_missing_queue_goes_to_the_dead_letter_queue(sns: Any, sqs: Any, cloud: Any) -> None:
    topic = sns.create_topic(Name="gone")["TopicArn"]
    dlq = sqs.create_queue(QueueName="gone-dlq")["QueueUrl"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=f"arn:aws:sqs:us-east-1:{ACCOUNT}:no-such-queue",
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": allow_sns(sqs, dlq, topic)})
        },
    )
    message_id = sns.publish(TopicArn=topic, Message="where to?")["MessageId"]
    assert json.loads(one_message(sqs, dlq)["Body"])["Message"] == "where to?"
    [moved] = journaled(cloud, "dead-letter")
    assert moved["message_id"] == message_id
    assert moved["queue"].startswith(f"{topic}:")  # the subscription
    assert moved["dead_letter_queue"] == f"arn:aws:sqs:us-east-1:{ACCOUNT}:gone-dlq"
    assert "no-such-queue" in moved["reason"]


def test_a_message_no_queue_takes_is_journaled(sns: Any, sqs: Any, cloud: Any) -> None:
    """No dead-letter queue, and a queue whose policy does not let SNS send: dropped, as on
    AWS, and the journal says so."""
    topic = sns.create_topic(Name="nowhere")["TopicArn"]
    url = sqs.create_queue(QueueName="closed")["QueueUrl"]
    subscription = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn_of(sqs, url))
    message_id = sns.publish(TopicArn=topic, Message="lost")["MessageId"]
    [dropped] = journaled(cloud, "undelivered")
    assert dropped == {
        "source": f"sns:{topic}",
        "destination": subscription["SubscriptionArn"],
        "event": f"message {message_id}",
        "reason": dropped["reason"],
    }
    assert "policy" in dropped["reason"]
    assert empty(sqs, url)


def test_publish_to_a_deleted_topic_is_not_found(sns: Any) -> None:
    topic = sns.create_topic(Name="short-lived")["TopicArn"]
    sns.delete_topic(TopicArn=topic)
    with pytest.raises(ClientError) as excinfo:
        sns.publish(TopicArn=topic, Message="anyone?")
    error = excinfo.value.response["Error"]
    assert error["Code"] == "NotFound"
    assert error["Message"] == "Topic does not exist"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_binary_attribute_round_trip_in_envelope(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name="binary")["TopicArn"]
    url = subscribed_queue(sns, sqs, topic, "binary-q")
    sns.publish(
        TopicArn=topic,
        Message="m",
        MessageAttributes={"blob": {"DataType": "Binary", "BinaryValue": b"\x01\x02"}},
    )
    body = json.loads(one_message(sqs, url)["Body"])
    assert body["MessageAttributes"]["blob"]["Type"] == "Binary"
    assert base64.b64decode(body["MessageAttributes"]["blob"]["Value"]) == b"\x01\x02"


def test_fifo_topic_to_fifo_queue_keeps_groups_and_order(sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(
        Name="orders.fifo",
        Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"},
    )["TopicArn"]
    url = sqs.create_queue(
        QueueName="orders-sub.fifo",
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    arn = allow_sns(sqs, url, topic)
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    for i in range(3):
        sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g")
    messages = drained(sqs, url, 3)
    assert [m["Body"] for m in messages] == ["m0", "m1", "m2"]


def test_numeric_range_and_anything_but_route_exactly_the_matching_messages(
    sns: Any, sqs: Any
) -> None:
    topic = sns.create_topic(Name="ranges")["TopicArn"]
    url = subscribed_queue(
        sns,
        sqs,
        topic,
        "range-q",
        FilterPolicy=json.dumps(
            {
                "price": [{"numeric": [">=", 10, "<", 20]}],
                "region": [{"anything-but": ["eu-west-1", "eu-central-1"]}],
            }
        ),
    )
    cases = [
        (5, "us-east-1"),
        (10, "us-east-1"),
        (15, "eu-west-1"),
        (19.5, "ap-south-1"),
        (20, "us-east-1"),
        (12, "eu-central-1"),
    ]
    for n, (price, region) in enumerate(cases):
        sns.publish(
            TopicArn=topic,
            Message=str(n),
            MessageAttributes={
                "price": {"DataType": "Number", "StringValue": str(price)},
                "region": {"DataType": "String", "StringValue": region},
            },
        )
    got = sorted(json.loads(m["Body"])["Message"] for m in drained(sqs, url, 2))
    assert got == ["1", "3"]
    assert empty(sqs, url)


def test_a_queue_whose_policy_does_not_let_sns_send_gets_nothing(sns: Any, sqs: Any) -> None:
    """A client-side error on AWS: not retried; to the subscription's DLQ, which needs the
    policy too."""
    topic = sns.create_topic(Name="unpermitted")["TopicArn"]
    other = sns.create_topic(Name="other-topic")["TopicArn"]
    url = sqs.create_queue(QueueName="unpermitted-q")["QueueUrl"]
    allow_sns(sqs, url, other)  # a policy, but for another topic
    dlq = sqs.create_queue(QueueName="unpermitted-dlq")["QueueUrl"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn_of(sqs, url),
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": allow_sns(sqs, dlq, topic)})
        },
    )
    sns.publish(TopicArn=topic, Message="not for that queue")
    assert json.loads(one_message(sqs, dlq)["Body"])["Message"] == "not for that queue"
    assert empty(sqs, url)


def test_a_function_that_does_not_let_sns_invoke_it_is_not_invoked(
    sns: Any, sqs: Any, client: Any
) -> None:
    lam = client("lambda")
    results = sqs.create_queue(QueueName="never")["QueueUrl"]
    function = create_recorder(lam, "unpermitted-fn", results)
    topic = sns.create_topic(Name="to-unpermitted")["TopicArn"]
    dlq = sqs.create_queue(QueueName="to-unpermitted-dlq")["QueueUrl"]
    sns.subscribe(
        TopicArn=topic,
        Protocol="lambda",
        Endpoint=function["FunctionArn"],
        Attributes={
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": allow_sns(sqs, dlq, topic)})
        },
    )
    sns.publish(TopicArn=topic, Message="knock")
    assert json.loads(one_message(sqs, dlq)["Body"])["Message"] == "knock"
    assert empty(sqs, results)
