"""The Runtime API server on its own, driven with raw HTTP as a runtime client would."""

from __future__ import annotations

import asyncio
import json

from gearbox.local.runtime.api import Event, Reply, RuntimeApi

NEXT = b"GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: x\r\n\r\n"


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, dict[str, str], bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head[:-4].decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


def post(path: str, body: bytes, extra: str = "") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


def test_next_response_error_and_bad_requests_on_one_connection() -> None:
    async def main() -> tuple[Reply, Reply]:
        api = RuntimeApi()
        host, port = (await api.start()).split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            first = api.deliver(Event("r1", b'{"a": 1}', 123, "arn:fn", "Root=1-x", '{"c":1}'))
            status, headers, body = await exchange(reader, writer, NEXT)
            assert api.initialized.done()
            assert (status, body) == (200, b'{"a": 1}')
            assert headers["lambda-runtime-aws-request-id"] == "r1"
            assert headers["lambda-runtime-deadline-ms"] == "123"
            assert headers["lambda-runtime-invoked-function-arn"] == "arn:fn"
            assert headers["lambda-runtime-trace-id"] == "Root=1-x"
            assert headers["lambda-runtime-client-context"] == '{"c":1}'
            assert "lambda-runtime-cognito-identity" not in headers

            wrong = post("/2018-06-01/runtime/invocation/other/response", b"1")
            status, _, body = await exchange(reader, writer, wrong)
            assert status == 400 and json.loads(body)["errorType"] == "InvalidRequestID"
            status, _, _ = await exchange(reader, writer, post("/nowhere", b""))
            assert status == 404

            # Expect: 100-continue, as curl sends for large bodies
            writer.write(
                b"POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\n"
                b"Content-Length: 4\r\nExpect: 100-continue\r\n\r\n"
            )
            assert await reader.readuntil(b"\r\n\r\n") == b"HTTP/1.1 100 Continue\r\n\r\n"
            status, _, body = await exchange(reader, writer, b"true")
            assert (status, json.loads(body)) == (202, {"status": "OK"})

            second = api.deliver(Event("r2", b"{}", 1, "arn:fn", "Root=1-y"))
            await exchange(reader, writer, NEXT)
            error = post(
                "/2018-06-01/runtime/invocation/r2/error",
                b'{"a":1}',
                "Lambda-Runtime-Function-Error-Type: Oops\r\n",
            )
            status, _, _ = await exchange(reader, writer, error)
            assert status == 202

            chunked = (
                b"POST /2018-06-01/runtime/invocation/r3/response HTTP/1.1\r\nHost: x\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n"
            )
            status, _, _ = await exchange(reader, writer, chunked)
            assert status == 411 and await reader.read() == b""  # and closed
            return await first, await second
        finally:
            writer.close()
            await api.close()

    first, second = asyncio.run(main())
    assert first == Reply(b"true")
    assert second == Reply(b'{"a":1}', "Oops") and second.is_error


def test_init_error_is_accepted_once_and_only_during_init() -> None:
    async def main() -> Reply:
        api = RuntimeApi()
        host, port = (await api.start()).split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            error = b'{"errorType": "Runtime.ImportModuleError"}'
            header = "Lambda-Runtime-Function-Error-Type: Runtime.ImportModuleError\r\n"
            status, _, _ = await exchange(
                reader, writer, post("/2018-06-01/runtime/init/error", error, header)
            )
            assert status == 202
            status, _, _ = await exchange(
                reader, writer, post("/2018-06-01/runtime/init/error", error, header)
            )
            assert status == 403
            return await api.init_failed
        finally:
            writer.close()
            await api.close()

    reply = asyncio.run(main())
    assert reply.error_type == "Runtime.ImportModuleError"
