"""moto's state kept across restarts: a snapshot of its backends, and the writes made since.

moto keeps what it serves in memory: S3 buckets and objects, DynamoDB tables, items and
streams, SNS topics, IAM, EventBridge rules, Scheduler schedules, Secrets Manager, SSM and the
rest. moto has no persistence of its own, so Gearbox keeps it, in the state dir:

- the **write log** (``moto-writes.<generation>.log``, ``writelog``): each request moto
  answered with success whose operation may change something (``is_write``: not ``Get*``,
  ``List*``, ``Describe*``, ``Head*``, ``Query``, ``Scan`` and the like) is appended as it
  came before the client has its answer, so an acknowledged write survives ``kill -9``;
- the **snapshot** (``moto.db``): every backend moto has made, pickled, one row per service,
  stored in the same transaction that names the log generation that follows it. It is taken
  when the cloud closes, after a start that replayed writes, soon after a write that makes an
  id later calls name (``makes_ids``: ``Create*``, ``Subscribe``, ``UpdateTable``), and
  whenever the log has grown
  past ``LOG_TO_SNAPSHOT`` times the snapshot's own size (and at least ``SNAPSHOT_AFTER``
  bytes), so the log a crash leaves behind stays bounded by the state and the cost of
  snapshots is spread over the writes (``bench/durable.py`` measures both).

``restore`` loads the snapshot into moto's backends, then sends the logged writes to moto
again, in order, before the edge serves. The backend's ``Gate`` keeps a snapshot from seeing
a write that is not logged yet: calls to moto share it, a snapshot has it alone; and writes
are applied and logged one at a time, so the log's order is moto's.

Pickling uses ``pickle``, or for a backend that holds lambdas (SSM's ``defaultdict``
factories) cloudpickle, a library made for pickling what ``pickle`` cannot; any dict
subclass is pickled by the items it really holds (``_Pickler.reducer_override``: S3's
versioned key store shows only each key's latest version). Two things are
left out of a snapshot: AWS managed IAM policies that nothing is attached to (about 4 MB; they
are made again from moto's data on load), and DynamoDB Streams shard iterators (AWS lets them
expire after 15 minutes; the stream pollers ask for new ones from their checkpoints). A backend
that cannot be pickled even so is left out with a warning: its last snapshot, if it had one,
stays, and its writes since are carried from log to log, to be replayed on that snapshot.

Where it differs from AWS: nothing is lost, but after a crash (not a clean stop) the writes
since the last snapshot are replayed, so what moto generates for them is generated again:
request ids, object version ids, dates, and a DynamoDB write's stream record, which a stream
mapping then delivers a second time (Lambda's stream processing is at-least-once on AWS too).
Ids that later calls name (a table's stream, an upload id, an ARN with a random part) change
only if the crash comes before the snapshot their write asked for has finished (for a state
of 26 MB, about 0.6 s). While a snapshot is taken, calls to moto wait for it. AWS managed
policies nothing uses get new policy ids on each start.
A snapshot made by another moto version is refused on load with a ``StateDirError`` that names
the file, rather than misread.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import logging
import pickle
import sqlite3
import sys
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import cloudpickle

from gearbox.errors import StateDirError
from gearbox.local.backend import writelog
from gearbox.local.backend.writelog import WriteLog
from gearbox.local.database import open_database, transaction
from gearbox.local.edge.messages import Request, Response

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS snapshot (
    module TEXT NOT NULL,
    name TEXT NOT NULL,
    taken REAL NOT NULL,
    moto TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (module, name)
);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL
);
"""
_VERSION = 1

# A snapshot is due once the log holds this many bytes ...
SNAPSHOT_AFTER = 4 * 1024 * 1024
# ... and more than this many times the last snapshot: a snapshot costs about as much per
# byte as logging that byte, and a crash is rare, so the log may grow to twice the snapshot.
LOG_TO_SNAPSHOT = 2
# What a logged write counts for besides its body (its record, and replaying it).
ROW_COST = 512

# Operations that only read, by the prefix of their name.
_READ_PREFIXES = (
    "Get",
    "List",
    "Describe",
    "Head",
    "Query",
    "Scan",
    "BatchGet",
    "TransactGet",
    "Select",
    "Search",
    "Simulate",
    "Generate",
    "Lookup",
    "Check",
    "Test",
    "Validate",
    "Estimate",
    "Preview",
    "Filter",
)
# Writes whose effect is a delivery, not state moto keeps (Gearbox delivers them itself).
_NOT_STATE = frozenset({"Publish", "PublishBatch", "PutEvents"})
# Services whose state is per-session credentials, made again on demand.
_NOT_KEPT = frozenset({"sts"})

_MOTO = version("moto")


def makes_ids(operation: str) -> bool:
    """Whether a write makes something whose generated id or ARN later calls name (a
    stream's label, an upload id, a subscription's or secret's ARN, an access key): a
    snapshot soon after it keeps that id across a crash, which a replay would not."""
    return operation.startswith("Create") or operation in _MAKES_IDS


_MAKES_IDS = frozenset({"Subscribe", "UpdateTable", "PublishVersion"})


def is_write(service: str, operation: str | None) -> bool:
    """Whether a call to moto's ``service`` (SigV4 signing name) may change what it holds.
    An operation the edge could not name counts as a write."""
    if service in _NOT_KEPT:
        return False
    if operation is None:
        return True
    return not operation.startswith(_READ_PREFIXES) and operation not in _NOT_STATE


class Gate:
    """Calls to moto share it; a snapshot holds it alone (no call half-done, none logged
    after it)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._calls = 0
        self._alone = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._cond:
            while self._alone:
                self._cond.wait()
            self._calls += 1
        try:
            yield
        finally:
            with self._cond:
                self._calls -= 1
                if self._calls == 0:
                    self._cond.notify_all()

    @contextmanager
    def alone(self) -> Iterator[None]:
        with self._cond:
            while self._alone:
                self._cond.wait()
            self._alone = True
            while self._calls:
                self._cond.wait()
        try:
            yield
        finally:
            with self._cond:
                self._alone = False
                self._cond.notify_all()


class MotoState:
    """moto's state in one state dir: the snapshot in ``moto.db``, the writes since in
    ``moto-writes.<generation>.log`` (``writelog``).

    Each snapshot starts a new log generation, named in the same transaction that stores the
    snapshot, so a kill at any step leaves one consistent pair: the snapshot and the log it
    names (files of other generations are left-overs, removed at the next start)."""

    def __init__(self, state_dir: Path) -> None:
        self._dir = state_dir
        self._path = state_dir / "moto.db"
        self._legacy_iam = state_dir / "iam.db"
        self._db = open_database(self._path, _SCHEMA, _VERSION)
        row = self._db.execute("SELECT generation FROM log WHERE id = 1").fetchone()
        self._generation = int(row[0]) if row is not None else 0
        self._log = WriteLog(self._log_path(self._generation))
        self._snapshot_size = 0
        self._closed = False
        self.gate = Gate()

    def close(self) -> None:
        self._closed = True
        self._log.close()
        self._db.close()

    def _log_path(self, generation: int) -> Path:
        return _log_path(self._dir, generation)

    # writes

    def record(self, service: str, operation: str, request: Request) -> None:
        """Log a write moto accepted (in the operating system's hands when this returns)."""
        self._log.append(service, operation, request)

    @staticmethod
    def logged_in(state_dir: Path) -> list[tuple[str, str]]:
        """The (service, operation) of each write in the state dir's current log, in order,
        read without opening the log for writing (so while a cloud runs on it)."""
        with contextlib.closing(sqlite3.connect(state_dir / "moto.db")) as db:
            row = db.execute("SELECT generation FROM log WHERE id = 1").fetchone()
        path = _log_path(state_dir, int(row[0]) if row else 0)
        return [(w.service, w.operation) for w in writelog.read(path)]

    def due(self) -> bool:
        """Whether the log has grown enough that a snapshot should replace it."""
        pending = self._log.size + ROW_COST * self._log.count
        return pending >= max(SNAPSHOT_AFTER, LOG_TO_SNAPSHOT * self._snapshot_size)

    def dirty(self) -> bool:
        """Whether the log holds any write (a snapshot would change something)."""
        return self._log.count > 0

    # snapshots

    def snapshot(self) -> int:
        """Pickle moto's backends and start an empty log (the caller holds
        ``gate.alone()``). Returns the snapshot's size in bytes (0 once closed: a background
        snapshot that waited for the gate while the cloud closed has nothing left to do)."""
        if self._closed:
            return 0
        started = time.perf_counter()
        pickled: dict[tuple[str, str], bytes] = {}
        left_out: set[str] = set()
        failed: set[tuple[str, str]] = set()
        for home, backends_of in _backend_dicts():
            try:
                pickled[home] = _pickled(backends_of)
            except Exception as exc:  # whatever the pickler meets
                log.warning(
                    "moto's %s state cannot be pickled (%s); its writes are replayed instead",
                    backends_of.service_name,
                    exc,
                )
                left_out.add(backends_of.service_name)
                failed.add(home)
        generation = self._generation + 1
        following = WriteLog(self._log_path(generation))
        following.truncate()  # a left-over of a snapshot killed before it was stored
        if left_out:
            kept = _kept_services(left_out)
            for logged in writelog.read(self._log.path):
                if logged.service in kept:
                    following.append(logged.service, logged.operation, logged.request)
        with transaction(self._db):
            # a backend left out keeps its last snapshot, if it had one: its writes since
            # then go on from log to log
            for module, name in self._db.execute("SELECT module, name FROM snapshot").fetchall():
                if (module, name) not in failed:
                    self._db.execute(
                        "DELETE FROM snapshot WHERE module = ? AND name = ?", (module, name)
                    )
            now = time.time()
            self._db.executemany(
                "INSERT INTO snapshot (module, name, taken, moto, data) VALUES (?, ?, ?, ?, ?)",
                [(module, name, now, _MOTO, data) for (module, name), data in pickled.items()],
            )
            self._db.execute(
                "INSERT OR REPLACE INTO log (id, generation) VALUES (1, ?)", (generation,)
            )
        self._log.close()
        self._log.path.unlink(missing_ok=True)
        self._log, self._generation = following, generation
        self._snapshot_size = sum(len(data) for data in pickled.values())
        log.debug(
            "moto snapshot: %d services, %d bytes, %.0f ms",
            len(pickled),
            self._snapshot_size,
            (time.perf_counter() - started) * 1000,
        )
        return self._snapshot_size

    def restore(self, answer: Callable[[Request], Response]) -> int:
        """Load the snapshot into moto, then send the logged writes to ``answer`` in order;
        how many writes were replayed. moto must be empty (just reset)."""
        for stale in self._dir.glob("moto-writes.*.log"):
            if stale != self._log.path:
                stale.unlink()
        self._adopt_legacy_iam()
        rows = self._db.execute("SELECT module, name, moto, data FROM snapshot").fetchall()
        for module, name, made_with, data in rows:
            if made_with != _MOTO:
                raise StateDirError(
                    f"{self._path} holds a snapshot of moto {made_with}'s state, and this "
                    f"Gearbox runs moto {_MOTO}; move it away to start S3, DynamoDB and the "
                    "other backend services empty"
                )
            try:
                regions = _Unpickler(io.BytesIO(data)).load()
                backends_of = getattr(import_module(module), name)
            except Exception as exc:
                raise StateDirError(
                    f"{self._path}: the snapshot of {module}.{name} cannot be read ({exc})"
                ) from exc
            for (account, region), backend in regions.items():
                dict.__setitem__(backends_of[account], region, backend)
            self._snapshot_size += len(data)
        replayed = 0
        for logged in writelog.read(self._log.path):
            replayed += 1
            try:
                response = answer(logged.request)
            except Exception:  # a stored write moto now fails on: the others still count
                log.warning(
                    "%s %s kept from an earlier run failed on replay",
                    logged.service,
                    logged.operation,
                    exc_info=True,
                )
                continue
            if not 200 <= response.status < 300:
                log.warning(
                    "%s %s kept from an earlier run was refused on replay (%d): %s",
                    logged.service,
                    logged.operation,
                    response.status,
                    response.body[:300].decode("utf-8", "replace"),
                )
        return replayed

    def _adopt_legacy_iam(self) -> None:
        """Earlier Gearbox versions kept IAM's writes alone, in ``iam.db``; they join the log
        (replayed before anything newer) and that file is renamed out of the way."""
        if not self._legacy_iam.exists():
            return
        legacy = sqlite3.connect(self._legacy_iam)
        try:
            rows = legacy.execute(
                "SELECT action, method, path, query, headers, body FROM writes ORDER BY seq"
            ).fetchall()
        except sqlite3.Error:
            rows = []
        finally:
            legacy.close()
        for action, method, path, query, headers, body in rows:
            request = Request(
                method=method,
                path=path,
                query_string=query,
                headers=tuple((str(k), str(v)) for k, v in json.loads(headers)),
                body=bytes(body),
            )
            self._log.append("iam", action, request)
        self._legacy_iam.rename(self._legacy_iam.with_name("iam.db.adopted"))
        log.info("IAM writes of %s (%d) adopted into moto's log", self._legacy_iam, len(rows))


def _log_path(state_dir: Path, generation: int) -> Path:
    return state_dir / f"moto-writes.{generation}.log"


# moto's backends, out and in


def _backend_dicts() -> Iterator[tuple[tuple[str, str], Any]]:
    """Each ``BackendDict`` moto has filled, with the module and name it lives under."""
    from moto.core.base_backend import BackendDict

    for backends_of in list(BackendDict._instances):  # type: ignore[misc]
        home = _home(backends_of)
        if home is None:
            log.warning("moto's %s state has no home to restore it to", backends_of.service_name)
            continue
        yield home, backends_of


def _home(backends_of: Any) -> tuple[str, str] | None:
    """The module and name under which moto keeps a ``BackendDict``."""
    module = sys.modules.get(backends_of.backend.__module__)
    for name, value in vars(module or object()).items():
        if value is backends_of:
            return backends_of.backend.__module__, name
    return None


def _pickled(backends_of: Any) -> bytes:
    """One ``BackendDict``'s backends, by (account, region), pickled: with plain pickle if
    it can, else with cloudpickle."""
    regions = {
        (account, region): _trimmed(backend)
        for account, by_region in list(backends_of.items())
        for region, backend in list(by_region.items())
    }
    buffer = io.BytesIO()
    pickler = _IamPickler if backends_of.service_name == "iam" else _Pickler
    try:
        pickler(buffer).dump(regions)
    except (pickle.PicklingError, AttributeError, TypeError):
        buffer = io.BytesIO()
        _CloudPickler(buffer).dump(regions)
    return buffer.getvalue()


def _trimmed(backend: Any) -> Any:
    """``backend`` as it is pickled: a Streams backend without its shard iterators."""
    if type(backend).__name__ == "DynamoDBStreamsBackend":
        backend = copy.copy(backend)
        backend.shard_iterators = {}
    return backend


def _kept_services(left_out: set[str]) -> list[str]:
    """The SigV4 signing names whose writes stay logged, for moto services left out of a
    snapshot."""
    from moto.moto_server.werkzeug_app import SIGNING_ALIASES

    signing = {alias for alias, name in SIGNING_ALIASES.items() if name in left_out}
    return sorted(left_out | signing)


_AWS_MANAGED = "aws-managed-policy"


class _Pickler(pickle.Pickler):
    """pickle, for moto's dict subclasses."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)

    def reducer_override(self, obj: Any) -> Any:
        # A dict subclass is pickled by the items its own methods show and rebuilt through
        # its own __setitem__ (and defaultdict and OrderedDict call their type to rebuild).
        # moto's subclasses differ there: S3's versioned key store shows only the latest
        # version of each key and appends on __setitem__, SSM's ParameterDict needs
        # arguments, DynamoDB's LimitedSizeDict measures itself at each __setitem__. So any
        # dict subclass is rebuilt without its __init__, with the items it really holds.
        kind = type(obj)
        if isinstance(obj, dict) and kind not in _PLAIN_DICTS:
            factory = obj.default_factory if isinstance(obj, defaultdict) else None
            state = (getattr(obj, "__dict__", None), list(dict.items(obj)))
            return _made_dict, (kind, factory), state, None, None, _fill_dict
        return NotImplemented


class _IamPickler(_Pickler):
    """``_Pickler`` that leaves out the AWS managed policies nothing is attached to (a
    persistent id is asked for every object pickled, so only IAM's pickler has one)."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file)
        from moto.iam.models import AWSManagedPolicy

        self._managed = AWSManagedPolicy

    def persistent_id(self, obj: Any) -> Any:
        if obj.__class__ is self._managed and obj.attachment_count == 0:
            return (_AWS_MANAGED, obj.account_id, obj.partition, obj.arn)
        return None


class _CloudPickler(_Pickler, cloudpickle.Pickler):  # type: ignore[misc]
    """``_Pickler`` that also pickles lambdas and local functions (by value), for the
    backends plain pickle refuses; slower (its dispatch table is a ChainMap)."""

    def reducer_override(self, obj: Any) -> Any:
        reduced = _Pickler.reducer_override(self, obj)
        if reduced is NotImplemented:
            return cloudpickle.Pickler.reducer_override(self, obj)
        return reduced


_PLAIN_DICTS = frozenset({dict, defaultdict, OrderedDict})


def _made_dict(kind: type[dict[Any, Any]], factory: Any) -> dict[Any, Any]:
    made = kind.__new__(kind)
    if isinstance(made, defaultdict):
        defaultdict.__init__(made, factory)
    elif isinstance(made, OrderedDict):
        OrderedDict.__init__(made)
    return made


def _fill_dict(made: dict[Any, Any], state: tuple[dict[str, Any] | None, list[Any]]) -> None:
    attributes, items = state
    if attributes:
        vars(made).update(attributes)
    put = OrderedDict.__setitem__ if isinstance(made, OrderedDict) else dict.__setitem__
    for key, value in items:
        put(made, key, value)


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file)
        self._managed: dict[tuple[str, str], dict[str, Any]] = {}

    def persistent_load(self, pid: Any) -> Any:
        kind, account, partition, arn = pid
        if kind != _AWS_MANAGED:
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        policies = self._managed.get((account, partition))
        if policies is None:
            policies = self._managed[(account, partition)] = _aws_managed(account, partition)
        return policies[arn]


def _aws_managed(account: str, partition: str) -> dict[str, Any]:
    """AWS's managed policies as moto makes them for an account's IAM backend, by ARN (with
    ``speedups``, from moto's JSON parsed once per process)."""
    from moto.iam.models import IAMBackend

    backend = SimpleNamespace(account_id=account, region_name=partition)
    made = IAMBackend._init_aws_policies(backend)  # type: ignore[arg-type]
    return {policy.arn: policy for policy in made}
