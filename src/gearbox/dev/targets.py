"""What a spec stands for on a running cloud: its physical name, ARN and the value an
environment variable gets. Every name comes from ``gearbox.graph.names``; this module only
picks the right one for each kind of spec."""

from __future__ import annotations

from dataclasses import dataclass

from gearbox.app.specs import Target
from gearbox.graph import names
from gearbox.graph.build import target_parts


@dataclass(frozen=True)
class Place:
    """Where the resources live: the endpoint, account and region."""

    endpoint_url: str
    region: str
    account: str

    def physical(self, target: Target) -> str:
        _, app, name = target_parts(target)
        return names.physical_name(app, name)

    def arn(self, target: Target) -> str:
        kind, _, _ = target_parts(target)
        return names.arn(kind, self.physical(target), self.region, self.account)

    def function_arn(self, physical: str) -> str:
        return names.arn("function", physical, self.region, self.account)

    def queue_url(self, target: Target) -> str:
        return names.queue_url(self.endpoint_url, self.account, self.physical(target))

    def environment_value(self, target: Target) -> str:
        """Bucket, table, function, schedule -> name; queue -> URL; topic -> ARN."""
        kind, _, _ = target_parts(target)
        return names.environment_value(
            kind,
            self.physical(target),
            region=self.region,
            account=self.account,
            endpoint=self.endpoint_url,
        )
