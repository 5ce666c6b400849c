"""What Lambda's Python runtime provides to a function, and nothing else.

On Lambda a function imports from its own code (``/var/task``), its layers (``/opt/python``)
and the runtime's folder (``/var/runtime``), which holds the AWS SDK and the runtime interface
client. ``provided_dir`` builds the local equivalent of ``/var/runtime`` once: a folder of
symlinks to the top-level modules (packages, ``.py`` files, extension ``.so`` files) and the
``.dist-info`` folders of those distributions in Gearbox's own environment. An execution
environment runs Python with ``-S``, so Gearbox's site-packages are not importable, and with
``PYTHONPATH`` set to the function's code, its layers, then this folder (``python_path``).

The folder's name carries a digest of the interpreter and the distributions' versions, so a
Gearbox upgrade builds a new one and an existing one is reused as it is.

Differences from AWS: the versions are those installed with Gearbox (Lambda's runtime ships
its own, updated by AWS), and the interpreter is Gearbox's, whatever ``Runtime`` says.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
from importlib.metadata import Distribution, distribution
from pathlib import Path

from gearbox.local.functions.model import FunctionSpec

PROVIDED = (
    "awslambdaric",
    "boto3",
    "botocore",
    "jmespath",
    "python-dateutil",
    "s3transfer",
    "simplejson",
    "six",
    "snapshot-restore-py",
    "urllib3",
)


def provided_dir(parent: Path) -> Path:
    """The folder of provided modules under ``parent``, built if it does not exist yet."""
    dists = [distribution(name) for name in PROVIDED]
    target = parent / f"provided-{_digest(dists)}"
    if target.is_dir():
        return target
    parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=".provided-", dir=parent))
    try:
        for dist in dists:
            for name in _top_level(dist):
                (building / name).symlink_to(Path(str(dist.locate_file(name))).resolve())
        try:
            building.rename(target)
        except OSError:  # built meanwhile by another Gearbox
            if not target.is_dir():
                raise
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(building)
    return target


def python_path(spec: FunctionSpec, provided: Path) -> str:
    """PYTHONPATH in Lambda's order: code, layers (last one first, as it wins in /opt), runtime.

    Each layer contributes ``python/lib/python3.X/site-packages`` then ``python``.
    """
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    entries = [str(spec.code_dir)]
    for layer in reversed(spec.layers):
        entries.append(str(layer / "python" / "lib" / version / "site-packages"))
        entries.append(str(layer / "python"))
    entries.append(str(provided))
    return os.pathsep.join(entries)


def _top_level(dist: Distribution) -> set[str]:
    names = set()
    for file in dist.files or ():
        top = file.parts[0]
        if top not in ("..", "__pycache__") and not top.endswith(".pth"):
            names.add(top)
    return names


def _digest(dists: list[Distribution]) -> str:
    text = "\n".join(
        [sys.executable, sys.version, *(f"{d.metadata['Name']}=={d.version}" for d in dists)]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]
