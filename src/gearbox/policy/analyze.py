"""Which AWS calls can a Lambda handler make? ``analyze_handler(file, function)`` answers.

It loads the handler's module (running its module-level code, as Lambda's init phase does,
and following the project's own imports), then walks the handler's body and every project
function it reaches. What it follows:

- ``boto3.client(...)``, ``boto3.resource(...)``, ``boto3.Session(...).client/resource``,
  ``boto3.session.Session``, ``botocore.session.get_session().create_client``,
  ``from boto3 import client``; the service name as a literal, by keyword
  (``service_name=``) or through a variable or constant;
- clients and resources held in module globals, class attributes, ``self`` attributes,
  returned by factories or passed as arguments, ``resource.meta.client``;
- resource actions, sub-resources (``Table``, ``Bucket``, ``Object``, ``Queue``, ...),
  collections and their batch actions, loads (``obj.load()`` and attributes such as
  ``obj.content_length``), resource waiters, from boto3's own resource models;
- paginators and waiters (botocore's waiter models give the polled operation), presigned
  URLs and POSTs, the S3 transfer helpers, ``Table.batch_writer``, ``_make_api_call``;
- ``**params`` dicts, ``os.environ[...]`` / ``.get`` / ``os.getenv`` and f-strings, for
  scoping; functions passed as callbacks to code outside the project.

Blind spots (each reported with its file, line, function and a suggested
``extra_permissions=`` declaration; none is dropped silently):

- a service, operation, paginator or waiter name that is not a constant;
- ``getattr(client, name)`` with a computed name; a method that is not an operation;
- a boto3 client, resource or session handed to code outside the project, and imports of
  libraries that call AWS themselves (awswrangler, Powertools, PynamoDB, smart_open, ...).

Not followed at all (the analysis cannot see them): code run through ``exec``/``eval``,
``importlib`` with computed names, and calls made by third-party code that creates its own
clients without the project passing one. Both branches of every ``if`` count, so a call
under a condition is in the policy whether or not it happens at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gearbox.errors import PolicyError
from gearbox.policy.interpreter import Frame, Interpreter
from gearbox.policy.model import Analysis, BlindSpot, Call
from gearbox.policy.modules import module_name_for, project_roots
from gearbox.policy.values import UNKNOWN, Function, Value


def analyze_handler(file: Path, function: str, display_root: Path | None = None) -> Analysis:
    """The calls reachable from ``function`` in ``file`` (raises ``PolicyError`` when the file
    or function does not exist, or code does not parse)."""
    if not file.is_file():
        raise PolicyError(f"{file}: no such file")
    roots = project_roots(file)
    interpreter = Interpreter(roots, (display_root or Path.cwd()).resolve())
    name = module_name_for(file, roots)
    module = interpreter.load_file(file.resolve(), name)
    target = _find(interpreter, module.globals, function)
    if target is None:
        raise PolicyError(f"{file}: has no function {function!r}")
    with interpreter._frame(Frame(module, "<module>", module.globals)):
        interpreter.invoke(target, [UNKNOWN, UNKNOWN], {})
    return Analysis(
        handler=f"{file}:{function}",
        calls=_unique(interpreter.calls),
        blind_spots=tuple(sorted(set(interpreter.blind_spots))),
    )


def _find(interpreter: Interpreter, scope: Mapping[str, Value], dotted: str) -> Function | None:
    first, _, rest = dotted.partition(".")
    value = scope.get(first)
    if rest and value is not None:
        value = interpreter.attribute(value, rest)
    return value if isinstance(value, Function) else None


def _unique(calls: list[Call]) -> tuple[Call, ...]:
    seen: dict[tuple[object, ...], Call] = {}
    for call in calls:
        key = (call.service, call.operation, call.params, call.location, call.function)
        seen.setdefault(key, call)
    return tuple(seen.values())


__all__ = ["Analysis", "BlindSpot", "Call", "analyze_handler"]
