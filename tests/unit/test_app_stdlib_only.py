"""``gearbox.app`` ships inside every Lambda package, so it imports only the standard library."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import gearbox.app

APP_DIR = Path(gearbox.app.__file__).parent
SRC_DIR = APP_DIR.parent.parent


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_every_module_imports_only_stdlib_or_gearbox_app() -> None:
    modules = sorted(APP_DIR.rglob("*.py"))
    assert modules
    for module in modules:
        for root in imported_roots(module):
            if root == "gearbox":
                text = module.read_text()
                assert "from gearbox." not in text.replace("from gearbox.app", "")
                continue
            assert root in sys.stdlib_module_names, f"{module.name} imports {root}"


def test_importing_gearbox_app_alone_loads_no_third_party_module() -> None:
    """In a fresh, isolated interpreter that sees only the package's own folder."""
    probe = (
        "import sys; before = set(sys.modules); import gearbox.app; "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "print(sorted(new - set(sys.stdlib_module_names) - {'gearbox'}))"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            f"import sys; sys.path.insert(0, {str(SRC_DIR)!r}); " + probe,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == "[]"
