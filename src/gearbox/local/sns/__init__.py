"""SNS delivery owned by Gearbox: moto keeps topics and subscriptions, Gearbox delivers.

- ``service``: ``SnsDelivery``, the edge's ``sns`` service (passes every call to moto, then
  fans a published message out to its subscriptions: Gearbox's SQS, Lambda's async queue,
  HTTP/S endpoints; retries and dead-letter queues).
- ``filters``: subscription filter policies (attribute and body scope).
- ``envelope``: the notification envelope, the Lambda event, raw-delivery attributes.

Where it differs from AWS: see ``service`` and ``envelope``.
"""

from gearbox.local.sns.service import SnsDelivery

__all__ = ["SnsDelivery"]
