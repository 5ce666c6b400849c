"""Metadata derivation: what an object is, from its bytes and its key. Pure: no AWS, no I/O.

``derive(chunks, key)`` reads the object once, chunk by chunk, and returns a ``Metadata``:

- ``size`` and ``sha256`` over every byte, streamed, so an object of any size is described in
  constant memory (the handler feeds it ``StreamingBody.iter_chunks``);
- ``content_type``: magic bytes first (``MAGIC``), then the key's extension through a
  ``mimetypes.MimeTypes()`` built from Python's own table (not the machine's
  ``/etc/mime.types``, so the answer is the same everywhere), then a text sniff (UTF-8 without
  NUL bytes is ``text/plain``), else ``application/octet-stream``;
- images: ``width``, ``height`` and ``image_format`` (Pillow opens the header and ``verify()``
  checks the structure; pixels are not decoded, which is the thumbnail step's job);
- PDFs: ``pages`` (pypdf, lenient with small defects, failing on truncation);
- text (``text/*``, JSON, XML): ``lines``, the number of newline-terminated lines plus one for
  a last line without a newline (``wc -l`` counts only the first kind).

The parsers get at most ``parse_limit`` bytes (``PARSE_LIMIT``, 50 MiB by default): the first
bytes are kept in memory up to that cap; beyond it they are dropped, size and checksum go on,
and the image/PDF fields stay ``None`` with ``skipped`` saying why. 50 MiB keeps a 512 MB
function far from its memory limit while covering every photo and nearly every PDF.

An empty object is described, not failed: size 0, the sha256 of nothing, a type from its
extension. Bytes that claim a type and do not parse as it (magic or extension says PNG but
Pillow cannot open it; a truncated PDF) raise ``CorruptObject``: retrying cannot help, so the
dead-letter handler records it rather than retrying.

Exceptions::

    ExtractionError     the object cannot be described; permanent
    └── CorruptObject   its bytes do not parse as the type they claim
"""

from __future__ import annotations

import hashlib
import io
import mimetypes
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

PARSE_LIMIT = 50 * 1024 * 1024
SNIFF_BYTES = 8192
OCTET_STREAM = "application/octet-stream"
TEXT_TYPES = ("application/json", "application/xml")

# (offset, signature, content type), checked in order against the object's first bytes.
MAGIC: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x89PNG\r\n\x1a\n", "image/png"),
    (0, b"\xff\xd8\xff", "image/jpeg"),
    (0, b"GIF87a", "image/gif"),
    (0, b"GIF89a", "image/gif"),
    (8, b"WEBP", "image/webp"),
    (0, b"BM", "image/bmp"),
    (0, b"II*\x00", "image/tiff"),
    (0, b"MM\x00*", "image/tiff"),
    (0, b"%PDF-", "application/pdf"),
    (0, b"PK\x03\x04", "application/zip"),
    (0, b"\x1f\x8b", "application/gzip"),
)
PILLOW_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff"}
)
_MIME = mimetypes.MimeTypes()  # Python's built-in table only (see the module docstring)


class ExtractionError(Exception):
    """The object cannot be described; retrying gives the same answer."""


class CorruptObject(ExtractionError):
    """The object's bytes do not parse as the type they claim."""


@dataclass(frozen=True, slots=True)
class Metadata:
    size: int
    content_type: str
    sha256: str
    lines: int | None = None
    width: int | None = None
    height: int | None = None
    image_format: str | None = None
    pages: int | None = None
    skipped: str | None = None  # why the parsers did not run, when they did not

    def as_item(self) -> dict[str, Any]:
        """The fields that have a value (DynamoDB stores no ``None`` usefully)."""
        return {name: value for name, value in asdict(self).items() if value is not None}


@dataclass
class _Reading:
    """What one pass over the chunks collects."""

    size: int = 0
    newlines: int = 0
    last_byte: bytes = b""
    head: bytearray | None = None  # None once the object outgrew the parse limit


def derive(chunks: Iterable[bytes], key: str, parse_limit: int = PARSE_LIMIT) -> Metadata:
    """Describe the object whose bytes are ``chunks`` and whose S3 key is ``key``."""
    digest = hashlib.sha256()
    reading = _Reading(head=bytearray())
    for chunk in chunks:
        if not chunk:
            continue
        digest.update(chunk)
        reading.size += len(chunk)
        reading.newlines += chunk.count(b"\n")
        reading.last_byte = chunk[-1:]
        if reading.head is not None:
            reading.head += chunk
            if len(reading.head) > parse_limit:
                reading.head = None
    head = bytes(reading.head) if reading.head is not None else None
    sniffed = bytes(reading.head[:SNIFF_BYTES]) if reading.head is not None else b""
    content_type = content_type_of(sniffed, key)
    base = Metadata(size=reading.size, content_type=content_type, sha256=digest.hexdigest())
    if is_text(content_type):
        return _replace(base, lines=count_lines(reading.newlines, reading.last_byte))
    if reading.size == 0:
        return base
    if content_type not in PILLOW_TYPES and content_type != "application/pdf":
        return base
    if head is None:
        return _replace(base, skipped=f"larger than the {parse_limit}-byte parse limit")
    if content_type == "application/pdf":
        return _replace(base, pages=pdf_pages(head, key))
    width, height, image_format = image_facts(head, key)
    return _replace(base, width=width, height=height, image_format=image_format)


def _replace(base: Metadata, **fields: Any) -> Metadata:
    return Metadata(**{**asdict(base), **fields})


def content_type_of(head: bytes, key: str) -> str:
    """Magic bytes, then the extension, then a text sniff."""
    for offset, signature, content_type in MAGIC:
        if head[offset : offset + len(signature)] == signature:
            if content_type == "image/webp" and not head.startswith(b"RIFF"):
                continue
            return content_type
    guessed, _encoding = _MIME.guess_type(key, strict=False)
    if guessed:
        return guessed
    if head and b"\x00" not in head and _decodes_as_utf8(head):
        return "text/plain"
    return OCTET_STREAM


def _decodes_as_utf8(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sniffed bytes is still text.
        return exc.start >= len(head) - 3 and exc.reason == "unexpected end of data"
    return True


def is_text(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type in TEXT_TYPES


def count_lines(newlines: int, last_byte: bytes) -> int:
    """Newline-terminated lines, plus one for a last line that has no newline."""
    return newlines + (1 if last_byte and last_byte != b"\n" else 0)


def image_facts(data: bytes, key: str) -> tuple[int, int, str]:
    """Width, height and Pillow's format name; ``CorruptObject`` when Pillow cannot read it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            image_format = str(image.format)
            image.verify()
    except UnidentifiedImageError as exc:
        raise CorruptObject(f"{key}: not an image Pillow can open") from exc
    except Image.DecompressionBombError as exc:
        raise ExtractionError(f"{key}: too many pixels to handle safely ({exc})") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow reports broken chunks, bad CRCs and truncation with these.
        raise CorruptObject(f"{key}: damaged image ({exc})") from exc
    return width, height, image_format


def pdf_pages(data: bytes, key: str) -> int:
    """The page count; ``CorruptObject`` when pypdf cannot read the document.

    ``strict=False`` reads the small defects real-world writers leave; a truncated file still
    fails (no ``%%EOF``, a cut stream or a missing xref).
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return len(PdfReader(io.BytesIO(data), strict=False).pages)
    except (PyPdfError, ValueError, LookupError, TypeError, AttributeError, RecursionError) as exc:
        # pypdf signals malformed input with its own errors and, on some paths, plain ones.
        raise CorruptObject(f"{key}: damaged PDF ({type(exc).__name__}: {exc})") from exc
