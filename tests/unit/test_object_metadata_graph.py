"""The reference service's event graph equals the saved one (tests/unit/expected/
object_metadata.*). After a deliberate change to examples/object_metadata/app.py, regenerate
with ``gearbox graph examples/object_metadata [--format mermaid] > ...`` and review the diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from gearbox.graph import build, load_project, mermaid, text, validate
from tests.unit.object_metadata_paths import EXAMPLE

EXPECTED = Path(__file__).parent / "expected"


@pytest.mark.parametrize(
    ("render", "saved"), [(text, "object_metadata.txt"), (mermaid, "object_metadata.mmd")]
)
def test_reference_graph_is_the_saved_one(render: object, saved: str) -> None:
    graph = build(load_project(EXAMPLE))
    validate(graph)
    assert callable(render)
    assert render(graph) == (EXPECTED / saved).read_text()
