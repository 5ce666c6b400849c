"""SQS, owned by Gearbox, durable in SQLite under the state dir.

Why not moto's SQS: it cannot carry an event engine. Measured here, its SendMessage grows
from 4 ms at an empty queue to 78 ms at 5,000 messages, and a ReceiveMessage(10) +
DeleteMessageBatch pair from 55 ms to 2.3 s, because every operation scans the queue; and it
keeps messages in memory, so a restart loses them. Gearbox's queues cost the same per
operation at 100,000 messages as at 10 (``bench/sqs.py``) and survive restarts and crashes.

::

    protocol   the JSON protocol on the wire: X-Amz-Target, input checks, AWS error shapes
    service    the operations and their AWS semantics (redrive, FIFO, dedup, delays, purge)
    store      SQLite: queues, messages, deduplication ids; one transaction per operation
    movetasks  StartMessageMoveTask: redrive from a DLQ back to its sources
    checks     validation of names, attributes and bodies, with AWS's messages
    md5        MD5OfMessageBody / MD5OfMessageAttributes as AWS computes them
    errors     AWS's error codes for SQS
"""
