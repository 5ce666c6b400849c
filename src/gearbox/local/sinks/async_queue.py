"""Lambda's asynchronous event queue: durable events, retries on Lambda's schedule, records
to destinations and dead-letter queues.

AWS (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html): "Lambda places the
event in a queue and returns a success response"; "a separate process reads events from the
queue and sends them to your function". ``enqueue`` commits the event before it returns, so
Invoke answers 202 only for an event that survives the process being killed; ``step`` (tests)
and ``run_forever`` (a server) are that separate process. What happens after each attempt is
``decisions``; what destinations receive is ``records``; how it gets there is a
``Deliverer``.

Storage: one SQLite file in WAL mode with ``synchronous=NORMAL``, one transaction per
operation, as ``gearbox.local.sqs.store``. Table ``events`` holds pending events with their
retry state; ``outbox`` holds records decided but not yet delivered. Finishing an event
deletes it and writes its records in one transaction, then delivers them, so a crash between
the two delivers them after the restart rather than running the function again. An event
being invoked when the process dies is invoked again after the restart (claims live in
memory only): at least once, as on AWS, where "your function may receive the same event
multiple times". A record that cannot be delivered is logged and dropped, as AWS drops it
(and counts ``DestinationDeliveryFailures`` / ``DeadLetterErrors``).

Recursive loop detection (``lineage``): each invocation runs with the event's trace header
plus one hop of the function; an event whose header shows the function has already run
``MAX_INVOCATIONS`` (16) times in its chain is not invoked, is logged, and goes to the
on-failure destination (condition ``RetriesExhausted``, ``approximateInvokeCount`` 0) and the
dead-letter queue (``ErrorCode`` 400, RecursiveInvocationException).

Where it differs from AWS: no S3 on-failure destinations; no per-version or per-alias
settings; settings are read when each attempt is due, so a change applies to queued events;
an event of a function that no longer exists is dropped (logged). AWS's condition for a
recursion stop is undocumented (see above). The queue does not throttle itself: concurrency
limits are the target's (``Throttled``); AWS sends the events of a function with reserved
concurrency 0 to on-failure at once, Gearbox retries them as throttles until they expire.
An attempt picked up late (within ``SCHEDULER_SLACK``) is judged by its age when due, so a
busy loop does not turn a retry into ``EventAgeExceeded``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from gearbox.clock import Clock
from gearbox.local.database import open_database, transaction
from gearbox.local.functions.model import Invocation, InvokeResult, Throttled
from gearbox.local.journal import Journal
from gearbox.local.sinks import decisions, lineage, records
from gearbox.local.sinks.config import EventInvokeConfig
from gearbox.local.sinks.decisions import (
    Condition,
    Deliver,
    EventState,
    FunctionFailed,
    GiveUp,
    Outcome,
    Retry,
    Succeeded,
    SystemFailed,
    WasThrottled,
)
from gearbox.local.sinks.records import LastResponse

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
RECURSION_ERROR = (400, "RecursiveInvocationException: Lambda detected a recursive loop")
NEVER_RAN_ERROR = (500, "Event age exceeded before the function could run")
# An attempt picked up at most this late (a busy loop, the poll interval) is judged by the
# event's age when it was due, so a retry due exactly at the maximum age still runs.
SCHEDULER_SLACK = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    function TEXT NOT NULL,
    request_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    trace_id TEXT,
    enqueued_at REAL NOT NULL,
    due_at REAL NOT NULL,
    invokes INTEGER NOT NULL DEFAULT 0,
    function_errors INTEGER NOT NULL DEFAULT 0,
    backoffs INTEGER NOT NULL DEFAULT 0,
    last_payload BLOB,
    last_function_error TEXT,
    error_code INTEGER,
    error_message TEXT
);
CREATE INDEX IF NOT EXISTS events_by_due ON events (due_at, seq);
CREATE INDEX IF NOT EXISTS events_by_function ON events (function);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    destination TEXT NOT NULL,
    record TEXT,
    body BLOB,
    attributes TEXT
);
"""

_EVENT_COLUMNS = (
    "seq, function, request_id, payload, trace_id, enqueued_at, due_at, invokes, "
    "function_errors, backoffs, last_payload, last_function_error, error_code, error_message"
)


class AsyncTarget(Protocol):
    """The functions the queue invokes."""

    def event_config(self, function_name: str) -> EventInvokeConfig | None:
        """The function's settings; None when the function is gone."""
        ...

    async def invoke(self, function_name: str, invocation: Invocation) -> InvokeResult:
        """Run the function; raises ``Throttled`` when it has no concurrency left."""
        ...


class Deliverer(Protocol):
    """Sends a record (a dict, sent as JSON) or a DLQ body (bytes) to an ARN."""

    async def send(
        self,
        destination_arn: str,
        record: dict[str, Any] | bytes,
        attributes: dict[str, str] | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class _Event:
    seq: int
    function: str
    request_id: str
    payload: bytes
    trace_id: str | None
    due_at: float
    state: EventState
    last: LastResponse | None  # the function's last response, if it ever ran
    error: tuple[int, str] | None  # (ErrorCode, ErrorMessage) of the last failure


@dataclass(frozen=True)
class _Letter:
    destination: str
    record: dict[str, Any] | None
    body: bytes | None
    attributes: dict[str, str] | None


class AsyncInvokeQueue:
    def __init__(
        self,
        path: Path,
        clock: Clock,
        target: AsyncTarget,
        deliver: Deliverer,
        *,
        max_invocations: int = lineage.MAX_INVOCATIONS,
        journal: Journal | None = None,
    ) -> None:
        self._journal = journal
        self._clock = clock
        self._target = target
        self._deliver = deliver
        self._max_invocations = max_invocations
        self._lock = threading.Lock()
        self._claimed: set[int] = set()  # events being invoked by this process
        self._sending: set[int] = set()  # outbox rows being delivered
        self._waker: tuple[asyncio.AbstractEventLoop, asyncio.Event] | None = None
        self._db = open_database(path, _SCHEMA, SCHEMA_VERSION)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # the API side

    def enqueue(
        self, function_name: str, payload: bytes, request_id: str, trace_id: str | None
    ) -> None:
        """Store an event, committed before this returns; it is due at once."""
        now = self._clock.now()
        with self._transaction():
            self._db.execute(
                "INSERT INTO events (function, request_id, payload, trace_id, enqueued_at, "
                "due_at) VALUES (?, ?, ?, ?, ?, ?)",
                (function_name, request_id, payload, trace_id, now, now),
            )
        self._wake()

    def pending(self, function_name: str) -> int:
        """Events of the function not yet finished (waiting, due or being invoked)."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*) FROM events WHERE function=?", (function_name,)
            ).fetchone()
        return int(row[0])

    def waiting(self, function_name: str) -> list[tuple[float, int]]:
        """(due time, invocations so far) of each event of the function not yet finished,
        the earliest due first (tests and diagnostics: a retry is scheduled once its event
        shows the new count)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT due_at, invokes FROM events WHERE function=? ORDER BY due_at, seq",
                (function_name,),
            ).fetchall()
        return [(float(due), int(invokes)) for due, invokes in rows]

    # the engine side

    async def step(self) -> int:
        """Run every event due at ``clock.now()`` (concurrently) and deliver their records;
        the number of events run. Events that fall due meanwhile wait for the next step."""
        await self._drain()
        events = self._claim(self._clock.now())
        await asyncio.gather(*(self._run(event) for event in events))
        return len(events)

    async def run_forever(self, poll_seconds: float = 0.2) -> None:
        """Run events as they fall due until cancelled; ``enqueue`` wakes it early.
        Cancelling it cancels the invocations in flight; their events stay queued."""
        wake = asyncio.Event()
        self._waker = (asyncio.get_running_loop(), wake)
        running: set[asyncio.Task[None]] = set()
        try:
            jobs = [self._drain()]  # records left over from before a restart
            while True:
                wake.clear()
                jobs.extend(self._run(event) for event in self._claim(self._clock.now()))
                for job in jobs:
                    task = asyncio.create_task(job)
                    running.add(task)
                    task.add_done_callback(running.discard)
                jobs = []
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), poll_seconds)
        finally:
            self._waker = None
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    # one event

    async def _run(self, event: _Event) -> None:
        try:
            await self._attempt(event)
        except Exception:
            log.exception("async invoke of %s (%s) failed", event.function, event.request_id)
        finally:
            self._claimed.discard(event.seq)
        await self._drain()

    async def _attempt(self, event: _Event) -> None:
        config = self._target.event_config(event.function)
        if config is None:
            log.warning("dropping event %s: %s no longer exists", event.request_id, event.function)
            with self._transaction():
                self._db.execute("DELETE FROM events WHERE seq=?", (event.seq,))
            return
        now = self._clock.now()
        judged_at = event.due_at if now - event.due_at <= SCHEDULER_SLACK else now
        if decisions.expired(event.state, config, judged_at):
            self._finish(event, config, Condition.EVENT_AGE_EXCEEDED, now)
            return
        if lineage.hops(event.trace_id, config.function_arn) >= self._max_invocations:
            log.warning(
                "recursive loop: event %s has run %s %d times; not invoking it again",
                event.request_id,
                config.function_arn,
                self._max_invocations,
            )
            stopped = replace(event, error=RECURSION_ERROR)
            self._finish(stopped, config, Condition.RETRIES_EXHAUSTED, now)
            return
        outcome = await self._invoke(event, config)
        now = self._clock.now()
        decision = decisions.decide(event.state, outcome, config, now)
        after = _after(event, outcome)
        match decision:
            case Retry(at=at):
                self._reschedule(after, at)
            case Deliver(condition=condition) | GiveUp(condition=condition):
                self._finish(after, config, condition, now)

    async def _invoke(self, event: _Event, config: EventInvokeConfig) -> Outcome:
        invocation = Invocation(
            request_id=event.request_id,
            payload=event.payload,
            trace_id=lineage.next_trace_header(event.trace_id, config.function_arn),
            trigger="async",
            attempt=event.state.invokes + 1,
        )
        try:
            result = await self._target.invoke(event.function, invocation)
        except Throttled as exc:
            return WasThrottled(exc.reason)
        except Exception as exc:  # anything else is Lambda failing to run it: a 500
            log.warning("async invoke of %s: system error %r", event.function, exc)
            return SystemFailed(f"{type(exc).__name__}: {exc}")
        if result.function_error is None:
            return Succeeded(result.payload)
        return FunctionFailed(result.payload, result.function_error)

    def _reschedule(self, event: _Event, at: float) -> None:
        state, last = event.state, event.last
        code, message = event.error or (None, None)
        with self._transaction():
            self._db.execute(
                "UPDATE events SET due_at=?, invokes=?, function_errors=?, backoffs=?, "
                "last_payload=?, last_function_error=?, error_code=?, error_message=? "
                "WHERE seq=?",
                (
                    at,
                    state.invokes,
                    state.function_errors,
                    state.backoffs,
                    None if last is None else last.payload,
                    None if last is None else last.function_error,
                    code,
                    message,
                    event.seq,
                ),
            )

    def _finish(
        self, event: _Event, config: EventInvokeConfig, condition: Condition, now: float
    ) -> None:
        """Delete the event and store its records, in one transaction."""
        letters = _letters(event, config, condition, now)
        log.info(
            "async invoke of %s (%s) finished: %s after %d invocation(s)",
            event.function,
            event.request_id,
            condition,
            event.state.invokes,
        )
        if self._journal is not None and condition is not Condition.SUCCESS:
            self._journal.record(
                "async-failed",
                event.function.rsplit(":", 1)[-1],
                request_id=event.request_id,
                condition=str(condition),
                invokes=event.state.invokes,
                sent_to=[letter.destination for letter in letters],
            )
        with self._transaction():
            self._db.execute("DELETE FROM events WHERE seq=?", (event.seq,))
            for letter in letters:
                self._db.execute(
                    "INSERT INTO outbox (destination, record, body, attributes) "
                    "VALUES (?, ?, ?, ?)",
                    (
                        letter.destination,
                        None if letter.record is None else json.dumps(letter.record),
                        letter.body,
                        None if letter.attributes is None else json.dumps(letter.attributes),
                    ),
                )

    # delivery

    async def _drain(self) -> None:
        """Deliver every stored record; a failed delivery is logged and dropped."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, destination, record, body, attributes FROM outbox ORDER BY id"
            ).fetchall()
        for row_id, destination, record, body, attributes in rows:
            if row_id in self._sending:
                continue
            self._sending.add(row_id)
            try:
                content: dict[str, Any] | bytes = json.loads(record) if record else bytes(body)
                await self._deliver.send(
                    destination, content, json.loads(attributes) if attributes else None
                )
            except Exception as exc:
                log.warning("could not deliver to %s, dropping it: %s", destination, exc)
            finally:
                self._sending.discard(row_id)
            with self._transaction():
                self._db.execute("DELETE FROM outbox WHERE id=?", (row_id,))

    # storage

    def _claim(self, now: float) -> list[_Event]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_EVENT_COLUMNS} FROM events INDEXED BY events_by_due "
                "WHERE due_at<=? ORDER BY due_at, seq",
                (now,),
            ).fetchall()
        events = [_row_event(row) for row in rows if row[0] not in self._claimed]
        self._claimed.update(event.seq for event in events)
        return events

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock, transaction(self._db):
            yield

    def _wake(self) -> None:
        waker = self._waker
        if waker is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed
                waker[0].call_soon_threadsafe(waker[1].set)


def _row_event(row: tuple[Any, ...]) -> _Event:
    seq, function, request_id, payload, trace_id, enqueued_at, due_at = row[:7]
    invokes, errors, backoffs, last_payload, last_error, code, message = row[7:]
    last = None if last_payload is None else LastResponse(bytes(last_payload), last_error)
    return _Event(
        seq=seq,
        function=function,
        request_id=request_id,
        payload=bytes(payload),
        trace_id=trace_id,
        due_at=due_at,
        state=EventState(enqueued_at, invokes, errors, backoffs),
        last=last,
        error=None if code is None else (int(code), str(message)),
    )


def _after(event: _Event, outcome: Outcome) -> _Event:
    """The event as it stands after ``outcome``."""
    state = decisions.count(event.state, outcome)
    last: LastResponse | None
    match outcome:
        case Succeeded(response=response):
            last, error = LastResponse(response, None), event.error
        case FunctionFailed(response=response, function_error=function_error):
            last = LastResponse(response, function_error)
            error = (200, records.error_message(response))
        case WasThrottled(reason=reason):
            last, error = event.last, (429, f"TooManyRequestsException: {reason}")
        case SystemFailed(message=message):
            last, error = event.last, (500, message)
    return replace(event, state=state, last=last, error=error)


def _letters(
    event: _Event, config: EventInvokeConfig, condition: Condition, now: float
) -> list[_Letter]:
    """What the destinations and the dead-letter queue receive for a finished event."""
    destination = config.on_success if condition is Condition.SUCCESS else config.on_failure
    letters: list[_Letter] = []
    if destination is not None:
        record = records.invocation_record(
            request_id=event.request_id,
            function_arn=config.function_arn,
            condition=condition,
            approximate_invoke_count=event.state.invokes,
            request_payload=event.payload,
            response=event.last,
            now=now,
        )
        letters.append(_Letter(destination, record, None, None))
    if condition is not Condition.SUCCESS and config.dead_letter_arn is not None:
        code, message = event.error or NEVER_RAN_ERROR
        attributes = records.dead_letter_attributes(event.request_id, code, message)
        letters.append(_Letter(config.dead_letter_arn, None, event.payload, attributes))
    return letters
