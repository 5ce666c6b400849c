"""Speed patches to moto, each giving the same answers as moto with less work.

Each patch is applied once per process (a marker on the patched attribute says so), before
the first request:

- ``managed_policies_once``: moto builds AWS's ~1,300 managed policies in every IAM backend
  it creates; the local cloud builds them for the ``aws`` partition only, from JSON parsed once.
- ``cache_action_lookup``: moto lists a response class's methods on every request to find the
  action's handler; the list is kept per class.
- ``scan_without_copies``: moto's DynamoDB Scan deep-copies every item it returns, though
  the response only reads them; a scan of a table (not of an index) returns the stored items.

Each was found with a profiler (py-spy on ``bench/pipeline.py``, cProfile on single calls).
Where it differs from AWS: nowhere moto does not already (DynamoDB's own Scan is no snapshot
either).
"""

from __future__ import annotations

import functools
import json
import threading
from typing import Any


def apply_all() -> None:
    managed_policies_once()
    cache_action_lookup()
    scan_without_copies()


def managed_policies_once() -> None:
    """moto builds AWS's ~1,300 managed policies in every IAM backend it creates: one per
    partition (aws, aws-cn, aws-us-gov, ...) of every account, again at each reset, parsing
    the same JSON each time (0.4 s per local cloud, most of a functional test's time). The
    local cloud is one partition: only ``aws`` backends get them, from JSON parsed once."""
    from moto.iam import models
    from moto.iam.aws_managed_policies import aws_managed_policies_data
    from moto.settings import load_iam_aws_managed_policies

    if getattr(models.IAMBackend._init_aws_policies, "gearbox_patched", False):
        return
    parsed = functools.cache(lambda: json.loads(aws_managed_policies_data))

    def init_aws_policies(backend: Any) -> list[Any]:
        if backend.region_name != "aws" or not load_iam_aws_managed_policies():
            return []
        return [
            models.AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, d)
            for name, d in parsed().items()
        ]

    init_aws_policies.gearbox_patched = True  # type: ignore[attr-defined]
    setattr(models.IAMBackend, "_init_aws_policies", init_aws_policies)  # noqa: B010


def cache_action_lookup() -> None:
    """moto looks up whether a response class has a method for the action by listing the
    class's members (``inspect.getmembers``) on every request; a class's methods do not
    change, so the list is kept per class. Same answer, once."""
    from moto.core import responses, utils

    if getattr(getattr(responses, "method_names_from_class"), "cache_info", None) is None:  # noqa: B009
        cached = functools.cache(utils.method_names_from_class)
        setattr(responses, "method_names_from_class", cached)  # noqa: B010 - replaces a function


_SCANNING = threading.local()


def scan_without_copies() -> None:
    """moto's ``Table.scan`` appends ``copy.deepcopy(item)`` for every item it returns; the
    only caller (the Scan response) reads them. While a scan of the table itself runs on
    this thread, ``Item.__deepcopy__`` returns the item; a scan of an index (whose
    ``project`` changes the copy) and every other deep copy are untouched."""
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import Table

    if getattr(Table.scan, "gearbox_patched", False):
        return
    scan, deepcopy = Table.scan, Item.__deepcopy__

    @functools.wraps(scan)
    def scan_table(self: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name", args[4] if len(args) > 4 else None)
        if index_name:
            return scan(self, *args, **kwargs)
        _SCANNING.table = True
        try:
            return scan(self, *args, **kwargs)
        finally:
            _SCANNING.table = False

    def item_copy(self: Any, memo: dict[int, Any]) -> Any:
        return self if getattr(_SCANNING, "table", False) else deepcopy(self, memo)

    setattr(scan_table, "gearbox_patched", True)  # noqa: B010
    setattr(Table, "scan", scan_table)  # noqa: B010 - replaces a method
    setattr(Item, "__deepcopy__", item_copy)  # noqa: B010 - replaces a method
