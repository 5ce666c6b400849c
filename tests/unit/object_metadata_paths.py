"""Where the reference application lives, and how tests import its modules.

The example is its own project: its modules import as ``app`` and ``handlers.*`` with the
example folder on ``sys.path``, as on Lambda, where the package root is on the path. ``load``
imports them with the folder on the path only for the import, then takes ``app`` and
``handlers*`` out of ``sys.modules`` again, so another project's ``app`` or ``handlers``
imported later in the same test session is not shadowed by these (the loaded modules keep
working: they hold their own references).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "object_metadata"
SAMPLES = EXAMPLE / "samples"


def _forget() -> None:
    for name in list(sys.modules):
        if name in ("app", "handlers") or name.startswith("handlers."):
            del sys.modules[name]


def load(*names: str) -> SimpleNamespace:
    """``load("handlers.metadata", "app")`` -> namespace with ``.metadata`` and ``.app``."""
    _forget()
    sys.path.insert(0, str(EXAMPLE))
    try:
        loaded: dict[str, ModuleType] = {
            name.rsplit(".", 1)[-1]: importlib.import_module(name) for name in names
        }
    finally:
        sys.path.remove(str(EXAMPLE))
        _forget()
    return SimpleNamespace(**loaded)
