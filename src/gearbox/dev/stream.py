"""The live view of ``gearbox dev``: the local cloud's journal, one readable line per entry.

``JournalFeed`` reads ``GET /_gearbox/journal`` from the edge (so it works against any
running local cloud, not only one it started); ``line`` formats one entry. Times are local.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

from gearbox.errors import GearboxError


def line(entry: dict[str, Any]) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(entry["time"]))
    stamp += f".{int(entry['time'] * 1000) % 1000:03d}"
    kind = entry["kind"]
    if kind == "invocation":
        return f"{stamp}  {_invocation(entry)}"
    if kind == "dead-letter":
        return (
            f"{stamp}  DEAD-LETTER  message {entry['message_id']} left {entry['queue']} "
            f"for {entry['dead_letter_queue']} ({entry.get('reason', 'maxReceiveCount reached')})"
        )
    if kind == "undelivered":
        return (
            f"{stamp}  UNDELIVERED  {entry['event']} from {entry['source']} to "
            f"{entry['destination']}: {entry['reason']}"
        )
    if kind == "async-failed":
        sent = ", ".join(entry.get("sent_to") or []) or "nowhere (no destination or DLQ)"
        return (
            f"{stamp}  {entry['function']}  async event {entry['request_id']} gave up: "
            f"{entry['condition']} after {entry['invokes']} invocation(s); sent to {sent}"
        )
    return f"{stamp}  {kind} {json.dumps(entry, sort_keys=True)}"


def _invocation(entry: dict[str, Any]) -> str:
    parts = [str(entry["function"]), f"<- {entry['trigger']}"]
    attempt = int(entry.get("attempt", 1))
    if attempt > 1:  # an SQS message's receive count, or an async event's attempt
        parts.append(
            f"receive {attempt}" if entry["trigger"].startswith("sqs:") else f"retry {attempt - 1}"
        )
    outcome = entry["outcome"]
    if outcome == "throttled":
        parts.append("THROTTLED (will be retried)")
        return "  ".join(parts)
    start = f"cold (init {entry['init_ms']:.0f} ms)" if entry.get("cold") else "warm"
    parts += [start, f"{entry['duration_ms']:.1f} ms"]
    if outcome == "ok":
        parts.append("ok")
    elif outcome == "partial":
        parts.append(f"PARTIAL: {entry['failed_items']} item(s) failed, will return")
    else:
        parts.append(f"ERROR {entry.get('error_type', '')}: {entry.get('error_message', '')}")
    return "  ".join(parts)


class JournalFeed:
    """Entries of the local cloud's journal, newest after ``after``."""

    def __init__(self, endpoint_url: str, after: int | None = None) -> None:
        self._url = endpoint_url.rstrip("/") + "/_gearbox/journal"
        self.after = self.latest() if after is None else after

    def latest(self) -> int:
        return int(self._get(f"{self._url}?after=0&limit=1")["last"])

    def poll(self) -> Iterator[dict[str, Any]]:
        """Entries written since the last poll, oldest first."""
        while True:
            body = self._get(f"{self._url}?after={self.after}&limit=500")
            entries = body["entries"]
            for entry in entries:
                self.after = int(entry["id"])
                yield entry
            if len(entries) < 500:
                return

    def _get(self, url: str) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                body: dict[str, Any] = json.load(response)
        except urllib.error.HTTPError as exc:
            raise GearboxError(
                f"{url} answered {exc.code}: is that a Gearbox local cloud?"
            ) from exc
        except (urllib.error.URLError, OSError) as exc:
            raise GearboxError(f"cannot reach the local cloud at {url}: {exc}") from exc
        return body
