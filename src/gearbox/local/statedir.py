"""The state directory: where the local cloud keeps what must survive a restart.

``open_state_dir`` makes sure the directory exists and is writable, refuses one written by a
newer Gearbox (``FORMAT``), and takes an exclusive lock (``flock`` on ``gearbox.lock``) so that a
second ``gearbox up`` on the same directory fails at once instead of corrupting it. The lock is
released by the kernel when the process ends, however it ends. A ``.gitignore`` holding ``*`` is
written into the directory so git ignores it wherever it is.
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from gearbox.errors import StateDirError, StateDirLocked

FORMAT = 1
_FORMAT_FILE = "format.json"
_LOCK_FILE = "gearbox.lock"


@dataclass
class StateDir:
    path: Path
    _lock: IO[str]

    def release(self) -> None:
        self._lock.close()


def open_state_dir(path: Path, version: str) -> StateDir:
    """Create, check and lock ``path``; raise ``StateDirError`` with a one-line reason."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateDirError(f"cannot create state dir {path}: {exc.strerror}") from exc
    if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
        raise StateDirError(f"state dir {path} is not writable")
    lock = _lock(path)
    try:
        _check_format(path, version)
        gitignore = path / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text("# written by gearbox: local cloud state\n*\n")
    except BaseException:
        lock.close()
        raise
    return StateDir(path=path.resolve(), _lock=lock)


def _lock(path: Path) -> IO[str]:
    try:
        handle = open(path / _LOCK_FILE, "a+")  # noqa: SIM115 - held for the process's life
    except OSError as exc:
        raise StateDirError(f"state dir {path} is not writable: {exc.strerror}") from exc
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise StateDirLocked(
            f"state dir {path} is in use by another gearbox up ({holder})"
        ) from exc
    handle.seek(0)
    handle.truncate()
    handle.write(f"pid {os.getpid()}\n")
    handle.flush()
    return handle


def _check_format(path: Path, version: str) -> None:
    marker = path / _FORMAT_FILE
    if marker.exists():
        try:
            found = json.loads(marker.read_text())
            found_format = int(found["format"])
        except (ValueError, KeyError, TypeError) as exc:
            raise StateDirError(f"state dir {path} has an unreadable {_FORMAT_FILE}") from exc
        if found_format > FORMAT:
            raise StateDirError(
                f"state dir {path} was written by a newer Gearbox "
                f"({found.get('gearbox', '?')}, format {found_format}; this is format {FORMAT})"
            )
    try:
        marker.write_text(json.dumps({"format": FORMAT, "gearbox": version}) + "\n")
    except OSError as exc:
        raise StateDirError(f"state dir {path} is not writable: {exc.strerror}") from exc
