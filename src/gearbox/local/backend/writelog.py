"""An append-only file of the requests that changed moto's state, read back in order.

Each record is one ``os.writev`` of a 12-byte header (the lengths of its metadata and body,
and the CRC-32 of both), its metadata (JSON: service, operation, method, path, query string,
headers) and the request body. Once ``append`` returns, the record is in the operating
system's hands: it survives the process being killed at any instant (as SQLite's WAL with
``synchronous=NORMAL`` does; a power loss can take the last ones back). A record the process
was killed in the middle of writing was never acknowledged; ``read`` stops before it (its CRC
or its length does not match) and ``WriteLog`` cuts it off before appending after it.

Why not SQLite, as the rest of the state dir: a write here is on the path of every S3 and
DynamoDB write a user or a function makes, and an SQLite commit per write costs about 30 us
where a ``writev`` costs a few (``bench/durable.py`` shows the cost per write).

Where it differs from AWS: it is not AWS's; nothing here is visible through the API.
"""

from __future__ import annotations

import json
import os
import struct
import threading
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gearbox.local.edge.messages import Request

_HEADER = struct.Struct("<III")  # metadata length, body length, CRC-32 of metadata + body


@dataclass(frozen=True)
class Logged:
    """One logged write."""

    service: str
    operation: str
    request: Request
    end: int  # the file offset just after it

    @property
    def size(self) -> int:
        return len(self.request.body)


def read(path: Path) -> Iterator[Logged]:
    """The whole records of the log at ``path``, in order (none if it does not exist)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return
    offset = 0
    while offset + _HEADER.size <= len(data):
        meta_length, body_length, crc = _HEADER.unpack_from(data, offset)
        start = offset + _HEADER.size
        end = start + meta_length + body_length
        if end > len(data) or zlib.crc32(data[start:end]) != crc:
            return  # a record cut short by a kill: never acknowledged
        try:
            service, operation, method, where, query, headers = json.loads(
                data[start : start + meta_length]
            )
        except ValueError:
            return
        request = Request(
            method=method,
            path=where,
            query_string=query,
            headers=tuple((str(k), str(v)) for k, v in headers),
            body=data[start + meta_length : end],
        )
        yield Logged(service, operation, request, end)
        offset = end


class WriteLog:
    """The log file at ``path``, opened for appending (a torn last record cut off first)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        whole = 0
        self.count = 0
        self.size = 0  # bytes of request bodies
        for logged in read(path):
            whole = logged.end
            self.count += 1
            self.size += logged.size
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.truncate(self._fd, whole)
        self._lock = threading.Lock()

    def append(self, service: str, operation: str, request: Request) -> None:
        meta = json.dumps(
            [
                service,
                operation,
                request.method,
                request.path,
                request.query_string,
                request.headers,
            ]
        ).encode()
        body = request.body
        header = _HEADER.pack(len(meta), len(body), zlib.crc32(body, zlib.crc32(meta)))
        with self._lock:
            _write_all(self._fd, [header, meta, body])
            self.count += 1
            self.size += len(body)

    def truncate(self) -> None:
        """Empty the log."""
        with self._lock:
            os.truncate(self._fd, 0)
            self.count = self.size = 0

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def _write_all(fd: int, parts: list[bytes]) -> None:
    """``writev`` until every byte is written (a regular file takes all at once but for a
    full disk or a signal)."""
    views = [memoryview(p) for p in parts if p]
    while views:
        written = os.writev(fd, views)
        while views and written >= len(views[0]):
            written -= len(views[0])
            views.pop(0)
        if views and written:
            views[0] = views[0][written:]
