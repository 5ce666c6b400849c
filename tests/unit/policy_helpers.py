"""Helpers for the policy tests: write a small project to a temp dir, analyse, build."""

from __future__ import annotations

import textwrap
from collections import defaultdict
from pathlib import Path

from gearbox.policy import Analysis, GeneratedPolicy, ResourceBinding, analyze_handler
from gearbox.policy import build_policy as build

ACCOUNT, REGION = "123456789012", "us-east-1"


def write_project(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())


def analyse(
    root: Path, source: str, extra: dict[str, str] | None = None, function: str = "handler"
) -> Analysis:
    write_project(root, {"handler.py": source, **(extra or {})})
    return analyze_handler(root / "handler.py", function, display_root=root)


def policy_for(
    root: Path,
    source: str,
    bindings: dict[str, tuple[str, str]] | None = None,
    extra: dict[str, str] | None = None,
) -> GeneratedPolicy:
    analysis = analyse(root, source, extra)
    binds = {k: ResourceBinding(*v) for k, v in (bindings or {}).items()}
    return build(analysis, binds, ACCOUNT, REGION)


def grants(policy: GeneratedPolicy) -> dict[str, set[str]]:
    """action -> resources, across statements."""
    result: dict[str, set[str]] = defaultdict(set)
    for statement in policy.document["Statement"]:
        resources = statement["Resource"]
        for action in statement["Action"]:
            result[action].update([resources] if isinstance(resources, str) else resources)
    return dict(result)
