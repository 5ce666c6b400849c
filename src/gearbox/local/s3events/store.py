"""Notification configurations, by bucket, in ``s3-notifications.db`` in the state dir.

Buckets outlive a restart too (moto's state is kept by ``gearbox.local.backend.durable``),
so a stored configuration names a bucket that exists. It is dropped when its bucket is deleted
through the edge. Where it differs from AWS: a state dir whose moto state was set aside (a
snapshot from another moto version) keeps configurations of buckets that no longer exist,
until a bucket of the same name is configured again.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from gearbox.local.database import open_database
from gearbox.local.s3events.config import NotificationConfig

_SCHEMA = "CREATE TABLE IF NOT EXISTS buckets (bucket TEXT PRIMARY KEY, configs TEXT NOT NULL);"


class ConfigStore:
    def __init__(self, path: Path) -> None:
        self._db = open_database(path, _SCHEMA, 1)
        self._cache: dict[str, list[NotificationConfig]] = {}
        for bucket, text in self._db.execute("SELECT bucket, configs FROM buckets"):
            self._cache[bucket] = [_load(c) for c in json.loads(text)]

    def get(self, bucket: str) -> list[NotificationConfig]:
        return list(self._cache.get(bucket, []))

    def put(self, bucket: str, configs: list[NotificationConfig]) -> None:
        if not configs:
            self.delete(bucket)
            return
        text = json.dumps([asdict(c) for c in configs])
        self._db.execute("INSERT OR REPLACE INTO buckets VALUES (?, ?)", (bucket, text))
        self._cache[bucket] = list(configs)

    def delete(self, bucket: str) -> None:
        self._db.execute("DELETE FROM buckets WHERE bucket=?", (bucket,))
        self._cache.pop(bucket, None)

    def close(self) -> None:
        self._db.close()


def _load(data: dict[str, object]) -> NotificationConfig:
    events = data.pop("events")
    assert isinstance(events, list)
    return NotificationConfig(events=tuple(str(e) for e in events), **data)  # type: ignore[arg-type]
