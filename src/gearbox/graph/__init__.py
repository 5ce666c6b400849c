"""The event graph: pure data built from the apps, validated, rendered.

The stages, one module each, each a plain function::

    load_project(path) -> apps          (load: import the user's project)
    build(apps) -> Graph                (build: the registry -> graph)
    validate(graph) -> None | raises    (validate + limits: every rule, DeclarationError)
    text / dot / mermaid (graph) -> str (render)

    gearbox.app registry -> graph -> local cloud / policy / template

``names`` is the one module that derives physical names, logical ids, ARNs and queue URLs;
``model`` holds the frozen ``Resource``, ``Function``, ``Edge`` and ``Graph``. Nothing here
talks to AWS or to the local cloud.
"""

from gearbox.graph.build import build
from gearbox.graph.load import load_project
from gearbox.graph.model import Edge, Function, Graph, Resource
from gearbox.graph.problem import Problem
from gearbox.graph.render import dot, mermaid, text
from gearbox.graph.validate import problems, validate

__all__ = [
    "Edge",
    "Function",
    "Graph",
    "Problem",
    "Resource",
    "build",
    "dot",
    "load_project",
    "mermaid",
    "problems",
    "text",
    "validate",
]
