"""``gearbox policy``: the IAM policy of a plain handler (``--handler file.py:function``) or
of an app's functions (``gearbox policy [FUNCTION] --app PATH``), or the policy a function's
calls on the local cloud needed so far and how it differs from the generated one
(``gearbox policy FUNCTION --observed``).

Parses the handler reference and ``--bind`` options, runs the analysis and prints the policy
document (JSON or YAML) on stdout; blind spots, unmapped calls and the reason of every
``Resource: "*"`` go to stderr as warnings, so stdout stays a valid policy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from gearbox.errors import PolicyError
from gearbox.graph.model import Function, Graph
from gearbox.policy import ResourceBinding, analyze_handler, build_policy
from gearbox.policy.generate import GeneratedPolicy, warnings
from gearbox.policy.model import RESOURCE_KINDS, Analysis


def parse_handler(reference: str) -> tuple[Path, str]:
    path, sep, function = reference.rpartition(":")
    if not sep or not path or not function:
        raise PolicyError(f"--handler {reference!r}: expected path/to/file.py:function")
    return Path(path), function


def parse_bindings(values: Sequence[str]) -> dict[str, ResourceBinding]:
    """``VAR=kind:physical-name`` options, e.g. ``TABLE_NAME=table:orders``."""
    bindings = {}
    for value in values:
        var, eq, rest = value.partition("=")
        kind, colon, physical = rest.partition(":")
        if not eq or not colon or not var or not physical or kind not in RESOURCE_KINDS:
            raise PolicyError(
                f"--bind {value!r}: expected VAR=KIND:NAME with KIND one of "
                f"{', '.join(RESOURCE_KINDS)}"
            )
        bindings[var] = ResourceBinding(kind, physical)
    return bindings


def render(document: dict[str, object], fmt: str) -> str:
    if fmt == "yaml":
        import yaml

        return str(yaml.safe_dump(document, sort_keys=False, default_flow_style=False))
    return json.dumps(document, indent=2) + "\n"


def run_policy(handler: str, fmt: str, binds: Sequence[str], account: str, region: str) -> None:
    path, function = parse_handler(handler)
    bindings = parse_bindings(binds)
    analysis = analyze_handler(path, function)
    policy = build_policy(analysis, bindings, account, region)
    click.echo(render(policy.document, fmt), nl=False)
    warn(analysis, policy)


def run_app_policy(
    project: Path, function: str | None, fmt: str, account: str, region: str
) -> None:
    """Print one function's policy, or every function's (an object keyed by function name)."""
    from gearbox.dev.session import load_graph
    from gearbox.policy.app import function_policy

    graph = load_graph(project)
    chosen = list(graph.functions) if function is None else [named(graph, function, project)]
    policies = [function_policy(graph, f, account, region) for f in chosen]
    if function is not None:
        click.echo(render(policies[0].policy.document, fmt), nl=False)
    else:
        click.echo(render({p.function: p.policy.document for p in policies}, fmt), nl=False)
    for made in policies:
        warn(made.analysis, made.policy, prefix=f"{made.function}: ")


def named(graph: Graph, function: str, project: Path) -> Function:
    """The function of ``graph`` declared as ``function`` or deployed under that name."""
    for found in graph.functions:
        if function in (found.name, found.physical):
            return found
    known = ", ".join(f.name for f in graph.functions)
    raise PolicyError(f"no function {function!r} in {project} (functions: {known})")


def warn(analysis: Analysis, policy: GeneratedPolicy, prefix: str = "") -> None:
    for line in warnings(analysis, policy):
        click.secho(f"warning: {prefix}{line}", fg="yellow", err=True)


def run_observed_policy(
    project: Path, function: str, fmt: str, endpoint_url: str, *, account: str, region: str
) -> None:
    """Print the observed policy of FUNCTION; the difference from the generated one goes to
    stderr, one line per action and resource."""
    from gearbox.dev.session import load_graph
    from gearbox.policy.app import function_policy
    from gearbox.policy.compare import compare

    graph = load_graph(project)
    target = named(graph, function, project)
    observed = fetch_observed(endpoint_url, target.physical)
    click.echo(render(observed["policy"], fmt), nl=False)
    generated = function_policy(graph, target, account, region).policy.document
    difference = compare(generated, observed["calls"])
    for action, resource in difference.missed:
        click.secho(f"made but not generated: {action} on {resource}", fg="red", err=True)
    for action, resource in difference.unused:
        click.secho(f"generated but not used yet: {action} on {resource}", fg="yellow", err=True)
    if not difference.missed and not difference.unused:
        click.echo("the generated policy allows exactly what the calls needed", err=True)


def fetch_observed(endpoint_url: str, function: str) -> dict[str, Any]:
    import urllib.error
    import urllib.parse
    import urllib.request

    query = urllib.parse.urlencode({"function": function})
    url = f"{endpoint_url.rstrip('/')}/_gearbox/iam/observed?{query}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body: dict[str, Any] = json.load(response)
    except (urllib.error.URLError, OSError) as exc:
        raise PolicyError(f"cannot read the observed calls at {url}: {exc}") from exc
    return body
