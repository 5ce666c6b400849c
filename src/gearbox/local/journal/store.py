"""The journal's SQLite file: append entries, read them back after an id.

Entries are diagnostics, not state the cloud depends on, so the file runs with
``synchronous=OFF`` and entries are written in batches: ``record`` appends to a list in
memory, which is written (one transaction, entries in order) when it holds ``BATCH``
entries, when ``FLUSH_SECONDS`` have passed since the last write, before every read and at
close. An invocation therefore costs the journal a list append, not a SQLite write; a crash
may lose the last entries (the queues and functions lose nothing). Writes come from the
edge's event loop thread and from the SQS service; one lock serialises them.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gearbox.clock import Clock
from gearbox.local.database import open_database, transaction

# What a service calls for an event it did not deliver: (source, destination, event, reason).
# Services take one as their ``on_undelivered``; the local cloud points it at the journal.
Undelivered = Callable[[str, str, str, str], None]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    kind TEXT NOT NULL,
    function TEXT,
    detail TEXT NOT NULL
);
"""
_VERSION = 1
# Invocations and events kept; older ones are trimmed now and then.
_KEEP = 100_000


@dataclass(frozen=True)
class Entry:
    """One thing that happened. ``kind`` is ``invocation`` or an event kind such as
    ``dead-letter``; ``detail`` holds the kind's fields."""

    id: int
    time: float
    kind: str
    function: str | None
    detail: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time,
            "kind": self.kind,
            "function": self.function,
            **self.detail,
        }


BATCH = 200
FLUSH_SECONDS = 0.2


class Journal:
    def __init__(
        self, path: Path, clock: Clock, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = open_database(path, _SCHEMA, _VERSION)
        self._db.execute("PRAGMA synchronous=OFF")
        self._clock = clock
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._pending: list[tuple[float, str, str | None, dict[str, Any]]] = []
        self._flushed = monotonic()
        self._writes = 0

    def close(self) -> None:
        with self._lock:
            self._flush()
            self._db.close()

    def record(self, kind: str, function: str | None, **detail: Any) -> None:
        """Append one entry (never raises: a journal that cannot write is not a failure of
        the call it describes)."""
        with self._lock:
            self._pending.append((self._clock.now(), kind, function, detail))
            if len(self._pending) >= BATCH or self._monotonic() - self._flushed >= FLUSH_SECONDS:
                self._flush()

    def _flush(self) -> None:
        self._flushed = self._monotonic()
        if not self._pending:
            return
        rows = [
            (at, kind, function, json.dumps(detail, separators=(",", ":"), default=str))
            for at, kind, function, detail in self._pending
        ]
        self._pending.clear()
        try:
            with transaction(self._db):
                self._db.executemany(
                    "INSERT INTO entries (time, kind, function, detail) VALUES (?, ?, ?, ?)", rows
                )
            self._writes += len(rows)
            if self._writes >= 10_000:
                self._writes = 0
                self._db.execute(
                    "DELETE FROM entries WHERE id <= (SELECT MAX(id) FROM entries) - ?", (_KEEP,)
                )
        except sqlite3.Error:
            return

    def read(self, after: int = 0, limit: int = 500) -> list[Entry]:
        with self._lock:
            self._flush()
            rows = self._db.execute(
                "SELECT id, time, kind, function, detail FROM entries WHERE id > ? "
                "ORDER BY id LIMIT ?",
                (after, limit),
            ).fetchall()
        return [Entry(r[0], r[1], r[2], r[3], json.loads(r[4])) for r in rows]

    def last_id(self) -> int:
        with self._lock:
            self._flush()
            row = self._db.execute("SELECT MAX(id) FROM entries").fetchone()
        return int(row[0] or 0)
