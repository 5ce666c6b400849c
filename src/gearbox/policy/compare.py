"""The generated policy against the calls a function really made (the observed policy).

Two lists, both deterministic:

- ``missed``: observed calls (action on resource) that the generated policy does not allow,
  by AWS's evaluation logic (``gearbox.policy.evaluate``): what the code did that the analysis
  did not see;
- ``unused``: (action, resource pattern) grants of the generated policy that no observed call
  used: what the code may do but has not done so far (often a path the tests or the session
  did not take, so not necessarily too much).

Observed calls are evaluated without request conditions (the generated policies carry none).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gearbox.policy.document import parse_policy
from gearbox.policy.evaluate import evaluate


@dataclass(frozen=True)
class Comparison:
    missed: list[tuple[str, str]] = field(default_factory=list)
    unused: list[tuple[str, str]] = field(default_factory=list)


def compare(generated: Mapping[str, Any], calls: Iterable[Mapping[str, Any]]) -> Comparison:
    """``calls``: ``{"action", "resource"}`` items, as the observed route lists them."""
    policy = parse_policy(dict(generated), "generated")
    made = sorted({(str(c["action"]), str(c["resource"])) for c in calls})
    missed = [(a, r) for a, r in made if not evaluate([policy], a, r).allowed]
    unused = []
    for statement in generated["Statement"]:
        actions = _list(statement["Action"])
        resources = _list(statement["Resource"])
        for action in actions:
            for resource in resources:
                if not any(_matches(action, resource, a, r) for a, r in made):
                    unused.append((action, resource))
    return Comparison(missed, sorted(set(unused)))


def _list(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _matches(action: str, resource: str, made_action: str, made_resource: str) -> bool:
    return _wild(action.lower(), made_action.lower()) and _wild(resource, made_resource)


def _wild(pattern: str, text: str) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` any one."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None
