"""The public API is re-exported from one ``__init__`` with a sorted ``__all__``."""

from __future__ import annotations

import types

import pytest

import gearbox
import gearbox.app
import gearbox.graph


def test_all_is_sorted_and_every_name_exists() -> None:
    assert gearbox.__all__ == sorted(gearbox.__all__)
    for name in gearbox.__all__:
        assert hasattr(gearbox, name), name


def test_public_names_are_exported() -> None:
    public = {
        name
        for name, value in vars(gearbox).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - {"annotations"} == set(gearbox.__all__) - {"__version__"}


@pytest.mark.parametrize("package", [gearbox.app, gearbox.graph])
def test_subpackage_all_is_sorted_and_lists_every_public_name(package: types.ModuleType) -> None:
    exported = package.__all__
    assert exported == sorted(exported)
    for name in exported:
        assert hasattr(package, name), name
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - {"annotations"} == set(exported)


def test_gearbox_app_exports_what_the_spec_names() -> None:
    wanted = {"App", "Key", "Index", "S3Event", "SQSBatch", "SNSMessage", "DynamoDBRecord"}
    wanted |= {"ProcessState", "invoke_async"}
    assert wanted <= set(gearbox.app.__all__)
