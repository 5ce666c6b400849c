"""The AWS API behind every service Gearbox does not own: moto, in-process.

::

    service.py    MotoBackend: the edge's last stage for moto's services
    hot.py        plain S3 PutObject and DynamoDB PutItem over moto's models, without
                  moto's request layer (the two writes of every event in the pipeline)
    dispatch.py   a request to moto's handler for its route, without Flask around it
    speedups.py   patches that give moto's answers with less work
    durable.py    moto's state kept across restarts: a write log and snapshots

This package is the only one that imports moto.
"""

from gearbox.local.backend.service import MotoBackend

__all__ = ["MotoBackend"]
