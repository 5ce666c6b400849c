"""The pure parts of the process-state helper; its writes are tested against the local cloud's
DynamoDB in tests/functional/test_app_process.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from gearbox.app import ProcessState, invoke_async
from gearbox.app.process import iso


def test_timestamps_are_iso_8601_utc_with_milliseconds() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    assert iso(moment) == "2026-01-02T03:04:05.678Z"
    east = moment.astimezone(timezone(timedelta(hours=2)))
    assert iso(east) == "2026-01-02T03:04:05.678Z"


@pytest.mark.parametrize("steps", [[], ["a", "a"]])
def test_a_process_needs_distinct_steps(steps: list[str]) -> None:
    with pytest.raises(ValueError, match="each named once"):
        ProcessState(object(), "t").start(steps)


class RecordingLambda:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        return {"StatusCode": 202}


def test_invoke_async_sends_an_event_invoke_with_the_process_id_first() -> None:
    lam = RecordingLambda()
    response = invoke_async(lam, "svc-thumbnail", {"key": "a.jpg"}, "p-1")
    assert response == {"StatusCode": 202}
    [call] = lam.calls
    assert call["FunctionName"] == "svc-thumbnail"
    assert call["InvocationType"] == "Event"
    assert json.loads(call["Payload"]) == {"process_id": "p-1", "key": "a.jpg"}
