"""The edge's coalescing transport: a loop step's writes leave as one, in order; close
sends what is pending first."""

from __future__ import annotations

import asyncio
from typing import cast

from gearbox.local.edge.protocol import CoalescingTransport


class Recorder:
    """The real transport's part that the wrapper uses, recording its writes."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def wrap(recorder: Recorder, loop: asyncio.AbstractEventLoop) -> CoalescingTransport:
    return CoalescingTransport(cast(asyncio.Transport, recorder), loop)


def test_writes_of_one_step_leave_as_one_write_in_order() -> None:
    async def scenario() -> list[bytes]:
        recorder = Recorder()
        transport = wrap(recorder, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        transport.write(b"")
        transport.write(b"ok")
        assert recorder.writes == []  # nothing before the step ends
        await asyncio.sleep(0)
        transport.write(b"next")
        await asyncio.sleep(0)
        return recorder.writes

    assert asyncio.run(scenario()) == [
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
        b"next",
    ]


def test_close_sends_what_is_pending_first() -> None:
    async def scenario() -> Recorder:
        recorder = Recorder()
        transport = wrap(recorder, asyncio.get_running_loop())
        transport.write(b"bye")
        transport.close()
        await asyncio.sleep(0)  # the scheduled flush finds nothing left
        return recorder

    recorder = asyncio.run(scenario())
    assert recorder.writes == [b"bye"]
    assert recorder.closed


def test_other_attributes_are_the_real_transports() -> None:
    async def scenario() -> object:
        transport = wrap(Recorder(), asyncio.get_running_loop())
        return transport.get_extra_info("peername")

    assert asyncio.run(scenario()) == "info:peername"
