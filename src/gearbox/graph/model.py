"""The event graph as plain, frozen data: resources, functions and the edges between them.

- ``Resource(id, kind, app, name, physical, spec)``: a bucket, queue (dead-letter queues
  included), topic, table or schedule; ``spec`` is the declaration it came from.
- ``Function(id, app, name, physical, spec)``.
- ``Edge(kind, source, target, settings)``, one kind per way an event or a name travels:

  ===============  ==================  ==================  =================================
  kind             source              target              settings
  ===============  ==================  ==================  =================================
  notification     bucket              queue or function   events, prefix, suffix
  mapping          queue               function            batch_size, window, ...
  subscription     topic               function            filter_policy, filter_scope, raw
  stream           table               function            starting_position, batch_size, ...
  schedule         schedule            function            input
  destination      function            queue/topic/fn      on: success | failure |
                                                           stream-failure (+ mapping)
  dlq              queue               its DLQ             max_receive_count
  environment      function            resource or fn      variable
  ===============  ==================  ==================  =================================

- ``Graph(resources, functions, edges, refs, app_origins)``: each sorted (by id; edges by
  source, kind, target and settings), so the same apps always give an equal graph. ``refs`` are the
  ``RefSpec`` values the apps declared or used, kept so ``validate`` can report the dangling
  ones. An edge may point at an id no node has (a dangling reference); ``validate`` reports
  it, renderers show it as given. ``app_origins`` are the apps' names and where each ``App``
  was created (two apps of one name are a clash).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from gearbox.app.specs import FunctionSpec, Origin, RefSpec, ResourceSpec

EdgeKind: TypeAlias = Literal[
    "notification",
    "mapping",
    "subscription",
    "stream",
    "schedule",
    "destination",
    "dlq",
    "environment",
]


@dataclass(frozen=True, slots=True)
class Resource:
    id: str
    kind: str
    app: str
    name: str
    physical: str
    spec: ResourceSpec


@dataclass(frozen=True, slots=True)
class Function:
    id: str
    app: str
    name: str
    physical: str
    spec: FunctionSpec


@dataclass(frozen=True, slots=True)
class Edge:
    kind: EdgeKind
    source: str
    target: str
    settings: dict[str, Any] = field(default_factory=dict, hash=False)

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.source, self.kind, self.target, json.dumps(self.settings, sort_keys=True))


@dataclass(frozen=True, slots=True)
class Graph:
    resources: tuple[Resource, ...]
    functions: tuple[Function, ...]
    edges: tuple[Edge, ...]
    refs: tuple[RefSpec, ...] = ()
    app_origins: tuple[tuple[str, Origin], ...] = ()

    @property
    def apps(self) -> tuple[str, ...]:
        """Every app's name, sorted."""
        names = {name for name, _ in self.app_origins}
        names |= {r.app for r in self.resources} | {f.app for f in self.functions}
        return tuple(sorted(names))

    def resource(self, node: str) -> Resource | None:
        return next((r for r in self.resources if r.id == node), None)

    def function(self, node: str) -> Function | None:
        return next((f for f in self.functions if f.id == node), None)

    def has(self, node: str) -> bool:
        return self.resource(node) is not None or self.function(node) is not None

    def edges_from(self, node: str) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.source == node)

    def edges_to(self, node: str) -> tuple[Edge, ...]:
        return tuple(e for e in self.edges if e.target == node)
