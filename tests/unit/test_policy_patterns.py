"""Every boto3 call pattern the analysis follows, with the actions and ARNs it must yield.

Expected actions come from AWS's Service Authorization Reference and API "Permissions"
sections; ARNs from AWS's ARN formats (account 123456789012, us-east-1).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.policy_helpers import grants, policy_for

ARN = "arn:aws"
TABLE = f"{ARN}:dynamodb:us-east-1:123456789012:table/orders"
QUEUE = f"{ARN}:sqs:us-east-1:123456789012:jobs"
TOPIC = f"{ARN}:sns:us-east-1:123456789012:events"
FUNCTION = f"{ARN}:lambda:us-east-1:123456789012:function:worker"
BUCKET = f"{ARN}:s3:::uploads"
OBJECTS = f"{ARN}:s3:::uploads/*"

BINDINGS = {
    "TABLE": ("table", "orders"),
    "QUEUE_URL": ("queue", "jobs"),
    "TOPIC_ARN": ("topic", "events"),
    "WORKER": ("function", "worker"),
    "BUCKET": ("bucket", "uploads"),
}

CASES: dict[str, tuple[str, dict[str, set[str]]]] = {
    "client literal, module global, os.environ[]": (
        """
        import os, boto3
        s3 = boto3.client("s3")
        def handler(event, context):
            s3.get_object(Bucket=os.environ["BUCKET"], Key="a")
        """,
        {"s3:GetObject": {OBJECTS}},
    ),
    "service_name keyword through a constant; os.environ.get": (
        """
        import os, boto3
        SERVICE = "sqs"
        def handler(event, context):
            boto3.client(service_name=SERVICE).send_message(
                QueueUrl=os.environ.get("QUEUE_URL"), MessageBody="x")
        """,
        {"sqs:SendMessage": {QUEUE}},
    ),
    "from boto3 import client; os.getenv": (
        """
        import os
        from boto3 import client
        def handler(event, context):
            client("sns").publish(TopicArn=os.getenv("TOPIC_ARN"), Message="m")
        """,
        {"sns:Publish": {TOPIC}},
    ),
    "boto3.Session().client and boto3.session.Session().resource": (
        """
        import os, boto3, boto3.session
        def handler(event, context):
            boto3.Session(region_name="eu-west-1").client("lambda").invoke(
                FunctionName=os.environ["WORKER"])
            boto3.session.Session().resource("dynamodb").Table(os.environ["TABLE"]).get_item(
                Key={})
        """,
        {"lambda:InvokeFunction": {FUNCTION}, "dynamodb:GetItem": {TABLE}},
    ),
    "botocore get_session().create_client": (
        """
        import botocore.session
        def handler(event, context):
            c = botocore.session.get_session().create_client("sqs")
            c.delete_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/1/jobs",
                             ReceiptHandle="r")
        """,
        {"sqs:DeleteMessage": {QUEUE}},
    ),
    "resource Table actions, query on an index (table and index ARNs)": (
        """
        import os, boto3
        table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
        def handler(event, context):
            table.put_item(Item={})
            table.query(IndexName="by-day", KeyConditionExpression="x")
        """,
        {
            "dynamodb:PutItem": {TABLE},
            "dynamodb:Query": {TABLE, f"{TABLE}/index/by-day"},
        },
    ),
    "client query with an index name the analysis cannot read -> index/*": (
        """
        import os, boto3
        def handler(event, context):
            boto3.client("dynamodb").query(TableName=os.environ["TABLE"],
                                           IndexName=event["index"])
        """,
        {"dynamodb:Query": {TABLE, f"{TABLE}/index/*"}},
    ),
    "Table.batch_writer, load attribute, resource waiter": (
        """
        import boto3
        t = boto3.resource("dynamodb").Table("orders")
        def handler(event, context):
            with t.batch_writer() as batch:
                batch.put_item(Item={})
            t.wait_until_exists()
            return t.item_count
        """,
        {"dynamodb:BatchWriteItem": {TABLE}, "dynamodb:DescribeTable": {TABLE}},
    ),
    "S3 resource: Bucket -> Object sub-resource, get/put, content_length load": (
        """
        import boto3
        def handler(event, context):
            obj = boto3.resource("s3").Bucket("uploads").Object("a/b")
            obj.put(Body=b"x")
            return obj.content_length, obj.get()
        """,
        {"s3:PutObject": {OBJECTS}, "s3:GetObject": {OBJECTS}},
    ),
    "S3 collections: filter + iterate + delete, batch delete": (
        """
        import boto3
        bucket = boto3.resource("s3").Bucket("uploads")
        def handler(event, context):
            for summary in bucket.objects.filter(Prefix="tmp/"):
                summary.delete()
            bucket.objects.all().delete()
        """,
        {"s3:ListBucket": {BUCKET}, "s3:DeleteObject": {OBJECTS}},
    ),
    "service resource s3.Object(bucket, key) and meta.client": (
        """
        import boto3
        s3 = boto3.resource("s3")
        def handler(event, context):
            s3.Object("uploads", "k").load()
            s3.meta.client.head_bucket(Bucket="uploads")
        """,
        {"s3:GetObject": {OBJECTS}, "s3:ListBucket": {BUCKET}},
    ),
    "SQS get_queue_by_name -> Queue; SNS Topic resource": (
        """
        import boto3
        def handler(event, context):
            boto3.resource("sqs").get_queue_by_name(QueueName="jobs").send_messages(Entries=[])
            boto3.resource("sns").Topic("arn:aws:sns:us-east-1:123456789012:events").publish(
                Message="m")
        """,
        {"sqs:GetQueueUrl": {QUEUE}, "sqs:SendMessage": {QUEUE}, "sns:Publish": {TOPIC}},
    ),
    "get_queue_url response used as QueueUrl": (
        """
        import boto3
        sqs = boto3.client("sqs")
        def handler(event, context):
            url = sqs.get_queue_url(QueueName="jobs")["QueueUrl"]
            sqs.receive_message(QueueUrl=url)
        """,
        {"sqs:GetQueueUrl": {QUEUE}, "sqs:ReceiveMessage": {QUEUE}},
    ),
    "paginator list_objects_v2 -> s3:ListBucket on the bucket": (
        """
        import os, boto3
        s3 = boto3.client("s3")
        def handler(event, context):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=os.environ["BUCKET"]):
                pass
        """,
        {"s3:ListBucket": {BUCKET}},
    ),
    "waiter object_exists polls HeadObject -> s3:GetObject": (
        """
        import boto3
        def handler(event, context):
            boto3.client("s3").get_waiter("object_exists").wait(Bucket="uploads", Key="k")
        """,
        {"s3:GetObject": {OBJECTS}},
    ),
    "presigned URL (positional and keyword) and presigned POST": (
        """
        import boto3
        s3 = boto3.client("s3")
        def handler(event, context):
            s3.generate_presigned_url("get_object", Params={"Bucket": "uploads", "Key": "k"})
            s3.generate_presigned_url(ClientMethod="delete_object",
                                      Params={"Bucket": "uploads", "Key": "k"})
            s3.generate_presigned_post("uploads", "incoming/x")
        """,
        {
            "s3:GetObject": {OBJECTS},
            "s3:DeleteObject": {OBJECTS},
            "s3:PutObject": {OBJECTS},
        },
    ),
    "transfer helpers on the client": (
        """
        import boto3
        s3 = boto3.client("s3")
        def handler(event, context):
            s3.upload_file("/tmp/a", "uploads", "a")
            s3.download_fileobj("archive", "b", open("/tmp/b", "wb"))
        """,
        {
            "s3:PutObject": {OBJECTS},
            "s3:AbortMultipartUpload": {OBJECTS},
            "s3:GetObject": {f"{ARN}:s3:::archive/*"},
        },
    ),
    "transfer helpers on Bucket and Object; managed copy reads the source": (
        """
        import boto3
        s3 = boto3.resource("s3")
        def handler(event, context):
            s3.Bucket("uploads").download_file("k", "/tmp/k")
            s3.Object("uploads", "k2").upload_fileobj(open("/tmp/k", "rb"))
            s3.Bucket("uploads").copy({"Bucket": "archive", "Key": "k"}, "k3")
        """,
        {
            "s3:GetObject": {OBJECTS, f"{ARN}:s3:::archive/*"},
            "s3:PutObject": {OBJECTS},
            "s3:AbortMultipartUpload": {OBJECTS},
        },
    ),
    "copy_object: GetObject on the source, PutObject on the destination": (
        """
        import boto3
        def handler(event, context):
            boto3.client("s3").copy_object(Bucket="uploads", Key="k", CopySource="archive/k")
        """,
        {"s3:GetObject": {f"{ARN}:s3:::archive/*"}, "s3:PutObject": {OBJECTS}},
    ),
    "f-string over a bound env var and over an unbound one": (
        """
        import os, boto3
        PREFIX = os.environ.get("STAGE", "dev")
        def handler(event, context):
            boto3.client("s3").put_object(Bucket=f"{os.environ['BUCKET']}", Key="k")
            boto3.client("dynamodb").get_item(TableName=f"{PREFIX}-orders", Key={})
        """,
        {
            "s3:PutObject": {OBJECTS},
            "dynamodb:GetItem": {f"{ARN}:dynamodb:us-east-1:123456789012:table/*-orders"},
        },
    ),
    "clients in class attributes, self attributes, passed as arguments, from factories": (
        """
        import os, boto3
        def make():
            return boto3.client("sqs")
        def send(client, url):
            client.send_message(QueueUrl=url, MessageBody="x")
        class Store:
            ddb = boto3.client("dynamodb")
            def __init__(self):
                self.sns = boto3.client("sns")
            def save(self):
                self.ddb.put_item(TableName=os.environ["TABLE"], Item={})
                self.sns.publish(TopicArn=os.environ["TOPIC_ARN"], Message="m")
        def handler(event, context):
            send(make(), os.environ["QUEUE_URL"])
            Store().save()
        """,
        {"sqs:SendMessage": {QUEUE}, "dynamodb:PutItem": {TABLE}, "sns:Publish": {TOPIC}},
    ),
    "**params dicts, dispatch tables, callbacks and lambdas": (
        """
        import os, boto3
        from concurrent.futures import ThreadPoolExecutor
        s3 = boto3.client("s3")
        def put(key):
            s3.put_object(**{"Bucket": os.environ["BUCKET"], "Key": key})
        def delete(key):
            params = dict(Bucket="uploads")
            params["Key"] = key
            s3.delete_object(**params)
        OPS = {"put": put, "delete": delete}
        def handler(event, context):
            OPS[event["op"]]("k")
            with ThreadPoolExecutor() as pool:
                pool.map(lambda k: s3.get_object(Bucket="uploads", Key=k), ["a"])
        """,
        {"s3:PutObject": {OBJECTS}, "s3:DeleteObject": {OBJECTS}, "s3:GetObject": {OBJECTS}},
    ),
    "DynamoDB transactions and batches name their tables inside the request": (
        """
        import os, boto3
        ddb = boto3.client("dynamodb")
        def handler(event, context):
            ddb.transact_write_items(TransactItems=[
                {"Update": {"TableName": os.environ["TABLE"], "Key": {}}},
                {"Delete": {"TableName": "ledger", "Key": {}}},
            ])
            ddb.batch_get_item(RequestItems={os.environ["TABLE"]: {"Keys": []}})
        """,
        {
            "dynamodb:UpdateItem": {TABLE},
            "dynamodb:DeleteItem": {f"{ARN}:dynamodb:us-east-1:123456789012:table/ledger"},
            "dynamodb:BatchGetItem": {TABLE},
        },
    ),
    "Step Functions, Secrets Manager, SSM, KMS key ARN, EventBridge default bus": (
        """
        import boto3
        KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab"
        def handler(event, context):
            boto3.client("stepfunctions").start_execution(
                stateMachineArn="arn:aws:states:us-east-1:123456789012:stateMachine:flow")
            boto3.client("secretsmanager").get_secret_value(SecretId="prod/db")
            boto3.client("ssm").get_parameter(Name="/app/url")
            boto3.client("kms").decrypt(CiphertextBlob=b"x", KeyId=KEY)
            boto3.client("events").put_events(Entries=[{"Source": "a", "Detail": "{}"}])
        """,
        {
            "states:StartExecution": {f"{ARN}:states:us-east-1:123456789012:stateMachine:flow"},
            "secretsmanager:GetSecretValue": {
                f"{ARN}:secretsmanager:us-east-1:123456789012:secret:prod/db-??????"
            },
            "ssm:GetParameter": {f"{ARN}:ssm:us-east-1:123456789012:parameter/app/url"},
            "kms:Decrypt": {f"{ARN}:kms:us-east-1:123456789012:key/1234abcd-12ab"},
            "events:PutEvents": {f"{ARN}:events:us-east-1:123456789012:event-bus/default"},
        },
    ),
    "DynamoDB PartiQL: the statement's verb on its table": (
        """
        import boto3
        def handler(event, context):
            boto3.client("dynamodb").execute_statement(
                Statement='SELECT * FROM "orders" WHERE id = ?', Parameters=[])
        """,
        {"dynamodb:PartiQLSelect": {TABLE}},
    ),
    "Lambda Invoke by ARN; CloudWatch (no resource-level permissions) gets *": (
        """
        import boto3
        def handler(event, context):
            boto3.client("lambda").invoke(
                FunctionName="arn:aws:lambda:us-east-1:123456789012:function:worker:live")
            boto3.client("cloudwatch").put_metric_data(Namespace="n", MetricData=[])
        """,
        {"lambda:InvokeFunction": {FUNCTION}, "cloudwatch:PutMetricData": {"*"}},
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_call_pattern(tmp_path: Path, name: str) -> None:
    source, expected = CASES[name]
    policy = policy_for(tmp_path, source, BINDINGS)
    assert grants(policy) == expected
    assert not policy.unmapped


def test_local_imports_helper_functions_and_module_level_code(tmp_path: Path) -> None:
    policy = policy_for(
        tmp_path,
        """
        from lib.store import save
        import lib.config as config
        def handler(event, context):
            save(config.TABLE)
        """,
        BINDINGS,
        extra={
            "lib/__init__.py": "",
            "lib/config.py": "import os\nTABLE = os.environ['TABLE']\n",
            "lib/store.py": """
                import boto3
                from .config import TABLE
                ddb = boto3.client("dynamodb")
                ddb.describe_table(TableName=TABLE)  # runs at init
                def save(table):
                    ddb.put_item(TableName=table, Item={})
                """,
        },
    )
    assert grants(policy) == {"dynamodb:DescribeTable": {TABLE}, "dynamodb:PutItem": {TABLE}}


def test_handler_inside_a_package_follows_relative_imports(tmp_path: Path) -> None:
    from gearbox.policy import analyze_handler
    from tests.unit.policy_helpers import write_project

    write_project(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/app.py": "from .aws import queue\ndef handler(e, c):\n    queue.purge()\n",
            "pkg/aws.py": "import boto3\nqueue = boto3.resource('sqs').Queue('https://x/1/jobs')\n",
        },
    )
    analysis = analyze_handler(tmp_path / "pkg" / "app.py", "handler")
    assert [(c.service, c.operation) for c in analysis.calls] == [("sqs", "PurgeQueue")]


def test_unbound_env_var_leaves_star_with_a_reason(tmp_path: Path) -> None:
    policy = policy_for(
        tmp_path,
        """
        import os, boto3
        def handler(event, context):
            boto3.client("sqs").send_message(QueueUrl=os.environ["OTHER"], MessageBody="x")
        """,
        BINDINGS,
    )
    assert grants(policy) == {"sqs:SendMessage": {"*"}}
    assert policy.notes == {
        "SqsUnscoped": [
            "handler.py:3: sqs:SendMessage: QueueUrl: environment variable OTHER is not bound "
            "to a declared resource"
        ]
    }


def test_env_var_bound_to_another_kind_is_not_used(tmp_path: Path) -> None:
    policy = policy_for(
        tmp_path,
        """
        import os, boto3
        def handler(event, context):
            boto3.client("dynamodb").get_item(TableName=os.environ["BUCKET"], Key={})
        """,
        BINDINGS,
    )
    assert grants(policy) == {"dynamodb:GetItem": {"*"}}
    assert "bound to a bucket, not a table" in policy.notes["DynamodbUnscoped"][0]


def test_kms_alias_cannot_be_scoped(tmp_path: Path) -> None:
    policy = policy_for(
        tmp_path,
        """
        import boto3
        def handler(event, context):
            boto3.client("kms").encrypt(KeyId="alias/app", Plaintext=b"x")
        """,
    )
    assert grants(policy) == {"kms:Encrypt": {"*"}}
    assert "KMS alias" in policy.notes["KmsUnscoped"][0]


def test_dataclass_field_default_factory(tmp_path: Path) -> None:
    policy = policy_for(
        tmp_path,
        """
        import os, boto3
        from dataclasses import dataclass, field
        from typing import Any
        @dataclass
        class Outbox:
            url: str = field(default_factory=lambda: os.environ["QUEUE_URL"])
            sqs: Any = field(default_factory=lambda: boto3.client("sqs"))
            def send(self):
                self.sqs.send_message(QueueUrl=self.url, MessageBody="x")
        def handler(event, context):
            Outbox().send()
        """,
        BINDINGS,
    )
    assert grants(policy) == {"sqs:SendMessage": {QUEUE}}


def test_lazy_global_client_and_main_guard(tmp_path: Path) -> None:
    policy = policy_for(
        tmp_path,
        """
        import boto3
        _sqs = None
        def client():
            global _sqs
            if _sqs is None:
                _sqs = boto3.client("sqs")
            return _sqs
        def send():
            client()
            _sqs.send_message(QueueUrl="https://x/1/jobs", MessageBody="b")
        def handler(event, context):
            send()
        if __name__ == "__main__":
            boto3.client("s3").delete_bucket(Bucket="uploads")
        """,
    )
    assert grants(policy) == {"sqs:SendMessage": {QUEUE}}
