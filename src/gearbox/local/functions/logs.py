"""Each function's log: every invocation's output between its START and REPORT lines.

Kept as one text file per function under the state dir (``lambda/logs/<name>.log``), appended
as invocations finish, so ``gearbox logs FUNCTION --follow`` can read it without asking the
running local cloud. Where it differs from AWS: one file, not CloudWatch log streams per
execution environment.
"""

from __future__ import annotations

from pathlib import Path


class LogBook:
    def __init__(self, state_dir: Path) -> None:
        self._folder = log_folder(state_dir)
        self._folder.mkdir(parents=True, exist_ok=True)

    def append(self, function_name: str, text: str) -> None:
        with (self._folder / f"{function_name}.log").open("a", encoding="utf-8") as handle:
            handle.write(text if text.endswith("\n") else text + "\n")


def log_folder(state_dir: Path) -> Path:
    return state_dir / "lambda" / "logs"


def log_file(state_dir: Path, function_name: str) -> Path:
    return log_folder(state_dir) / f"{function_name}.log"
