"""From an ``Analysis`` to an IAM policy document: actions, scoped resources, stable Sids.

``build_policy`` returns a ``GeneratedPolicy``: the IAM document, plus ``notes``,
keyed by statement Sid, saying why a statement's resource is ``*``. IAM policies have no comment
field, so the notes travel beside the document (the command line prints them as warnings on
stderr, and ``--format yaml``/``json`` never mixes them into the policy itself);
``generate_policy`` returns the document alone. ``unmapped`` lists calls whose IAM action is
not known (reported, never guessed).

Statements: one per (IAM service prefix, set of resources), actions sorted, resources sorted;
the Sid is derived from the prefix and the resources' names (``DynamodbTableMetadata``,
``S3ObjectUploads``, ``S3BucketUploads``), so the same code gives the same bytes. Logs
permissions and what the triggers need come from the app's graph, not from here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gearbox.policy import iam
from gearbox.policy.exceptions import PARTIQL_VERBS, TRANSACT_WRITE_KINDS, ActionRule
from gearbox.policy.extra import ExtraPermission, extra_statements
from gearbox.policy.model import Analysis, Call, ResourceBinding
from gearbox.policy.scope import copy_source, scope_action
from gearbox.policy.values import DictValue, ListValue, Text, Value

VERSION = "2012-10-17"


@dataclass(frozen=True, slots=True)
class GeneratedPolicy:
    document: dict[str, Any]
    notes: dict[str, list[str]] = field(default_factory=dict)  # Sid -> why its resource is *
    unmapped: tuple[str, ...] = ()  # "file:line: service.Operation has no known IAM action"

    def actions(self) -> set[str]:
        return {a for s in self.document["Statement"] for a in s["Action"]}


def generate_policy(
    analysis: Analysis, bindings: Mapping[str, ResourceBinding], account: str, region: str
) -> dict[str, Any]:
    """The IAM policy document for the analysed handler."""
    return build_policy(analysis, bindings, account, region).document


def warnings(analysis: Analysis, policy: GeneratedPolicy) -> list[str]:
    """What a user should hear about a generated policy, one line each: the analysis's
    blind spots, calls with no known IAM action, and why a statement's resource is ``*``."""
    lines = [str(spot) for spot in analysis.blind_spots]
    lines += list(policy.unmapped)
    lines += [
        f'statement {sid} has Resource "*": {reason}'
        for sid, reasons in sorted(policy.notes.items())
        for reason in reasons
    ]
    return lines


def _expand(call: Call) -> Iterator[tuple[ActionRule, dict[str, Value]]]:
    """The (action, parameters) pairs of one call, looking inside batch parameters."""
    params = dict(call.params)
    key = (call.service, call.operation)
    if key == ("dynamodb", "TransactWriteItems") and isinstance(
        params.get("TransactItems"), ListValue
    ):
        yield from _transact(params["TransactItems"])
        return
    if call.service == "dynamodb" and isinstance(params.get("RequestItems"), DictValue):
        request = params["RequestItems"]
        assert isinstance(request, DictValue)
        params["TableName"] = ListValue(tuple(request.keys))
    if key == ("dynamodb", "ExecuteStatement"):
        yield from _partiql(params.get("Statement"))
        return
    if key == ("events", "PutEvents"):
        params["EventBusName"] = _event_buses(params.get("Entries"))
    if key == ("athena", "StartQueryExecution") and "WorkGroup" not in params:
        params["WorkGroup"] = Text.literal("primary")
    rules = iam.rules_for(call.service, call.operation) or ()
    for rule in rules:
        if rule.resource_param == "CopySource":
            yield rule, copy_source(params.get("CopySource", Text((None,))))
        else:
            yield rule, params


def _transact(items: Value) -> Iterator[tuple[ActionRule, dict[str, Value]]]:
    assert isinstance(items, ListValue)
    for item in items.items:
        if not isinstance(item, DictValue):
            yield from ((ActionRule(a), {}) for a in TRANSACT_WRITE_KINDS.values())
            continue
        for kind, action in TRANSACT_WRITE_KINDS.items():
            inner = item.items.get(kind)
            if isinstance(inner, DictValue):
                yield ActionRule(action), dict(inner.items)


PARTIQL_TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?([A-Za-z0-9_.-]+)"?', re.IGNORECASE)


def _partiql(statement: Value | None) -> Iterator[tuple[ActionRule, dict[str, Value]]]:
    """``ExecuteStatement``: the PartiQL action of the statement's verb, on its table; all
    four verbs (unscoped) when the statement is not a literal."""
    text = statement.value if isinstance(statement, Text) else None
    verb = text.split(None, 1)[0].upper() if text and text.strip() else ""
    if text is None or verb not in PARTIQL_VERBS:
        yield from ((ActionRule(a), {}) for a in PARTIQL_VERBS.values())
        return
    table = PARTIQL_TABLE.search(text)
    params: dict[str, Value] = {"TableName": Text.literal(table.group(1))} if table else {}
    yield ActionRule(PARTIQL_VERBS[verb]), params


def _event_buses(entries: Value | None) -> Value:
    if not isinstance(entries, ListValue):
        return Text.literal("default")
    buses = []
    for entry in entries.items:
        bus = entry.items.get("EventBusName") if isinstance(entry, DictValue) else None
        buses.append(bus if bus is not None else Text.literal("default"))
    return ListValue(tuple(buses))


def build_policy(
    analysis: Analysis,
    bindings: Mapping[str, ResourceBinding],
    account: str,
    region: str,
    *,
    extra: Sequence[ExtraPermission] = (),
    fallback: Mapping[str, Mapping[str, list[str]]] | None = None,
) -> GeneratedPolicy:
    """The policy for the analysed calls, plus the hand-written ``extra`` permissions
    (checked by ``gearbox.policy.extra``; statements ``Extra1``, ...). ``fallback`` maps a
    botocore service to ARN variable values for calls whose parameters leave them unknown."""
    grants: dict[str, set[str]] = defaultdict(set)  # action -> ARNs ("*" when unscoped)
    reasons: dict[str, set[str]] = defaultdict(set)
    unmapped = set()
    for call in analysis.calls:
        if iam.rules_for(call.service, call.operation) is None:
            unmapped.add(
                f"{call.location}: {call.service}.{call.operation} has no known "
                "IAM action; declare it with extra_permissions="
            )
            continue
        for rule, params in _expand(call):
            scoped = scope_action(
                rule.action,
                service=call.service,
                params=params,
                bindings=bindings,
                account=account,
                region=region,
                fallback=(fallback or {}).get(call.service),
            )
            grants[rule.action].update(scoped.arns or ("*",))
            if not scoped.arns and scoped.reason:
                where = "" if scoped.inherent else f"{call.location}: "
                reasons[rule.action].add(f"{where}{rule.action}: {scoped.reason}")
    statements, notes = _statements(grants, reasons)
    statements.extend(extra_statements(extra))
    statements.sort(key=lambda s: str(s["Sid"]))
    document = {"Version": VERSION, "Statement": statements}
    return GeneratedPolicy(document, notes, tuple(sorted(unmapped)))


def _statements(
    grants: Mapping[str, set[str]], reasons: Mapping[str, set[str]]
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    groups: dict[tuple[str, tuple[str, ...]], set[str]] = defaultdict(set)
    for action, arns in grants.items():
        prefix = action.split(":")[0]
        scoped = tuple(sorted(a for a in arns if a != "*"))
        if scoped:
            groups[(prefix, scoped)].add(action)
        if "*" in arns:
            groups[(prefix, ("*",))].add(action)
    statements: list[dict[str, Any]] = []
    notes: dict[str, list[str]] = {}
    used: set[str] = set()
    for (prefix, group), actions in sorted(groups.items()):
        sid = _unique_sid(_sid(prefix, group), used)
        resource: str | list[str] = group[0] if len(group) == 1 else list(group)
        statements.append(
            {"Sid": sid, "Effect": "Allow", "Action": sorted(actions), "Resource": resource}
        )
        if group == ("*",):
            notes[sid] = sorted({r for a in actions for r in reasons.get(a, ())})
    statements.sort(key=lambda s: str(s["Sid"]))
    return statements, notes


def camel(text: str) -> str:
    """``object-metadata/queue/jobs`` -> ``ObjectMetadataQueueJobs``: letters and digits
    only, as a statement id must be."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text))


def _sid(prefix: str, arns: tuple[str, ...]) -> str:
    if arns == ("*",):
        return camel(prefix) + "Unscoped"
    resource = arns[0].split(":", 5)[-1].replace("*", "")
    kind = ("Object" if "/" in resource else "Bucket") if prefix == "s3" else ""
    return (camel(prefix) + kind + camel(resource))[:100]


def _unique_sid(sid: str, used: set[str]) -> str:
    candidate, number = sid, 2
    while candidate in used:
        candidate = f"{sid}{number}"
        number += 1
    used.add(candidate)
    return candidate
