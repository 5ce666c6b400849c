"""The edge's coalescing transport: a response's head leaves with its body in one write;
interim responses and other writes leave at once; close sends what is held first."""

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


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


def test_head_and_body_leave_as_one_write() -> None:
    async def scenario() -> list[bytes]:
        recorder = Recorder()
        transport = wrap(recorder, asyncio.get_running_loop())
        transport.write(HEAD)
        assert recorder.writes == []
        transport.write(b"ok")
        transport.write(b"more")
        await asyncio.sleep(0)
        return recorder.writes

    assert asyncio.run(scenario()) == [HEAD + b"ok", b"more"]


def test_a_head_with_no_body_leaves_at_the_next_step() -> None:
    async def scenario() -> list[bytes]:
        recorder = Recorder()
        transport = wrap(recorder, asyncio.get_running_loop())
        transport.write(HEAD)
        await asyncio.sleep(0)
        return recorder.writes

    assert asyncio.run(scenario()) == [HEAD]


def test_an_empty_body_sends_the_head() -> None:
    async def scenario() -> list[bytes]:
        recorder = Recorder()
        transport = wrap(recorder, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")
        transport.write(b"")
        return recorder.writes

    assert asyncio.run(scenario()) == [b"HTTP/1.1 204 No Content\r\n\r\n"]


def test_100_continue_leaves_at_once() -> None:
    async def scenario() -> list[bytes]:
        recorder = Recorder()
        transport = wrap(recorder, asyncio.get_running_loop())
        transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return recorder.writes

    assert asyncio.run(scenario()) == [b"HTTP/1.1 100 Continue\r\n\r\n"]


def test_close_sends_what_is_pending_first() -> None:
    async def scenario() -> Recorder:
        recorder = Recorder()
        transport = wrap(recorder, asyncio.get_running_loop())
        transport.write(HEAD)
        transport.close()
        await asyncio.sleep(0)  # the scheduled flush finds nothing left
        return recorder

    recorder = asyncio.run(scenario())
    assert recorder.writes == [HEAD]
    assert recorder.closed


def test_other_attributes_are_the_real_transports() -> None:
    async def scenario() -> object:
        transport = wrap(Recorder(), asyncio.get_running_loop())
        return transport.get_extra_info("peername")

    assert asyncio.run(scenario()) == "info:peername"
