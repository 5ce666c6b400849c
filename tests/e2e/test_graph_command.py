"""``gearbox graph`` as a user runs it: a process, a path, a format; declaration errors are
one red line each and exit code 2."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.e2e.conftest import run_gearbox

UNIT = Path(__file__).parent.parent / "unit"
SAMPLE = UNIT / "apps" / "sample_app.py"


@pytest.mark.parametrize(
    ("fmt", "saved"),
    [("text", "sample_app.txt"), ("dot", "sample_app.dot"), ("mermaid", "sample_app.mmd")],
)
def test_prints_the_graph_in_each_format(fmt: str, saved: str) -> None:
    done = run_gearbox("graph", str(SAMPLE), "--format", fmt)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (UNIT / "expected" / saved).read_text()
    assert done.stderr == ""


def test_text_is_the_default_and_a_pyproject_folder_works(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.gearbox]\napp = "graph_cli_svc"\n')
    (tmp_path / "graph_cli_svc.py").write_text(
        "from gearbox.app import App\napp = App('svc')\napp.bucket('uploads')\n"
    )
    done = run_gearbox("graph", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "app svc\n  bucket   uploads  (svc-uploads)\nedges\n"


def test_declaration_errors_are_one_line_each_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "graph_cli_bad.py"
    path.write_text(
        textwrap.dedent(
            """
            from gearbox.app import App

            app = App("svc")
            jobs = app.queue("jobs", visibility_timeout=10)


            @app.on_sqs(jobs)
            @app.function(timeout=30, memory=64)
            def slow(event, context):
                return None
            """
        ).lstrip()
    )
    done = run_gearbox("graph", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines == [
        f"error: {path}:7: @app.on_sqs on slow: queue 'jobs' has visibility_timeout 10 s, "
        "shorter than function 'slow''s timeout 30 s [visibility-timeout]",
        f"error: {path}:8: @app.function on slow: memory is 64; AWS allows 128 to 10240 [range]",
    ]


def test_a_syntax_error_is_reported_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "graph_cli_syntax.py"
    path.write_text("from gearbox.app import App\napp = App('svc'\n")
    done = run_gearbox("graph", str(path))
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: {path}:2: syntax error: ")


def test_an_unknown_format_is_refused() -> None:
    done = run_gearbox("graph", str(SAMPLE), "--format", "svg")
    assert done.returncode == 2
    assert "svg" in done.stderr
