"""Gearbox: event-driven serverless microservices on AWS, in Python.

The pipeline, one stage per subpackage::

    declare (gearbox.app) -> graph -> local cloud (gearbox.local) / policy / template -> deploy

This release carries the foundation: the local cloud's single endpoint (``gearbox up``), with
moto as the AWS API behind it and Gearbox's own durable SQS in front of it.
"""

from gearbox.clock import Clock, ManualClock, SystemClock
from gearbox.settings import Settings, resolve_settings

__version__ = "0.1.0"

__all__ = [
    "Clock",
    "ManualClock",
    "Settings",
    "SystemClock",
    "__version__",
    "resolve_settings",
]
