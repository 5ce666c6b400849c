"""The SQLite files the local cloud keeps its durable state in, opened one way.

WAL mode with ``synchronous=NORMAL``: a committed transaction survives the process being
killed at any instant (only a power loss can take the last ones back). Each file records its
schema version in a ``meta`` table; a file written by a newer Gearbox is refused with
``SchemaTooNew`` rather than misread. Connections are used from the edge's event loop thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gearbox.errors import StateDirError

_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"


class SchemaTooNew(StateDirError):
    """A database in the state dir was written by a newer Gearbox."""


def open_database(path: Path, schema: str, version: int) -> sqlite3.Connection:
    """Open (creating) ``path`` with ``schema`` applied; refuse a newer schema version."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_META + schema)
    row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
    if row is None:
        db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(version),))
    elif int(row[0]) > version:
        db.close()
        raise SchemaTooNew(
            f"{path} was written by a newer Gearbox (schema {row[0]}; this one reads {version})"
        )
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One ``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back on any exception."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
