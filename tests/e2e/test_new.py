"""``gearbox new`` as a user runs it: the service it writes compiles, its own unit test passes,
and (once ``gearbox.app`` has the declaration API) its declaration loads."""

from __future__ import annotations

import os
import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

import gearbox.app
from tests.e2e.conftest import GEARBOX

EXPECTED = {
    "README.md",
    "app.py",
    "handlers/__init__.py",
    "handlers/process.py",
    "pyproject.toml",
    "tests/test_process.py",
}


def gearbox_new(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [GEARBOX, "new", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )


def scaffold(tmp_path: Path) -> Path:
    done = gearbox_new(tmp_path, "demo-svc")
    assert done.returncode == 0, done.stderr
    service = tmp_path / "demo-svc"
    assert f"created {Path('demo-svc') / 'app.py'}" in done.stdout
    return service


def test_new_writes_the_service_files(tmp_path: Path) -> None:
    service = scaffold(tmp_path)
    written = {p.relative_to(service).as_posix() for p in service.rglob("*") if p.is_file()}
    assert written == EXPECTED
    readme = (service / "README.md").read_text().splitlines()
    assert readme[0] == "# demo-svc" and len(readme) == 10
    app_py = (service / "app.py").read_text()
    assert 'App("demo-svc")' in app_py and "dlq=True" in app_py
    assert "__NAME__" not in "".join(p.read_text() for p in service.rglob("*") if p.is_file())
    assert '[tool.gearbox]\napp = "app"' in (service / "pyproject.toml").read_text()


def test_generated_python_compiles(tmp_path: Path) -> None:
    service = scaffold(tmp_path)
    sources = sorted(service.rglob("*.py"))
    assert len(sources) == 4
    for source in sources:
        py_compile.compile(str(source), cfile=str(tmp_path / "compiled.pyc"), doraise=True)


def test_generated_handler_unit_test_passes(tmp_path: Path) -> None:
    service = scaffold(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=service,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_generated_declaration_loads(tmp_path: Path) -> None:
    if not hasattr(gearbox.app, "App"):
        pytest.skip("gearbox.app has no App yet: the declaration API is merged separately")
    service = scaffold(tmp_path)
    probe = (
        "import app; a = app.app; "
        "print(a.name, sorted(f.name for f in a.functions), "
        "sorted(r.name for r in a.resources))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=service,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    name, functions, resources = done.stdout.split(" ", 2)
    assert name == "demo-svc"
    assert functions == "['process']"
    assert "'requests'" in resources and "'results'" in resources


def test_new_refuses_an_existing_folder_and_a_bad_name(tmp_path: Path) -> None:
    scaffold(tmp_path)
    again = gearbox_new(tmp_path, "demo-svc")
    assert again.returncode == 2
    assert "already exists" in again.stderr
    bad = gearbox_new(tmp_path, "Demo_Svc")
    assert bad.returncode == 2
    assert "not a service name" in bad.stderr
    assert not (tmp_path / "Demo_Svc").exists()
