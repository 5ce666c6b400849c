"""Lambda, owned by Gearbox: the function registry and the Lambda API on the edge.

::

    api        the Lambda REST-JSON API (CreateFunction, Invoke, ...) as the edge sees it
    registry   functions and their configuration, durable in SQLite; code unpacked per version
    model      the shared types: FunctionSpec, Invocation, InvokeResult

Invocations run in execution environments (``gearbox.local.runtime``); asynchronous ones pass
through the durable async-invoke queue (``gearbox.local.sinks``).
"""
