"""Gearbox's exception tree.

::

    GearboxError                 anything Gearbox reports to a user as one line, exit code 2
    ├── DeclarationError         an app's declarations break a rule (one line per problem)
    ├── SettingsError            a setting has an unusable value
    ├── PolicyError              a handler cannot be analysed for its IAM policy
    ├── StateDirError            the state directory cannot be used
    │   └── StateDirLocked       another ``gearbox up`` holds it
    └── ScaffoldError            ``gearbox new`` cannot write the service it was asked for

Errors that AWS clients see (SQS's ``QueueDoesNotExist`` and the like) are not exceptions of
this tree: they are ``gearbox.local.sqs.errors.SqsError`` values, turned into AWS-shaped
responses at the edge. Errors from libraries are translated at the boundary with
``raise ... from exc``.
"""

from __future__ import annotations

from collections.abc import Sequence


class GearboxError(Exception):
    """An error with a message fit to show a user on one line."""


class DeclarationError(GearboxError):
    """The project's declarations cannot be loaded or break a rule of the graph.

    ``problems`` are ``gearbox.graph.validate.Problem`` values (empty when the project could
    not even be loaded); the message has one line per problem, each naming file and line.
    """

    def __init__(self, lines: Sequence[str], problems: Sequence[object] = ()) -> None:
        super().__init__("\n".join(lines))
        self.lines = tuple(lines)
        self.problems = tuple(problems)


class SettingsError(GearboxError):
    """A setting has a value that cannot be used."""


class StateDirError(GearboxError):
    """The state directory is not writable, or was written by a newer Gearbox."""


class StateDirLocked(StateDirError):
    """Another running ``gearbox up`` owns the state directory."""


class ScaffoldError(GearboxError):
    """``gearbox new`` was given a bad name or a folder that already exists."""


class PolicyError(GearboxError):
    """A handler cannot be analysed (no such file or function, code that does not parse), a
    hand-written policy declaration is malformed, or an IAM policy document is malformed; the
    message says where and why."""
