"""Where the reference application lives, and a way to import its handler modules in tests.

The example is its own project (its modules import as ``handlers.*`` with the example folder
on ``sys.path``, as on Lambda, where the package root is on the path).
"""

from __future__ import annotations

import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "object_metadata"
SAMPLES = EXAMPLE / "samples"


def on_path() -> None:
    if str(EXAMPLE) not in sys.path:
        sys.path.insert(0, str(EXAMPLE))
