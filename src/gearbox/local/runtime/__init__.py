"""Lambda execution environments: each a process running AWS's runtime interface client.

::

    pool          EnvironmentPool: per function, warm reuse, cold starts, concurrency, reaping
      environment   one environment: init, invoke, timeout, exit, memory; its log
        launch        the process: ``python -S -m awslambdaric <handler>``, Lambda's variables
          zygote        forked from a pre-started interpreter (the default), or spawned plainly
            zygote_main   the zygote's program: preload, fork, the child's world (stdlib only)
        provided      what Lambda's Python runtime provides (boto3, awslambdaric...), nothing more
        api           the Lambda Runtime API (/runtime/invocation/next, /response, /error)
        output        the process's stdout and stderr, as lines
        report        an invocation's outcome as Lambda reports it: payload, START..REPORT log

The runtime interface client is AWS's own (``awslambdaric``), so the context object, the
error shapes (``Runtime.ImportModuleError``, ``Runtime.MarshalError``...) and the handler
contract are Lambda's, not a re-implementation of them.

Where it differs from AWS: environments are forked from a pre-started interpreter that has
imported awslambdaric's dependencies (``zygote.py``); Lambda starts a fresh process. A
function whose world a fork could not reproduce gets one (``zygote_main.py`` says when),
and ``EnvironmentPool(..., zygote=False)`` starts every environment as a fresh process.
"""

from gearbox.local.runtime.pool import EnvironmentPool

__all__ = ["EnvironmentPool"]
