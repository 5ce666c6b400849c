"""What the analysis returns: the AWS calls a handler can make, and what it could not follow.

A ``Call`` is one call site: the botocore service, the operation (botocore's name, such as
``PutItem``, or the name of a boto3 helper that wraps several operations, such as
``upload_file``), the parameters the analysis could evaluate, and where it is. A ``BlindSpot``
is code the analysis saw but could not turn into calls; it carries a suggested
``extra_permissions=`` declaration. ``ResourceBinding`` is what an app (or the command line)
says an environment variable holds: a resource kind and its physical name.
"""

from __future__ import annotations

from dataclasses import dataclass

from gearbox.policy.values import Value


@dataclass(frozen=True, slots=True, order=True)
class Location:
    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True, slots=True)
class Call:
    service: str
    operation: str
    params: tuple[tuple[str, Value], ...]
    location: Location
    function: str  # the qualified name of the function (or "<module>") that makes the call

    def param(self, name: str) -> Value | None:
        return dict(self.params).get(name)


@dataclass(frozen=True, slots=True, order=True)
class BlindSpot:
    location: Location
    function: str
    reason: str
    suggestion: str

    def __str__(self) -> str:
        return f"{self.location}: in {self.function}: {self.reason}; {self.suggestion}"


@dataclass(frozen=True, slots=True)
class Analysis:
    """The calls reachable from one handler, and the blind spots met on the way."""

    handler: str  # "path/to/file.py:function"
    calls: tuple[Call, ...]
    blind_spots: tuple[BlindSpot, ...]


RESOURCE_KINDS = ("bucket", "queue", "topic", "table", "function", "state_machine", "secret")


@dataclass(frozen=True, slots=True)
class ResourceBinding:
    """What an environment variable names: ``ResourceBinding("table", "svc-metadata")``.

    ``physical`` is the resource's physical name (a queue's name, not its URL)."""

    kind: str
    physical: str

    def __post_init__(self) -> None:
        if self.kind not in RESOURCE_KINDS:
            raise ValueError(f"unknown resource kind {self.kind!r}; one of {RESOURCE_KINDS}")
