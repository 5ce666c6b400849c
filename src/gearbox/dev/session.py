"""One ``gearbox dev`` session: load the project, bring it up, stream the journal, reload.

Each function's role gets the policy ``gearbox.policy`` generates from its code and the
graph, so the local edge enforces least privilege as AWS would. The session uses the local
cloud at ``endpoint_url`` when one is given (``--endpoint-url`` or ``AWS_ENDPOINT_URL``), or
starts one in this process. A declaration error at start stops
the session (``DeclarationError``); at a reload it is printed and the previous version keeps
serving. A reload deploys the whole graph again (idempotent) but uploads code only for the
functions whose package changed, so the others keep their warm environments, and queued
events wait in their queues for the new code. A function this session deployed that the
declaration no longer has is deleted, its event source mappings first.
"""

from __future__ import annotations

import contextlib
import queue
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gearbox.dev import stream, watch
from gearbox.dev.deploy import deploy, packages
from gearbox.dev.functions import Deployed
from gearbox.dev.targets import Place
from gearbox.errors import DeclarationError, GearboxError
from gearbox.graph import build, load_project, validate
from gearbox.graph.model import Graph

PolicyMaker = Callable[[Graph, Place], "Policies"]


class Printer(Protocol):
    def info(self, message: str) -> None: ...

    def error(self, message: str) -> None: ...


def load_graph(path: Path) -> Graph:
    """The project's validated graph (raises ``DeclarationError``)."""
    graph = build(load_project(path))
    validate(graph)
    return graph


@dataclass(frozen=True)
class Policies:
    """Each function's policy document, and what the user should hear about them."""

    documents: Mapping[str, Mapping[str, Any]]
    warnings: tuple[str, ...] = ()


def generated_policies(graph: Graph, place: Place) -> Policies:
    """Each function's least-privilege policy generated from its code and the graph, with
    the analysis's blind spots and the reasons of statements left with ``*``."""
    from gearbox.policy.app import app_policies
    from gearbox.policy.generate import warnings

    made = app_policies(graph, place.account, place.region)
    said = [
        f"{name}: {line}"
        for name, found in sorted(made.items())
        for line in warnings(found.analysis, found.policy)
    ]
    return Policies({name: made[name].policy.document for name in made}, tuple(said))


def remove_function(lam: Any, name: str) -> None:
    """Delete a function this session deployed and the declaration no longer has, with its
    event source mappings first (so its queue is not consumed by code nobody declares)."""
    for mapping in lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
        lam.delete_event_source_mapping(UUID=mapping["UUID"])
    lam.delete_function(FunctionName=name)


def project_root(path: Path) -> Path:
    path = path.resolve()
    return path if path.is_dir() else path.parent


@dataclass
class DevSession:
    path: Path
    place: Place
    clients: Callable[[str], Any]
    out: Printer
    policies: PolicyMaker | None = field(default_factory=lambda: generated_policies)
    deployed: dict[str, Deployed] = field(default_factory=dict)
    warned: set[str] = field(default_factory=set)

    def up(self) -> Graph:
        """Load, validate and deploy the project; print what is running."""
        graph = load_graph(self.path)
        self._deploy(graph)
        self.out.info(describe(graph))
        return graph

    def reload(self, changed: set[Path]) -> None:
        names = ", ".join(sorted(p.name for p in changed))
        try:
            graph = load_graph(self.path)
        except DeclarationError as exc:
            self.out.error(
                f"reload after changes to {names} failed; still serving the previous "
                f"version:\n{exc}"
            )
            return
        except GearboxError as exc:
            self.out.error(f"reload failed; still serving the previous version: {exc}")
            return
        before = set(self.deployed)
        self._deploy(graph)
        removed = sorted(before - set(self.deployed))
        for name in removed:
            remove_function(self.clients("lambda"), name)
        fresh = sorted(n for n, d in self.deployed.items() if d.code_changed)
        kept = sorted(n for n in self.deployed if n not in fresh)
        self.out.info(
            f"reloaded ({names} changed): new code for {', '.join(fresh) or 'no function'}"
            + (f"; unchanged: {', '.join(kept)}" if kept else "")
            + (f"; removed: {', '.join(removed)}" if removed else "")
        )

    def _deploy(self, graph: Graph) -> None:
        policies = self.policies(graph, self.place) if self.policies else Policies({})
        deployed, notes = deploy(
            graph, self.clients, self.place, packages(graph), policies.documents.get
        )
        for warning in policies.warnings:
            if warning not in self.warned:  # each once per session, not at every reload
                self.out.info(f"policy: {warning}")
        self.warned |= set(policies.warnings)
        self.deployed = deployed
        for note in notes:
            self.out.info(f"note: {note}")

    def follow(self, stop: threading.Event, poll_seconds: float = 0.25) -> None:
        """Print the journal and reload on changes until ``stop`` is set."""
        feed = stream.JournalFeed(self.place.endpoint_url)
        changes: queue.Queue[set[Path]] = queue.Queue()
        watcher = threading.Thread(
            target=_pump, args=(project_root(self.path), stop, changes), daemon=True
        )
        watcher.start()
        while not stop.is_set():
            for entry in feed.poll():
                self.out.info(stream.line(entry))
            with contextlib.suppress(queue.Empty):
                batch = changes.get(timeout=poll_seconds)
                self.reload(batch)
        sys.stdout.flush()


def _pump(root: Path, stop: threading.Event, into: queue.Queue[set[Path]]) -> None:
    for batch in watch.changes(root, stop):
        into.put(batch)


def describe(graph: Graph) -> str:
    """What is running, one line per function and its triggers."""
    lines = [f"{len(graph.resources)} resources, {len(graph.functions)} functions:"]
    for function in graph.functions:
        sources = [e for e in graph.edges if e.target == function.id and e.kind != "environment"]
        triggers = ", ".join(f"{e.kind} from {e.source}" for e in sources) or "invoked directly"
        lines.append(f"  {function.physical}  <- {triggers}")
    return "\n".join(lines)
