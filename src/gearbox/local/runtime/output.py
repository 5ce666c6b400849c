"""An execution environment's stdout and stderr, read as lines off one pipe.

The read end is non-blocking and watched by the event loop. ``take()`` also reads whatever is
in the pipe at that moment: awslambdaric flushes every write before it posts the handler's
result, so once the result has arrived, everything the handler printed can be taken at once,
without waiting for the loop to get round to the pipe.

awslambdaric joins the lines of an error report with ``\\r`` (one CloudWatch event); they are
split into lines here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

_CHUNK = 65536


class Output:
    def __init__(self) -> None:
        read_fd, self.write_fd = os.pipe()
        os.set_blocking(read_fd, False)
        self._fd: int | None = read_fd
        self._partial = b""
        self._lines: list[str] = []
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(read_fd, self._read)

    def child_started(self) -> None:
        """The child holds the write end now; closing ours lets EOF arrive when it exits."""
        os.close(self.write_fd)

    def take(self) -> list[str]:
        """The lines printed since the last call (a trailing partial line included)."""
        self._read()
        lines, self._lines = self._lines, []
        if self._partial:
            lines.append(_decode(self._partial))
            self._partial = b""
        return [part for line in lines for part in line.split("\r")]

    def close(self) -> None:
        """Stop reading; what the pipe held is kept for ``take()``."""
        self._read()
        if self._fd is not None:
            self._loop.remove_reader(self._fd)
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    def _read(self) -> None:
        while self._fd is not None:
            try:
                chunk = os.read(self._fd, _CHUNK)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._loop.remove_reader(self._fd)
                os.close(self._fd)
                self._fd = None
                return
            *complete, self._partial = (self._partial + chunk).split(b"\n")
            self._lines.extend(_decode(line) for line in complete)


def _decode(line: bytes) -> str:
    return line.rstrip(b"\r").decode("utf-8", "replace")
