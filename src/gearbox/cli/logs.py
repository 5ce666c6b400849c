"""``gearbox logs``: print a function's log from the state dir, and follow it."""

from __future__ import annotations

import time
from pathlib import Path

from gearbox.cli.output import Output
from gearbox.errors import GearboxError
from gearbox.local.functions.logs import log_file

_POLL_SECONDS = 0.2


def run_logs(out: Output, state_dir: Path, function: str, follow: bool) -> None:
    path = log_file(state_dir, function)
    if not path.exists() and not follow:
        raise GearboxError(f"no log for function {function} in {state_dir}")
    offset = 0
    while True:
        if path.exists():
            with path.open(encoding="utf-8", errors="replace") as handle:
                handle.seek(offset)
                chunk = handle.read()
                offset = handle.tell()
            if chunk:
                out.info(chunk.rstrip("\n"))
        if not follow:
            return
        time.sleep(_POLL_SECONDS)
