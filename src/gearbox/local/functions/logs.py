"""Each function's log: every invocation's output between its START and REPORT lines.

Kept as one text file per function under the state dir (``lambda/logs/<name>.log``), appended
as invocations finish, so ``gearbox logs FUNCTION --follow`` can read it without asking the
running local cloud. Where it differs from AWS: one file, not CloudWatch log streams per
execution environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO


class LogBook:
    """Appends to each function's log file, kept open; every append is flushed at once."""

    def __init__(self, state_dir: Path) -> None:
        self._folder = log_folder(state_dir)
        self._folder.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, TextIO] = {}

    def append(self, function_name: str, text: str) -> None:
        handle = self._files.get(function_name)
        if handle is None:
            path = self._folder / f"{function_name}.log"
            handle = self._files[function_name] = path.open("a", encoding="utf-8")
        handle.write(text if text.endswith("\n") else text + "\n")
        handle.flush()

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()
        self._files.clear()


def log_folder(state_dir: Path) -> Path:
    return state_dir / "lambda" / "logs"


def log_file(state_dir: Path, function_name: str) -> Path:
    return log_folder(state_dir) / f"{function_name}.log"
