"""File changes under a project, through ``watchfiles`` (inotify on Linux, a Rust library
made for the job), filtered to what can change a function: sources and data files, not
caches, virtual environments, tests or the local cloud's state."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from watchfiles import Change, DefaultFilter, watch

from gearbox.package.sources import SKIPPED_DIRS, SKIPPED_SUFFIXES


class ProjectFilter(DefaultFilter):
    def __init__(self) -> None:
        super().__init__(ignore_dirs=tuple(SKIPPED_DIRS))

    def __call__(self, change: Change, path: str) -> bool:
        return not path.endswith(SKIPPED_SUFFIXES) and super().__call__(change, path)


def changes(root: Path, stop: threading.Event, debounce_ms: int = 300) -> Iterator[set[Path]]:
    """Each batch of changed files under ``root`` until ``stop`` is set."""
    for batch in watch(
        root,
        watch_filter=ProjectFilter(),
        debounce=debounce_ms,
        stop_event=stop,
        raise_interrupt=False,
        rust_timeout=500,
        yield_on_timeout=False,
    ):
        yield {Path(path) for _, path in batch}
