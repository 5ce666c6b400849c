"""``gearbox policy --handler file.py:function``: the IAM policy a plain handler needs.

Parses the handler reference and ``--bind`` options, runs the analysis and prints the policy
document (JSON or YAML) on stdout; blind spots, unmapped calls and the reason of every
``Resource: "*"`` go to stderr as warnings, so stdout stays a valid policy.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click

from gearbox.errors import PolicyError
from gearbox.policy import ResourceBinding, analyze_handler, build_policy
from gearbox.policy.model import RESOURCE_KINDS


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
    for spot in analysis.blind_spots:
        click.secho(f"warning: {spot}", fg="yellow", err=True)
    for line in policy.unmapped:
        click.secho(f"warning: {line}", fg="yellow", err=True)
    for sid, reasons in sorted(policy.notes.items()):
        for reason in reasons:
            click.secho(
                f'warning: statement {sid} has Resource "*": {reason}', fg="yellow", err=True
            )
