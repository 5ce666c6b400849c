"""The journal: what happened in the local cloud, in order, for people and tools to read.

One SQLite file (``journal.db`` in the state dir). The Lambda service writes one entry per
invocation (function, trigger, attempt, duration, cold or warm, outcome); SQS and the async
queue write one per event that left its normal path (a message moved to a dead-letter queue,
an async event that ran out of retries or age). ``gearbox dev`` streams it through the
edge's ``GET /_gearbox/journal?after=N`` route.

This is the first part of the observability issue's journal: AWS calls and hop-by-hop
correlation by trace id are not recorded yet.
"""

from gearbox.local.journal import describe
from gearbox.local.journal.store import Entry, Journal

__all__ = ["Entry", "Journal", "describe"]
