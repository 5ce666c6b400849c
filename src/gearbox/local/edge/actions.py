"""The IAM action of an API operation, and what AWS's service model says about the service.

The action is ``<prefix>:<operation>``: the prefix is the service's SigV4 signing name (from
botocore's model ``signingName``, else ``endpointPrefix``), the name the operation's, as IAM
names nearly all of them. ``EXCEPTIONS`` holds the operations whose action has another name,
from the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/), and ``PREFIXES`` the
services whose IAM prefix is not their signing name (CloudWatch signs as ``monitoring`` and is
``cloudwatch:`` in IAM).

Operations that need several actions (DynamoDB transactions, S3 ``CopyObject``) are handled
where the resources are known, in ``gearbox.local.edge.request_resource``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

PREFIXES = {"monitoring": "cloudwatch", "email": "ses", "streams.dynamodb": "dynamodb"}
# Model names of services whose signing name is not their botocore model's name.
_MODEL_NAMES = {"states": "stepfunctions", "monitoring": "cloudwatch", "email": "ses"}

EXCEPTIONS: dict[tuple[str, str], str] = {
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjectVersions"): "ListBucketVersions",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListBuckets"): "ListAllMyBuckets",
    ("s3", "GetBucketNotificationConfiguration"): "GetBucketNotification",
    ("s3", "PutBucketNotificationConfiguration"): "PutBucketNotification",
    ("s3", "DeleteObjects"): "DeleteObject",
    ("s3", "CopyObject"): "PutObject",
    ("s3", "CreateMultipartUpload"): "PutObject",
    ("s3", "UploadPart"): "PutObject",
    ("s3", "UploadPartCopy"): "PutObject",
    ("s3", "CompleteMultipartUpload"): "PutObject",
    ("s3", "ListParts"): "ListMultipartUploadParts",
    ("s3", "ListMultipartUploads"): "ListBucketMultipartUploads",
    ("s3", "SelectObjectContent"): "GetObject",
    ("s3", "GetBucketCors"): "GetBucketCORS",
    ("s3", "PutBucketCors"): "PutBucketCORS",
    ("s3", "DeleteBucketCors"): "PutBucketCORS",
    ("s3", "GetBucketLifecycleConfiguration"): "GetLifecycleConfiguration",
    ("s3", "PutBucketLifecycleConfiguration"): "PutLifecycleConfiguration",
    ("s3", "DeleteBucketLifecycle"): "PutLifecycleConfiguration",
    ("s3", "GetBucketEncryption"): "GetEncryptionConfiguration",
    ("s3", "PutBucketEncryption"): "PutEncryptionConfiguration",
    ("s3", "DeleteBucketEncryption"): "PutEncryptionConfiguration",
    ("lambda", "Invoke"): "InvokeFunction",
    ("lambda", "InvokeAsync"): "InvokeFunction",
    ("lambda", "InvokeWithResponseStream"): "InvokeFunction",
    ("sqs", "SendMessageBatch"): "SendMessage",
    ("sqs", "DeleteMessageBatch"): "DeleteMessage",
    ("sqs", "ChangeMessageVisibilityBatch"): "ChangeMessageVisibility",
    ("sns", "PublishBatch"): "Publish",
}
# Operations AWS does not authorize at all ("No permissions are required").
UNCHECKED = frozenset({("sts", "GetCallerIdentity")})


@dataclass(frozen=True)
class ServiceModel:
    """What the edge needs of botocore's model of a service."""

    prefix: str  # IAM service prefix
    protocol: str  # "json", "rest-json", "rest-xml", "query", "ec2", ... ("" if unknown)
    query_compatible: bool  # a JSON service that reports query-protocol error codes (SQS)
    xml_namespace: str


def iam_prefix(signing_name: str) -> str:
    return PREFIXES.get(signing_name, signing_name)


def action_name(prefix: str, operation: str) -> str:
    """``s3:ListBucket`` for (s3, ListObjectsV2)."""
    return f"{prefix}:{EXCEPTIONS.get((prefix, operation), operation)}"


@functools.cache
def service_model(signing_name: str) -> ServiceModel:
    """botocore's facts about the service that signs as ``signing_name``."""
    import botocore.exceptions
    import botocore.loaders

    name = _MODEL_NAMES.get(signing_name, signing_name)
    try:
        metadata = botocore.loaders.create_loader().load_service_model(name, "service-2")[
            "metadata"
        ]
    except botocore.exceptions.UnknownServiceError:
        return ServiceModel(iam_prefix(signing_name), "", False, "")
    signing = metadata.get("signingName") or metadata.get("endpointPrefix") or signing_name
    return ServiceModel(
        prefix=iam_prefix(str(signing)),
        protocol=str(metadata.get("protocol", "")),
        query_compatible="awsQueryCompatible" in metadata,
        xml_namespace=str(metadata.get("xmlNamespace", "")),
    )
