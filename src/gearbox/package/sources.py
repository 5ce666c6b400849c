"""Which files of a project go into a function's package.

Everything under the project root except what never runs on Lambda: virtual environments,
version control, caches, the local cloud's state, tests, and compiled files. A project can
add its own patterns (``fnmatch`` on the path relative to the root, ``/``-separated; a
folder's name leaves out all of it): one per line in a ``.gearboxignore`` file at the root
(``#`` starts a comment), or through ``exclude``. Sizes stay small because dependencies
come only from the function's own declared requirements, never from the whole environment.

``handler_files`` narrows that to what one handler imports, so each function's package
holds its own code and not its neighbours' (and a change to one handler changes only its
function's package).

Differs from SAM: ``sam build`` copies the ``CodeUri`` folder whole; Gearbox packages the
project root with these exclusions, so handlers may import the project's shared modules.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from gearbox.package import imports

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".venv",
        "venv",
        ".bench-venv",
        "__pycache__",
        ".gearbox",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        "node_modules",
        "tests",
        "test",
        "build",
        "dist",
    }
)
SKIPPED_SUFFIXES = (".pyc", ".pyo", ".egg-info")


def project_files(root: Path, exclude: Sequence[str] = ()) -> Iterator[tuple[str, Path]]:
    """(archive name, file) for every file of the project, sorted by archive name."""
    exclude = [*exclude, *ignore_file_patterns(root)]
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.endswith(".egg-info"))
        for name in files:
            path = Path(folder) / name
            relative = path.relative_to(root).as_posix()
            if name.endswith(SKIPPED_SUFFIXES) or name == ".gearboxignore":
                continue
            if _excluded(relative, exclude):
                continue
            found.append((relative, path))
    yield from sorted(found)


def handler_files(
    root: Path, module: str, exclude: Sequence[str] = ()
) -> Iterator[tuple[str, Path]]:
    """The files a handler needs: the project modules it imports (``imports``) and the
    other files beside them (data a module reads from its own folder), sorted."""
    modules = imports.module_files(root, module)
    folders = {path.parent for path in modules}
    wanted = modules | {
        path
        for folder in folders
        for path in folder.iterdir()
        if path.is_file() and path.suffix != ".py"
    }
    for name, path in project_files(root, exclude):
        if path in wanted:
            yield name, path


def ignore_file_patterns(root: Path) -> list[str]:
    path = root / ".gearboxignore"
    if not path.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def _excluded(relative: str, patterns: Sequence[str]) -> bool:
    return any(
        fnmatch.fnmatch(relative, p) or relative.startswith(p.rstrip("/") + "/") for p in patterns
    )
