"""moto's write log: records read back as written, a record cut short by a kill is dropped
(and cut off before the next append), a damaged one ends the log."""

from __future__ import annotations

from pathlib import Path

from gearbox.local.backend import writelog
from gearbox.local.backend.writelog import WriteLog
from gearbox.local.edge.messages import Request


def put(key: str, body: bytes = b"x" * 100) -> Request:
    return Request(
        method="PUT",
        path=f"/bucket/{key}",
        query_string="",
        headers=(("Host", "127.0.0.1"), ("X-Amz-Meta-Owner", "ünïcode")),
        body=body,
    )


def written(path: Path, *keys: str) -> Path:
    """``path``, a log of a PutObject of each of ``keys``."""
    log = WriteLog(path)
    for key in keys:
        log.append("s3", "PutObject", put(key))
    log.close()
    return path


def keys(path: Path) -> list[str]:
    return [logged.request.path.rsplit("/", 1)[1] for logged in writelog.read(path)]


def test_records_read_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "w.log"
    log = WriteLog(path)
    log.append("s3", "PutObject", put("a", b""))
    log.append("s3", "PutObject", put("b", bytes(range(256)) * 1000))
    log.close()
    [first, second] = writelog.read(path)
    assert (first.service, first.operation, first.request) == ("s3", "PutObject", put("a", b""))
    assert second.request == put("b", bytes(range(256)) * 1000)
    reopened = WriteLog(path)
    assert (reopened.count, reopened.size) == (2, 256_000)
    reopened.append("dynamodb", "PutItem", put("c"))
    reopened.close()
    assert keys(path) == ["a", "b", "c"]
    assert list(writelog.read(tmp_path / "absent.log")) == []


def test_a_record_cut_short_is_dropped_and_cut_off(tmp_path: Path) -> None:
    path = written(tmp_path / "w.log", "a", "b", "c")
    whole = path.read_bytes()
    path.write_bytes(whole[:-10])  # killed while writing "c"
    assert keys(path) == ["a", "b"]
    log = WriteLog(path)  # cuts "c"'s remains off, so "d" follows "b"
    assert log.count == 2
    log.append("s3", "PutObject", put("d"))
    log.close()
    assert keys(path) == ["a", "b", "d"]


def test_a_damaged_record_ends_the_log(tmp_path: Path) -> None:
    path = written(tmp_path / "w.log", "a", "b", "c")
    data = bytearray(path.read_bytes())
    middle = len(data) // 2  # inside "b"
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))
    assert keys(path) == ["a"]
