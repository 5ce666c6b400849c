"""Lambda's asynchronous invocation: the durable queue, its retry schedule on the cloud's
ManualClock, and records delivered through boto3 to the local cloud (Gearbox's SQS, moto's
SNS and EventBridge).

The functions are a test double (``Functions``: a plain Python callable per function) so the
schedule is exact; the path through real execution environments is tested with the Lambda
API. AWS rules: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
and https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html.

SNS and EventBridge are moto's, and moto delivers to moto's own SQS, not Gearbox's, so for
those destinations the tests check that Publish / PutEvents succeed (and fail for a
destination that does not exist), not what a subscriber receives.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gearbox.clock import ManualClock
from gearbox.local.cloud import LocalCloud
from gearbox.local.functions.model import Invocation, InvokeResult, Throttled
from gearbox.local.sinks.async_queue import AsyncInvokeQueue
from gearbox.local.sinks.config import EventInvokeConfig
from gearbox.local.sinks.deliver import BotoDeliverer, DeliveryError
from gearbox.local.sinks.lineage import hops, next_trace_header
from gearbox.local.sinks.records import timestamp
from tests.conftest import CREDENTIALS, REGION

ACCOUNT = "123456789012"
SAMPLES = Path(__file__).parents[1] / "unit" / "samples"

Handler = Callable[[Any], Any]


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


class Functions:
    """The queue's ``AsyncTarget``: each function is a Python callable of the event; it may
    raise ``Throttled``; any other exception is a function error, shaped as Lambda's."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.configs: dict[str, EventInvokeConfig] = {}
        self.handlers: dict[str, Handler] = {}
        self.calls: list[tuple[str, float, Invocation]] = []

    def add(self, name: str, handler: Handler, **settings: Any) -> str:
        arn = function_arn(name)
        self.configs[arn] = EventInvokeConfig(function_arn=arn, **settings)
        self.handlers[arn] = handler
        return arn

    def times(self, arn: str, start: float) -> list[float]:
        return [at - start for name, at, _ in self.calls if name == arn]

    def event_config(self, function_name: str) -> EventInvokeConfig | None:
        return self.configs.get(function_name)

    async def invoke(self, function_name: str, invocation: Invocation) -> InvokeResult:
        self.calls.append((function_name, self.clock.now(), invocation))
        try:
            answer = self.handlers[function_name](json.loads(invocation.payload))
        except Throttled:
            raise
        except Exception as exc:
            error = {"errorMessage": str(exc), "errorType": type(exc).__name__, "stackTrace": []}
            return result(invocation, json.dumps(error).encode(), "Unhandled")
        return result(invocation, json.dumps(answer).encode(), None)


def result(invocation: Invocation, payload: bytes, function_error: str | None) -> InvokeResult:
    return InvokeResult(
        request_id=invocation.request_id,
        payload=payload,
        function_error=function_error,
        log="",
        duration_ms=1.0,
        billed_ms=1,
        max_memory_mb=32,
    )


def fail(event: Any) -> Any:
    raise ValueError(f"boom {event['order']}")


def throttled(_: Any) -> Any:
    raise Throttled("ReservedFunctionConcurrentInvocationLimitExceeded")


@pytest.fixture
def functions(clock: ManualClock) -> Functions:
    return Functions(clock)


def boto_deliverer(
    cloud: LocalCloud, enqueue_lambda: Callable[[str, bytes], None]
) -> BotoDeliverer:
    return BotoDeliverer(
        cloud.endpoint_url,
        REGION,
        CREDENTIALS["aws_access_key_id"],
        CREDENTIALS["aws_secret_access_key"],
        enqueue_lambda=enqueue_lambda,
    )


@pytest.fixture
def deliverer(cloud: LocalCloud) -> BotoDeliverer:
    """A deliverer on its own, for SNS and EventBridge (no Lambda destinations)."""

    def no_lambda(arn: str, payload: bytes) -> None:
        raise AssertionError(f"unexpected Lambda destination {arn}")

    return boto_deliverer(cloud, no_lambda)


@pytest.fixture
def open_queue(
    tmp_path: Path, cloud: LocalCloud, clock: ManualClock, functions: Functions
) -> Iterator[Callable[[], AsyncInvokeQueue]]:
    """``open_queue()``: the async queue on one SQLite file, delivering through boto3 to the
    local cloud; opened again after a close, it is the same queue after a restart. A Lambda
    destination is an async invoke through the latest queue, as the Lambda service wires it."""
    opened: list[AsyncInvokeQueue] = []

    def enqueue_lambda(arn: str, payload: bytes) -> None:
        opened[-1].enqueue(arn, payload, str(uuid.uuid4()), None)

    deliver = boto_deliverer(cloud, enqueue_lambda)

    def make() -> AsyncInvokeQueue:
        queue = AsyncInvokeQueue(tmp_path / "lambda-async.db", clock, functions, deliver)
        opened.append(queue)
        return queue

    yield make
    for queue in opened:
        queue.close()


@pytest.fixture
def queue(open_queue: Callable[[], AsyncInvokeQueue]) -> AsyncInvokeQueue:
    return open_queue()


def step(queue: AsyncInvokeQueue) -> int:
    return asyncio.run(queue.step())


def make_queue(sqs: Any, name: str) -> tuple[str, str]:
    url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, str(arn["QueueArn"])


def received(sqs: Any, url: str) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )
    return list(answer.get("Messages", []))


def only_record(sqs: Any, url: str) -> dict[str, Any]:
    messages = received(sqs, url)
    assert len(messages) == 1
    return dict(json.loads(messages[0]["Body"]))


def keys_like_aws(record: dict[str, Any], sample_name: str) -> None:
    """Same fields, in the same order, as AWS's sample record, at every level."""
    sample = json.loads((SAMPLES / sample_name).read_text())
    assert list(record) == list(sample)
    for part in ("requestContext", "responseContext"):
        assert list(record[part]) == list(sample[part])


def run_until_done(queue: AsyncInvokeQueue, clock: ManualClock, arn: str, limit: float) -> None:
    """Step the queue a second of clock time at a time until the function has no events."""
    start = clock.now()
    step(queue)
    while queue.pending(arn) and clock.now() - start <= limit:
        clock.advance(1)
        step(queue)
    assert queue.pending(arn) == 0


# the retry schedule


def test_a_failing_function_runs_three_times_then_its_record_goes_on_failure(
    sqs: Any, clock: ManualClock, functions: Functions, queue: AsyncInvokeQueue
) -> None:
    failures_url, failures_arn = make_queue(sqs, "failures")
    arn = functions.add("worker", fail, on_failure=failures_arn)
    start = clock.now()
    queue.enqueue(arn, b'{"order": 7}', "req-1", None)

    assert queue.pending(arn) == 1
    assert step(queue) == 1
    clock.advance(59)
    assert step(queue) == 0
    clock.advance(1)
    assert step(queue) == 1
    clock.advance(119)
    assert step(queue) == 0
    assert received(sqs, failures_url) == []
    clock.advance(1)
    assert step(queue) == 1

    assert functions.times(arn, start) == [0, 60, 180]
    assert queue.pending(arn) == 0
    assert {invocation.request_id for _, _, invocation in functions.calls} == {"req-1"}
    record = only_record(sqs, failures_url)
    keys_like_aws(record, "lambda_destination_retries_exhausted.json")
    assert record["version"] == "1.0"
    assert record["timestamp"] == timestamp(start + 180)
    assert record["requestContext"] == {
        "requestId": "req-1",
        "functionArn": f"{arn}:$LATEST",
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 3,
    }
    assert record["requestPayload"] == {"order": 7}
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorMessage"] == "boom 7"
    assert record["responsePayload"]["errorType"] == "ValueError"


def test_success_goes_to_on_success(
    sqs: Any, clock: ManualClock, functions: Functions, queue: AsyncInvokeQueue
) -> None:
    success_url, success_arn = make_queue(sqs, "successes")
    failures_url, failures_arn = make_queue(sqs, "failures")
    arn = functions.add(
        "worker", lambda e: {"doubled": e["n"] * 2}, on_success=success_arn, on_failure=failures_arn
    )
    queue.enqueue(arn, b'{"n": 21}', "req-ok", None)

    assert step(queue) == 1

    record = only_record(sqs, success_url)
    assert list(record) == list(
        json.loads((SAMPLES / "lambda_destination_success.json").read_text())
    )
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == {"n": 21}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"doubled": 42}
    assert received(sqs, failures_url) == []


def test_maximum_retry_attempts_zero_fails_after_one_run(
    sqs: Any, clock: ManualClock, functions: Functions, queue: AsyncInvokeQueue
) -> None:
    failures_url, failures_arn = make_queue(sqs, "failures")
    arn = functions.add("worker", fail, maximum_retry_attempts=0, on_failure=failures_arn)
    queue.enqueue(arn, b'{"order": 1}', "req-0", None)

    assert step(queue) == 1

    assert queue.pending(arn) == 0
    record = only_record(sqs, failures_url)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1


def test_throttled_until_the_event_is_too_old(
    sqs: Any, clock: ManualClock, functions: Functions, queue: AsyncInvokeQueue
) -> None:
    failures_url, failures_arn = make_queue(sqs, "failures")
    dlq_url, dlq_arn = make_queue(sqs, "dlq")
    arn = functions.add(
        "busy",
        throttled,
        maximum_event_age_seconds=60,
        on_failure=failures_arn,
        dead_letter_arn=dlq_arn,
    )
    start = clock.now()
    queue.enqueue(arn, b'{"order": 2}', "req-429", None)

    run_until_done(queue, clock, arn, limit=120)

    assert functions.times(arn, start) == [0, 1, 3, 7, 15, 31, 60]
    record = only_record(sqs, failures_url)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    assert "responsePayload" not in record
    assert "responseContext" not in record
    (letter,) = received(sqs, dlq_url)
    assert letter["Body"] == '{"order": 2}'
    assert letter["MessageAttributes"]["ErrorCode"] == {"StringValue": "429", "DataType": "Number"}


def test_the_dead_letter_queue_gets_only_the_body_with_its_attributes(
    sqs: Any, clock: ManualClock, functions: Functions, queue: AsyncInvokeQueue
) -> None:
    """https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html:
    "Lambda sends the event to the dead-letter queue as-is, with additional information in
    attributes": RequestID (String), ErrorCode (Number), ErrorMessage (String)."""
    dlq_url, dlq_arn = make_queue(sqs, "dlq")
    arn = functions.add("worker", fail, maximum_retry_attempts=1, dead_letter_arn=dlq_arn)
    payload = b'{"order": 3,  "spaced":  true}'
    queue.enqueue(arn, payload, "req-dlq", None)

    step(queue)
    clock.advance(60)
    step(queue)

    (letter,) = received(sqs, dlq_url)
    assert letter["Body"] == payload.decode()  # as-is, not re-serialized
    assert letter["MessageAttributes"] == {
        "RequestID": {"StringValue": "req-dlq", "DataType": "String"},
        "ErrorCode": {"StringValue": "200", "DataType": "Number"},
        "ErrorMessage": {"StringValue": "boom 3", "DataType": "String"},
    }


# destinations other than SQS


def test_an_sns_topic_destination_is_published_to(
    client: Callable[..., Any],
    functions: Functions,
    queue: AsyncInvokeQueue,
    deliverer: BotoDeliverer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """moto's SNS delivers to moto's SQS, not Gearbox's: this checks Publish succeeds."""
    topic_arn = str(client("sns").create_topic(Name="results")["TopicArn"])
    arn = functions.add("worker", lambda e: e, on_success=topic_arn, dead_letter_arn=topic_arn)
    queue.enqueue(arn, b"{}", "req-sns", None)

    with caplog.at_level(logging.WARNING, logger="gearbox.local.sinks"):
        assert step(queue) == 1
    assert "could not deliver" not in caplog.text
    asyncio.run(deliverer.send(topic_arn, b"{}", {"RequestID": "r", "ErrorCode": "200"}))

    with pytest.raises(DeliveryError):
        asyncio.run(deliverer.send(topic_arn.replace("results", "missing"), {"a": 1}))


def test_an_event_bus_destination_gets_put_events(
    client: Callable[..., Any], deliverer: BotoDeliverer
) -> None:
    """moto's EventBridge: PutEvents with the record as Detail succeeds."""
    bus_arn = str(client("events").create_event_bus(Name="results")["EventBusArn"])
    record = {"version": "1.0", "requestContext": {"condition": "Success", "functionArn": "x"}}

    asyncio.run(deliverer.send(bus_arn, record))

    with pytest.raises(DeliveryError):
        asyncio.run(deliverer.send(bus_arn, b"a DLQ body is no event"))


def test_a_lambda_destination_is_an_async_invoke_of_that_function(
    functions: Functions, queue: AsyncInvokeQueue
) -> None:
    seen: list[Any] = []
    audit = functions.add("audit", seen.append)
    arn = functions.add("worker", fail, maximum_retry_attempts=0, on_failure=audit)
    queue.enqueue(arn, b'{"order": 4}', "req-w", None)

    assert step(queue) == 1
    assert queue.pending(audit) == 1
    assert step(queue) == 1

    (record,) = seen
    assert record["requestContext"]["functionArn"] == f"{arn}:$LATEST"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == {"order": 4}


# durability


def test_the_schedule_continues_after_a_restart(
    sqs: Any,
    clock: ManualClock,
    functions: Functions,
    open_queue: Callable[[], AsyncInvokeQueue],
) -> None:
    failures_url, failures_arn = make_queue(sqs, "failures")
    arn = functions.add("worker", fail, on_failure=failures_arn)
    start = clock.now()
    first = open_queue()
    first.enqueue(arn, b'{"order": 5}', "req-restart", None)
    step(first)
    first.close()

    clock.advance(60)
    second = open_queue()
    assert second.pending(arn) == 1
    assert step(second) == 1
    second.close()

    clock.advance(120)
    third = open_queue()
    assert step(third) == 1

    assert functions.times(arn, start) == [0, 60, 180]
    record = only_record(sqs, failures_url)
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["requestId"] == "req-restart"


def test_an_event_older_than_its_maximum_age_after_a_restart_is_not_run(
    sqs: Any, clock: ManualClock, functions: Functions, open_queue: Callable[[], AsyncInvokeQueue]
) -> None:
    failures_url, failures_arn = make_queue(sqs, "failures")
    dlq_url, dlq_arn = make_queue(sqs, "dlq")
    arn = functions.add("worker", fail, on_failure=failures_arn, dead_letter_arn=dlq_arn)
    first = open_queue()
    first.enqueue(arn, b'{"order": 8}', "req-old", None)
    first.close()

    clock.advance(21_600 + 1)  # down for longer than the default six hours
    assert step(open_queue()) == 1

    assert functions.calls == []
    record = only_record(sqs, failures_url)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 0
    (letter,) = received(sqs, dlq_url)
    assert letter["Body"] == '{"order": 8}'


def test_a_retry_picked_up_a_little_late_still_runs(
    sqs: Any, clock: ManualClock, functions: Functions, queue: AsyncInvokeQueue
) -> None:
    failures_url, failures_arn = make_queue(sqs, "failures")
    arn = functions.add("worker", fail, maximum_event_age_seconds=60, on_failure=failures_arn)
    start = clock.now()
    queue.enqueue(arn, b'{"order": 9}', "req-late", None)
    step(queue)
    clock.advance(62)  # the retry was due at 60 s, the event's maximum age
    step(queue)

    assert functions.times(arn, start) == [0, 62]
    record = only_record(sqs, failures_url)
    assert record["requestContext"]["condition"] == "EventAgeExceeded"
    assert record["requestContext"]["approximateInvokeCount"] == 2


class ProcessDied(BaseException):
    """Stands for the process being killed in the middle of an invocation."""


def test_an_event_being_invoked_when_the_process_dies_runs_again_after_restart(
    sqs: Any, clock: ManualClock, functions: Functions, open_queue: Callable[[], AsyncInvokeQueue]
) -> None:
    success_url, success_arn = make_queue(sqs, "successes")
    runs: list[int] = []

    def dies_the_first_time(event: Any) -> Any:
        runs.append(1)
        if len(runs) == 1:
            raise ProcessDied
        return "done"

    arn = functions.add("worker", dies_the_first_time, on_success=success_arn)
    first = open_queue()
    first.enqueue(arn, b"{}", "req-crash", None)
    with pytest.raises(ProcessDied):
        step(first)
    first.close()

    second = open_queue()
    assert second.pending(arn) == 1
    assert step(second) == 1

    assert len(runs) == 2
    record = only_record(sqs, success_url)
    assert record["requestContext"]["condition"] == "Success"
    assert record["responsePayload"] == "done"


def test_run_forever_wakes_on_enqueue(functions: Functions, queue: AsyncInvokeQueue) -> None:
    async def scenario() -> None:
        ran = asyncio.Event()
        arn = functions.add("worker", lambda e: ran.set())
        runner = asyncio.create_task(queue.run_forever(poll_seconds=60))
        await asyncio.sleep(0)  # let it reach its wait
        queue.enqueue(arn, b"{}", "req-wake", None)
        await asyncio.wait_for(ran.wait(), timeout=10)
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner

    asyncio.run(scenario())


# recursive loop detection


def test_an_event_that_looped_16_times_is_stopped_and_sent_on_failure(
    sqs: Any,
    functions: Functions,
    queue: AsyncInvokeQueue,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures_url, failures_arn = make_queue(sqs, "failures")
    dlq_url, dlq_arn = make_queue(sqs, "dlq")
    arn = functions.add("loop", lambda e: e, on_failure=failures_arn, dead_letter_arn=dlq_arn)
    header = None
    for _ in range(15):
        header = next_trace_header(header, arn)
    queue.enqueue(arn, b'{"hop": 16}', "req-16", header)
    step(queue)
    (_, _, sixteenth) = functions.calls[-1]
    assert hops(sixteenth.trace_id, arn) == 16  # the 16th run is allowed

    queue.enqueue(arn, b'{"hop": 17}', "req-17", sixteenth.trace_id)
    with caplog.at_level(logging.WARNING, logger="gearbox.local.sinks"):
        assert step(queue) == 1

    assert len(functions.calls) == 1  # the 17th is not run
    assert "recursive loop" in caplog.text
    record = only_record(sqs, failures_url)
    assert record["requestPayload"] == {"hop": 17}
    assert record["requestContext"]["approximateInvokeCount"] == 0
    (letter,) = received(sqs, dlq_url)
    assert letter["MessageAttributes"]["ErrorCode"]["StringValue"] == "400"


def test_an_event_of_a_deleted_function_is_dropped(
    functions: Functions, queue: AsyncInvokeQueue
) -> None:
    arn = functions.add("gone", lambda e: e)
    queue.enqueue(arn, b"{}", "req-gone", None)
    del functions.configs[arn]

    assert step(queue) == 1
    assert queue.pending(arn) == 0
    assert functions.calls == []
