"""Functions and their configuration, durable in SQLite; code unpacked once per content.

A function is kept as one JSON record per (region, name) in ``lambda.db`` under the state dir,
so functions survive a restart of ``gearbox up``. Code arrives as a zip (CreateFunction,
UpdateFunctionCode) and is unpacked into ``lambda/code/<sha256>/``, shared by every function
with the same zip. Each function gets its own access key, so the edge can tell which function
made an AWS call.

Where it differs from AWS: only ``$LATEST`` exists (no published versions or aliases); code
is never fetched from ECR (``PackageType: Image`` is refused).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
import shutil
import uuid
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from gearbox.local.database import open_database
from gearbox.local.functions.model import FunctionSpec

MAX_UNZIPPED_BYTES = 262_144_000
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS functions (
    region TEXT NOT NULL, name TEXT NOT NULL, record TEXT NOT NULL, PRIMARY KEY (region, name)
);
"""  # Lambda's limit on unzipped code, layers included


@dataclass
class FunctionRecord:
    name: str
    region: str
    account: str
    handler: str
    runtime: str
    role: str
    code_sha256: str  # base64, as Lambda reports CodeSha256
    code_size: int
    code_dir: str
    access_key: str
    secret_key: str
    created: float
    modified: float
    revision_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    environment: dict[str, str] = field(default_factory=dict)
    dead_letter_arn: str | None = None
    tracing_mode: str = "PassThrough"
    tags: dict[str, str] = field(default_factory=dict)
    reserved_concurrency: int | None = None
    event_invoke_config: dict[str, Any] | None = None
    policy: list[dict[str, Any]] = field(default_factory=list)  # resource-based statements

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"

    def spec(self) -> FunctionSpec:
        return FunctionSpec(
            name=self.name,
            handler=self.handler,
            code_dir=Path(self.code_dir),
            code_sha256=self.code_sha256 + ":" + self.revision_id,
            region=self.region,
            account=self.account,
            access_key=self.access_key,
            secret_key=self.secret_key,
            runtime=self.runtime,
            timeout=self.timeout,
            memory_mb=self.memory_size,
            environment=dict(self.environment),
            reserved_concurrency=self.reserved_concurrency,
        )


class CodeError(ValueError):
    """The uploaded code cannot be used (not a zip, too large)."""


class FunctionRegistry:
    """Functions by (region, name), kept in memory and written through to SQLite."""

    def __init__(self, state_dir: Path) -> None:
        self._code_root = state_dir / "lambda" / "code"
        self._code_root.mkdir(parents=True, exist_ok=True)
        self._db = open_database(state_dir / "lambda.db", _SCHEMA, SCHEMA_VERSION)
        self._functions: dict[tuple[str, str], FunctionRecord] = {}
        self._by_key: dict[str, FunctionRecord] = {}
        for (record,) in self._db.execute("SELECT record FROM functions"):
            self._remember(FunctionRecord(**json.loads(record)))

    def close(self) -> None:
        self._db.close()

    def get(self, region: str, name: str) -> FunctionRecord | None:
        return self._functions.get((region, name))

    def by_access_key(self, access_key: str) -> FunctionRecord | None:
        return self._by_key.get(access_key)

    def all(self, region: str) -> list[FunctionRecord]:
        return sorted(
            (f for (r, _), f in self._functions.items() if r == region), key=lambda f: f.name
        )

    def save(self, record: FunctionRecord) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO functions VALUES (?, ?, ?)",
            (record.region, record.name, json.dumps(asdict(record))),
        )
        self._remember(record)

    def delete(self, record: FunctionRecord) -> None:
        self._db.execute(
            "DELETE FROM functions WHERE region=? AND name=?", (record.region, record.name)
        )
        self._functions.pop((record.region, record.name), None)
        self._by_key.pop(record.access_key, None)

    def _remember(self, record: FunctionRecord) -> None:
        self._functions[(record.region, record.name)] = record
        self._by_key[record.access_key] = record

    def store_code(self, zipped: bytes) -> tuple[str, int, Path]:
        """Unpack a zip (once per content); return (CodeSha256, CodeSize, folder)."""
        digest = hashlib.sha256(zipped)
        folder = self._code_root / digest.hexdigest()
        if not folder.is_dir():
            _unzip(zipped, folder)
        return base64.b64encode(digest.digest()).decode(), len(zipped), folder


def new_credentials(region: str, name: str) -> tuple[str, str]:
    """A function's own access key (stable for its name) and a fresh secret."""
    key = hashlib.sha256(f"{region}:{name}".encode()).hexdigest()[:16].upper()
    return "ASIA" + key, secrets.token_urlsafe(30)


def _unzip(zipped: bytes, folder: Path) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(zipped))
        total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise CodeError(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from exc
    if total > MAX_UNZIPPED_BYTES:
        raise CodeError(f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes")
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    with archive:
        archive.extractall(partial)  # extractall drops absolute paths and '..' parts
        for info in archive.infolist():  # keep executable bits, as Lambda does
            mode = (info.external_attr >> 16) & 0o777
            if mode and not info.is_dir():
                (partial / info.filename).chmod(mode | 0o400)
    partial.rename(folder)
