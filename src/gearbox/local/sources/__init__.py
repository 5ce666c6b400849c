"""Event sources: Lambda reading a queue and invoking a function with what it read.

One event source mapping (``sqs_mapping``) joins an SQS queue to a function. Its poller
(``sqs_poller``) drives each batch through four stages::

    sources ──► invoke ──► outcome ──► acknowledge / retry
    (receive,    (Request-   (outcomes:    (DeleteMessageBatch what succeeded or was
     filter,      Response,   AWS's         filtered out; leave the rest to come back
     batch)       the pool)   table)        after the visibility timeout -> redrive/DLQ)

- sources: ``sqs_poller`` receives from the queue through boto3 against the local endpoint
  (as Lambda's pollers use SQS's public API), builds AWS's SQS records and drops (deletes)
  the ones the mapping's ``filters`` reject;
- invoke: a synchronous invocation of the function through ``LambdaService``;
- outcome: ``outcomes.decide`` (pure) turns the ``InvokeResult`` into which messages to
  delete and which to leave for retry;
- acknowledge/retry: the poller deletes; the queue's own visibility timeout and
  RedrivePolicy do the rest.

A DynamoDB Streams mapping (``stream_mapping``, kept in the same store with its shard
checkpoints) is run by ``dynamodb_poller``: it reads each shard in order through the
``dynamodbstreams`` API, invokes with AWS's stream records, retries (bisecting) until
MaximumRetryAttempts / MaximumRecordAgeInSeconds, sends AWS's failure record to the
on-failure destination, and checkpoints each finished batch.
"""
