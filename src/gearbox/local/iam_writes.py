"""IAM kept across restarts: every IAM write moto accepted, replayed when the cloud opens.

moto keeps IAM in memory. Functions are durable (``gearbox.local.functions.registry``) and
their calls are checked against their roles (``gearbox.local.edge.authorize``), so a cloud
that forgot its roles on a restart would deny every call of every function. Here each IAM
request that changes something (any operation but ``Get*``, ``List*``, ``Simulate*`` and the
like) and that moto answered with success is written to ``iam.db`` in the state dir, in a
transaction that commits before the client gets the answer (so it survives ``kill -9``);
``replay`` sends the same requests to the new backend, in order, before the edge serves.

The log stays the size of what IAM holds rather than of its history: a write that undoes or
replaces earlier ones removes them (``DeleteRole`` removes every earlier write naming that
role and is not kept itself; ``DeleteRolePolicy`` and ``DetachRolePolicy`` remove the
``PutRolePolicy`` and ``AttachRolePolicy`` they undo; a ``PutRolePolicy`` replaces an earlier
one of the same role and policy name). IAM's API is the query protocol, so these names are
read from the form body.

Where it differs from AWS: what IAM generates is generated again on replay, so a role's or
policy's id (``AROA...``) and creation date change across a restart; names and ARNs do not.
Other services moto keeps (S3, DynamoDB, ...) are still lost on a restart.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

from gearbox.local.database import open_database, transaction
from gearbox.local.edge.chain import Exchange
from gearbox.local.edge.messages import Request, Response

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS writes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    action TEXT NOT NULL,
    role TEXT,
    policy TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    headers TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS writes_by_role ON writes (role, action, policy);
"""
_VERSION = 1

# Operations that read IAM (or only compute a report), never kept.
READ_PREFIXES = ("Get", "List", "Simulate", "Generate")


def is_write(operation: str | None) -> bool:
    """Whether an IAM operation may change what IAM holds."""
    return not (operation or "").startswith(READ_PREFIXES)


class IamWrites:
    """The IAM writes of one state dir."""

    def __init__(self, path: Path) -> None:
        self._db = open_database(path, _SCHEMA, _VERSION)

    def close(self) -> None:
        self._db.close()

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM writes").fetchone()[0])

    def record(self, request: Request, operation: str) -> None:
        """Keep a write moto accepted (removing the earlier writes it undoes or replaces)."""
        form = _form(request)
        action = form.get("Action", operation)
        role = form.get("RoleName")
        policy = form.get("PolicyName") or form.get("PolicyArn")
        with transaction(self._db):
            keep = self._forget_undone(action, role, policy)
            if keep:
                self._db.execute(
                    "INSERT INTO writes (action, role, policy, method, path, query, headers, "
                    "body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        action,
                        role,
                        policy,
                        request.method,
                        request.path,
                        request.query_string,
                        json.dumps(request.headers),
                        request.body,
                    ),
                )

    def _forget_undone(self, action: str, role: str | None, policy: str | None) -> bool:
        """Remove what ``action`` undoes or replaces; whether ``action`` itself is kept."""
        if role is None:
            return True
        if action == "DeleteRole":
            self._db.execute("DELETE FROM writes WHERE role=?", (role,))
            return False
        undoes = {
            "DeleteRolePolicy": ("PutRolePolicy", False),
            "DetachRolePolicy": ("AttachRolePolicy", False),
            "PutRolePolicy": ("PutRolePolicy", True),
        }.get(action)
        if undoes is None:
            return True
        earlier, keep = undoes
        self._db.execute(
            "DELETE FROM writes WHERE role=? AND action=? AND policy IS ?",
            (role, earlier, policy),
        )
        return keep

    def replay(self, call: Callable[[Request], Response]) -> int:
        """Send every kept write to ``call`` (a new backend), in order; how many were sent.
        A write the backend now refuses is logged and skipped."""
        rows = self._db.execute(
            "SELECT action, method, path, query, headers, body FROM writes ORDER BY seq"
        ).fetchall()
        for action, method, path, query, headers, body in rows:
            request = Request(
                method=method,
                path=path,
                query_string=query,
                headers=tuple((str(k), str(v)) for k, v in json.loads(headers)),
                body=bytes(body),
            )
            try:
                response = call(request)
            except Exception:  # a stored write moto now fails on: the others still count
                log.warning(
                    "IAM %s kept from an earlier run failed on replay", action, exc_info=True
                )
                continue
            if not 200 <= response.status < 300:
                log.warning(
                    "IAM %s kept from an earlier run was refused on replay (%d): %s",
                    action,
                    response.status,
                    response.body[:300].decode("utf-8", "replace"),
                )
        return len(rows)


class RecordIamWrites:
    """The chain stage: each IAM write is kept once moto has answered it with success."""

    def __init__(self, writes: IamWrites) -> None:
        self._writes = writes

    async def __call__(self, exchange: Exchange) -> None:
        if exchange.service != "iam" or not is_write(exchange.operation):
            return
        operation = str(exchange.operation)

        def keep(response: Response) -> None:
            if 200 <= response.status < 300:
                self._writes.record(exchange.request, operation)

        exchange.after_response.append(keep)


def _form(request: Request) -> dict[str, str]:
    """The query-protocol parameters of ``request`` (form body, or the query string)."""
    text = request.body.decode("utf-8", "replace") if request.body else request.query_string
    try:
        parsed = parse_qs(text, keep_blank_values=True)
    except ValueError:
        return {}
    return {name: values[0] for name, values in parsed.items() if values}
