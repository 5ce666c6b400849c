"""A small abstract interpreter over the project's Python code, for boto3 usage.

It walks a handler's body statement by statement, evaluating expressions to the values of
``gearbox.policy.values``: names, attributes, calls into the project's own functions (with
their arguments bound, so a client passed as an argument is followed), classes (``__init__``
runs, ``self.x`` is remembered, class attributes are read), imports of the project's own
modules (whose module-level code runs once, as Lambda's init does), dataclass fields'
``default_factory``, ``os.environ`` reads,
f-strings and dict literals used as ``**params``. Calls on boto3 objects are handed to
``gearbox.policy.boto``, which records the AWS calls.

It is flow-insensitive where Python is not: both branches of an ``if`` run, one after the
other, and a loop body runs once (an ``if __name__ == "__main__":`` block does not run, as
under Lambda). A function already on the stack (recursion) is not entered
again. A function called twice with the same arguments is analysed once.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from gearbox.policy import boto
from gearbox.policy.model import BlindSpot, Call, Location
from gearbox.policy.modules import SourceModule, find_module, parse_file, resolve_relative
from gearbox.policy.values import (
    UNKNOWN,
    Boto3Module,
    Builtin,
    ClassValue,
    Client,
    Collection,
    DictValue,
    Environ,
    EnvRef,
    ExternalModule,
    Function,
    Instance,
    ListValue,
    Method,
    ModuleRef,
    Resource,
    Session,
    Several,
    Text,
    Value,
    as_params,
)

AWS_MODULES = {
    "boto3": Boto3Module("boto3"),
    "boto3.session": Boto3Module("boto3.session"),
    "botocore": Boto3Module("botocore"),
    "botocore.session": Boto3Module("botocore.session"),
}

# Libraries that call AWS on the code's behalf; what they call is not analysed.
AWS_WRAPPERS = frozenset(
    {
        "awswrangler",
        "aws_lambda_powertools",
        "pynamodb",
        "smart_open",
        "s3fs",
        "boto",
        "aioboto3",
        "aiobotocore",
        "s3transfer",
        "dynamodb_json",
    }
)

BUILTINS: dict[str, Value] = {"getattr": Builtin("getattr"), "dict": Builtin("dict")}
STR_SAME = frozenset({"strip", "rstrip", "lstrip"})
MAX_DEPTH = 40
SUGGEST = boto.suggest(None)
AWS_OBJECTS = (Client, Resource, Session, Collection)


@dataclass(slots=True)
class ModuleState:
    source: SourceModule
    globals: dict[str, Value] = field(default_factory=dict)


@dataclass(slots=True)
class Frame:
    module: ModuleState
    function: str
    locals: dict[str, Value]
    returns: list[Value] = field(default_factory=list)
    class_scope: bool = False
    global_names: set[str] = field(default_factory=set)


class Interpreter:
    """Holds the modules loaded so far and what the walk has found."""

    def __init__(self, roots: tuple[Path, ...], display_root: Path) -> None:
        self.roots = roots
        self.display_root = display_root
        self.modules: dict[str, ModuleState] = {}
        self.calls: list[Call] = []
        self.blind_spots: list[BlindSpot] = []
        self._frames: list[Frame] = []
        self._line = 0
        self._active: set[int] = set()
        self._memo: dict[tuple[object, ...], Value] = {}

    # -- recording (boto.Recorder) ---------------------------------------------------------

    def _location(self) -> Location:
        path = self._frames[-1].module.source.path
        try:
            shown = str(path.relative_to(self.display_root))
        except ValueError:
            shown = str(path)
        return Location(shown, self._line)

    def record(self, service: str, operation: str, params: Mapping[str, Value]) -> None:
        frame = self._frames[-1]
        self.calls.append(
            Call(service, operation, as_params(params), self._location(), frame.function)
        )

    def blind(self, reason: str, suggestion: str) -> None:
        spot = BlindSpot(self._location(), self._frames[-1].function, reason, suggestion)
        if spot not in self.blind_spots:
            self.blind_spots.append(spot)

    # -- modules -----------------------------------------------------------------------------

    def load_file(self, path: Path, name: str) -> ModuleState:
        if name in self.modules:
            return self.modules[name]
        state = ModuleState(parse_file(path, name))
        self.modules[name] = state
        with self._frame(Frame(state, "<module>", state.globals)):
            self.exec_block(state.source.tree.body)
        return state

    def load_module(self, name: str) -> ModuleState | None:
        if name in self.modules:
            return self.modules[name]
        path = find_module(name, self.roots)
        return None if path is None else self.load_file(path, name)

    def import_value(self, name: str) -> Value:
        if name in AWS_MODULES:
            return AWS_MODULES[name]
        if self.load_module(name) is not None:
            return ModuleRef(name)
        if name.split(".", maxsplit=1)[0] in AWS_WRAPPERS:
            self.blind(f"imports {name}, which calls AWS in ways not analysed", SUGGEST)
        return ExternalModule(name)

    @contextmanager
    def _frame(self, frame: Frame) -> Iterator[Frame]:
        saved = self._line
        self._frames.append(frame)
        try:
            yield frame
        finally:
            self._frames.pop()
            self._line = saved

    # -- statements ------------------------------------------------------------------------

    def exec_block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self._line = stmt.lineno
            handler = getattr(self, f"_stmt_{type(stmt).__name__}", None)
            if handler is not None:
                handler(stmt)
            else:
                self._eval_children(stmt)
                for block in ("body", "orelse", "finalbody"):
                    self.exec_block(getattr(stmt, block, []) or [])
                for item in getattr(stmt, "handlers", []) or []:
                    self.exec_block(item.body)
                for case in getattr(stmt, "cases", []) or []:
                    self.exec_block(case.body)

    def _eval_children(self, node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.eval(child)
            elif isinstance(child, ast.withitem):
                value = self.eval(child.context_expr)
                if child.optional_vars is not None:
                    self.assign(child.optional_vars, value)

    def _stmt_Import(self, stmt: ast.Import) -> None:
        for alias in stmt.names:
            if alias.asname:
                self.bind(alias.asname, self.import_value(alias.name))
            else:
                top = alias.name.split(".")[0]
                self.import_value(alias.name)
                self.bind(top, self.import_value(top))

    def _stmt_ImportFrom(self, stmt: ast.ImportFrom) -> None:
        source = self._frames[-1].module.source
        name = stmt.module or ""
        if stmt.level:
            name = resolve_relative(source.name, source.is_package, stmt.level, stmt.module)
        module = self.import_value(name) if name else UNKNOWN
        for alias in stmt.names:
            if alias.name == "*":
                self._import_star(module)
                continue
            value = self.attribute(module, alias.name)
            if value == UNKNOWN and isinstance(module, ModuleRef):
                value = self.import_value(f"{name}.{alias.name}")
            self.bind(alias.asname or alias.name, value)

    def _import_star(self, module: Value) -> None:
        if isinstance(module, ModuleRef):
            for key, value in self.modules[module.name].globals.items():
                if not key.startswith("_"):
                    self.bind(key, value)

    def _stmt_FunctionDef(self, stmt: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        frame = self._frames[-1]
        prefix = "" if frame.function == "<module>" else f"{frame.function}."
        self.bind(stmt.name, Function(frame.module.source.name, stmt, prefix + stmt.name))

    _stmt_AsyncFunctionDef = _stmt_FunctionDef

    def _stmt_ClassDef(self, stmt: ast.ClassDef) -> None:
        frame = self._frames[-1]
        bases = tuple(self.eval(b) for b in stmt.bases)
        cls = ClassValue(frame.module.source.name, stmt, bases=bases)
        with self._frame(Frame(frame.module, stmt.name, cls.attrs, class_scope=True)):
            self.exec_block(stmt.body)
        self.bind(stmt.name, cls)

    def _stmt_Assign(self, stmt: ast.Assign) -> None:
        value = self.eval(stmt.value)
        for target in stmt.targets:
            self.assign(target, value)

    def _stmt_AnnAssign(self, stmt: ast.AnnAssign) -> None:
        if stmt.value is not None:
            self.assign(stmt.target, self.eval(stmt.value))

    def _stmt_Return(self, stmt: ast.Return) -> None:
        if stmt.value is not None:
            self._frames[-1].returns.append(self.eval(stmt.value))

    def _stmt_For(self, stmt: ast.For | ast.AsyncFor) -> None:
        iterable = self.eval(stmt.iter)
        self.assign(stmt.target, self._item(iterable))
        self.exec_block(stmt.body)
        self.exec_block(stmt.orelse)

    _stmt_AsyncFor = _stmt_For

    def _item(self, iterable: Value) -> Value:
        if isinstance(iterable, ListValue) and iterable.items:
            return Several(iterable.items) if len(iterable.items) > 1 else iterable.items[0]
        return boto.item_of(iterable) if isinstance(iterable, Collection) else UNKNOWN

    def bind(self, name: str, value: Value) -> None:
        frame = self._frames[-1]
        if name in frame.global_names:
            frame.module.globals[name] = value
        else:
            frame.locals[name] = value

    def _stmt_Global(self, stmt: ast.Global) -> None:
        self._frames[-1].global_names.update(stmt.names)

    def _stmt_If(self, stmt: ast.If) -> None:
        if _is_main_guard(stmt.test):  # not run when Lambda imports the module
            self.exec_block(stmt.orelse)
            return
        self.eval(stmt.test)
        self.exec_block(stmt.body)
        self.exec_block(stmt.orelse)

    def assign(self, target: ast.expr, value: Value) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value)
        elif isinstance(target, ast.Attribute):
            owner = self.eval(target.value)
            if isinstance(owner, Instance | ClassValue):
                owner.attrs[target.attr] = value
            elif isinstance(owner, ModuleRef):
                self.modules[owner.name].globals[target.attr] = value
        elif isinstance(target, ast.Subscript):
            owner, key = self.eval(target.value), self.eval(target.slice)
            if isinstance(owner, DictValue) and isinstance(key, Text) and key.value:
                owner.items[key.value] = value
        elif isinstance(target, ast.Tuple | ast.List):
            items = value.items if isinstance(value, ListValue) else ()
            for index, element in enumerate(target.elts):
                self.assign(element, items[index] if index < len(items) else UNKNOWN)

    # -- expressions -----------------------------------------------------------------------

    def eval(self, node: ast.expr) -> Value:
        handler = getattr(self, f"_expr_{type(node).__name__}", None)
        if handler is not None:
            result: Value = handler(node)
            return result
        self._eval_children(node)
        return UNKNOWN

    def lookup(self, name: str) -> Value:
        frame = self._frames[-1]
        if name in frame.locals:
            return frame.locals[name]
        if name in frame.module.globals:
            return frame.module.globals[name]
        return BUILTINS.get(name, UNKNOWN)

    def _expr_Name(self, node: ast.Name) -> Value:
        return self.lookup(node.id)

    def _expr_Constant(self, node: ast.Constant) -> Value:
        return Text.literal(node.value) if isinstance(node.value, str) else UNKNOWN

    def _expr_JoinedStr(self, node: ast.JoinedStr) -> Value:
        result = Text(())
        for part in node.values:
            value = self.eval(part.value if isinstance(part, ast.FormattedValue) else part)
            result = result + (value if isinstance(value, Text) else Text((None,)))
        return result

    def _expr_BinOp(self, node: ast.BinOp) -> Value:
        left, right = self.eval(node.left), self.eval(node.right)
        if isinstance(node.op, ast.Add) and isinstance(left, Text) and isinstance(right, Text):
            return left + right
        return UNKNOWN

    def _expr_BoolOp(self, node: ast.BoolOp) -> Value:
        values = [self.eval(v) for v in node.values]
        return next((v for v in values if v != UNKNOWN), UNKNOWN)

    def _expr_IfExp(self, node: ast.IfExp) -> Value:
        self.eval(node.test)
        body, orelse = self.eval(node.body), self.eval(node.orelse)
        return body if body != UNKNOWN else orelse

    def _expr_Await(self, node: ast.Await) -> Value:
        return self.eval(node.value)

    def _expr_Lambda(self, node: ast.Lambda) -> Value:
        frame = self._frames[-1]
        return Function(frame.module.source.name, node, f"{frame.function}.<lambda>")

    def _expr_Dict(self, node: ast.Dict) -> Value:
        result = DictValue()
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            value = self.eval(value_node)
            if key_node is None:
                if isinstance(value, DictValue):
                    result.items.update(value.items)
                continue
            key = self.eval(key_node)
            if isinstance(key, Text):
                result.keys.append(key)
                if key.value is not None:
                    result.items[key.value] = value
        return result

    def _sequence(self, node: ast.List | ast.Tuple) -> Value:
        return ListValue(tuple(self.eval(element) for element in node.elts))

    _expr_List = _sequence
    _expr_Tuple = _sequence

    def _comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp) -> Value:
        for generator in node.generators:
            self.assign(generator.target, self._item(self.eval(generator.iter)))
            for condition in generator.ifs:
                self.eval(condition)
        self.eval(node.elt)
        return UNKNOWN

    _expr_ListComp = _comprehension
    _expr_SetComp = _comprehension
    _expr_GeneratorExp = _comprehension

    def _expr_DictComp(self, node: ast.DictComp) -> Value:
        for generator in node.generators:
            self.assign(generator.target, self._item(self.eval(generator.iter)))
        self.eval(node.key)
        self.eval(node.value)
        return UNKNOWN

    def _expr_Attribute(self, node: ast.Attribute) -> Value:
        return self.attribute(self.eval(node.value), node.attr)

    def attribute(self, owner: Value, name: str) -> Value:
        result: Value
        if isinstance(owner, ModuleRef):
            state = self.modules[owner.name]
            result = state.globals.get(name) or self.import_value(f"{owner.name}.{name}")
        elif isinstance(owner, ExternalModule):
            result = _external_attribute(owner.name, name)
        elif isinstance(owner, Instance | ClassValue):
            result = self._object_attribute(owner, name)
        elif isinstance(owner, Environ):
            result = Builtin("getenv") if name == "get" else UNKNOWN
        elif isinstance(owner, Text):
            result = Method(owner, name)
        else:
            result = boto.attribute(owner, name, self)
        return result

    def _object_attribute(self, owner: Instance | ClassValue, name: str) -> Value:
        if isinstance(owner, Instance) and name in owner.attrs:
            return owner.attrs[name]
        cls = owner.cls if isinstance(owner, Instance) else owner
        for klass in _mro(cls):
            if name in klass.attrs:
                return _bind_method(klass.attrs[name], owner)
        return UNKNOWN

    def _expr_Subscript(self, node: ast.Subscript) -> Value:
        owner, key = self.eval(node.value), self.eval(node.slice)
        if isinstance(owner, Environ) and isinstance(key, Text) and key.value is not None:
            return Text((EnvRef(key.value),))
        if isinstance(owner, Environ) and isinstance(key, Several):
            # os.environ[NAMES[step]]: any of the variables the table names
            names = [k.value for k in key.options if isinstance(k, Text) and k.value is not None]
            if names and len(names) == len(key.options):
                return Several(tuple(Text((EnvRef(name),)) for name in names))
        if isinstance(owner, DictValue):
            if isinstance(key, Text) and key.value is not None:
                return owner.items.get(key.value, UNKNOWN)
            return Several(tuple(owner.items.values()))
        return boto.subscript(owner, key)

    def _expr_Call(self, node: ast.Call) -> Value:
        callee = self.eval(node.func)
        args = [UNKNOWN if isinstance(a, ast.Starred) else self.eval(a) for a in node.args]
        kwargs: dict[str, Value] = {}
        for keyword in node.keywords:
            value = self.eval(keyword.value)
            if keyword.arg is not None:
                kwargs[keyword.arg] = value
            elif isinstance(value, DictValue):
                kwargs.update(value.items)
        self._line = node.lineno
        return self.call(callee, args, kwargs)

    def call(self, callee: Value, args: list[Value], kwargs: dict[str, Value]) -> Value:
        if isinstance(callee, Function):
            return self.invoke(callee, args, kwargs)
        if isinstance(callee, ClassValue):
            return self._instantiate(callee, args, kwargs)
        if isinstance(callee, Builtin):
            return self._builtin(callee.name, args, kwargs)
        if isinstance(callee, Several):
            results = [self.call(option, args, kwargs) for option in callee.options]
            return next((r for r in results if r != UNKNOWN), UNKNOWN)
        return self._call_other(callee, args, kwargs)

    def _call_other(self, callee: Value, args: list[Value], kwargs: dict[str, Value]) -> Value:
        if isinstance(callee, Method) and isinstance(callee.owner, Text):
            return callee.owner if callee.name in STR_SAME else UNKNOWN
        factory = kwargs.get("default_factory")
        if callee == ExternalModule("dataclasses.field") and isinstance(factory, Function):
            return self.invoke(factory, [], {})  # a dataclass field's default value
        result = boto.call(callee, args, kwargs, self)
        if result == UNKNOWN and not _is_aws(callee):
            self._opaque_call(callee, [*args, *kwargs.values()])
        return result

    def _opaque_call(self, callee: Value, args: list[Value]) -> None:
        """A callee outside the project: run function arguments as callbacks, and report AWS
        objects handed to code the analysis does not see."""
        for arg in args:
            options = arg.options if isinstance(arg, Several) else (arg,)
            for option in options:
                if isinstance(option, Function):
                    self.invoke(option, [], {}, unknown_args=True)
        opaque = isinstance(callee, ExternalModule | Method | Builtin) or callee == UNKNOWN
        if opaque and any(isinstance(a, AWS_OBJECTS) for a in args):
            self.blind(
                "a boto3 client, resource or session is passed to code outside the "
                "project, whose AWS calls are not analysed",
                SUGGEST,
            )

    def _builtin(self, name: str, args: list[Value], kwargs: dict[str, Value]) -> Value:
        if name == "getenv":
            key = args[0] if args else UNKNOWN
            default = args[1] if len(args) > 1 else kwargs.get("default", UNKNOWN)
            if isinstance(key, Text) and key.value is not None:
                fallback = default.value if isinstance(default, Text) else None
                return Text((EnvRef(key.value, fallback),))
            return UNKNOWN
        if name == "dict":
            return DictValue(dict(kwargs))
        if name == "getattr" and len(args) >= 2:
            attr = args[1]
            if isinstance(attr, Text) and attr.value is not None:
                return self.attribute(args[0], attr.value)
            if _is_aws(args[0]):
                self.blind(
                    "getattr() on a boto3 object with a name that is not a constant",
                    boto.suggest(_service_of(args[0])),
                )
        return UNKNOWN

    def _instantiate(self, cls: ClassValue, args: list[Value], kwargs: dict[str, Value]) -> Value:
        instance = Instance(cls)
        init = self._object_attribute(instance, "__init__")
        if isinstance(init, Function):
            self.invoke(init, args, kwargs)
        return instance

    def invoke(
        self,
        fn: Function,
        args: list[Value],
        kwargs: dict[str, Value],
        *,
        unknown_args: bool = False,
    ) -> Value:
        key = (
            id(fn.node),
            _key(fn.bound),
            tuple(map(_key, args)),
            tuple((k, _key(v)) for k, v in sorted(kwargs.items())),
            unknown_args,
        )
        if key in self._memo:
            return self._memo[key]
        if id(fn.node) in self._active or len(self._frames) > MAX_DEPTH:
            return UNKNOWN
        module = self.modules[fn.module]
        with self._frame(Frame(module, fn.qualname, {})) as frame:
            self._active.add(id(fn.node))
            try:
                self._bind_arguments(fn, args, kwargs, frame)
                if isinstance(fn.node, ast.Lambda):
                    frame.returns.append(self.eval(fn.node.body))
                else:
                    self.exec_block(fn.node.body)
            finally:
                self._active.discard(id(fn.node))
        result = next((r for r in frame.returns if r != UNKNOWN), UNKNOWN)
        self._memo[key] = result
        return result

    def _bind_arguments(
        self, fn: Function, args: list[Value], kwargs: dict[str, Value], frame: Frame
    ) -> None:
        spec = fn.node.args
        positional = [*spec.posonlyargs, *spec.args]
        values = list(args)
        if fn.bound is not None:
            values.insert(0, fn.bound)
        defaults = [None] * (len(positional) - len(spec.defaults)) + list(spec.defaults)
        module_frame = Frame(frame.module, "<module>", frame.module.globals)
        for index, (param, default) in enumerate(zip(positional, defaults, strict=True)):
            if index < len(values):
                value = values[index]
            elif param.arg in kwargs:
                value = kwargs.pop(param.arg)
            elif default is not None:
                value = self._eval_in(module_frame, default)
            else:
                value = UNKNOWN
            frame.locals[param.arg] = value
        for param, kw_default in zip(spec.kwonlyargs, spec.kw_defaults, strict=True):
            if param.arg in kwargs:
                frame.locals[param.arg] = kwargs.pop(param.arg)
            elif kw_default is not None:
                frame.locals[param.arg] = self._eval_in(module_frame, kw_default)
        if spec.vararg is not None:
            frame.locals[spec.vararg.arg] = UNKNOWN
        if spec.kwarg is not None:
            frame.locals[spec.kwarg.arg] = DictValue(dict(kwargs))

    def _eval_in(self, frame: Frame, node: ast.expr) -> Value:
        with self._frame(frame):
            return self.eval(node)


def _is_main_guard(test: ast.expr) -> bool:
    return (
        isinstance(test, ast.Compare)
        and isinstance(test.left, ast.Name)
        and test.left.id == "__name__"
        and len(test.comparators) == 1
        and isinstance(test.comparators[0], ast.Constant)
        and test.comparators[0].value == "__main__"
    )


def _external_attribute(module: str, name: str) -> Value:
    if module == "os" and name == "environ":
        return Environ()
    if module == "os" and name == "getenv":
        return Builtin("getenv")
    if module == "functools" and name == "partial":
        return UNKNOWN
    return ExternalModule(f"{module}.{name}")


def _mro(cls: ClassValue) -> Iterator[ClassValue]:
    yield cls
    for base in cls.bases:
        if isinstance(base, ClassValue):
            yield from _mro(base)


def _bind_method(value: Value, owner: Instance | ClassValue) -> Value:
    if not isinstance(value, Function) or isinstance(value.node, ast.Lambda):
        return value
    decorators = {d.id for d in value.node.decorator_list if isinstance(d, ast.Name)}
    if "staticmethod" in decorators:
        return value
    if "classmethod" in decorators:
        cls = owner.cls if isinstance(owner, Instance) else owner
        return Function(value.module, value.node, value.qualname, cls)
    if isinstance(owner, ClassValue):
        return value
    return Function(value.module, value.node, value.qualname, owner)


def _is_aws(value: Value) -> bool:
    if isinstance(value, Method):
        return _is_aws(value.owner)
    return isinstance(value, AWS_OBJECTS)


def _service_of(value: Value) -> str | None:
    if isinstance(value, Method):
        return _service_of(value.owner)
    if isinstance(value, Client | Resource):
        return value.service
    return value.parent.service if isinstance(value, Collection) else None


def _key(value: Value | None) -> object:
    if isinstance(value, Instance | ClassValue | DictValue):
        return ("id", id(value))
    return value
