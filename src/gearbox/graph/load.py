"""Stage ``project -> apps``: import the user's module and collect every ``App`` it creates.

``load_project(path)`` accepts:

1. a ``.py`` file: imported as a module named after it (a file inside a package, one whose
   folder has ``__init__.py``, is imported as ``package.module`` so relative imports work);
2. a package folder (with ``__init__.py``): imported by its name;
3. a folder with ``pyproject.toml`` whose ``[tool.gearbox]`` table names the module:
   ``app = "my_service.app"``, imported with that folder on ``sys.path``. This form wins
   over 2 when both apply.

The folder that holds the top-level module (the project root) is on ``sys.path`` while the
module is imported, and taken off again afterwards. Modules already imported from the project
root are forgotten first, so loading again (after an edit) runs the code again. Every ``App``
created while importing, by the module or anything it imports, is returned in creation order.

Errors become ``DeclarationError`` with one line naming a file and line: a syntax error in
user code (where Python found it), any other exception raised while importing (the deepest
frame in the project, or the last frame), a module that does not exist, or no ``App`` at all.
"""

from __future__ import annotations

import importlib
import sys
import tomllib
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gearbox.app import App
from gearbox.app.app import collect_apps
from gearbox.errors import DeclarationError


def load_project(path: str | Path) -> tuple[App, ...]:
    """Every ``App`` the project at ``path`` creates; raises ``DeclarationError``."""
    target = Path(path).resolve()
    root, module = locate(target)
    with _on_path(root), collect_apps() as apps:
        _forget(root, module)
        _import(module, root)
    if not apps:
        raise DeclarationError([f"{target}: module {module!r} creates no App(...)"])
    return tuple(apps)


def locate(target: Path) -> tuple[Path, str]:
    """The project root to put on ``sys.path`` and the module to import."""
    if target.is_file():
        if target.suffix != ".py":
            raise DeclarationError([f"{target}: not a .py file, package or project folder"])
        return _in_package(target.parent, [target.stem])
    if not target.is_dir():
        raise DeclarationError([f"{target}: no such file or folder"])
    module = _pyproject_module(target / "pyproject.toml")
    if module is not None:
        return target, module
    if (target / "__init__.py").is_file():
        return _in_package(target.parent, [target.name])
    raise DeclarationError(
        [f'{target}: no pyproject.toml with [tool.gearbox] app = "module", and not a package']
    )


def _in_package(folder: Path, names: list[str]) -> tuple[Path, str]:
    while (folder / "__init__.py").is_file():
        names.insert(0, folder.name)
        folder = folder.parent
    return folder, ".".join(names)


def _pyproject_module(pyproject: Path) -> str | None:
    if not pyproject.is_file():
        return None
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DeclarationError([f"{pyproject}: {exc}"]) from exc
    module = data.get("tool", {}).get("gearbox", {}).get("app")
    if module is None:
        return None
    if not isinstance(module, str) or not module:
        raise DeclarationError([f"{pyproject}: [tool.gearbox] app must be a module name"])
    return module


@contextmanager
def _on_path(root: Path) -> Iterator[None]:
    entry = str(root)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        sys.path.remove(entry)


def _under(file: str | None, root: Path) -> bool:
    if not file:
        return False
    path = Path(file).resolve()
    return path.is_relative_to(root) and "site-packages" not in path.parts


def _installed(file: str) -> bool:
    path = Path(file).resolve()
    prefixes = {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()}
    return "site-packages" in path.parts or any(path.is_relative_to(p) for p in prefixes)


def _forget(root: Path, module: str) -> None:
    """Drop the project's modules from ``sys.modules`` so importing runs them again: those
    under ``root``, and any non-installed module whose top-level name the project could
    import (the module's own, or a module or package at ``root``: another project loaded
    before in the same process, whose ``handlers`` would otherwise shadow this one's)."""
    tops = {module.split(".", maxsplit=1)[0], *_top_level_names(root)}
    for name, loaded in list(sys.modules.items()):
        if name == "gearbox" or name.startswith("gearbox."):
            continue
        file = getattr(loaded, "__file__", None)
        same_name = name.split(".")[0] in tops and file is not None and not _installed(file)
        if same_name or _under(file, root):
            del sys.modules[name]
    importlib.invalidate_caches()


def _top_level_names(root: Path) -> set[str]:
    """Modules and packages importable from ``root``: ``*.py`` files and folders with
    Python files, except test folders (handlers do not import them, and a test runner's own
    ``tests`` package must stay loaded)."""
    names = set()
    for entry in root.iterdir():
        if entry.suffix == ".py" and entry.is_file():
            names.add(entry.stem)
        elif entry.is_dir() and entry.name.isidentifier() and any(entry.glob("*.py")):
            names.add(entry.name)
    return names - {"tests", "test"}


def _import(module: str, root: Path) -> None:
    try:
        imported = importlib.import_module(module)
    except SyntaxError as exc:
        where = f"{exc.filename}:{exc.lineno}"
        raise DeclarationError([f"{where}: syntax error: {exc.msg}"]) from exc
    except ModuleNotFoundError as exc:
        if exc.name and (module == exc.name or module.startswith(exc.name + ".")):
            raise DeclarationError([f"{root}: no module named {module!r} here"]) from exc
        raise DeclarationError([_located(exc, root)]) from exc
    except Exception as exc:
        raise DeclarationError([_located(exc, root)]) from exc
    if not _under(getattr(imported, "__file__", None), root):
        raise DeclarationError(
            [f"{root}: module name {module!r} is taken by {imported.__file__}; rename it"]
        )


def _located(exc: BaseException, root: Path) -> str:
    """``file:line: Type: message`` at the deepest frame in the project (else the last)."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if _under(f.filename, root)]
    frame = (ours or frames)[-1]
    where = f"{frame.filename}:{frame.lineno}"
    message = str(exc).removeprefix(f"{where}: ")
    return f"{where}: {type(exc).__name__}: {message}"
