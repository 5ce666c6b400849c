"""Bring a validated graph up on a running local cloud: resources, then one role and one
package per function, then the triggers. Returns what each function now runs, so a reload
can tell which functions changed.

A function's package is built from the project folder its handler module lives in (the
folder that makes ``spec.module`` importable) plus its declared requirements.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from gearbox.app.specs import BucketSpec, FunctionSpec, TopicSpec
from gearbox.dev.functions import Deployed, apply_function
from gearbox.dev.resources import apply_resources
from gearbox.dev.targets import Place
from gearbox.dev.triggers import apply_triggers
from gearbox.graph.model import Graph
from gearbox.package import Package, build_package

Clients = Callable[[str], Any]
PolicyFor = Callable[[str], Mapping[str, Any] | None]


def code_root(spec: FunctionSpec) -> Path:
    """The folder on ``sys.path`` from which ``spec.module`` imports."""
    path = Path(spec.file).resolve()
    depth = spec.module.count(".") + 1
    if path.name == "__init__.py":
        depth += 1
    return path.parents[depth - 1]


def packages(graph: Graph) -> dict[str, Package]:
    """Each function's package, by physical name."""
    return {
        f.physical: build_package(
            code_root(f.spec), f.spec.requirements, handler_module=f.spec.module
        )
        for f in graph.functions
    }


def deploy(
    graph: Graph,
    clients: Clients,
    place: Place,
    built: Mapping[str, Package],
    policy_for: PolicyFor = lambda _: None,
) -> tuple[dict[str, Deployed], list[str]]:
    """Apply the whole graph; (deployed functions by physical name, notes for the user)."""
    notes = apply_resources([r.spec for r in graph.resources], clients, place)
    deployed = {
        f.physical: apply_function(
            f.spec, f.physical, built[f.physical], clients, place, policy=policy_for(f.physical)
        )
        for f in graph.functions
    }
    specs = [r.spec for r in graph.resources]
    apply_triggers(
        [(f.spec, f.physical) for f in graph.functions],
        clients,
        place,
        buckets=[place.physical(b) for b in specs if isinstance(b, BucketSpec)],
        topics=[place.arn(t) for t in specs if isinstance(t, TopicSpec)],
    )
    return deployed, notes
