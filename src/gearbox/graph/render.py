"""Stage ``graph -> text``: the event graph as plain text, Graphviz dot or Mermaid.

Deterministic: the same graph renders byte-identical output (nodes and edges in the graph's
sorted order, settings sorted by key). Renders what it is given; run ``validate`` first.
Settings equal to AWS's defaults are shown too: what you read is what will be deployed.
"""

from __future__ import annotations

import json
import re
from typing import Any

from gearbox.app.specs import QueueSpec, TableSpec
from gearbox.graph.model import Edge, Function, Graph, Resource

_SHAPES = {
    "bucket": "cylinder",
    "queue": "box",
    "topic": "hexagon",
    "table": "cylinder",
    "schedule": "note",
    "function": "ellipse",
}


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _settings(settings: dict[str, Any]) -> str:
    return " ".join(f"{key}={_value(settings[key])}" for key in sorted(settings))


def _resource_detail(resource: Resource) -> str:
    spec = resource.spec
    if isinstance(spec, QueueSpec):
        kind = "fifo" if spec.fifo else "standard"
        return f"{kind}, visibility {spec.visibility_timeout} s, retention {spec.retention} s"
    if isinstance(spec, TableSpec):
        keys = spec.partition_key.name + (f", {spec.sort_key.name}" if spec.sort_key else "")
        return f"keys ({keys}), stream {spec.stream or 'none'}"
    return ""


def _function_detail(function: Function) -> str:
    spec = function.spec
    return f"{spec.module}.{spec.qualname}, timeout {spec.timeout} s, memory {spec.memory} MB"


def text(graph: Graph) -> str:
    """A readable listing: per app its resources and functions, then every edge."""
    lines: list[str] = []
    for app in graph.apps:
        lines.append(f"app {app}")
        for resource in (r for r in graph.resources if r.app == app):
            detail = _resource_detail(resource)
            lines.append(
                f"  {resource.kind:<9}{resource.name}  ({resource.physical})"
                + (f"  {detail}" if detail else "")
            )
        for function in (f for f in graph.functions if f.app == app):
            lines.append(
                f"  {'function':<9}{function.name}  ({function.physical})  "
                + _function_detail(function)
            )
    lines.append("edges")
    for edge in graph.edges:
        settings = _settings(edge.settings)
        lines.append(
            f"  {edge.source} --{edge.kind}--> {edge.target}"
            + (f"  {settings}" if settings else "")
        )
    return "\n".join(lines) + "\n"


def _dot_id(node: str) -> str:
    return json.dumps(node)


def dot(graph: Graph) -> str:
    """Graphviz: one cluster per app, a shape per kind, edges labelled by kind."""
    lines = ["digraph gearbox {", "  rankdir=LR;", '  node [fontname="Helvetica"];']
    for i, app in enumerate(graph.apps):
        lines.append(f"  subgraph cluster_{i} {{")
        lines.append(f"    label={json.dumps(app)};")
        for node, kind, name in _nodes(graph, app):
            label = json.dumps(f"{kind}\n{name}")
            lines.append(f"    {_dot_id(node)} [shape={_SHAPES[kind]}, label={label}];")
        lines.append("  }")
    for edge in graph.edges:
        style = ", style=dashed" if edge.kind in ("environment", "dlq", "destination") else ""
        lines.append(
            f"  {_dot_id(edge.source)} -> {_dot_id(edge.target)} "
            f"[label={json.dumps(_edge_label(edge))}{style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _nodes(graph: Graph, app: str) -> list[tuple[str, str, str]]:
    nodes = [(r.id, r.kind, r.name) for r in graph.resources if r.app == app]
    nodes += [(f.id, "function", f.name) for f in graph.functions if f.app == app]
    return nodes


def _edge_label(edge: Edge) -> str:
    variable = edge.settings.get("variable")
    on = edge.settings.get("on")
    if variable is not None:
        return f"env {variable}"
    if on is not None:
        return f"on {on}"
    return edge.kind


_MERMAID_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


def _mermaid_id(node: str) -> str:
    return "n_" + _MERMAID_UNSAFE.sub(lambda m: f"_{ord(m.group()):x}_", node)


_MERMAID_SHAPES = {
    "bucket": ("[(", ")]"),
    "queue": ("[", "]"),
    "topic": ("{{", "}}"),
    "table": ("[(", ")]"),
    "schedule": ("[/", "/]"),
    "function": ("(", ")"),
}


def mermaid(graph: Graph) -> str:
    """A Mermaid flowchart: one subgraph per app."""
    lines = ["flowchart LR"]
    for app in graph.apps:
        lines.append(f'  subgraph {_mermaid_id(app)} ["{app}"]')
        for node, kind, name in _nodes(graph, app):
            left, right = _MERMAID_SHAPES[kind]
            lines.append(f'    {_mermaid_id(node)}{left}"{kind}: {name}"{right}')
        lines.append("  end")
    for edge in graph.edges:
        arrow = "-.->" if edge.kind in ("environment", "dlq", "destination") else "-->"
        label = _edge_label(edge).replace('"', "'")
        lines.append(f'  {_mermaid_id(edge.source)} {arrow}|"{label}"| {_mermaid_id(edge.target)}')
    return "\n".join(lines) + "\n"


FORMATS = {"text": text, "dot": dot, "mermaid": mermaid}
