"""``load_project``: a .py file, a package folder, a pyproject ``[tool.gearbox]`` folder; and
what bad input gets (a ``DeclarationError`` naming file and line)."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from gearbox.errors import DeclarationError
from gearbox.graph import load_project


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip())
    return path


SERVICE = """
from gearbox.app import App

app = App("{name}")
jobs = app.queue("jobs")


@app.on_sqs(jobs)
def work(event, context):
    return None
"""


def test_a_python_file(tmp_path: Path) -> None:
    path = write(tmp_path / "svc_file.py", SERVICE.format(name="svc"))
    path_before = list(sys.path)
    [app] = load_project(path)
    assert app.name == "svc"
    [function] = app.functions
    assert (function.module, function.file) == ("svc_file", str(path))
    assert sys.path == path_before


def test_a_file_inside_a_package_is_imported_with_its_package(tmp_path: Path) -> None:
    write(tmp_path / "pkg_rel" / "__init__.py", "")
    write(tmp_path / "pkg_rel" / "resources.py", SERVICE.format(name="rel"))
    handlers = write(
        tmp_path / "pkg_rel" / "handlers.py",
        """
        from .resources import app, jobs


        @app.on_sqs(jobs, batch_size=1)
        def other(event, context):
            return None
        """,
    )
    [app] = load_project(handlers)
    assert sorted(f.module for f in app.functions) == ["pkg_rel.handlers", "pkg_rel.resources"]


def test_a_package_folder(tmp_path: Path) -> None:
    package = tmp_path / "pkg_dir"
    write(package / "__init__.py", "from . import service\n")
    write(package / "service.py", SERVICE.format(name="pkg"))
    [app] = load_project(package)
    assert app.name == "pkg"
    assert app.functions[0].module == "pkg_dir.service"


def test_a_pyproject_folder_collects_every_app_its_module_imports(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.gearbox]\napp = "proj.main"\n'
    )
    write(tmp_path / "proj" / "__init__.py", "")
    write(tmp_path / "proj" / "billing.py", SERVICE.format(name="billing"))
    write(
        tmp_path / "proj" / "main.py",
        """
        from proj import billing
        from gearbox.app import App

        shop = App("shop")
        invoices = shop.ref_queue("billing", "jobs")
        """,
    )
    apps = load_project(tmp_path)
    assert [a.name for a in apps] == ["billing", "shop"]


def test_loading_again_runs_the_edited_code(tmp_path: Path) -> None:
    path = write(tmp_path / "svc_edit.py", SERVICE.format(name="one"))
    assert [a.name for a in load_project(path)] == ["one"]
    write(path, SERVICE.format(name="two-renamed"))
    assert [a.name for a in load_project(path)] == ["two-renamed"]


def test_two_projects_with_one_module_name_in_one_process(tmp_path: Path) -> None:
    first = write(tmp_path / "a" / "same_name.py", SERVICE.format(name="first"))
    second = write(tmp_path / "b" / "same_name.py", SERVICE.format(name="second"))
    assert load_project(first)[0].name == "first"
    assert load_project(second)[0].name == "second"


def error_of(path: Path) -> str:
    with pytest.raises(DeclarationError) as raised:
        load_project(path)
    [line] = raised.value.lines
    return line


def test_a_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "broken_syntax.py", "from gearbox.app import App\n\ndef f(:\n    pass\n"
    )
    assert error_of(path).startswith(f"{path}:3: syntax error: ")


def test_a_syntax_error_in_an_imported_module_names_that_module(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.gearbox]\napp = "deep_main"\n')
    write(tmp_path / "deep_main.py", "import deep_helper\n")
    helper = write(tmp_path / "deep_helper.py", "x = 1\ny = = 2\n")
    assert error_of(tmp_path).startswith(f"{helper}:2: syntax error: ")


def test_an_exception_while_importing_names_the_project_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "raises_at_import.py",
        """
        from gearbox.app import App

        app = App("svc")
        raise ValueError("boom")
        """,
    )
    assert error_of(path) == f"{path}:4: ValueError: boom"


def test_a_misused_decorator_is_reported_at_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path / "wrong_kind.py",
        """
        from gearbox.app import App

        app = App("svc")
        topic = app.topic("t")


        @app.on_sqs(topic)
        def handler(event, context):
            return None
        """,
    )
    assert error_of(path) == f"{path}:7: TypeError: expected a queue, got TopicSpec"


@pytest.mark.parametrize(
    ("files", "target", "expected"),
    [
        ({}, "missing.py", "no such file or folder"),
        ({"notes.txt": "x"}, "notes.txt", "not a .py file"),
        ({"empty/readme.md": "x"}, "empty", "no pyproject.toml with [tool.gearbox]"),
        ({"no_app.py": "x = 1\n"}, "no_app.py", "creates no App(...)"),
        ({"pyproject.toml": '[tool.gearbox]\napp = "absent_mod"\n'}, ".", "no module named"),
        ({"pyproject.toml": "[tool.gearbox\n"}, ".", "pyproject.toml: "),
        ({"pyproject.toml": "[tool.gearbox]\napp = 3\n"}, ".", "must be a module name"),
        ({"json.py": "x = 1\n"}, "json.py", "module name 'json' is taken"),
    ],
)
def test_what_cannot_be_loaded(
    tmp_path: Path, files: dict[str, str], target: str, expected: str
) -> None:
    for name, content in files.items():
        write(tmp_path / name, content)
    assert expected in error_of(tmp_path / target)


def test_a_second_project_is_not_shadowed_by_the_first_ones_handlers(tmp_path: Path) -> None:
    for name in ("first", "second"):
        root = tmp_path / name
        (root / "handlers").mkdir(parents=True)
        (root / "handlers" / "__init__.py").write_text("")
        (root / "handlers" / "work.py").write_text("def work(event, context):\n    return 1\n")
        (root / "app.py").write_text(
            "from gearbox.app import App\nfrom handlers.work import work\n\n"
            f"app = App({name!r})\napp.function()(work)\n"
        )
    load_project(tmp_path / "first" / "app.py")
    [app] = load_project(tmp_path / "second" / "app.py")
    [function] = app.functions
    assert Path(function.file) == tmp_path / "second" / "handlers" / "work.py"
