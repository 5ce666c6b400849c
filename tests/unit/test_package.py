"""Function packages: deterministic zips of project code, gearbox.app and requirements."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from gearbox.package import build_package
from gearbox.package.requirements import MissingRequirement


def project(tmp_path: Path) -> Path:
    root = tmp_path / "svc"
    (root / "handlers").mkdir(parents=True)
    (root / "handlers" / "__init__.py").write_text("")
    (root / "handlers" / "work.py").write_text("def handler(event, context):\n    return 1\n")
    (root / "app.py").write_text("from gearbox.app import App\n")
    (root / "data.json").write_text("{}")
    for skipped in ("tests", ".venv", "__pycache__", ".gearbox", ".git"):
        (root / skipped).mkdir()
        (root / skipped / "x.py").write_text("")
    (root / "handlers" / "work.pyc").write_bytes(b"\0")
    return root


def names(package_bytes: bytes) -> list[str]:
    return zipfile.ZipFile(io.BytesIO(package_bytes)).namelist()


def test_package_holds_project_code_and_gearbox_app_only(tmp_path: Path) -> None:
    package = build_package(project(tmp_path))
    listed = names(package.zip_bytes)
    assert {"app.py", "data.json", "handlers/__init__.py", "handlers/work.py"} <= set(listed)
    assert "gearbox/__init__.py" in listed
    assert "gearbox/app/__init__.py" in listed
    assert not [n for n in listed if n.startswith(("tests/", ".venv/", ".git/", ".gearbox/"))]
    assert not [n for n in listed if n.endswith(".pyc") or "__pycache__" in n]
    rest_of_gearbox = [n for n in listed if n.startswith("gearbox/") and "/app/" not in n]
    assert rest_of_gearbox == ["gearbox/__init__.py"]
    with zipfile.ZipFile(io.BytesIO(package.zip_bytes)) as archive:
        assert archive.read("gearbox/__init__.py") == b""
    assert listed == sorted(listed)
    assert package.files == len(listed)


def test_same_inputs_give_the_same_bytes_and_sha(tmp_path: Path) -> None:
    root = project(tmp_path)
    first, second = build_package(root), build_package(root)
    assert first.zip_bytes == second.zip_bytes
    assert first.sha256 == second.sha256
    (root / "handlers" / "work.py").write_text("def handler(event, context):\n    return 2\n")
    assert build_package(root).sha256 != first.sha256


def test_requirements_bring_their_dependencies_but_not_the_aws_sdk(tmp_path: Path) -> None:
    listed = names(build_package(project(tmp_path), ["Jinja2", "boto3"]).zip_bytes)
    assert "jinja2/__init__.py" in listed
    assert "markupsafe/__init__.py" in listed  # Jinja2 requires MarkupSafe
    assert not [n for n in listed if n.startswith(("boto3/", "botocore/"))]


def test_excluded_patterns_are_left_out(tmp_path: Path) -> None:
    listed = names(build_package(project(tmp_path), exclude=["data.json", "handlers"]).zip_bytes)
    assert "data.json" not in listed
    assert "handlers/work.py" not in listed


def test_gearboxignore_patterns_are_left_out(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / ".gearboxignore").write_text("# not shipped\ndata.json\n\nhandlers  # all of it\n")
    listed = names(build_package(root).zip_bytes)
    assert "data.json" not in listed
    assert "handlers/work.py" not in listed
    assert ".gearboxignore" not in listed


def test_missing_requirement_names_it(tmp_path: Path) -> None:
    with pytest.raises(MissingRequirement, match="no-such-dist"):
        build_package(project(tmp_path), ["no_such_dist"])


def test_a_handler_package_holds_only_what_its_module_imports(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "handlers" / "work.py").write_text(
        "import json\nfrom handlers import common\nfrom . import util as u\n"
        "import shared.deep.mod\n"
    )
    (root / "handlers" / "common.py").write_text("from .util import helper\n")
    (root / "handlers" / "util.py").write_text("def helper():\n    return 1\n")
    (root / "handlers" / "other.py").write_text("import os\n")
    (root / "shared" / "deep").mkdir(parents=True)
    (root / "shared" / "__init__.py").write_text("")
    (root / "shared" / "deep" / "__init__.py").write_text("")
    (root / "shared" / "deep" / "mod.py").write_text("X = 1\n")
    (root / "shared" / "unused.py").write_text("")
    listed = names(build_package(root, handler_module="handlers.work").zip_bytes)
    project_part = [n for n in listed if not n.startswith("gearbox/")]
    assert project_part == [
        "handlers/__init__.py",
        "handlers/common.py",
        "handlers/util.py",
        "handlers/work.py",
        "shared/__init__.py",
        "shared/deep/__init__.py",
        "shared/deep/mod.py",
    ]


def test_files_beside_an_imported_module_come_along(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "handlers" / "prompt.txt").write_text("hello")
    listed = names(build_package(root, handler_module="handlers.work").zip_bytes)
    assert "handlers/prompt.txt" in listed
    assert "data.json" not in listed  # beside app.py, which the handler does not import


def test_an_unchanged_package_is_not_zipped_again(tmp_path: Path) -> None:
    root = project(tmp_path)
    first = build_package(root)
    assert build_package(root) is first
    (root / "data.json").write_text("[]")  # same size, new content
    again = build_package(root)
    assert again is not first
    assert again.sha256 != first.sha256
