"""S3 event notifications, owned by Gearbox: configuration, records and delivery.

::

    PUT ?notification   parse XML -> bucket exists (HeadBucket) -> filters do not overlap
                        -> destinations exist -> stored (SQLite) -> s3:TestEvent to new queues
    GET ?notification   stored configurations -> XML
    any other S3 call   -> backend (moto), unchanged
      on success of PutObject, CopyObject, CompleteMultipartUpload, DeleteObject, DeleteObjects:
                        ObjectChange (from response headers / body; PutObject's size from
                        the request, HeadObject for the size of copies and multipart uploads)
                        -> matching configurations (event type, prefix, suffix)
                        -> record {"Records": [...]} -> SQS SendMessage / SNS Publish / Lambda
                           async invoke

Modules, one stage each: ``config`` (the configuration: XML, validation, matching),
``records`` (the event record and the test event, pure), ``store`` (durable configurations),
``service`` (the ``S3Notifications`` service the edge dispatches ``s3`` requests to).

Events are delivered after the S3 response, in the background, one change after another per
bucket (so a bucket's events leave in order), as AWS delivers them asynchronously.

Destination permissions (the queue's or topic's policy, the function's resource policy) are
checked when a configuration is put and again before each delivery.

Where it differs from AWS: PostObject (browser form uploads), lifecycle, restore,
replication, tagging and ACL events are not generated; a destination policy's condition on a
key other than ``aws:SourceArn``, ``aws:SourceAccount`` and ``aws:PrincipalServiceName``
cannot be evaluated locally and refuses (``gearbox.policy.resource``).
"""

from gearbox.local.s3events.service import S3Notifications

__all__ = ["S3Notifications"]
