"""The calls functions made, and the minimal policy that those calls needed.

Every call the edge authorizes for a function (allowed or denied, in any mode but ``off``)
becomes one row of ``observed.db`` in the state dir per distinct (function, action, resource),
with counts of allowed and denied calls and the last decision. ``observed_policy`` turns a
function's rows into the smallest identity policy that allows every one of them: one
statement per set of actions, naming exactly the resources those actions were called on
(denied calls included: the code needed them). Output is deterministic (sorted, stable Sids).

Calls are counted in memory and written at most once a second (and before every read and at
close), so a call costs the edge a dict update rather than a SQLite write; another process
reading ``observed.db`` (the CLI) sees the calls of up to a second ago.

Route (read-only, JSON): ``GET /_gearbox/iam/observed?function=NAME`` answers
``{"function": NAME, "policy": {...}, "calls": [{"action", "resource", "allowed",
"denied", "last_decision", "last_seen"}, ...]}``; without ``function`` it answers
``{"functions": {NAME: policy, ...}}``. ``_gearbox`` cannot be an S3 bucket name, so the
path never shadows an AWS request.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gearbox.local.database import open_database, transaction
from gearbox.local.edge.chain import Exchange
from gearbox.local.edge.messages import Response

OBSERVED_PATH = "/_gearbox/iam/observed"
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    function TEXT NOT NULL, action TEXT NOT NULL, resource TEXT NOT NULL,
    allowed INTEGER NOT NULL, denied INTEGER NOT NULL,
    last_decision TEXT NOT NULL, last_seen REAL NOT NULL,
    PRIMARY KEY (function, action, resource)
);
"""


class ObservedCalls:
    def __init__(
        self,
        state_dir: Path,
        flush_every: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = open_database(state_dir / "observed.db", _SCHEMA, SCHEMA_VERSION)
        self._pending: dict[tuple[str, str, str], list[Any]] = {}
        self._flush_every = flush_every
        self._monotonic = monotonic
        self._flushed = monotonic()

    def close(self) -> None:
        self.flush()
        self._db.close()

    def record(self, function: str, action: str, resource: str, decision: str, now: float) -> None:
        entry = self._pending.setdefault((function, action, resource), [0, 0, decision, now])
        entry[0 if decision == "allowed" else 1] += 1
        entry[2:] = [decision, now]
        if self._monotonic() - self._flushed >= self._flush_every:
            self.flush()

    def flush(self) -> None:
        """Write the calls counted since the last flush."""
        self._flushed = self._monotonic()
        if not self._pending:
            return
        rows = [(*key, *value) for key, value in self._pending.items()]
        self._pending.clear()
        with transaction(self._db):
            self._db.executemany(
                "INSERT INTO calls VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (function, action, resource) DO UPDATE SET "
                "allowed = allowed + excluded.allowed, denied = denied + excluded.denied, "
                "last_decision = excluded.last_decision, last_seen = excluded.last_seen",
                rows,
            )

    def calls(self, function: str) -> list[dict[str, Any]]:
        self.flush()
        rows = self._db.execute(
            "SELECT action, resource, allowed, denied, last_decision, last_seen FROM calls "
            "WHERE function = ? ORDER BY action, resource",
            (function,),
        )
        names = ("action", "resource", "allowed", "denied", "last_decision", "last_seen")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def functions(self) -> list[str]:
        self.flush()
        return [r[0] for r in self._db.execute("SELECT DISTINCT function FROM calls ORDER BY 1")]

    def observed_policy(self, function: str) -> dict[str, Any]:
        """The minimal identity policy that allows every call ``function`` made."""
        return minimal_policy((c["action"], c["resource"]) for c in self.calls(function))


def minimal_policy(calls: Any) -> dict[str, Any]:
    """One statement per distinct set of actions, with the resources they were used on."""
    actions_by_resource: dict[str, set[str]] = {}
    for action, resource in calls:
        actions_by_resource.setdefault(resource, set()).add(action)
    resources_by_actions: dict[tuple[str, ...], list[str]] = {}
    for resource, actions in actions_by_resource.items():
        resources_by_actions.setdefault(tuple(sorted(actions)), []).append(resource)
    statements = [
        {
            "Sid": f"Observed{i}",
            "Effect": "Allow",
            "Action": list(actions),
            "Resource": sorted(resources),
        }
        for i, (actions, resources) in enumerate(sorted(resources_by_actions.items()), 1)
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def observed_policy(state_dir: Path, function: str) -> dict[str, Any]:
    """The observed policy of ``function`` from the state dir (for the CLI)."""
    store = ObservedCalls(state_dir)
    try:
        return store.observed_policy(function)
    finally:
        store.close()


class ObservedRoute:
    """The chain's first stage: answers ``GET /_gearbox/iam/observed``."""

    def __init__(self, store: ObservedCalls) -> None:
        self._store = store

    async def __call__(self, exchange: Exchange) -> None:
        request = exchange.request
        if request.path.rstrip("/") != OBSERVED_PATH:
            return
        if request.method != "GET":
            exchange.response = _json(405, {"message": "only GET is served here"})
            return
        function = request.query().get("function", [""])[0]
        try:
            body = self._answer(function)
        except sqlite3.Error as exc:
            body = {"message": f"observed.db cannot be read: {exc}"}
            exchange.response = _json(500, body)
            return
        exchange.response = _json(200, body)

    def _answer(self, function: str) -> dict[str, Any]:
        if function:
            return {
                "function": function,
                "policy": self._store.observed_policy(function),
                "calls": self._store.calls(function),
            }
        names = self._store.functions()
        return {"functions": {n: self._store.observed_policy(n) for n in names}}


def _json(status: int, body: dict[str, Any]) -> Response:
    data = json.dumps(body, indent=2, sort_keys=True).encode()
    return Response(status, (("Content-Type", "application/json"),), data)
