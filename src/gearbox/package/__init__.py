"""Per-function deployment packages: a deterministic zip of the function's code, the part
of Gearbox it imports at run time (``gearbox.app``) and its declared requirements.

::

    project files (sources.py) + gearbox.app + requirements (requirements.py) -> zip (archive.py)

The same zip goes to the local cloud and, later, into the SAM template's ``CodeUri``.
"""

from gearbox.package.archive import Package, build_package

__all__ = ["Package", "build_package"]
