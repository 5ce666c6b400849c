"""The demo behind ``make demo``: the local cloud, a real message through a durable queue,
and a Lambda function run by AWS's own runtime interface client.

It starts ``gearbox up`` as a user would (a separate process on 127.0.0.1), then drives it
with boto3 and the aws command line: a queue with a dead-letter queue, a message sent,
received and deleted, a poison message redriven to the DLQ after maxReceiveCount receives,
a function created from a zip and invoked synchronously and asynchronously (its result
delivered to an on-success destination queue), and a restart of the local cloud that keeps
every message and function.
"""

from __future__ import annotations

import base64
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import boto3

BIN = Path(sys.executable).parent
STATE_DIR = Path(".gearbox") / "demo"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(port: int) -> subprocess.Popen[str]:
    command = [str(BIN / "gearbox"), "up", "--port", str(port), "--state-dir", str(STATE_DIR)]
    print("$", " ".join(["gearbox", *command[1:]]))
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    print("  ", process.stdout.readline().strip())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit("gearbox up failed to start") from None
            time.sleep(0.05)
    raise SystemExit("gearbox up did not start listening")


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=20)


HANDLER = """
import os

def handler(event, context):
    name = os.path.basename(event["key"])
    return {"name": name, "extension": os.path.splitext(name)[1], "by": context.function_name}
"""


def handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


def step(title: str) -> None:
    print(f"\n== {title}")


def main() -> None:
    shutil.rmtree(STATE_DIR, ignore_errors=True)
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    step("start the local cloud (no Docker, no AWS account)")
    process = start(port)
    try:
        sqs: Any = boto3.client(
            "sqs",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="demo",
            aws_secret_access_key="demo",
        )
        step("a queue with a dead-letter queue (maxReceiveCount 2)")
        dlq = sqs.create_queue(QueueName="uploads-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        queue = sqs.create_queue(
            QueueName="uploads",
            Attributes={
                "VisibilityTimeout": "1",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
            },
        )["QueueUrl"]
        print("  ", queue)

        step("send one message, receive it, delete it")
        sent = sqs.send_message(
            QueueUrl=queue,
            MessageBody='{"key": "photos/cat.jpg"}',
            MessageAttributes={"bucket": {"DataType": "String", "StringValue": "uploads"}},
        )
        print("   sent", sent["MessageId"], "md5", sent["MD5OfMessageBody"])
        [message] = sqs.receive_message(
            QueueUrl=queue, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
        )["Messages"]
        print(
            "   received",
            message["Body"],
            "receive count",
            message["Attributes"]["ApproximateReceiveCount"],
        )
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        print("   deleted")

        step("a poison message: received twice, never deleted, then dead-lettered")
        sqs.send_message(QueueUrl=queue, MessageBody="poison")
        for attempt in (1, 2):
            got = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=2)["Messages"]
            print(f"   attempt {attempt}: got {got[0]['Body']!r}; the handler fails, no delete")
        time.sleep(1.1)
        assert "Messages" not in sqs.receive_message(QueueUrl=queue)
        dead = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"]
        print(
            "   in the DLQ:",
            dead[0]["Body"],
            "from",
            dead[0]["Attributes"]["DeadLetterQueueSourceArn"],
        )

        step("the aws command line works unchanged")
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "demo",
            "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        command = ["aws", "--endpoint-url", endpoint, "sqs", "list-queues"]
        print("$", " ".join(command))
        listed = subprocess.run(
            [str(BIN / "aws"), *command[1:]], env=env, check=True, capture_output=True, text=True
        )
        print("  ", json.loads(listed.stdout)["QueueUrls"])

        lam = lambda_steps(sqs, endpoint)

        step("restart the local cloud: queues live in SQLite under .gearbox/")
        for i in range(3):
            sqs.send_message(QueueUrl=queue, MessageBody=f"job {i}")
        stop(process)
        print("   stopped")
        process = start(port)
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
        print("   after the restart:", sorted(m["Body"] for m in messages))
        assert sorted(m["Body"] for m in messages) == ["job 0", "job 1", "job 2"]
        again = lam.invoke(FunctionName="extract", Payload=json.dumps({"key": "a/b.txt"}))
        print("   the function too:", again["Payload"].read().decode())
    finally:
        stop(process)
    print("\nDone: the local cloud worked end to end. Next: `make test`.")


def lambda_steps(sqs: Any, endpoint: str) -> Any:
    """Create a function from a zip, invoke it, then invoke it asynchronously."""
    step("a Lambda function: created from a zip, run by awslambdaric")
    lam: Any = boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="demo",
        aws_secret_access_key="demo",
    )
    lam.create_function(
        FunctionName="extract",
        Runtime="python3.11",
        Handler="app.handler",
        Role="arn:aws:iam::123456789012:role/extract",
        Code={"ZipFile": handler_zip()},
    )
    response = lam.invoke(
        FunctionName="extract", LogType="Tail", Payload=json.dumps({"key": "photos/cat.jpg"})
    )
    print("   response:", response["Payload"].read().decode())
    report = base64.b64decode(response["LogResult"]).decode().strip().splitlines()[-1]
    print("  ", report)
    done = sqs.create_queue(QueueName="extract-done")["QueueUrl"]
    lam.put_function_event_invoke_config(
        FunctionName="extract",
        DestinationConfig={
            "OnSuccess": {"Destination": "arn:aws:sqs:us-east-1:123456789012:extract-done"}
        },
    )
    lam.invoke(
        FunctionName="extract",
        InvocationType="Event",
        Payload=json.dumps({"key": "photos/dog.png"}),
    )
    record = json.loads(
        sqs.receive_message(QueueUrl=done, WaitTimeSeconds=10)["Messages"][0]["Body"]
    )
    print(
        "   async invoke ->",
        record["requestContext"]["condition"],
        "->",
        record["responsePayload"],
    )
    return lam


if __name__ == "__main__":
    main()
