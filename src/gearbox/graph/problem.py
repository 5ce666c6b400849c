"""``Problem``: one broken rule, with the file, line and declaration at fault.

Shared by the rule modules (``validate``, ``limits``); ``where`` names the declaration the way
the user wrote it (``@app.on_sqs on extract``, ``app.queue('jobs')``).
"""

from __future__ import annotations

from dataclasses import dataclass

from gearbox.app.specs import (
    FunctionSpec,
    Origin,
    ResourceSpec,
    S3Trigger,
    ScheduleTrigger,
    SnsTrigger,
    SqsTrigger,
    StreamTrigger,
    Trigger,
)


@dataclass(frozen=True, slots=True)
class Problem:
    """``message`` is the whole line shown to the user: ``file:line: where: what``."""

    rule: str
    message: str
    origin: Origin

    def __str__(self) -> str:
        return f"{self.message} [{self.rule}]"


def problem(rule: str, origin: Origin, where: str, text: str) -> Problem:
    return Problem(rule, f"{origin}: {where}: {text}", origin)


_DECORATORS: dict[type, str] = {
    S3Trigger: "@app.on_s3",
    SqsTrigger: "@app.on_sqs",
    SnsTrigger: "@app.on_sns",
    StreamTrigger: "@app.on_dynamodb_stream",
    ScheduleTrigger: "@app.on_schedule",
}


def trigger_where(trigger: Trigger, function: FunctionSpec) -> str:
    return f"{_DECORATORS[type(trigger)]} on {function.qualname}"


def function_where(function: FunctionSpec) -> str:
    return f"@app.function on {function.qualname}"


def resource_where(kind: str, spec: ResourceSpec) -> str:
    return f"app.{kind}({spec.name!r})"
