"""Sinks: where an event goes after a function has run; Lambda's asynchronous invocation.

::

    Invoke (InvocationType=Event) -> async_queue.enqueue   durable, then 202
        async_queue.step / run_forever                     invoke when due
            -> decisions  (pure)   success / retry at T / give up (condition)
            -> records    (pure)   invocation record, DLQ message
            -> deliver             SQS / SNS / Lambda / EventBridge through boto3
    lineage (pure)                 the trace header's Lineage hops, for loop detection
    config                         EventInvokeConfig: retries, event age, destinations, DLQ

Rules follow https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html and the
pages it links; each module says which, and where Gearbox differs.
"""
