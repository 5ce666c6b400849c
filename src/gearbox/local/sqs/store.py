"""SQLite storage for queues, messages and deduplication ids.

One file, ``sqs.db`` in the state dir, in WAL mode with ``synchronous=NORMAL``: a committed
transaction survives the process being killed at any instant (only a power loss can take the
last transactions back), and every SQS operation is one transaction, so an acknowledged send,
receive or delete is never lost or half-applied.

Costs do not grow with queue depth: receiving walks the index ``(queue_id, visible_at, seq)``
from its start, so it reads only the messages it returns (plus any it moves to a DLQ);
sending, deleting and changing visibility touch one row by primary key. Counting messages
(GetQueueAttributes) and FIFO receives are the exceptions, noted where they happen.

The connection is used from one thread only (the edge's event loop); nothing here locks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from gearbox.local.database import open_database, transaction
from gearbox.local.sqs.queues import Queue

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS queues (
    id INTEGER PRIMARY KEY,
    region TEXT NOT NULL,
    account TEXT NOT NULL,
    name TEXT NOT NULL,
    attributes TEXT NOT NULL,
    tags TEXT NOT NULL,
    created REAL NOT NULL,
    modified REAL NOT NULL,
    last_purge REAL,
    UNIQUE (region, account, name)
);
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    queue_id INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    body TEXT NOT NULL,
    md5_body TEXT NOT NULL,
    attributes TEXT,
    md5_attributes TEXT,
    system_attributes TEXT,
    md5_system_attributes TEXT,
    sent REAL NOT NULL,
    visible_at REAL NOT NULL,
    receive_count INTEGER NOT NULL DEFAULT 0,
    first_receive REAL,
    receipt TEXT,
    group_id TEXT,
    dedup_id TEXT,
    sender_id TEXT NOT NULL,
    dlq_source TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_visibility ON messages (queue_id, visible_at, seq);
CREATE INDEX IF NOT EXISTS messages_by_age ON messages (queue_id, sent);
CREATE INDEX IF NOT EXISTS messages_by_group ON messages (queue_id, group_id, seq);
CREATE INDEX IF NOT EXISTS messages_by_seq ON messages (queue_id, seq);
CREATE TABLE IF NOT EXISTS dedup (
    queue_id INTEGER NOT NULL,
    key TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    expires REAL NOT NULL,
    PRIMARY KEY (queue_id, key)
);
CREATE INDEX IF NOT EXISTS dedup_by_expiry ON dedup (expires);
"""

_MESSAGE_COLUMNS = (
    "seq, message_id, body, md5_body, attributes, md5_attributes, system_attributes, "
    "md5_system_attributes, sent, visible_at, receive_count, first_receive, group_id, "
    "dedup_id, sender_id, dlq_source"
)


@dataclass
class NewMessage:
    message_id: str
    body: str
    md5_body: str
    attributes: str | None
    md5_attributes: str | None
    system_attributes: str | None
    md5_system_attributes: str | None
    sent: float
    visible_at: float
    group_id: str | None
    dedup_id: str | None
    sender_id: str


@dataclass
class StoredMessage:
    seq: int
    message_id: str
    body: str
    md5_body: str
    attributes: str | None
    md5_attributes: str | None
    system_attributes: str | None
    md5_system_attributes: str | None
    sent: float
    visible_at: float
    receive_count: int
    first_receive: float | None
    group_id: str | None
    dedup_id: str | None
    sender_id: str
    dlq_source: str | None


class Store:
    def __init__(self, path: Path) -> None:
        self._db = open_database(path, _SCHEMA, SCHEMA_VERSION)

    def close(self) -> None:
        self._db.close()

    def transaction(self) -> AbstractContextManager[None]:
        return transaction(self._db)

    # queues

    def load_queues(self) -> list[Queue]:
        rows = self._db.execute(
            "SELECT id, region, account, name, attributes, tags, created, modified, last_purge "
            "FROM queues ORDER BY id"
        ).fetchall()
        return [
            Queue(
                id=row[0],
                region=row[1],
                account=row[2],
                name=row[3],
                attributes=json.loads(row[4]),
                tags=json.loads(row[5]),
                created=row[6],
                modified=row[7],
                last_purge=row[8],
            )
            for row in rows
        ]

    def insert_queue(self, queue: Queue) -> int:
        cursor = self._db.execute(
            "INSERT INTO queues (region, account, name, attributes, tags, created, modified) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                queue.region,
                queue.account,
                queue.name,
                json.dumps(queue.attributes),
                json.dumps(queue.tags),
                queue.created,
                queue.modified,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def update_queue(self, queue: Queue) -> None:
        self._db.execute(
            "UPDATE queues SET attributes=?, tags=?, modified=?, last_purge=? WHERE id=?",
            (
                json.dumps(queue.attributes),
                json.dumps(queue.tags),
                queue.modified,
                queue.last_purge,
                queue.id,
            ),
        )

    def delete_queue(self, queue_id: int) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM messages WHERE queue_id=?", (queue_id,))
            self._db.execute("DELETE FROM dedup WHERE queue_id=?", (queue_id,))
            self._db.execute("DELETE FROM queues WHERE id=?", (queue_id,))

    # messages

    def insert_message(self, queue_id: int, m: NewMessage) -> int:
        cursor = self._db.execute(
            "INSERT INTO messages (queue_id, message_id, body, md5_body, attributes, "
            "md5_attributes, system_attributes, md5_system_attributes, sent, visible_at, "
            "group_id, dedup_id, sender_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                queue_id,
                m.message_id,
                m.body,
                m.md5_body,
                m.attributes,
                m.md5_attributes,
                m.system_attributes,
                m.md5_system_attributes,
                m.sent,
                m.visible_at,
                m.group_id,
                m.dedup_id,
                m.sender_id,
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def visible(
        self, queue_id: int, now: float, limit: int, after: tuple[float, int] = (-1.0, 0)
    ) -> list[StoredMessage]:
        """Up to ``limit`` visible messages, the longest-visible first, from after the
        ``(visible_at, seq)`` position ``after`` (to page on past messages already seen)."""
        rows = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages INDEXED BY messages_by_visibility "
            "WHERE queue_id=? AND visible_at<=? AND (visible_at, seq)>(?, ?) "
            "ORDER BY visible_at, seq LIMIT ?",
            (queue_id, now, after[0], after[1], limit),
        ).fetchall()
        return [StoredMessage(*row) for row in rows]

    def in_order(self, queue_id: int, after_seq: int, limit: int) -> list[StoredMessage]:
        """Messages in send order (FIFO), starting after ``after_seq``."""
        rows = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages INDEXED BY messages_by_seq "
            "WHERE queue_id=? AND seq>? ORDER BY seq LIMIT ?",
            (queue_id, after_seq, limit),
        ).fetchall()
        return [StoredMessage(*row) for row in rows]

    def group_in_order(
        self, queue_id: int, group_id: str, after_seq: int, limit: int
    ) -> list[StoredMessage]:
        rows = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages INDEXED BY messages_by_group "
            "WHERE queue_id=? AND group_id=? AND seq>? ORDER BY seq LIMIT ?",
            (queue_id, group_id, after_seq, limit),
        ).fetchall()
        return [StoredMessage(*row) for row in rows]

    def inflight_groups(self, queue_id: int, now: float) -> set[str]:
        """Groups with a message in flight (bounded by the in-flight count, not the depth)."""
        rows = self._db.execute(
            "SELECT DISTINCT group_id FROM messages INDEXED BY messages_by_visibility "
            "WHERE queue_id=? AND visible_at>? AND receive_count>0",
            (queue_id, now),
        ).fetchall()
        return {row[0] for row in rows}

    def mark_received(self, seq: int, receipt: str, now: float, visible_at: float) -> None:
        self._db.execute(
            "UPDATE messages SET receive_count=receive_count+1, "
            "first_receive=COALESCE(first_receive, ?), receipt=?, visible_at=? WHERE seq=?",
            (now, receipt, visible_at, seq),
        )

    def move(
        self,
        seq: int,
        queue_id: int,
        now: float,
        *,
        dlq_source: str | None,
        reset_receives: bool,
        reset_sent: bool,
    ) -> None:
        """Move a message to another queue, visible at once (a redrive or a move task)."""
        self._db.execute(
            "UPDATE messages SET queue_id=?, visible_at=?, receipt=NULL, dlq_source=?, "
            "receive_count=CASE WHEN ? THEN 0 ELSE receive_count END, "
            "first_receive=CASE WHEN ? THEN NULL ELSE first_receive END, "
            "sent=CASE WHEN ? THEN ? ELSE sent END WHERE seq=?",
            (queue_id, now, dlq_source, reset_receives, reset_receives, reset_sent, now, seq),
        )

    def inflight(self, queue_id: int, seq: int) -> tuple[float, str | None] | None:
        """(visible_at, receipt) of a message, or None when it is gone."""
        row = self._db.execute(
            "SELECT visible_at, receipt FROM messages WHERE seq=? AND queue_id=?",
            (seq, queue_id),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def set_visible_at(self, seq: int, visible_at: float) -> None:
        self._db.execute("UPDATE messages SET visible_at=? WHERE seq=?", (visible_at, seq))

    def delete_message(self, queue_id: int, seq: int, receipt: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM messages WHERE seq=? AND queue_id=? AND receipt=?",
            (seq, queue_id, receipt),
        )
        return cursor.rowcount > 0

    def delete_sent_before(self, queue_id: int, before: float) -> int:
        """Drop messages sent before ``before`` (retention and purge)."""
        cursor = self._db.execute(
            "DELETE FROM messages WHERE queue_id=? AND sent<?", (queue_id, before)
        )
        return cursor.rowcount

    def counts(self, queue_id: int, now: float) -> tuple[int, int, int]:
        """(visible, in flight, delayed). Counts scan the queue's index: O(depth)."""
        row = self._db.execute(
            "SELECT COALESCE(SUM(visible_at<=?), 0), "
            "COALESCE(SUM(visible_at>? AND receive_count>0), 0), "
            "COALESCE(SUM(visible_at>? AND receive_count=0), 0) "
            "FROM messages WHERE queue_id=?",
            (now, now, now, queue_id),
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def next_visible_at(self, queue_id: int, now: float) -> float | None:
        row = self._db.execute(
            "SELECT MIN(visible_at) FROM messages INDEXED BY messages_by_visibility "
            "WHERE queue_id=? AND visible_at>?",
            (queue_id, now),
        ).fetchone()
        return None if row[0] is None else float(row[0])

    def seqs_up_to(
        self, queue_id: int, limit: int, after_seq: int
    ) -> Sequence[tuple[int, str | None]]:
        """(seq, dlq_source) of messages in send order, for move tasks."""
        return self._db.execute(
            "SELECT seq, dlq_source FROM messages INDEXED BY messages_by_seq "
            "WHERE queue_id=? AND seq>? ORDER BY seq LIMIT ?",
            (queue_id, after_seq, limit),
        ).fetchall()

    def max_seq(self, queue_id: int) -> int:
        row = self._db.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM messages WHERE queue_id=?", (queue_id,)
        ).fetchone()
        return int(row[0])

    # deduplication

    def dedup_lookup(self, queue_id: int, key: str, now: float) -> tuple[str, int] | None:
        row = self._db.execute(
            "SELECT message_id, seq FROM dedup WHERE queue_id=? AND key=? AND expires>?",
            (queue_id, key, now),
        ).fetchone()
        return None if row is None else (row[0], row[1])

    def dedup_remember(
        self, queue_id: int, key: str, message_id: str, seq: int, expires: float
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO dedup VALUES (?, ?, ?, ?, ?)",
            (queue_id, key, message_id, seq, expires),
        )

    def dedup_expire(self, now: float) -> None:
        self._db.execute("DELETE FROM dedup WHERE expires<=?", (now,))
