"""The journal: what happened in the local cloud, in order, for people and tools to read.

One SQLite file (``journal.db`` in the state dir). The Lambda service writes one entry per
invocation (function, trigger, attempt, duration, cold or warm, outcome); the others write
one per event that left its normal path: ``dead-letter`` (SQS moved a message to its
dead-letter queue, or SNS a message to a subscription's), ``async-failed`` (an async event
ran out of retries or age), ``undelivered`` (an S3 event, an SNS message or a scheduled
invocation that was not delivered, or stream records a mapping discarded: source,
destination, event, reason). ``gearbox dev``
streams it through the edge's ``GET /_gearbox/journal?after=N`` route.

This is the first part of the observability issue's journal: AWS calls and hop-by-hop
correlation by trace id are not recorded yet.
"""

from gearbox.local.journal import describe
from gearbox.local.journal.store import Entry, Journal, Undelivered

__all__ = ["Entry", "Journal", "Undelivered", "describe"]
