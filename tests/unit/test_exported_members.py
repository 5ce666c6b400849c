"""The public API is re-exported from one ``__init__`` with a sorted ``__all__``."""

from __future__ import annotations

import gearbox


def test_all_is_sorted_and_every_name_exists() -> None:
    assert gearbox.__all__ == sorted(gearbox.__all__)
    for name in gearbox.__all__:
        assert hasattr(gearbox, name), name


def test_public_names_are_exported() -> None:
    public = {name for name in vars(gearbox) if not name.startswith("_")}
    modules = {"app", "clock", "errors", "settings", "local", "cli", "policy"}
    assert public - modules - {"annotations"} == set(gearbox.__all__) - {"__version__"}
