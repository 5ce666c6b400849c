"""The object-metadata service, declared: what exists and what triggers what. No handler code.

::

    uploads (S3) --ObjectCreated--> extract-jobs (SQS) --> extract --> metadata (DynamoDB)
                                      | after 3 receives      | then a process in processes
                                      v                       | and invoke_async of:
                  extract-jobs-dlq --> dead_letter            +-> make_thumbnail -> thumbnails
                      retry once (retry-count) back to        +-> index_object -> search-index
                      extract-jobs, or record -> failures     +-> notify -> object-events (SNS)

The handlers live in ``handlers/`` (one module per function, so each function's package and
IAM role cover only what its module uses); this file applies the decorators to them as
calls, so each function's code stays importable and testable without the declaration.
Resource names reach the handlers only through the environment variables named here.

Timeouts: the extract queue's visibility timeout (360 s) is six times the extract timeout
(60 s), AWS's advice for an SQS event source; a failed message comes back sooner because the
handler shortens its visibility (``handlers.failures.backoff``). The dead-letter function's
10 s fits any DLQ visibility timeout (AWS's default is 30 s).
"""

from __future__ import annotations

from handlers.dead_letter import dead_letter
from handlers.extract import extract
from handlers.index import index_object
from handlers.notify import notify
from handlers.thumbnail import make_thumbnail

from gearbox.app import App, Index, Key

app = App("object-metadata")

uploads = app.bucket("uploads")
thumbnails = app.bucket("thumbnails")
jobs = app.queue("extract-jobs", visibility_timeout=360, dlq=True, max_receive_count=3)
events = app.topic("object-events")
metadata = app.table(
    "metadata",
    partition_key=Key("bucket"),
    sort_key=Key("key"),
    indexes=(Index("by-type", partition_key=Key("content_type")),),
)
failures = app.table("failures", partition_key=Key("object"))
processes = app.table("processes", partition_key=Key("process_id"))
search_index = app.table("search-index", partition_key=Key("term"), sort_key=Key("object"))

# The asynchronous steps: only invoked (InvocationType=Event) by extract.
app.function(
    timeout=30,
    memory=512,
    retry_attempts=0,
    requirements=("Pillow",),
    environment={
        "UPLOADS_BUCKET": uploads,
        "THUMBNAIL_BUCKET": thumbnails,
        "PROCESSES_TABLE": processes,
    },
)(make_thumbnail)
app.function(
    timeout=10,
    retry_attempts=0,
    environment={"INDEX_TABLE": search_index, "PROCESSES_TABLE": processes},
)(index_object)
app.function(
    timeout=10,
    retry_attempts=0,
    environment={"EVENTS_TOPIC": events, "PROCESSES_TABLE": processes},
)(notify)

# S3 -> SQS -> extract, with partial batch failures.
app.on_s3(uploads, events=("s3:ObjectCreated:*",), via=jobs)(
    app.function(
        timeout=60,
        memory=512,
        requirements=("Pillow", "pypdf"),
        environment={
            "TABLE_NAME": metadata,
            "PROCESSES_TABLE": processes,
            "FAILURES_TABLE": failures,
            "JOBS_QUEUE_URL": jobs,
            "THUMBNAIL_FUNCTION": make_thumbnail,
            "INDEX_FUNCTION": index_object,
            "NOTIFY_FUNCTION": notify,
        },
    )(extract)
)

# The extract queue's DLQ -> dead_letter: retry once more, or record why it failed.
assert jobs.dlq is not None  # dlq=True above
app.on_sqs(jobs.dlq, batch_size=10, partial_failures=True)(
    app.function(
        timeout=10,
        environment={"FAILURES_TABLE": failures, "JOBS_QUEUE_URL": jobs},
    )(dead_letter)
)
