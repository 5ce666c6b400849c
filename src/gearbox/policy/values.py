"""The abstract values the analysis computes for Python expressions.

The analysis does not run user code: it evaluates expressions to these values, which know
only what matters for IAM: which AWS service a client or resource talks to, which resource a
boto3 resource object names, and what a string is made of (literals, environment variables,
unknown parts). Everything else is ``UNKNOWN``.

``Text`` is a string as a sequence of segments: a literal, an environment variable (with its
``os.environ.get`` default, if any) or an unknown part. An f-string over an env var and a
literal is such a sequence; the scoping stage resolves it against the app's bindings.

Mutable values (``Instance``, ``DictValue``) mirror Python objects the code mutates
(``self.table = ...``, ``params["IndexName"] = ...``) and compare by identity.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class EnvRef:
    """An environment variable read with ``os.environ[...]``, ``.get`` or ``os.getenv``."""

    name: str
    default: str | None = None


Segment = str | EnvRef | None  # None: a part the analysis cannot know


@dataclass(frozen=True, slots=True)
class Text:
    """A string value: literal parts, environment variables and unknown parts."""

    segments: tuple[Segment, ...]

    @staticmethod
    def literal(value: str) -> Text:
        return Text((value,))

    @property
    def is_literal(self) -> bool:
        return all(isinstance(s, str) for s in self.segments)

    @property
    def value(self) -> str | None:
        """The string, when it is made of literals only."""
        if not self.is_literal:
            return None
        return "".join(s for s in self.segments if isinstance(s, str))

    def __add__(self, other: Text) -> Text:
        return Text(self.segments + other.segments)


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value the analysis does not follow."""


UNKNOWN = Unknown()


@dataclass(frozen=True, slots=True)
class Boto3Module:
    """``boto3`` (or ``boto3.session``, ``botocore.session``): ``name`` says which."""

    name: str


@dataclass(frozen=True, slots=True)
class Boto3Factory:
    """A callable that makes clients, resources or sessions: ``boto3.client`` etc."""

    kind: str  # "client" | "resource" | "session" | "botocore_session"


@dataclass(frozen=True, slots=True)
class Session:
    """A ``boto3.Session`` or botocore session."""


@dataclass(frozen=True, slots=True)
class Client:
    """A low-level client of one AWS service (botocore's service name)."""

    service: str


@dataclass(frozen=True, slots=True)
class Resource:
    """A boto3 resource object: the service resource (``type_name`` "") or e.g. a ``Table``.

    ``identifiers`` holds the resource's identifiers by their model names (``Name``,
    ``BucketName``, ``Key``, ``Url``, ...)."""

    service: str
    type_name: str
    identifiers: tuple[tuple[str, Value], ...] = ()

    def identifier(self, name: str) -> Value:
        return dict(self.identifiers).get(name, UNKNOWN)


@dataclass(frozen=True, slots=True)
class ResourceFactory:
    """``dynamodb.Table`` before it is called: a sub-resource constructor."""

    parent: Resource
    type_name: str


@dataclass(frozen=True, slots=True)
class Collection:
    """A resource collection such as ``bucket.objects`` or ``sqs.queues``."""

    parent: Resource
    name: str  # the model's name, e.g. "Objects"


@dataclass(frozen=True, slots=True)
class Paginator:
    service: str
    operation: str


@dataclass(frozen=True, slots=True)
class Waiter:
    service: str
    operation: str


@dataclass(frozen=True, slots=True)
class Method:
    """An attribute of an AWS object, not yet called: ``client.put_item``."""

    owner: Value
    name: str


@dataclass(frozen=True, slots=True)
class Response:
    """What an AWS call returned; only ``GetQueueUrl``'s ``QueueUrl`` is followed."""

    service: str
    operation: str
    params: tuple[tuple[str, Value], ...]


@dataclass(frozen=True, slots=True)
class Environ:
    """``os.environ`` itself."""


@dataclass(frozen=True, slots=True)
class Builtin:
    """A function the analysis models: ``os.getenv``, ``getattr``, ``environ.get``."""

    name: str


@dataclass(frozen=True, slots=True)
class ModuleRef:
    """A module of the project, by its dotted name."""

    name: str


@dataclass(frozen=True, slots=True)
class ExternalModule:
    """A module outside the project (standard library or third party)."""

    name: str


@dataclass(frozen=True, slots=True)
class Function:
    """A function of the project; ``bound`` is ``self`` for a method."""

    module: str
    node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
    qualname: str
    bound: Value | None = None


@dataclass(eq=False, slots=True)
class ClassValue:
    """A class of the project, with the class attributes its body assigns."""

    module: str
    node: ast.ClassDef
    attrs: dict[str, Value] = field(default_factory=dict)
    bases: tuple[Value, ...] = ()


@dataclass(eq=False, slots=True)
class Instance:
    """An instance of a project class; ``attrs`` are the ``self.x = ...`` assignments."""

    cls: ClassValue
    attrs: dict[str, Value] = field(default_factory=dict)


@dataclass(eq=False, slots=True)
class DictValue:
    """A dict literal with string keys (``**params`` call arguments, ``CopySource``)."""

    items: dict[str, Value] = field(default_factory=dict)
    keys: list[Text] = field(default_factory=list)  # every string key, literal or not


@dataclass(frozen=True, slots=True)
class ListValue:
    """A list or tuple literal (``TransactItems``, ``Entries``, a loop over names)."""

    items: tuple[Value, ...]


@dataclass(frozen=True, slots=True)
class Several:
    """One of several values (a dispatch table indexed by an unknown key)."""

    options: tuple[Value, ...]


Value = (
    Text
    | Unknown
    | Boto3Module
    | Boto3Factory
    | Session
    | Client
    | Resource
    | ResourceFactory
    | Collection
    | Paginator
    | Waiter
    | Method
    | Response
    | Environ
    | Builtin
    | ModuleRef
    | ExternalModule
    | Function
    | ClassValue
    | Instance
    | DictValue
    | ListValue
    | Several
)


def as_params(items: Mapping[str, Value]) -> tuple[tuple[str, Value], ...]:
    """Call parameters in a stable order."""
    return tuple(sorted(items.items(), key=lambda kv: kv[0]))
