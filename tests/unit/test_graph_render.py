"""Rendering is deterministic: the sample project renders exactly as saved in
tests/unit/expected/ (regenerate with ``gearbox graph tests/unit/apps/sample_app.py
--format ...`` after a deliberate change, and review the diff)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gearbox.graph import build, dot, load_project, mermaid, text

UNIT = Path(__file__).parent
SAMPLE = UNIT / "apps" / "sample_app.py"
EXPECTED = UNIT / "expected"


@pytest.mark.parametrize(
    ("render", "saved"),
    [(text, "sample_app.txt"), (dot, "sample_app.dot"), (mermaid, "sample_app.mmd")],
)
def test_sample_project_renders_as_saved(render: object, saved: str) -> None:
    graph = build(load_project(SAMPLE))
    assert callable(render)
    assert render(graph) == (EXPECTED / saved).read_text()


def test_rendering_does_not_depend_on_app_or_declaration_order() -> None:
    apps = load_project(SAMPLE)
    again = load_project(SAMPLE)
    for render in (text, dot, mermaid):
        assert render(build(apps)) == render(build(tuple(reversed(again))))


def test_text_lists_every_node_and_edge() -> None:
    graph = build(load_project(SAMPLE))
    rendered = text(graph)
    for node in (*graph.resources, *graph.functions):
        assert f"{node.name}  ({node.physical})" in rendered
    for edge in graph.edges:
        assert f"{edge.source} --{edge.kind}--> {edge.target}" in rendered
