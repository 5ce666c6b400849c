"""What user code imports, and the only part of Gearbox shipped inside a Lambda package.

::

    from gearbox.app import App, Key, Index, S3Event, SQSBatch, SNSMessage, DynamoDBRecord
    from gearbox.app import ProcessState, invoke_async

- ``app``: ``App``, whose resource methods and decorators record frozen specs and return the
  handler unchanged.
- ``specs``: the frozen, typed records (``QueueSpec``, ``SqsTrigger``, ``FunctionSpec``, ...)
  that the graph stage reads.
- ``events``: typed views of S3, SQS, SNS and DynamoDB Streams events.
- ``process``: process state kept in DynamoDB with conditional writes, and ``invoke_async``.

This subpackage imports nothing but the standard library (``tests/unit/test_app_stdlib_only``
proves it for every module here), so a function's deployment package needs no Gearbox
dependency. Handlers read resource names from environment variables, never from here.
"""

from gearbox.app.app import App
from gearbox.app.events import (
    DynamoDBRecord,
    S3Event,
    S3Object,
    SNSMessage,
    SQSBatch,
    SQSMessage,
    deserialize,
    deserialize_item,
)
from gearbox.app.process import ProcessNotFound, ProcessState, ProcessStateError, invoke_async
from gearbox.app.specs import (
    BucketSpec,
    FunctionSpec,
    Index,
    Key,
    Origin,
    Permission,
    QueueSpec,
    RefSpec,
    S3Trigger,
    ScheduleSpec,
    ScheduleTrigger,
    SnsTrigger,
    SqsTrigger,
    StreamTrigger,
    TableSpec,
    TopicSpec,
)

__all__ = [
    "App",
    "BucketSpec",
    "DynamoDBRecord",
    "FunctionSpec",
    "Index",
    "Key",
    "Origin",
    "Permission",
    "ProcessNotFound",
    "ProcessState",
    "ProcessStateError",
    "QueueSpec",
    "RefSpec",
    "S3Event",
    "S3Object",
    "S3Trigger",
    "SNSMessage",
    "SQSBatch",
    "SQSMessage",
    "ScheduleSpec",
    "ScheduleTrigger",
    "SnsTrigger",
    "SqsTrigger",
    "StreamTrigger",
    "TableSpec",
    "TopicSpec",
    "deserialize",
    "deserialize_item",
    "invoke_async",
]
