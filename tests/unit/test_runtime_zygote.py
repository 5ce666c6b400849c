"""The zygote's pure parts: what it may import, and when a fork would differ from a fresh
process (so the child execs the plain command instead)."""

from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import pytest

from gearbox.local.functions.model import FunctionSpec
from gearbox.local.runtime import zygote_main
from gearbox.local.runtime.launch import Launch, command, data_limit, lambda_environment
from gearbox.local.runtime.zygote import fork_request, zygote_environment
from gearbox.local.runtime.zygote_main import (
    fresh_process_needed,
    shared_library,
    start_variables,
)

PROVIDED = Path("/srv/provided-0123")
EXTENSION = "_speedups.cpython-311-x86_64-linux-gnu.so"


def spec_for(code: Path, **kwargs: object) -> FunctionSpec:
    return FunctionSpec(
        name="fn",
        handler="app.handler",
        code_dir=code,
        code_sha256="v1",
        region="us-east-1",
        account="123456789012",
        access_key="AKID",
        secret_key="secret",
        **kwargs,  # type: ignore[arg-type]
    )


def environment(spec: FunctionSpec) -> dict[str, str]:
    launch = Launch("127.0.0.1:9001", Path("/tmp/env-1"), PROVIDED, "http://127.0.0.1:4566")
    return lambda_environment(spec, launch, "2026/01/01/[$LATEST]0")


def test_the_zygote_program_imports_only_the_standard_library() -> None:
    """It runs with the provided folder as its only path: Gearbox is not importable there."""
    tree = ast.parse(Path(zygote_main.__file__).read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    assert roots <= set(sys.stdlib_module_names) | {"__future__"}, roots
    top = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    imported = {alias.name for node in top for alias in node.names}
    assert imported == {"annotations", "sys"}  # the rest counts as preloaded otherwise


def test_the_variables_only_a_process_start_reads() -> None:
    env = {
        "LANG": "C.UTF-8", "LC_ALL": "C", "PYTHONHASHSEED": "0", "LD_PRELOAD": "x.so",
        "MALLOC_ARENA_MAX": "2", "GLIBC_TUNABLES": "x", "PYTHONPATH": "/a", "TZ": ":UTC",
        "LD_LIBRARY_PATH": "/lib", "PATH": "/bin", "AWS_REGION": "us-east-1",
    }  # fmt: skip
    assert start_variables(env) == {
        "LANG": "C.UTF-8", "LC_ALL": "C", "PYTHONHASHSEED": "0", "LD_PRELOAD": "x.so",
        "MALLOC_ARENA_MAX": "2", "GLIBC_TUNABLES": "x",
    }  # fmt: skip


def test_a_function_with_lambdas_defaults_is_forked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = tmp_path / "code"
    code.mkdir()
    (code / "app.py").write_text("")
    (code / "lib").mkdir()
    (code / "lib" / EXTENSION).write_text("")  # a Python extension: loaded by its path
    monkeypatch.chdir(code)  # the child is in the code folder when it decides
    env = environment(spec_for(code, environment={"MY_SETTING": "on"}))
    assert fresh_process_needed(env, zygote_environment(PROVIDED), {"json", "simplejson"}) is None


@pytest.mark.parametrize(
    ("variables", "files", "reason"),
    [
        ({"PYTHONHASHSEED": "0"}, {}, "a variable read at process start differs"),
        ({"LANG": "C.UTF-8"}, {}, "a variable read at process start differs"),
        ({"PYTHONPATH": "/elsewhere"}, {}, "PYTHONPATH does not end with the zygote's"),
        ({}, {"json.py": ""}, "{code} has json"),
        ({}, {"simplejson/__init__.py": ""}, "{code} has simplejson"),
        ({}, {"lib/libpq.so.5": ""}, "{code}/lib has shared libraries"),
    ],
)  # fmt: skip
def test_what_makes_the_child_exec_a_fresh_process(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    files: dict[str, str],
    reason: str,
) -> None:
    code = tmp_path / "code"
    for name, text in {"app.py": "", **files}.items():
        (code / name).parent.mkdir(parents=True, exist_ok=True)
        (code / name).write_text(text)
    monkeypatch.chdir(code)
    env = environment(spec_for(code, environment=variables))
    found = fresh_process_needed(env, zygote_environment(PROVIDED), {"json", "simplejson"})
    assert found == reason.format(code=code)


def test_a_layer_counts_as_the_code_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, layer = tmp_path / "code", tmp_path / "layer"
    code.mkdir()
    (layer / "python" / "json").mkdir(parents=True)
    monkeypatch.chdir(code)
    env = environment(spec_for(code, layers=(layer,)))
    found = fresh_process_needed(env, zygote_environment(PROVIDED), {"json"})
    assert found == f"{layer / 'python'} has json"


def test_shared_libraries_are_those_looked_up_by_name() -> None:
    assert shared_library("libpq.so.5") and shared_library("libz.so")
    assert not shared_library(EXTENSION) and not shared_library("app.py")


def test_the_fork_request_is_the_plain_launch() -> None:
    spec = spec_for(Path("/srv/code"), memory_mb=256)
    env = environment(spec)
    assert json.loads(fork_request(spec, env)) == {
        "argv": command(spec),
        "env": env,
        "cwd": "/srv/code",
        "data_limit": data_limit(spec),
    }
    assert command(spec)[1:] == ["-S", "-m", "awslambdaric", "app.handler"]
