"""Gearbox's exception tree.

::

    GearboxError                 anything Gearbox reports to a user as one line, exit code 2
    ├── SettingsError            a setting has an unusable value
    ├── StateDirError            the state directory cannot be used
    │   └── StateDirLocked       another ``gearbox up`` holds it
    └── PolicyError              an IAM policy document is malformed

Errors that AWS clients see (SQS's ``QueueDoesNotExist`` and the like) are not exceptions of
this tree: they are ``gearbox.local.sqs.errors.SqsError`` values, turned into AWS-shaped
responses at the edge. Errors from libraries are translated at the boundary with
``raise ... from exc``.
"""

from __future__ import annotations


class GearboxError(Exception):
    """An error with a message fit to show a user on one line."""


class SettingsError(GearboxError):
    """A setting has a value that cannot be used."""


class StateDirError(GearboxError):
    """The state directory is not writable, or was written by a newer Gearbox."""


class StateDirLocked(StateDirError):
    """Another running ``gearbox up`` owns the state directory."""


class PolicyError(GearboxError):
    """An IAM policy document is malformed; the message says where and why."""
