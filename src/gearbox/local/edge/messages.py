"""The request and response as the edge's chain sees them: plain, fully read, immutable.

Bodies are read whole before the chain runs (AWS caps request sizes well below what fits in
memory); streaming uploads are therefore buffered, which differs from AWS only in memory use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Request:
    """An HTTP request. ``headers`` keep their order and case; ``header()`` looks up by name."""

    method: str
    path: str
    query_string: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    client: str = "127.0.0.1"
    _index: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name, value in self.headers:
            key = name.lower()
            if key in self._index:
                self._index[key] = f"{self._index[key]},{value}"
            else:
                self._index[key] = value

    def header(self, name: str, default: str = "") -> str:
        return self._index.get(name.lower(), default)

    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.query_string, keep_blank_values=True)


@dataclass(frozen=True)
class Response:
    """An HTTP response, whole."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
