"""The reference application's metadata derivation on its real sample files.

Checksums are computed here with hashlib, independently of the code under test; dimensions,
page counts and line counts are the facts ``make_samples.py`` wrote.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.unit.object_metadata_paths import SAMPLES, load

metadata = load("handlers.metadata").metadata
OCTET_STREAM = metadata.OCTET_STREAM
CorruptObject = metadata.CorruptObject
ExtractionError = metadata.ExtractionError
Metadata = metadata.Metadata
content_type_of = metadata.content_type_of
count_lines = metadata.count_lines
derive = metadata.derive


def chunks_of(path: Path, size: int = 100) -> Iterator[bytes]:
    data = path.read_bytes()
    for start in range(0, len(data), size):
        yield data[start : start + size]


def describe(name: str, chunk_size: int = 100) -> Metadata:
    return derive(chunks_of(SAMPLES / name, chunk_size), name)


def sha256_of(name: str) -> str:
    return hashlib.sha256((SAMPLES / name).read_bytes()).hexdigest()


def test_png_size_type_checksum_and_dimensions() -> None:
    meta = describe("photo.png")
    assert meta.size == (SAMPLES / "photo.png").stat().st_size
    assert meta.content_type == "image/png"
    assert meta.sha256 == sha256_of("photo.png")
    assert (meta.width, meta.height, meta.image_format) == (64, 48, "PNG")
    assert meta.pages is None and meta.lines is None


def test_jpeg_dimensions() -> None:
    meta = describe("photo.jpg")
    assert meta.content_type == "image/jpeg"
    assert (meta.width, meta.height, meta.image_format) == (80, 60, "JPEG")
    assert meta.sha256 == sha256_of("photo.jpg")


def test_pdf_page_count() -> None:
    meta = describe("report.pdf")
    assert meta.content_type == "application/pdf"
    assert meta.pages == 3
    assert meta.sha256 == sha256_of("report.pdf")


def test_text_line_count_counts_a_last_line_without_newline() -> None:
    meta = describe("notes.txt", chunk_size=7)
    assert meta.content_type == "text/plain"
    assert meta.lines == 5
    assert meta.size == len((SAMPLES / "notes.txt").read_bytes())
    assert meta.sha256 == sha256_of("notes.txt")


def test_empty_file_is_a_row_not_a_failure() -> None:
    meta = describe("empty.txt")
    assert meta.size == 0
    assert meta.sha256 == hashlib.sha256(b"").hexdigest()
    assert meta.lines == 0
    assert derive([], "empty.png").as_item() == {
        "size": 0,
        "content_type": "image/png",
        "sha256": hashlib.sha256(b"").hexdigest(),
    }


def test_garbage_named_png_is_corrupt() -> None:
    with pytest.raises(CorruptObject, match=r"corrupt\.png: not an image"):
        describe("corrupt.png")


def test_truncated_png_and_pdf_are_corrupt() -> None:
    png = (SAMPLES / "photo.png").read_bytes()
    pdf = (SAMPLES / "report.pdf").read_bytes()
    with pytest.raises(CorruptObject):
        derive([png[: len(png) // 2]], "photo.png")
    for cut in (len(pdf) // 2, len(pdf) - 10):
        with pytest.raises(CorruptObject):
            derive([pdf[:cut]], "report.pdf")
    assert issubclass(CorruptObject, ExtractionError)


def test_magic_bytes_win_over_the_extension() -> None:
    pdf = (SAMPLES / "report.pdf").read_bytes()
    meta = derive([pdf], "misnamed.png")
    assert (meta.content_type, meta.pages) == ("application/pdf", 3)
    assert content_type_of((SAMPLES / "photo.jpg").read_bytes(), "photo.txt") == "image/jpeg"


def test_extension_then_text_sniff_then_octet_stream() -> None:
    assert content_type_of(b"a,b\n1,2\n", "table.csv") == "text/csv"
    assert content_type_of(b"plain words\n", "README") == "text/plain"
    assert content_type_of("é".encode() * 10, "NOTES") == "text/plain"
    assert content_type_of(b"\x00\x01\x02binary", "blob") == OCTET_STREAM
    assert content_type_of(b"", "blob") == OCTET_STREAM


def test_large_object_is_streamed_past_the_parse_limit() -> None:
    """Above the limit the checksum and size still cover every byte; parsers are skipped."""
    png = (SAMPLES / "photo.png").read_bytes()
    chunks = [png, *([b"\x00" * 1000] * 50)]
    meta = derive(iter(chunks), "big.png", parse_limit=10_000)
    assert meta.size == len(png) + 50_000
    assert meta.sha256 == hashlib.sha256(b"".join(chunks)).hexdigest()
    assert meta.content_type == "image/png"
    assert meta.width is None and meta.skipped is not None and "10000" in meta.skipped


def test_large_text_still_counts_every_line() -> None:
    meta = derive(iter([b"x\n"] * 20_000), "log.txt", parse_limit=1000)
    assert (meta.lines, meta.size) == (20_000, 40_000)


def test_count_lines() -> None:
    assert count_lines(0, b"") == 0
    assert count_lines(0, b"x") == 1
    assert count_lines(2, b"\n") == 2
    assert count_lines(2, b"z") == 3


def test_as_item_leaves_out_empty_fields() -> None:
    item = describe("report.pdf").as_item()
    assert set(item) == {"size", "content_type", "sha256", "pages"}
