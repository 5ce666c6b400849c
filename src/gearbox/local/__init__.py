"""The local cloud: one endpoint on 127.0.0.1 in front of Gearbox's own services and moto.

::

    client (boto3, aws CLI, a function)
        -> edge (parse credential scope -> resolve operation -> identify principal -> dispatch)
            -> Gearbox's services (sqs/)       durable, in SQLite under the state dir
            -> backend (moto, in-process)      every other AWS service, in memory

``cloud.LocalCloud`` assembles the pieces; ``gearbox up`` runs one in the foreground.
"""
