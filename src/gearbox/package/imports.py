"""Which of a project's modules a handler needs: its module and, transitively, every project
module it imports (``import a.b``, ``from a import b``, ``from . import c``), with the
``__init__.py`` of each package on the way. Modules outside the project (the standard
library, requirements) are not followed.

Blind spots: imports built at run time (``importlib.import_module(name)``, ``__import__``)
are not seen; a project module needed only that way must be imported plainly somewhere the
handler imports, or the function's package will lack it (the local cloud then fails the
same way Lambda would, with ``Runtime.ImportModuleError``).
"""

from __future__ import annotations

import ast
from pathlib import Path


def module_files(root: Path, module: str) -> set[Path]:
    """The files of ``module`` and of the project modules it imports, under ``root``."""
    found: set[Path] = set()
    pending = [module]
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        path = _locate(root, name)
        if path is None:
            continue
        found.add(path)
        found |= _package_inits(root, name)
        pending.extend(_imported(path, name, root))
    return found


def _locate(root: Path, module: str) -> Path | None:
    base = root.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _package_inits(root: Path, module: str) -> set[Path]:
    parts = module.split(".")
    inits = {root.joinpath(*parts[:i], "__init__.py") for i in range(1, len(parts))}
    return {p for p in inits if p.is_file()}


def _imported(path: Path, module: str, root: Path) -> list[str]:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError):
        return []  # the environment reports it as Lambda would, at import
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [n for alias in node.names for n in _with_parents(alias.name)]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, package)
            if base is None:
                continue
            names += _with_parents(base) if base else []
            names += [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
    return [n for n in names if _locate(root, n) is not None]


def _absolute(node: ast.ImportFrom, package: str) -> str | None:
    if node.level == 0:
        return node.module or ""
    parts = package.split(".") if package else []
    if node.level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (node.level - 1)]
    if node.module:
        base.append(node.module)
    return ".".join(base)


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]
