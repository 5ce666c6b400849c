"""Finding and parsing the project's own modules.

The project is the handler file's directory, plus the directory above its top package when
the handler sits inside a package (``__init__.py`` files). An import is the project's when a
``.py`` file or a package directory for it exists under one of those roots; every other
import (standard library, third party) is outside the analysis, except ``gearbox.app``: it
ships inside every function and its helpers (``ProcessState``, ``invoke_async``) make AWS
calls with the handler's clients, so they are analysed as the handler's own code. Code that
does not parse raises ``PolicyError`` naming the file and line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import gearbox.app
from gearbox.errors import PolicyError

# The folder holding ``gearbox/``, so that ``gearbox.app...`` resolves to its files.
_GEARBOX_APP_ROOT = Path(gearbox.app.__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class SourceModule:
    name: str  # dotted module name, relative to its root
    path: Path
    tree: ast.Module
    is_package: bool


def project_roots(handler_file: Path) -> tuple[Path, ...]:
    """The handler's directory, and the directory holding its top package (if any)."""
    directory = handler_file.resolve().parent
    roots = [directory]
    top = directory
    while (top / "__init__.py").exists() and top.parent != top:
        top = top.parent
    if top != directory:
        roots.append(top)
    return tuple(roots)


def module_name_for(handler_file: Path, roots: tuple[Path, ...]) -> str:
    """The dotted name under which the handler file is imported from the outermost root."""
    path = handler_file.resolve()
    root = roots[-1]
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts)


def parse_file(path: Path, name: str) -> SourceModule:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"{path}: cannot be read: {exc}") from exc
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise PolicyError(f"{path}:{exc.lineno}: does not parse: {exc.msg}") from exc
    return SourceModule(name, path, tree, path.name == "__init__.py")


def find_module(name: str, roots: tuple[Path, ...]) -> Path | None:
    """The file of a dotted module name under the roots, or None (not the project's).
    ``gearbox.app`` counts as the project's: it is packaged with every function, so the AWS
    calls its helpers make (``ProcessState``, ``invoke_async``) are the function's calls."""
    parts = name.split(".")
    if parts[:2] == ["gearbox", "app"]:
        roots = (_GEARBOX_APP_ROOT, *roots)
    for root in roots:
        base = root.joinpath(*parts)
        if base.with_suffix(".py").is_file():
            return base.with_suffix(".py")
        if (base / "__init__.py").is_file():
            return base / "__init__.py"
    return None


def resolve_relative(current: str, is_package: bool, level: int, module: str | None) -> str:
    """The absolute name of ``from <level dots><module> import ...`` inside ``current``."""
    parts = current.split(".") if current else []
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    if module:
        parts.append(module)
    return ".".join(parts)
