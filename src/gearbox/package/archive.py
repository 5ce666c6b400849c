"""Build one function's package: a deterministic zip and its SHA-256 as Lambda reports it.

Deterministic: entries sorted by name, every timestamp 1980-01-01, modes 0644 (0755 for
executables), so the same inputs give byte-identical zips and the same ``CodeSha256``; that
is how ``gearbox dev`` tells which functions' code changed. A zip whose files have not
changed (same names and contents) is not built again in the same process.
"""

from __future__ import annotations

import base64
import hashlib
import io
import stat
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import gearbox.app
from gearbox.package import requirements, sources

_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Package:
    zip_bytes: bytes
    files: int
    unzipped_bytes: int

    @property
    def sha256(self) -> str:
        """Base64 SHA-256 of the zip: Lambda's ``CodeSha256``."""
        return base64.b64encode(hashlib.sha256(self.zip_bytes).digest()).decode()


def build_package(
    root: Path,
    requirement_names: Sequence[str] = (),
    exclude: Sequence[str] = (),
    handler_module: str | None = None,
) -> Package:
    """The package of a function whose code lives under ``root``: the files its handler
    module needs when ``handler_module`` is given, else every project file."""
    entries: dict[str, Path] = {}
    for name, path in _gearbox_app_files():
        entries[name] = path
    for dist in requirements.distributions(requirement_names):
        for name, path in requirements.distribution_files(dist):
            entries.setdefault(name, path)
    files = (
        sources.project_files(root, exclude)
        if handler_module is None
        else sources.handler_files(root, handler_module, exclude)
    )
    for name, path in files:
        entries[name] = path  # the project's own files win over a dependency's
    ordered = sorted(entries.items())
    key = _fingerprint(ordered)
    built = _BUILT.get(key)
    if built is None:
        built = _BUILT[key] = _zip(ordered)
        while len(_BUILT) > _KEEP_BUILT:
            _BUILT.pop(next(iter(_BUILT)))
    return built


# Packages built in this process, by the fingerprint of their inputs: a reload of
# ``gearbox dev`` re-zips only the functions whose files changed (zipping Pillow takes a
# second). The oldest go first once there are more than ``_KEEP_BUILT``.
_BUILT: dict[str, Package] = {}
_KEEP_BUILT = 32


def _fingerprint(entries: Sequence[tuple[str, Path]]) -> str:
    """What the zip depends on: each entry's name, content and executable bit (hashing is
    about a hundred times faster than deflating, and unlike a modification time it cannot
    miss an edit made within the file system's clock tick)."""
    digest = hashlib.sha256()
    for name, path in entries:
        digest.update(name.encode() + b"\0")
        if path != _EMPTY_INIT:
            digest.update(path.read_bytes())
            digest.update(b"x" if path.stat().st_mode & stat.S_IXUSR else b"-")
        digest.update(b"\0")
    return digest.hexdigest()


def _gearbox_app_files() -> Iterable[tuple[str, Path]]:
    folder = Path(gearbox.app.__file__).parent
    yield "gearbox/__init__.py", _EMPTY_INIT
    for path in sorted(folder.rglob("*.py")):
        if "__pycache__" not in path.parts:
            yield f"gearbox/app/{path.relative_to(folder).as_posix()}", path


def _zip(entries: Sequence[tuple[str, Path]]) -> Package:
    buffer = io.BytesIO()
    total = 0
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name, path in entries:
            data = b"" if path == _EMPTY_INIT else path.read_bytes()
            total += len(data)
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            mode = 0o755 if path != _EMPTY_INIT and path.stat().st_mode & stat.S_IXUSR else 0o644
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return Package(buffer.getvalue(), len(entries), total)


# Stands for the ``gearbox/__init__.py`` written into packages: a namespace holding only
# ``gearbox.app``, so the package does not pull in the rest of Gearbox.
_EMPTY_INIT = Path("<gearbox/__init__.py>")
