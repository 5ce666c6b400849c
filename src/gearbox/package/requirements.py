"""A function's declared requirements, taken from the Python environment Gearbox runs in.

``requirements=("Pillow", "pypdf")`` names distributions; each is found with
``importlib.metadata`` in the current environment (so packaging works offline and packs
exactly the versions the project was tested with), its files are read from its RECORD, and
its own requirements follow, except those behind an extra or an environment marker that does
not hold here. A distribution that is not installed is an error naming it.

Not packaged: what Lambda's Python runtime already provides (boto3 and its dependencies), as
AWS documents for the managed runtimes. Differs from ``pip install --target``: no resolver
runs, platform-specific wheels are those of this machine (Linux x86_64 here, as Lambda's).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker

from gearbox.errors import GearboxError

# Lambda's Python runtimes include the AWS SDK.
PROVIDED_BY_LAMBDA = frozenset(
    {"boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python-dateutil", "six"}
)
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class MissingRequirement(GearboxError):
    """A declared requirement is not installed in the environment Gearbox runs in."""


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions(names: Iterable[str]) -> list[metadata.Distribution]:
    """The distributions ``names`` need, dependencies included, sorted by name."""
    found: dict[str, metadata.Distribution] = {}
    pending = [normalize(n) for n in names]
    while pending:
        name = pending.pop()
        if name in found or name in PROVIDED_BY_LAMBDA:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError as exc:
            raise MissingRequirement(
                f"requirement {name!r} is not installed here; pip install it first"
            ) from exc
        found[name] = dist
        pending.extend(_needs(dist))
    return [found[n] for n in sorted(found)]


def _needs(dist: metadata.Distribution) -> Iterator[str]:
    for requirement in dist.requires or ():
        spec, _, marker = requirement.partition(";")
        if marker.strip() and not _marker_holds(marker):
            continue
        match = _NAME.match(spec)
        if match:
            yield normalize(match.group(1))


def _marker_holds(marker: str) -> bool:
    """Environment markers, evaluated by the ``packaging`` library; a marker naming an
    extra never holds (extras are not requested)."""
    if "extra" in marker:
        return False
    return bool(Marker(marker).evaluate())


def distribution_files(dist: metadata.Distribution) -> Iterator[tuple[str, Path]]:
    """(archive name, file) for each installed file of ``dist`` that belongs in a package."""
    for file in dist.files or ():
        name = file.as_posix()
        if name.startswith("..") or "__pycache__" in name or name.endswith((".pyc", ".pyo")):
            continue
        path = Path(str(dist.locate_file(file)))
        if path.is_file():
            yield name, path
