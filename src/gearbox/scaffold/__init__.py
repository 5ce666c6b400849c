"""``gearbox new``: write a small service from the template in ``template/``.

The template follows the seed's advice (async by default, a DLQ on every queue, one module
and so one role per function, requirements per function). Its files end in ``.tmpl`` (so
linters and test runners leave them alone inside Gearbox) and hold ``__NAME__`` where the
service's name goes; ``write_service`` drops the suffix and fills the name in. Nothing is
overwritten: the target folder must not exist yet.
"""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from gearbox.errors import ScaffoldError

NAME = re.compile(r"[a-z][a-z0-9-]{0,39}")
SUFFIX = ".tmpl"
PLACEHOLDER = "__NAME__"


def template_files() -> list[tuple[str, str]]:
    """``(relative path, text)`` of every template file, sorted, without the suffix."""
    root = resources.files(__package__).joinpath("template")
    found: list[tuple[str, str]] = []
    _walk(root, "", found)
    return sorted(found)


def _walk(folder: Traversable, prefix: str, found: list[tuple[str, str]]) -> None:
    for entry in folder.iterdir():
        if entry.is_dir():
            _walk(entry, f"{prefix}{entry.name}/", found)
        elif entry.name.endswith(SUFFIX):
            found.append((prefix + entry.name.removesuffix(SUFFIX), entry.read_text()))


def write_service(name: str, parent: Path) -> list[Path]:
    """Write the service ``name`` into ``parent/name``; returns the files written."""
    if not NAME.fullmatch(name):
        raise ScaffoldError(
            f"{name!r} is not a service name: a lower-case letter, then up to 39 lower-case "
            "letters, digits or hyphens"
        )
    target = parent / name
    if target.exists():
        raise ScaffoldError(f"{target} already exists; gearbox new writes only new folders")
    written = []
    for relative, text in template_files():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.replace(PLACEHOLDER, name))
        written.append(path)
    return written
